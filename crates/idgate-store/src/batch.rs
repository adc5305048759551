//! Group commit for session creation: concurrent creates queue here and a writer task stores
//! whatever has queued up in one transaction (one multi-row insert per table), so a burst of
//! creates pays for one commit instead of one each. Every caller still gets its answer only
//! after its rows are committed; nothing is acknowledged before it is durable.

use tokio::sync::{mpsc, oneshot};

use crate::db::{Backend, Store};
use crate::dialect::in_order_params;
use crate::error::{Result, StoreError};
use crate::rows::{NewEvent, SessionRow};
use crate::sessions::{bind_session, Created, COLS};

/// Most creates one transaction takes (16 binds each; binds are positional on SQLite, see
/// [`in_order_params`]).
const MAX_BATCH: usize = 64;
/// Queued creates per writer before callers wait for room.
const QUEUE: usize = 1024;

pub(crate) struct Job {
    row: SessionRow,
    event: NewEvent,
    reply: oneshot::Sender<Result<Created>>,
}

/// Handle to the writer tasks; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    lanes: Vec<mpsc::Sender<Job>>,
}

impl Batcher {
    /// Spawns `lanes` writer tasks on the current runtime.
    pub(crate) fn spawn(store: Store, lanes: usize) -> Self {
        let lanes = (0..lanes.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run(store.clone(), rx));
                tx
            })
            .collect();
        Self { lanes }
    }

    pub(crate) async fn submit(&self, row: SessionRow, event: NewEvent) -> Result<Created> {
        // Spread tenants' sessions over lanes by a cheap hash of the id (one lane on SQLite).
        let lane = row
            .id
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31) ^ b as usize);
        let (reply, rx) = oneshot::channel();
        let job = Job { row, event, reply };
        self.lanes[lane % self.lanes.len()]
            .send(job)
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch = std::mem::take(&mut jobs);
        match store.insert_batch(&batch).await {
            Ok(inserted) => {
                for (job, ok) in batch.into_iter().zip(inserted) {
                    let res = if ok {
                        Ok(Created::Inserted)
                    } else {
                        // Not inserted: an existing id (replay/conflict) or a taken hash.
                        store.existing_or_hash_taken(&job.row).await
                    };
                    let _ = job.reply.send(res);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "batched insert failed; retrying one by one");
                for job in batch {
                    let _ = job
                        .reply
                        .send(store.insert_session(&job.row, &job.event).await);
                }
            }
        }
    }
}

impl Store {
    /// Creates a session and its creation event through the group-commit writer.
    pub async fn create_session(&self, row: SessionRow, event: NewEvent) -> Result<Created> {
        match &self.batcher {
            Some(b) => b.submit(row, event).await,
            None => self.insert_session(&row, &event).await,
        }
    }

    /// Inserts the batch in one transaction; returns, per job, whether its session was inserted.
    async fn insert_batch(&self, jobs: &[Job]) -> Result<Vec<bool>> {
        let mut tx = self.write.begin().await?;
        let values = placeholders(jobs.len(), 16);
        let sql = format!(
            "INSERT INTO sessions ({COLS}) VALUES {values} ON CONFLICT DO NOTHING RETURNING tenant_id, id, hash"
        );
        let sql = in_order_params(self.backend, &sql);
        let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
        for j in jobs {
            q = bind_session!(q, &j.row);
        }
        let returned = q.fetch_all(&mut *tx).await?;
        let returned: std::collections::HashSet<(String, String, String)> =
            returned.into_iter().collect();
        let inserted: Vec<bool> = jobs
            .iter()
            .map(|j| {
                let key = (
                    j.row.tenant_id.clone(),
                    j.row.id.clone(),
                    j.row.hash.clone(),
                );
                returned.contains(&key)
            })
            .collect();
        let events: Vec<&NewEvent> = jobs
            .iter()
            .zip(&inserted)
            .filter(|(_, ok)| **ok)
            .map(|(j, _)| &j.event)
            .collect();
        if !events.is_empty() {
            insert_first_events(&mut tx, self.backend, &events).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn existing_or_hash_taken(&self, row: &SessionRow) -> Result<Created> {
        match self.session(&row.tenant_id, &row.id).await {
            Ok(existing) => Ok(Created::Exists(Box::new(existing))),
            Err(StoreError::NotFound) => Ok(Created::HashTaken),
            Err(e) => Err(e),
        }
    }
}

/// The first event of each new session (seq 1) and its outbox rows, one statement each.
async fn insert_first_events(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    events: &[&NewEvent],
) -> Result<()> {
    // seq is 1: these are the first events of sessions inserted in this transaction.
    let sql = format!(
        "INSERT INTO events (id, tenant_id, session_id, seq, type, from_status, to_status, payload, created_at) \
         VALUES {}",
        event_tuples(events.len())
    );
    let sql = in_order_params(backend, &sql);
    let mut q = sqlx::query(&sql);
    for e in events {
        q = q
            .bind(&e.id)
            .bind(&e.tenant_id)
            .bind(&e.session_id)
            .bind(&e.kind)
            .bind(&e.from_status)
            .bind(&e.to_status)
            .bind(&e.payload)
            .bind(e.created_at);
    }
    q.execute(&mut **tx).await?;
    let ids = (1..=events.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO outbox (id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempts, \
         next_attempt_at, lease_until, created_at) \
         SELECT e.id || '.' || w.id, w.tenant_id, w.id, e.id, e.type, e.payload, 'pending', 0, e.created_at, 0, e.created_at \
         FROM events e JOIN webhook_endpoints w ON w.tenant_id = e.tenant_id AND w.enabled = 1 \
         AND (w.events = '*' OR (',' || w.events || ',') LIKE ('%,' || e.type || ',%')) \
         WHERE e.id IN ({ids})"
    );
    let sql = in_order_params(backend, &sql);
    let mut q = sqlx::query(&sql);
    for e in events {
        q = q.bind(&e.id);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// `($1, ..., $k), ($k+1, ...)` for `rows` tuples of `k` placeholders, numbered from 1.
fn placeholders(rows: usize, k: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols = (1..=k)
                .map(|c| format!("${}", r * k + c))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({cols})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, $2, $3, 1, $4, ..., $8), ...`: event tuples with the literal seq 1 as fourth column.
fn event_tuples(rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=8).map(|c| format!("${}", r * 8 + c)).collect();
            format!("({}, {}, {}, 1, {})", p[0], p[1], p[2], p[3..].join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_numbering() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(
            event_tuples(2),
            "($1, $2, $3, 1, $4, $5, $6, $7, $8), ($9, $10, $11, 1, $12, $13, $14, $15, $16)"
        );
    }
}
