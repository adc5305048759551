//! Document reads and document-to-selfie face matches, per tenant. The store keeps sealed bytes
//! (the uploaded file and the extracted result) as given: sealing and opening is the caller's
//! job, so no plaintext document data passes through here. No query crosses tenants.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::AuditEventRow;

/// One document read as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DocumentRow {
    pub ocr_key: String,
    pub tenant_id: String,
    /// The template asked for (`passport`, `cnh_front`, ...).
    pub template: String,
    /// `jpeg` or `pdf`, as declared and verified.
    pub file_type: String,
    /// `processed` (read and validated) or `stored` (kept without validation, e.g. `others`).
    pub status: String,
    /// The uploaded file, sealed.
    pub file_sealed: Vec<u8>,
    /// The result JSON, sealed.
    pub result_sealed: Vec<u8>,
    pub created_at: i64,
    /// The session whose step made the read; `None` for a read made on its own.
    pub session_id: Option<String>,
    /// When a read made on its own expires; `None`: a session's retention governs it.
    pub expires_at: Option<i64>,
}

/// One match of a document portrait against an uploaded image.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FaceMatchRow {
    pub face_match_key: String,
    pub tenant_id: String,
    pub ocr_key: String,
    pub image_key: String,
    pub similarity: f64,
    /// `match` or `unmatch`.
    pub result: String,
    pub created_at: i64,
}

const DOC_COLS: &str = "ocr_key, tenant_id, template, file_type, status, file_sealed, \
                        result_sealed, created_at, session_id, expires_at";
const MATCH_COLS: &str =
    "face_match_key, tenant_id, ocr_key, image_key, similarity, result, created_at";

impl Store {
    pub async fn insert_document(&self, d: &DocumentRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO document_reads ({DOC_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&d.ocr_key)
        .bind(&d.tenant_id)
        .bind(&d.template)
        .bind(&d.file_type)
        .bind(&d.status)
        .bind(&d.file_sealed)
        .bind(&d.result_sealed)
        .bind(d.created_at)
        .bind(&d.session_id)
        .bind(d.expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The tenant's document read `ocr_key`, expired or not (the caller enforces
    /// `expires_at`); `NotFound` for another tenant's key.
    pub async fn document(&self, tenant_id: &str, ocr_key: &str) -> Result<DocumentRow> {
        sqlx::query_as(&format!(
            "SELECT {DOC_COLS} FROM document_reads WHERE tenant_id = $1 AND ocr_key = $2"
        ))
        .bind(tenant_id)
        .bind(ocr_key)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Deletes the tenant's document read `ocr_key` with its face matches and records `audit`,
    /// in one transaction. `NotFound` for an unknown (or another tenant's) key; `Conflict` while
    /// a session that is not final yet references it (its decision still needs the read).
    pub async fn delete_document(
        &self,
        tenant_id: &str,
        ocr_key: &str,
        audit: &AuditEventRow,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let (in_use,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sessions WHERE tenant_id = $1 \
             AND status IN ('pending', 'in_progress', 'processing') \
             AND step_data LIKE ('%' || $2 || '%')",
        )
        .bind(tenant_id)
        .bind(ocr_key)
        .fetch_one(&mut *tx)
        .await?;
        if in_use > 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "a session that is not final yet uses this document read",
            ));
        }
        sqlx::query("DELETE FROM document_face_matches WHERE tenant_id = $1 AND ocr_key = $2")
            .bind(tenant_id)
            .bind(ocr_key)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM document_reads WHERE tenant_id = $1 AND ocr_key = $2")
            .bind(tenant_id)
            .bind(ocr_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        crate::faces::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes up to `limit` reads made on their own that expired at `now` or before, with their
    /// face matches; returns how many reads.
    pub async fn purge_expired_documents(&self, now: i64, limit: i64) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let due = "SELECT ocr_key FROM document_reads WHERE expires_at IS NOT NULL \
                   AND expires_at <= $1 ORDER BY expires_at, ocr_key LIMIT $2";
        sqlx::query(&format!(
            "DELETE FROM document_face_matches WHERE ocr_key IN ({due})"
        ))
        .bind(now)
        .bind(limit)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(&format!(
            "DELETE FROM document_reads WHERE ocr_key IN ({due})"
        ))
        .bind(now)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// How many document reads the tenant has (tests check that refused input stores nothing).
    pub async fn document_count(&self, tenant_id: &str) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM document_reads WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_one(&self.read)
                .await?;
        Ok(n)
    }

    pub async fn insert_face_match(&self, m: &FaceMatchRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO document_face_matches ({MATCH_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&m.face_match_key)
        .bind(&m.tenant_id)
        .bind(&m.ocr_key)
        .bind(&m.image_key)
        .bind(m.similarity)
        .bind(&m.result)
        .bind(m.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn face_match(&self, tenant_id: &str, key: &str) -> Result<FaceMatchRow> {
        sqlx::query_as(&format!(
            "SELECT {MATCH_COLS} FROM document_face_matches WHERE tenant_id = $1 AND face_match_key = $2"
        ))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }
}
