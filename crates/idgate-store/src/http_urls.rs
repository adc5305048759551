//! The receiver URLs a tenant explicitly allows over plain `http` (webhooks, login callbacks).

use crate::db::Store;
use crate::error::Result;

impl Store {
    /// Allows `url` (already normalised) over `http` for the tenant; allowing it twice is a no-op.
    pub async fn allow_http_url(&self, tenant_id: &str, url: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_http_urls (tenant_id, url, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, url) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(url)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Withdraws the allowance; true when there was one.
    pub async fn disallow_http_url(&self, tenant_id: &str, url: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM tenant_http_urls WHERE tenant_id = $1 AND url = $2")
            .bind(tenant_id)
            .bind(url)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Whether the tenant allows `url` (normalised) over `http`.
    pub async fn http_url_allowed(&self, tenant_id: &str, url: &str) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT created_at FROM tenant_http_urls WHERE tenant_id = $1 AND url = $2",
        )
        .bind(tenant_id)
        .bind(url)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.is_some())
    }

    /// The tenant's `http` URLs, oldest first.
    pub async fn http_urls(&self, tenant_id: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT url FROM tenant_http_urls WHERE tenant_id = $1 ORDER BY created_at, url",
        )
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
