//! Group commit of new logins ([`crate::group`]): a batch of `/oauth/start` requests is one
//! multi-row insert each for the logins, their audit events and their push jobs, in one
//! transaction.

use crate::db::Store;
use crate::error::Result;
use crate::group::{cached_sql, placeholders, GroupWrite, Lanes};
use crate::login_rows::{LoginEventRow, LoginJobRow, LoginRow};
use crate::logins::{bind_login, COLS};

/// Rows per multi-row statement for events and jobs (a login has a few of each).
const CHUNK: usize = 128;

/// A new login with its events and jobs.
pub(crate) struct LoginWrite {
    pub(crate) row: LoginRow,
    pub(crate) events: Vec<LoginEventRow>,
    pub(crate) jobs: Vec<LoginJobRow>,
}

/// The group-commit writers of new logins.
pub(crate) type LoginBatcher = Lanes<LoginWrite>;

impl GroupWrite for LoginWrite {
    type Out = ();

    async fn write_batch(store: &Store, items: &[Self]) -> Result<Vec<()>> {
        let mut tx = store.write.begin().await?;
        let sql = cached_sql("logins", items.len(), store.backend, || {
            format!(
                "INSERT INTO logins ({COLS}) VALUES {}",
                placeholders(items.len(), 24)
            )
        });
        let mut q = sqlx::query(&sql);
        for w in items {
            q = bind_login!(q, &w.row);
        }
        q.execute(&mut *tx).await?;
        let events: Vec<&LoginEventRow> = items.iter().flat_map(|w| &w.events).collect();
        for chunk in events.chunks(CHUNK) {
            let sql = cached_sql("login_events", chunk.len(), store.backend, || {
                format!(
                    "INSERT INTO login_events (id, tenant_id, login_id, type, detail, created_at) VALUES {}",
                    placeholders(chunk.len(), 6)
                )
            });
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(&e.id)
                    .bind(&e.tenant_id)
                    .bind(&e.login_id)
                    .bind(&e.kind)
                    .bind(&e.detail)
                    .bind(e.created_at);
            }
            q.execute(&mut *tx).await?;
        }
        let jobs: Vec<&LoginJobRow> = items.iter().flat_map(|w| &w.jobs).collect();
        for chunk in jobs.chunks(CHUNK) {
            let sql = cached_sql("login_jobs", chunk.len(), store.backend, || {
                format!(
                    "INSERT INTO login_jobs (id, tenant_id, login_id, kind, target, payload, status, attempts, \
                     next_attempt_at, lease_until, created_at) VALUES {}",
                    job_tuples(chunk.len())
                )
            });
            let mut q = sqlx::query(&sql);
            for j in chunk {
                q = q
                    .bind(&j.id)
                    .bind(&j.tenant_id)
                    .bind(&j.login_id)
                    .bind(&j.kind)
                    .bind(&j.target)
                    .bind(&j.payload)
                    .bind(&j.status)
                    .bind(j.attempts)
                    .bind(j.next_attempt_at)
                    .bind(j.created_at);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(vec![(); items.len()])
    }

    async fn write_one(store: &Store, w: &Self) -> Result<()> {
        store.insert_login_now(&w.row, &w.events, &w.jobs).await
    }
}

/// Job tuples: ten placeholders per row with the literal `lease_until` 0 as tenth column.
fn job_tuples(rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=10).map(|c| format!("${}", r * 10 + c)).collect();
            format!("({}, 0, {})", p[..9].join(", "), p[9])
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Inserts a new login with its events and jobs; answers after the commit. Concurrent
    /// inserts share a transaction (group commit).
    pub async fn insert_login(
        &self,
        row: &LoginRow,
        events: &[LoginEventRow],
        jobs: &[LoginJobRow],
    ) -> Result<()> {
        match &self.login_batcher {
            Some(b) => {
                let w = LoginWrite {
                    row: row.clone(),
                    events: events.to_vec(),
                    jobs: jobs.to_vec(),
                };
                b.submit(&row.id, w).await
            }
            None => self.insert_login_now(row, events, jobs).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_tuples_put_the_literal_lease_in_tenth_place() {
        assert_eq!(
            job_tuples(1),
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)"
        );
    }
}
