//! The uqudo door's sessions: insert, look up by the `qrCodeText` hash (phone and web socket)
//! or by tenant and session id (results), claim for one phone, delete; and the audit of image
//! reads. Every read by id is scoped by tenant.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::face_rows::AuditEventRow;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UqudoRow {
    pub session_id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub qr_hash: String,
    pub data: String,
    pub nonce: Option<String>,
    pub min_level: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub phone_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub info_deleted_at: Option<i64>,
}

const COLS: &str =
    "session_id, tenant_id, client_id, qr_hash, data, nonce, min_level, created_at, \
                    expires_at, phone_at, deleted_at, info_deleted_at";

impl Store {
    pub async fn insert_uqudo(&self, r: &UqudoRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO uqudo_sessions ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&r.session_id)
        .bind(&r.tenant_id)
        .bind(&r.client_id)
        .bind(&r.qr_hash)
        .bind(&r.data)
        .bind(&r.nonce)
        .bind(r.min_level)
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.phone_at)
        .bind(r.deleted_at)
        .bind(r.info_deleted_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The session whose `qrCodeText` hashes to `qr_hash` (from a reader: every web socket
    /// re-reads it when its session changes, which must not queue behind SQLite's one writer).
    pub async fn uqudo_by_qr(&self, qr_hash: &str) -> Result<UqudoRow> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM uqudo_sessions WHERE qr_hash = $1"
        ))
        .bind(qr_hash)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The tenant's uqudo session `session_id` (`NotFound` for another tenant's).
    pub async fn uqudo_session(&self, tenant_id: &str, session_id: &str) -> Result<UqudoRow> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM uqudo_sessions WHERE tenant_id = $1 AND session_id = $2"
        ))
        .bind(tenant_id)
        .bind(session_id)
        .fetch_optional(&self.write)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Marks the session opened by a phone; false when a phone already did (or it was deleted
    /// or expired in the meantime). One conditional update: two phones cannot both win.
    pub async fn claim_uqudo_phone(&self, qr_hash: &str, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE uqudo_sessions SET phone_at = $1 WHERE qr_hash = $2 AND phone_at IS NULL \
             AND deleted_at IS NULL AND expires_at > $3",
        )
        .bind(now)
        .bind(qr_hash)
        .bind(now)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Deletes the session info behind a `qrCodeText`; false if it was already deleted.
    pub async fn delete_uqudo(&self, qr_hash: &str, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE uqudo_sessions SET deleted_at = $1, data = '' WHERE qr_hash = $2 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(qr_hash)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Deletes the tenant's result of `session_id` (the JWS is no longer served); false if
    /// there is none or it was already deleted.
    pub async fn delete_uqudo_info(
        &self,
        tenant_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE uqudo_sessions SET info_deleted_at = $1 WHERE tenant_id = $2 AND session_id = $3 \
             AND info_deleted_at IS NULL",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(session_id)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records an audited action (e.g. `uqudo.image_read`) on its own.
    pub async fn insert_audit_event(&self, a: &AuditEventRow) -> Result<()> {
        let mut tx = self.write.begin().await?;
        crate::faces::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}
