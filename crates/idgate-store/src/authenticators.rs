//! Authenticator enrolments (one-time, hashed tokens), enrolled devices, and the login signing
//! keys (sealed by the server's key ring before they reach this module).

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::login_rows::{DeviceRow, EnrollmentRow, LoginKeyRow};

const DEVICE_COLS: &str =
    "id, tenant_id, username, public_key, push_endpoint, push_p256dh, push_auth, name, \
                           created_at, revoked_at";

impl Store {
    /// The tenant's enrolled devices (of one person when `username` is given), revoked included.
    pub async fn devices_of(
        &self,
        tenant_id: &str,
        username: Option<&str>,
    ) -> Result<Vec<DeviceRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DEVICE_COLS} FROM authenticator_devices WHERE tenant_id = $1 \
             AND ($2 IS NULL OR username = $2) ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .bind(username)
        .fetch_all(&self.read)
        .await?)
    }

    /// Revokes a live device of the tenant: it can no longer open or decide logins, gets no
    /// pushes, and its open socket closes at its next heartbeat.
    pub async fn revoke_device(&self, tenant_id: &str, id: &str, now: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE authenticator_devices SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn insert_enrollment(&self, e: &EnrollmentRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO authenticator_enrollments (id, tenant_id, username, token_hash, expires_at, used_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&e.id)
        .bind(&e.tenant_id)
        .bind(&e.username)
        .bind(&e.token_hash)
        .bind(e.expires_at)
        .bind(e.used_at)
        .bind(e.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Consumes a live enrolment and inserts the device for its tenant and username, in one
    /// transaction. `NotFound` when the token is unknown, used or expired.
    pub async fn enroll_device(
        &self,
        token_hash: &str,
        now: i64,
        device: &DeviceRow,
    ) -> Result<DeviceRow> {
        let mut tx = self.write.begin().await?;
        let e: Option<EnrollmentRow> = sqlx::query_as(
            "UPDATE authenticator_enrollments SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $1 RETURNING id, tenant_id, username, token_hash, expires_at, used_at, created_at",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(e) = e else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        let d = DeviceRow {
            tenant_id: e.tenant_id,
            username: e.username,
            ..device.clone()
        };
        sqlx::query(&format!(
            "INSERT INTO authenticator_devices ({DEVICE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&d.id)
        .bind(&d.tenant_id)
        .bind(&d.username)
        .bind(&d.public_key)
        .bind(&d.push_endpoint)
        .bind(&d.push_p256dh)
        .bind(&d.push_auth)
        .bind(&d.name)
        .bind(d.created_at)
        .bind(d.revoked_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(d)
    }

    /// A live (not revoked) device.
    pub async fn device(&self, id: &str) -> Result<DeviceRow> {
        sqlx::query_as(&format!(
            "SELECT {DEVICE_COLS} FROM authenticator_devices WHERE id = $1 AND revoked_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Live devices of a username that have a push subscription.
    pub async fn push_devices(&self, tenant_id: &str, username: &str) -> Result<Vec<DeviceRow>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {DEVICE_COLS} FROM authenticator_devices WHERE tenant_id = $1 AND username = $2 \
             AND revoked_at IS NULL AND push_endpoint IS NOT NULL ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .bind(username)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }

    /// Forgets a device's push subscription (the push service answered 404/410).
    pub async fn clear_device_push(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE authenticator_devices SET push_endpoint = NULL, push_p256dh = NULL, push_auth = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Stores a key unless one with the kid exists.
    pub async fn insert_login_key(&self, k: &LoginKeyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_keys (kid, purpose, sealed, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kid) DO NOTHING",
        )
        .bind(&k.kid)
        .bind(&k.purpose)
        .bind(&k.sealed)
        .bind(k.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Keys of a purpose, oldest first (every node picks the same active key).
    pub async fn login_keys(&self, purpose: &str) -> Result<Vec<LoginKeyRow>> {
        let rows = sqlx::query_as(
            "SELECT kid, purpose, sealed, created_at FROM login_keys WHERE purpose = $1 ORDER BY created_at, kid",
        )
        .bind(purpose)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }
}
