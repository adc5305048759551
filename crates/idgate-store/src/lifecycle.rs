//! What a session collected, and deleting it: its biometrics (the selfie and any other liveness
//! image of its challenges, with their sealed templates; the liveness results; the face
//! validations and document-portrait matches of those images; the device scan's fingerprint
//! and CPF hash) and its documents (every read its
//! steps made, referenced or not, with the sealed file and result and their portrait matches).
//! Used by redaction ([`Store::redact_session`]) and by the retention sweeper
//! ([`Store::purge_session_evidence`]), which marks the session and audits the purge in the same
//! transaction. Status, decision and reasons are never touched here.

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::face_rows::AuditEventRow;
use crate::faces::insert_audit;
use crate::rows::SessionRow;
use crate::sessions::SELECT_COLS;

/// What replaces an erased value (a CPF, a reference).
pub const REDACTED: &str = "[redacted]";

/// Statuses whose evidence may expire: final, and not waiting for a reviewer
/// (`in_manual_analysis` keeps its evidence until it is reviewed or redacted).
const DONE: &str = "('approved', 'rejected', 'expired', 'canceled')";

/// A kind of evidence with its own retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Biometrics,
    Documents,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Biometrics => "biometrics",
            Self::Documents => "documents",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Biometrics => "biometrics_purged_at",
            Self::Documents => "documents_purged_at",
        }
    }
}

/// Rows deleted, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EvidenceCounts {
    pub face_images: u64,
    pub liveness_challenges: u64,
    pub device_scans: u64,
    pub face_validations: u64,
    pub face_matches: u64,
    pub document_reads: u64,
}

impl std::ops::AddAssign for EvidenceCounts {
    fn add_assign(&mut self, o: Self) {
        self.face_images += o.face_images;
        self.liveness_challenges += o.liveness_challenges;
        self.device_scans += o.device_scans;
        self.face_validations += o.face_validations;
        self.face_matches += o.face_matches;
        self.document_reads += o.document_reads;
    }
}

/// The images of a session's liveness challenges (`$1` tenant, `$2` session).
const CHALLENGE_IMAGES: &str = "image_key IN (SELECT image_key FROM liveness_challenges \
     WHERE tenant_id = $1 AND session_id = $2 AND image_key IS NOT NULL)";
/// The reads a session's steps made (`$1` tenant, `$2` session).
const SESSION_READS: &str =
    "ocr_key IN (SELECT ocr_key FROM document_reads WHERE tenant_id = $1 AND session_id = $2)";

impl Store {
    /// Every tenant's id with its retention setting (JSON, `None`: the server's defaults).
    pub async fn tenant_retentions(&self) -> Result<Vec<(String, Option<String>)>> {
        Ok(
            sqlx::query_as("SELECT id, retention FROM tenants ORDER BY id")
                .fetch_all(&self.read)
                .await?,
        )
    }

