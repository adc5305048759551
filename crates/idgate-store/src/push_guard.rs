//! The anti push-bombing decision as one transaction: a guard row per (tenant, username) is
//! locked first (an upsert: PostgreSQL holds its row lock until commit; SQLite has one writer),
//! then the counts are read and the caller's decision written before the lock is released, so
//! concurrent notifies for one person can never together exceed the limits.

use sqlx::{Any, Transaction};

use crate::db::Store;
use crate::error::Result;
use crate::login_rows::{LoginEventRow, LoginJobRow, LoginRow, PushCountRow};
use crate::logins::{refs, write_login_change, write_side_effects, LIVE};

/// Whose pushes are counted, and the windows (ms) the policy looks at.
#[derive(Debug, Clone, Copy)]
pub struct PushKey<'a> {
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub username: &'a str,
    pub now: i64,
    pub rate_since: i64,
    pub denial_since: i64,
}

/// The caller's decision on the counts.
#[derive(Debug)]
pub enum PushPlan {
    /// Refused: only these events are recorded.
    Refuse(Vec<LoginEventRow>),
    /// Allowed: the login's new state (its `version` advanced by one), events and jobs.
    Apply(Box<LoginRow>, Vec<LoginEventRow>, Vec<LoginJobRow>),
}

impl Store {
    /// Counts the pushes of `key` and writes what `decide` makes of them, in one transaction
    /// serialised per (tenant, username). Returns the plan as written.
    pub async fn push_guarded<F>(&self, key: PushKey<'_>, decide: F) -> Result<PushPlan>
    where
        F: FnOnce(PushCountRow) -> PushPlan,
    {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO push_guards (tenant_id, username, touched_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, username) DO UPDATE SET touched_at = $3",
        )
        .bind(key.tenant_id)
        .bind(key.username)
        .bind(key.now)
        .execute(&mut *tx)
        .await?;
        let counts = counts(&mut tx, &key).await?;
        let plan = decide(counts);
        match &plan {
            PushPlan::Refuse(events) => {
                write_side_effects(&mut tx, self.backend, &refs(events), &[]).await?
            }
            PushPlan::Apply(login, events, jobs) => {
                write_login_change(&mut tx, self.backend, login, events, jobs).await?
            }
        }
        tx.commit().await?;
        Ok(plan)
    }
}

async fn counts(tx: &mut Transaction<'static, Any>, key: &PushKey<'_>) -> Result<PushCountRow> {
    let (pending,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM logins WHERE tenant_id = $1 AND username = $2 AND pushed_at IS NOT NULL \
         AND status IN {LIVE} AND expires_at > $3"
    ))
    .bind(key.tenant_id)
    .bind(key.username)
    .bind(key.now)
    .fetch_one(&mut **tx)
    .await?;
    let (sent, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(pushed_at) FROM logins WHERE tenant_id = $1 AND client_id = $2 \
         AND username = $3 AND pushed_at >= $4",
    )
    .bind(key.tenant_id)
    .bind(key.client_id)
    .bind(key.username)
    .bind(key.rate_since)
    .fetch_one(&mut **tx)
    .await?;
    let (denials, last): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(finished_at) FROM logins WHERE tenant_id = $1 AND status = 'denied' \
         AND (username = $2 OR subject = $2) AND finished_at >= $3",
    )
    .bind(key.tenant_id)
    .bind(key.username)
    .bind(key.denial_since)
    .fetch_one(&mut **tx)
    .await?;
    Ok(PushCountRow {
        pending_for_user: pending,
        sent_in_window: sent,
        oldest_sent_in_window: oldest,
        denials_in_window: denials,
        last_denial_at: last,
    })
}
