//! Durable login jobs (callbacks and Web Push): a [`Queue`] of jobs.

use crate::db::Store;
use crate::error::Result;
use crate::login_rows::LoginJobRow;
use crate::queue::Queue;

const COLS: &str =
    "id, tenant_id, login_id, kind, target, payload, status, attempts, next_attempt_at, \
                    last_error, created_at, done_at";

const JOBS: Queue = Queue {
    table: "login_jobs",
    cols: COLS,
    done_status: "done",
    done_at: "done_at",
};

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
        self.claim(&JOBS, owner, (now, lease_until), limit, only, ("id", &[]))
            .await
    }

    /// Records a success by `owner`, if its lease still holds at `now` (else `Conflict`).
    pub async fn login_job_done(&self, id: &str, owner: &str, now: i64) -> Result<()> {
        self.succeeded(&JOBS, id, owner, now).await
    }

    /// Records a failed attempt by `owner` (lease as above): due again at `next_at`, or dead
    /// when `next_at` is `None`.
    pub async fn login_job_failed(
        &self,
        lease: (&str, &str, i64),
        error: &str,
        next_at: Option<i64>,
    ) -> Result<()> {
        self.failed(&JOBS, lease, error, next_at).await
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
