//! Durable login jobs (callbacks and Web Push): leased claims (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), outcome bookkeeping, dead-lettering after the last attempt.

use crate::db::Store;
use crate::dialect::skip_locked;
use crate::error::Result;
use crate::login_rows::LoginJobRow;

const COLS: &str =
    "id, tenant_id, login_id, kind, target, payload, status, attempts, next_attempt_at, \
                    last_error, created_at, done_at";

impl Store {
    /// Claims up to `limit` due jobs for `owner` until `lease_until`; with `only`, just that job,
    /// due or not (the first attempt, made right away by the request that queued it).
    pub async fn claim_login_jobs(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        only: Option<&str>,
    ) -> Result<Vec<LoginJobRow>> {
        let sql = format!(
            "UPDATE login_jobs SET lease_until = $1, lease_owner = $2 WHERE id IN (\
             SELECT id FROM login_jobs WHERE status = 'pending' AND (next_attempt_at <= $3 OR $5 <> '') \
             AND lease_until <= $3 AND ($5 = '' OR id = $5) ORDER BY next_attempt_at LIMIT $4{}) RETURNING {COLS}",
            skip_locked(self.backend)
        );
        let rows = sqlx::query_as(&sql)
            .bind(lease_until)
            .bind(owner)
            .bind(now)
            .bind(limit)
            .bind(only.unwrap_or(""))
            .fetch_all(&self.write)
            .await?;
        Ok(rows)
    }

    pub async fn login_job_done(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE login_jobs SET status = 'done', attempts = attempts + 1, done_at = $1, lease_until = 0, \
             last_error = NULL WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: due again at `next_at`, or dead when `next_at` is `None`.
    pub async fn login_job_failed(
        &self,
        id: &str,
        error: &str,
        next_at: Option<i64>,
    ) -> Result<()> {
        let status = if next_at.is_some() { "pending" } else { "dead" };
        sqlx::query(
            "UPDATE login_jobs SET status = $1, attempts = attempts + 1, next_attempt_at = $2, lease_until = 0, \
             last_error = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(next_at.unwrap_or(0))
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn login_jobs_of(&self, login_id: &str) -> Result<Vec<LoginJobRow>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {COLS} FROM login_jobs WHERE login_id = $1 ORDER BY created_at, id"
        ))
        .bind(login_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }
}
