//! Tenants and what they own outside sessions: API keys, OAuth clients, webhook endpoints.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::rows::{ApiKeyRow, ClientRow, EndpointRow, TenantRow};

const TENANT_COLS: &str =
    "id, name, mode, time_zone, default_settings, decision_policy, frame_origins, created_at, rate_limit, redirect_url";
pub(crate) const KEY_COLS: &str =
    "id, tenant_id, prefix, secret_hash, created_at, revoked_at, scopes";
pub(crate) const CLIENT_COLS: &str =
    "id, tenant_id, client_id, secret_hash, name, scopes, callback_urls, \
     can_notify, websocket, auth_ttl, created_at, revoked_at, old_secret_hash, old_secret_until";

/// A tenant setting that can change after creation.
#[derive(Debug, Clone, Copy)]
pub enum TenantSetting {
    DecisionPolicy,
    FrameOrigins,
    RateLimit,
    RedirectUrl,
    /// JSON `{biometrics_days, documents_days}` (`None`: the server's defaults).
    Retention,
}

impl Store {
    pub async fn insert_tenant(&self, t: &TenantRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenants (id, name, mode, time_zone, default_settings, decision_policy, frame_origins, \
             created_at, rate_limit, redirect_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.mode)
        .bind(&t.time_zone)
        .bind(&t.default_settings)
        .bind(&t.decision_policy)
        .bind(&t.frame_origins)
        .bind(t.created_at)
        .bind(&t.rate_limit)
        .bind(&t.redirect_url)
        .execute(&self.write)
        .await
        .map_err(StoreError::from)
        .map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict("tenant name taken")
            } else {
                e
            }
        })?;
        Ok(())
    }

    pub async fn tenant_by_name(&self, name: &str) -> Result<TenantRow> {
        sqlx::query_as(&format!(
            "SELECT {TENANT_COLS} FROM tenants WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn tenant_by_id(&self, id: &str) -> Result<TenantRow> {
        sqlx::query_as(&format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Sets one of a tenant's settings (`None`: back to the default). `NotFound` for no such
    /// tenant.
    pub async fn set_tenant_setting(
        &self,
        tenant_id: &str,
        setting: TenantSetting,
        value: Option<&str>,
    ) -> Result<()> {
        let sql = match setting {
            TenantSetting::DecisionPolicy => {
                "UPDATE tenants SET decision_policy = $1 WHERE id = $2"
            }
            TenantSetting::FrameOrigins => "UPDATE tenants SET frame_origins = $1 WHERE id = $2",
            TenantSetting::RateLimit => "UPDATE tenants SET rate_limit = $1 WHERE id = $2",
            TenantSetting::RedirectUrl => "UPDATE tenants SET redirect_url = $1 WHERE id = $2",
            TenantSetting::Retention => "UPDATE tenants SET retention = $1 WHERE id = $2",
        };
        let n = sqlx::query(sql)
            .bind(value)
            .bind(tenant_id)
            .execute(&self.write)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn tenant_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tenants")
            .fetch_one(&self.read)
            .await?;
        Ok(n)
    }

    pub async fn insert_api_key(&self, k: &ApiKeyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, created_at, revoked_at, scopes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&k.id)
        .bind(&k.tenant_id)
        .bind(&k.prefix)
        .bind(&k.secret_hash)
        .bind(k.created_at)
        .bind(k.revoked_at)
        .bind(&k.scopes)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The live key with this public prefix and its tenant.
    pub async fn api_key_by_prefix(&self, prefix: &str) -> Result<(ApiKeyRow, TenantRow)> {
        let key: ApiKeyRow = sqlx::query_as(&format!(
            "SELECT {KEY_COLS} FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL"
        ))
        .bind(prefix)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let tenant = self.tenant_by_id(&key.tenant_id).await?;
        Ok((key, tenant))
    }

    pub async fn insert_client(&self, c: &ClientRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO oauth_clients (id, tenant_id, client_id, secret_hash, name, scopes, callback_urls, \
             can_notify, websocket, auth_ttl, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&c.id)
        .bind(&c.tenant_id)
        .bind(&c.client_id)
        .bind(&c.secret_hash)
        .bind(&c.name)
        .bind(&c.scopes)
        .bind(&c.callback_urls)
        .bind(c.can_notify)
        .bind(c.websocket)
        .bind(c.auth_ttl)
        .bind(c.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn client_by_client_id(&self, client_id: &str) -> Result<ClientRow> {
        sqlx::query_as(&format!(
            "SELECT {CLIENT_COLS} FROM oauth_clients WHERE client_id = $1 AND revoked_at IS NULL"
        ))
        .bind(client_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn insert_endpoint(&self, e: &EndpointRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, secret_sealed, events, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&e.id)
        .bind(&e.tenant_id)
        .bind(&e.url)
        .bind(&e.secret_sealed)
        .bind(&e.events)
        .bind(e.enabled)
        .bind(e.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn endpoint(&self, tenant_id: &str, id: &str) -> Result<EndpointRow> {
        sqlx::query_as(
            "SELECT id, tenant_id, url, secret_sealed, events, enabled, created_at FROM webhook_endpoints \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }
}
