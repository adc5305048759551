//! The device scan's memory: which device fingerprint verified which CPF (as a hash) when, per
//! tenant, to count the distinct CPFs one device has verified in a window.

use crate::db::Store;
use crate::error::Result;

/// One device scan to remember.
#[derive(Debug, Clone)]
pub struct NewDeviceUse {
    pub tenant_id: String,
    pub fingerprint: String,
    pub cpf_hash: String,
    pub session_id: String,
    pub created_at: i64,
}

impl Store {
    /// Records `u` and answers how many distinct CPFs the device has verified in this tenant
    /// since `since` (this one included).
    pub async fn record_device_use(&self, u: &NewDeviceUse, since: i64) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO device_uses (tenant_id, fingerprint, cpf_hash, session_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&u.tenant_id)
        .bind(&u.fingerprint)
        .bind(&u.cpf_hash)
        .bind(&u.session_id)
        .bind(u.created_at)
        .execute(&mut *tx)
        .await?;
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(DISTINCT cpf_hash) FROM device_uses \
             WHERE tenant_id = $1 AND fingerprint = $2 AND created_at >= $3",
        )
        .bind(&u.tenant_id)
        .bind(&u.fingerprint)
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// How many device scans of one session are remembered (redaction forgets them).
    pub async fn device_use_count(&self, tenant_id: &str, session_id: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM device_uses WHERE tenant_id = $1 AND session_id = $2",
        )
        .bind(tenant_id)
        .bind(session_id)
        .fetch_one(&self.read)
        .await?;
        Ok(n)
    }

    /// Forgets the device scans of one session.
    pub async fn delete_device_uses(&self, tenant_id: &str, session_id: &str) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM device_uses WHERE tenant_id = $1 AND session_id = $2")
                .bind(tenant_id)
                .bind(session_id)
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }
}
