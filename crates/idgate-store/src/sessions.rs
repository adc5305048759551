//! Verification sessions and their events. Every state change is written together with its
//! event and the event's outbox rows in one transaction.

use sqlx::{Any, Transaction};

use crate::columns::columns;
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::face_rows::AuditEventRow;
use crate::faces::insert_audit;
use crate::group::placeholders;
use crate::rows::{EventRow, NewEvent, SessionRow};

columns!(
    COLS, NCOLS, bind_session, SessionRow:
    tenant_id, id, hash, token_hash, token_gen, document_number, settings, fingerprint, status,
    step, step_data, decision, expires_at, token_expires_at, created_at, updated_at;
    // [`COLS`] and the columns only the retention sweeper writes
    SELECT_COLS: biometrics_purged_at, documents_purged_at
);

/// Outcome of an insert.
#[derive(Debug)]
pub enum Created {
    Inserted,
    /// A session with this `(tenant, id)` exists already (idempotent replay or conflict).
    Exists(Box<SessionRow>),
    /// The random public hash collided with another session's; retry with a new one.
    HashTaken,
}

/// What an update expects the stored row to still be (optimistic concurrency).
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub status: &'a str,
    pub token_gen: i64,
    /// The current step (`None`: no step left).
    pub step: Option<&'a str>,
}

impl<'a> Expected<'a> {
    /// The row as it was read.
    pub fn of(row: &'a SessionRow) -> Self {
        Self {
            status: &row.status,
            token_gen: row.token_gen,
            step: row.step.as_deref(),
        }
    }
}

/// List filter and keyset cursor (newest first).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    /// `(created_at, id)` of the last row of the previous page.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