    /// The tenant's sessions final since before `before` (by `updated_at`) whose `kind` of
    /// evidence was not purged yet, oldest first.
    pub async fn sessions_due_for_purge(
        &self,
        tenant_id: &str,
        kind: Evidence,
        before: i64,
        limit: i64,
    ) -> Result<Vec<SessionRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SELECT_COLS} FROM sessions WHERE tenant_id = $1 AND status IN {DONE} \
             AND updated_at < $2 AND {} IS NULL ORDER BY updated_at, id LIMIT $3",
            kind.column()
        ))
        .bind(tenant_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Deletes the `kind` of evidence of session `s` (`keys`: the image or read keys its
    /// `step_data` names; the rest is found by session id), marks the session purged at `now`
    /// and records the audit row `audit` makes of the counts (if any), in one transaction. `Conflict`
    /// when the session changed since it was read (it is left for the next pass).
    pub async fn purge_session_evidence(
        &self,
        s: &SessionRow,
        kind: Evidence,
        keys: &[String],
        now: i64,
        audit: impl FnOnce(&EvidenceCounts) -> Option<AuditEventRow>,
    ) -> Result<EvidenceCounts> {
        let mut tx = self.write.begin().await?;
        let marked = sqlx::query(&format!(
            "UPDATE sessions SET {col} = $3 WHERE tenant_id = $1 AND id = $2 AND {col} IS NULL \
             AND status = $4 AND updated_at = $5",
            col = kind.column()
        ))
        .bind(&s.tenant_id)
        .bind(&s.id)
        .bind(now)
        .bind(&s.status)
        .bind(s.updated_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict("session changed concurrently"));
        }
        let counts = match kind {
            Evidence::Biometrics => delete_biometrics(&mut tx, &s.tenant_id, &s.id, keys).await?,
            Evidence::Documents => delete_documents(&mut tx, &s.tenant_id, &s.id, keys).await?,
        };
        if let Some(a) = audit(&counts) {
            insert_audit(&mut tx, &a).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }
}

/// Runs each of `stmts` (`{which}` replaced by a source's condition; `$1` tenant, `$2` the
/// source's value) for each source, in order; the rows each statement deleted.
async fn delete_each<'a>(
    tx: &mut Transaction<'static, Any>,
    tenant: &str,
    stmts: &[&str],
    sources: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<u64>> {
    let mut n = vec![0; stmts.len()];
    for (which, v) in sources {
        for (i, sql) in stmts.iter().enumerate() {
            n[i] += sqlx::query(&sql.replace("{which}", which))
                .bind(tenant)
                .bind(v)
                .execute(&mut **tx)
                .await?
                .rows_affected();
        }
    }
    Ok(n)
}

/// Deletes the session's images (`image_keys` and its challenges' images) with their face
/// validations and portrait matches, then its liveness challenges and its device-scan rows. An image a live face
/// registration uses stays (the registration is the tenant's, not the session's).
pub(crate) async fn delete_biometrics(
    tx: &mut Transaction<'static, Any>,
    tenant: &str,
    session_id: &str,
    image_keys: &[String],
) -> Result<EvidenceCounts> {
    let stmts = [
        "DELETE FROM face_validations WHERE tenant_id = $1 AND {which}",
        "DELETE FROM document_face_matches WHERE tenant_id = $1 AND {which}",
        "DELETE FROM face_images WHERE tenant_id = $1 AND {which} AND NOT EXISTS \
         (SELECT 1 FROM face_registrations r WHERE r.tenant_id = $1 \
          AND r.image_key = face_images.image_key AND r.deleted_at IS NULL)",
        "DELETE FROM liveness_challenges WHERE tenant_id = $1 AND {which}",
        // the device scan's memory of the session (fingerprint, CPF hash), kept for its 24 h count
        "DELETE FROM device_uses WHERE tenant_id = $1 AND {which}",
    ];
    let sources = std::iter::once((CHALLENGE_IMAGES, session_id))
        .chain(image_keys.iter().map(|k| ("image_key = $2", k.as_str())));
    let n = delete_each(tx, tenant, &stmts[..3], sources).await?;
    let by_session = std::iter::once(("session_id = $2", session_id));
    let c = delete_each(tx, tenant, &stmts[3..], by_session).await?;
    Ok(EvidenceCounts {
        face_validations: n[0],
        face_matches: n[1],
        face_images: n[2],
        liveness_challenges: c[0],
        device_scans: c[1],
        document_reads: 0,
    })
}

/// Deletes the session's document reads (`ocr_keys` and every read made for it) with their
/// portrait matches.
pub(crate) async fn delete_documents(
    tx: &mut Transaction<'static, Any>,
    tenant: &str,
    session_id: &str,
    ocr_keys: &[String],
) -> Result<EvidenceCounts> {
    let stmts = [
        "DELETE FROM document_face_matches WHERE tenant_id = $1 AND {which}",
        "DELETE FROM document_reads WHERE tenant_id = $1 AND {which}",
    ];
    let sources = std::iter::once((SESSION_READS, session_id))
        .chain(ocr_keys.iter().map(|k| ("ocr_key = $2", k.as_str())));
    let n = delete_each(tx, tenant, &stmts, sources).await?;
    Ok(EvidenceCounts {
        face_matches: n[0],
        document_reads: n[1],
        ..EvidenceCounts::default()
    })
}
