//! Group commit of session creates ([`crate::group`]): a batch is one multi-row insert per
//! table (sessions, first events, their outbox rows) in one transaction.

use crate::db::{Backend, Store};
use crate::dialect::in_order_params;
use crate::error::{Result, StoreError};
use crate::group::{cached_sql, placeholders, GroupWrite, Lanes};
use crate::rows::{NewEvent, SessionRow};
use crate::sessions::{bind_session, Created, COLS, NCOLS};

/// A session create: the row and its first event.
pub(crate) struct SessionWrite {
    row: SessionRow,
    event: NewEvent,
}

/// The group-commit writers of session creates.
pub(crate) type Batcher = Lanes<SessionWrite>;

impl GroupWrite for SessionWrite {
    type Out = Created;

    async fn write_batch(store: &Store, items: &[Self]) -> Result<Vec<Created>> {
        let inserted = store.insert_batch(items).await?;
        let mut out = Vec::with_capacity(items.len());
        for (w, ok) in items.iter().zip(inserted) {
            out.push(if ok {
                Created::Inserted
            } else {
                // Not inserted: an existing id (replay/conflict) or a taken hash.
                store.existing_or_hash_taken(&w.row).await?
            });
        }
        Ok(out)
    }

    async fn write_one(store: &Store, w: &Self) -> Result<Created> {
        store.insert_session(&w.row, &w.event).await
    }
}

impl Store {
    /// Creates a session and its creation event through the group-commit writer.
    pub async fn create_session(&self, row: SessionRow, event: NewEvent) -> Result<Created> {
        match &self.batcher {
            // Spread tenants' sessions over lanes by their id (one lane on SQLite).
            Some(b) => b.submit(&row.id.clone(), SessionWrite { row, event }).await,
            None => self.insert_session(&row, &event).await,
        }
    }

    /// Inserts the batch in one transaction; returns, per job, whether its session was inserted.
    async fn insert_batch(&self, jobs: &[SessionWrite]) -> Result<Vec<bool>> {
        let mut tx = self.write.begin().await?;
        let sql = cached_sql("sessions", jobs.len(), self.backend, || {
            format!(
                "INSERT INTO sessions ({COLS}) VALUES {} ON CONFLICT DO NOTHING",
                placeholders(jobs.len(), NCOLS)
            )
        });
        let mut q = sqlx::query(&sql);
        for j in jobs {
            q = bind_session(q, &j.row);
        }
        let n = q.execute(&mut *tx).await?.rows_affected();
        let inserted = if n == jobs.len() as u64 {
            vec![true; jobs.len()]
        } else {
            // Some were not inserted (replay, conflict or a taken hash): find out which.
            let sql = format!(
                "SELECT tenant_id, id, hash FROM sessions WHERE hash IN ({})",
                (1..=jobs.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let sql = in_order_params(self.backend, &sql);
            let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
            for j in jobs {
                q = q.bind(&j.row.hash);
            }
            let stored: std::collections::HashSet<(String, String, String)> =
                q.fetch_all(&mut *tx).await?.into_iter().collect();
            jobs.iter()
                .map(|j| {
                    stored.contains(&(
                        j.row.tenant_id.clone(),
                        j.row.id.clone(),
                        j.row.hash.clone(),
                    ))
                })
                .collect()
        };
        let mut queued = 0;
        let events: Vec<&NewEvent> = jobs
            .iter()
            .zip(&inserted)
            .filter(|(_, ok)| **ok)
            .map(|(j, _)| &j.event)
            .collect();
        if !events.is_empty() {
            queued = insert_first_events(&mut tx, self.backend, &events).await?;
        }
        tx.commit().await?;
        self.outbox_queued(queued);
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

/// The first event of each new session (seq 1) and its outbox rows, one statement each;
/// returns how many outbox rows.
async fn insert_first_events(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    events: &[&NewEvent],
) -> Result<u64> {
    // seq is 1: these are the first events of sessions inserted in this transaction.
    let sql = cached_sql("session_events", events.len(), backend, || {
        format!(
            "INSERT INTO events (id, tenant_id, session_id, seq, type, from_status, to_status, payload, created_at) \
             VALUES {}",
            event_tuples(events.len())
        )
    });
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
    let sql = cached_sql("session_outbox", events.len(), backend, || {
        let ids = (1..=events.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
        "INSERT INTO outbox (id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempts, \
         next_attempt_at, lease_until, created_at) \
         SELECT e.id || '.' || w.id, w.tenant_id, w.id, e.id, e.type, e.payload, 'pending', 0, e.created_at, 0, e.created_at \
         FROM events e JOIN webhook_endpoints w ON w.tenant_id = e.tenant_id AND w.enabled = 1 \
         AND (w.events = '*' OR (',' || w.events || ',') LIKE ('%,' || e.type || ',%')) \
         WHERE e.id IN ({ids})"
        )
    });
    let mut q = sqlx::query(&sql);
    for e in events {
        q = q.bind(&e.id);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
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
        assert_eq!(
            event_tuples(2),
            "($1, $2, $3, 1, $4, $5, $6, $7, $8), ($9, $10, $11, 1, $12, $13, $14, $15, $16)"
        );
    }
}
