//! The leased job queue shared by the webhook outbox and the login jobs: claims with a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so nodes never claim the same row), success and
//! failure bookkeeping, dead-lettering after the last attempt. A crashed worker's lease runs
//! out and its rows become due again.

use sqlx::any::AnyRow;
use sqlx::FromRow;

use crate::db::Store;
use crate::dialect::skip_locked;
use crate::error::Result;

/// A table with the queue columns: `id`, `status` (`pending`, a done status, `dead`),
/// `attempts`, `next_attempt_at`, `lease_until`, `lease_owner`, `last_error`.
pub(crate) struct Queue {
    pub table: &'static str,
    /// The columns a claim returns.
    pub cols: &'static str,
    /// Status and time column of a successful row (`delivered`/`delivered_at`, `done`/`done_at`).
    pub done_status: &'static str,
    pub done_at: &'static str,
}

/// Rows a claim leaves alone: those whose `column` holds one of the values (e.g. deliveries to
/// endpoints the worker is still busy with).
pub(crate) type Except<'a> = (&'static str, &'a [String]);

impl Store {
    /// Claims up to `limit` due rows at `now` for `owner` until `lease_until`, oldest due
    /// first; with `only`, just that row, due or not (a first attempt made right away by its
    /// producer); never the rows `except` names.
    pub(crate) async fn claim<T>(
        &self,
        q: &Queue,
        owner: &str,
        (now, lease_until): (i64, i64),
        limit: i64,
        only: Option<&str>,
        except: Except<'_>,
    ) -> Result<Vec<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let (column, values) = except;
        let skip = if values.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (0..values.len()).map(|i| format!("${}", i + 6)).collect();
            format!(" AND {column} NOT IN ({})", marks.join(", "))
        };
        let sql = format!(
            "UPDATE {t} SET lease_until = $1, lease_owner = $2 WHERE id IN (\
             SELECT id FROM {t} WHERE status = 'pending' AND (next_attempt_at <= $3 OR $5 <> '') \
             AND lease_until <= $3 AND ($5 = '' OR id = $5){skip} ORDER BY next_attempt_at, id \
             LIMIT $4{}) RETURNING {}",
            skip_locked(self.backend),
            q.cols,
            t = q.table,
        );
        let mut query = sqlx::query_as(&sql)
            .bind(lease_until)
            .bind(owner)
            .bind(now)
            .bind(limit)
            .bind(only.unwrap_or(""));
        for v in values {
            query = query.bind(v.as_str());
        }
        let rows = query.fetch_all(&self.write).await?;
        Ok(rows)
    }

    /// Records a successful attempt.
    /// Records a success by `owner`, whose lease must still hold at `now`: a worker whose lease
    /// expired (the row may be claimed by another) gets `Conflict` and changes nothing.
    pub(crate) async fn succeeded(&self, q: &Queue, id: &str, owner: &str, now: i64) -> Result<()> {
        let n = sqlx::query(&format!(
            "UPDATE {} SET status = '{}', attempts = attempts + 1, {} = $1, lease_until = 0, \
             last_error = NULL WHERE id = $2 AND lease_owner = $3 AND lease_until > $1",
            q.table, q.done_status, q.done_at
        ))
        .bind(now)
        .bind(id)
        .bind(owner)
        .execute(&self.write)
        .await?
        .rows_affected();
        held(n)
    }

    /// Records a failed attempt: due again at `next_at`, or dead when `next_at` is `None`.
    /// Same lease rule as [`Store::succeeded`].
    pub(crate) async fn failed(
        &self,
        q: &Queue,
        lease: (&str, &str, i64),
        error: &str,
        next_at: Option<i64>,
    ) -> Result<()> {
        let (id, owner, now) = lease;
        let status = if next_at.is_some() { "pending" } else { "dead" };
        let n = sqlx::query(&format!(
            "UPDATE {} SET status = $1, attempts = attempts + 1, next_attempt_at = $2, lease_until = 0, \
             last_error = $3 WHERE id = $4 AND lease_owner = $5 AND lease_until > $6",
            q.table
        ))
        .bind(status)
        .bind(next_at.unwrap_or(0))
        .bind(error)
        .bind(id)
        .bind(owner)
        .bind(now)
        .execute(&self.write)
        .await?
        .rows_affected();
        held(n)
    }
}

/// `Conflict` when the update found no row still leased to its owner.
fn held(n: u64) -> Result<()> {
    if n == 0 {
        return Err(crate::error::StoreError::Conflict(
            "lease expired or taken by another worker",
        ));
    }
    Ok(())
}