impl Store {
    /// Inserts a session and its creation event.
    pub async fn insert_session(&self, s: &SessionRow, event: &NewEvent) -> Result<Created> {
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "INSERT INTO sessions ({COLS}) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(1, NCOLS)
        );
        let inserted = bind_session(sqlx::query(&sql), s)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return match self.session(&s.tenant_id, &s.id).await {
                Ok(existing) => Ok(Created::Exists(Box::new(existing))),
                Err(StoreError::NotFound) => Ok(Created::HashTaken),
                Err(e) => Err(e),
            };
        }
        let queued = record_event(&mut tx, event).await?;
        tx.commit().await?;
        self.outbox_queued(queued);
        Ok(Created::Inserted)
    }

    pub async fn session(&self, tenant_id: &str, id: &str) -> Result<SessionRow> {
        sqlx::query_as(&format!(
            "SELECT {SELECT_COLS} FROM sessions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Looks a session up by its public hash (the hosted-page entry point; no tenant yet).
    pub async fn session_by_hash(&self, hash: &str) -> Result<SessionRow> {
        sqlx::query_as(&format!(
            "SELECT {SELECT_COLS} FROM sessions WHERE hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn list_sessions(&self, tenant_id: &str, f: &ListFilter) -> Result<Vec<SessionRow>> {
        let (at, id) = f.after.clone().unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query_as(&format!(
            "SELECT {SELECT_COLS} FROM sessions WHERE tenant_id = $1 AND ($2 = '' OR status = $2) \
             AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ))
        .bind(tenant_id)
        .bind(f.status.clone().unwrap_or_default())
        .bind(at)
        .bind(if f.after.is_some() {
            id
        } else {
            String::from("\u{10FFFF}")
        })
        .bind(f.limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }

    /// Writes the mutable part of `s` if the stored row still has the `expected` status, token
    /// generation and current step; records `events` in the same transaction, in order.
    /// `Conflict` when the row moved on (another request changed it first).
    pub async fn update_session(
        &self,
        s: &SessionRow,
        expected: Expected<'_>,
        events: &[NewEvent],
    ) -> Result<()> {
        self.update_session_audited(s, expected, events, None).await
    }

    /// [`Self::update_session`], with an `audit` row written in the same transaction.
    pub async fn update_session_audited(
        &self,
        s: &SessionRow,
        expected: Expected<'_>,
        events: &[NewEvent],
        audit: Option<&AuditEventRow>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        if let Err(e) = update_in(&mut tx, s, expected).await {
            tx.rollback().await?;
            return Err(e);
        }
        let mut queued = 0;
        for e in events {
            queued += record_event(&mut tx, e).await?;
        }
        if let Some(a) = audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        self.outbox_queued(queued);
        Ok(())
    }

    /// Redacts a session: writes `s` (its data already replaced) as [`Self::update_session`]
    /// does, and in the same transaction deletes what it collected (see [`crate::lifecycle`]:
    /// the images it referenced or its liveness challenges made, their face validations and
    /// matches, the challenges, every document read made for it), rewrites its earlier events' payloads (and their outbox
    /// rows'), records `event` and the `audit` row.
    pub async fn redact_session(
        &self,
        s: &SessionRow,
        expected: Expected<'_>,
        refs: Redacted<'_>,
        event: &NewEvent,
        audit: &AuditEventRow,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        if let Err(e) = update_in(&mut tx, s, expected).await {
            tx.rollback().await?;
            return Err(e);
        }
        crate::lifecycle::delete_biometrics(&mut tx, &s.tenant_id, &s.id, refs.image_keys).await?;
        crate::lifecycle::delete_documents(&mut tx, &s.tenant_id, &s.id, refs.ocr_keys).await?;
        // the session's earlier events, and their deliveries, keep no copy of its data
        for (event_id, payload) in refs.event_payloads {
            for sql in [
                "UPDATE events SET payload = $3 WHERE tenant_id = $1 AND id = $2",
                "UPDATE outbox SET payload = $3 WHERE tenant_id = $1 AND event_id = $2",
            ] {
                sqlx::query(sql)
                    .bind(&s.tenant_id)
                    .bind(event_id)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let queued = record_event(&mut tx, event).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.outbox_queued(queued);
        Ok(())
    }

    /// Sessions still collecting (`pending`, `in_progress`) whose expiry has passed, oldest
    /// first. A `processing` session is not among them: it waits for its decision.
    pub async fn sessions_due_to_expire(&self, now: i64, limit: i64) -> Result<Vec<SessionRow>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {SELECT_COLS} FROM sessions WHERE status IN ('pending', 'in_progress') \
             AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }

    /// Sessions of any tenant still in `status` since `before` or earlier, oldest first (work
    /// a crash may have left half done).
    pub async fn sessions_stalled(
        &self,
        status: &str,
        before: i64,
        limit: i64,
    ) -> Result<Vec<SessionRow>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {SELECT_COLS} FROM sessions WHERE status = $1 AND updated_at <= $2 ORDER BY updated_at LIMIT $3"
        ))
        .bind(status)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }

    pub async fn session_events(&self, tenant_id: &str, session_id: &str) -> Result<Vec<EventRow>> {
        let rows = sqlx::query_as(
            "SELECT id, tenant_id, session_id, type, from_status, to_status, payload, created_at FROM events \
             WHERE tenant_id = $1 AND session_id = $2 ORDER BY seq",
        )
        .bind(tenant_id)
        .bind(session_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }
}

/// The conditional update of a session's mutable columns; `Conflict` when the row moved on.
async fn update_in(
    tx: &mut Transaction<'static, Any>,
    s: &SessionRow,
    expected: Expected<'_>,
) -> Result<()> {
    let n = sqlx::query(
        "UPDATE sessions SET document_number = $1, fingerprint = $2, status = $3, step = $4, step_data = $5, \
         decision = $6, token_hash = $7, token_gen = $8, token_expires_at = $9, updated_at = $10 \
         WHERE tenant_id = $11 AND id = $12 AND status = $13 AND token_gen = $14 AND COALESCE(step, '') = $15",
    )
    .bind(&s.document_number)
    .bind(&s.fingerprint)
    .bind(&s.status)
    .bind(&s.step)
    .bind(&s.step_data)
    .bind(&s.decision)
    .bind(&s.token_hash)
    .bind(s.token_gen)
    .bind(s.token_expires_at)
    .bind(s.updated_at)
    .bind(&s.tenant_id)
    .bind(&s.id)
    .bind(expected.status)
    .bind(expected.token_gen)
    .bind(expected.step.unwrap_or(""))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict("session changed concurrently"));
    }
    Ok(())
}

/// What a redaction deletes besides the session's own data.
#[derive(Debug, Clone, Copy)]
pub struct Redacted<'a> {
    pub image_keys: &'a [String],
    pub ocr_keys: &'a [String],
    /// `(event id, payload)`: the session's earlier events rewritten without its data; the
    /// payload replaces the event's and its pending deliveries' (outbox rows).
    pub event_payloads: &'a [(String, String)],
}

/// Inserts the event and one pending outbox row per subscribed, enabled endpoint of its tenant;
/// returns how many outbox rows.
async fn record_event(tx: &mut Transaction<'static, Any>, e: &NewEvent) -> Result<u64> {
    sqlx::query(
        "INSERT INTO events (id, tenant_id, session_id, seq, type, from_status, to_status, payload, created_at) \
         SELECT $1, $2, $3, COALESCE(MAX(seq), 0) + 1, $4, $5, $6, $7, $8 FROM events \
         WHERE tenant_id = $2 AND session_id = $3",
    )
    .bind(&e.id)
    .bind(&e.tenant_id)
    .bind(&e.session_id)
    .bind(&e.kind)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .bind(&e.payload)
    .bind(e.created_at)
    .execute(&mut **tx)
    .await?;
    let q = sqlx::query(
        "INSERT INTO outbox (id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempts, \
         next_attempt_at, lease_until, created_at) \
         SELECT $1 || '.' || id, tenant_id, id, $1, $2, $3, 'pending', 0, $4, 0, $4 FROM webhook_endpoints \
         WHERE tenant_id = $5 AND enabled = 1 \
         AND (events = '*' OR (',' || events || ',') LIKE ('%,' || $2 || ',%'))",
    )
    .bind(&e.id)
    .bind(&e.kind)
    .bind(&e.payload)
    .bind(e.created_at)
    .bind(&e.tenant_id)
    .execute(&mut **tx)
    .await?;
    Ok(q.rows_affected())
}
