//! Retention purges: what the sweeper deletes once it is older than the configured periods
//! (session events, finished deliveries and login jobs, finished logins with their events and
//! expired access tokens). Each call deletes at most `limit` rows per table, so a pass stays short.

use crate::db::Store;
use crate::error::Result;

/// Rows deleted by one [`Store::purge_retained`] call, per table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Purged {
    pub events: u64,
    pub outbox: u64,
    pub login_jobs: u64,
    pub login_events: u64,
    pub logins: u64,
    pub access_tokens: u64,
}

/// Cut-off times (ms): rows created before them go.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    /// Now: access tokens that expired before `logins` go; live ones keep their login.
    pub now: i64,
    pub events: i64,
    pub deliveries: i64,
    pub logins: i64,
}

/// A login in a final status (nothing happens to it any more).
const FINAL: &str = "('approved', 'denied', 'expired')";

impl Store {
    /// Deletes what is older than `c` (see [`Cutoffs`]), at most `limit` rows per table.
    pub async fn purge_retained(&self, c: Cutoffs, limit: i64) -> Result<Purged> {
        // a finished login goes with its events and jobs once no live access token needs it
        let old_logins = format!(
            "SELECT id FROM logins WHERE status IN {FINAL} AND created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM access_tokens a WHERE a.login_id = logins.id AND a.expires_at >= $2) \
             LIMIT $3"
        );
        let events = self
            .purge(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1 \
                 LIMIT $2)",
                &[c.events, limit],
            )
            .await?;
        let outbox = self
            .purge(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN \
                 ('delivered', 'dead') AND created_at < $1 LIMIT $2)",
                &[c.deliveries, limit],
            )
            .await?;
        let login_jobs = self
            .purge(
                "DELETE FROM login_jobs WHERE id IN (SELECT id FROM login_jobs WHERE status IN \
                 ('done', 'dead') AND created_at < $1 LIMIT $2)",
                &[c.deliveries, limit],
            )
            .await?;
        let access_tokens = self
            .purge(
                "DELETE FROM access_tokens WHERE jti IN (SELECT jti FROM access_tokens \
                 WHERE expires_at < $1 AND created_at < $2 LIMIT $3)",
                &[c.now, c.logins, limit],
            )
            .await?;
        let binds = [c.logins, c.now, limit];
        let login_events = self
            .purge(
                &format!("DELETE FROM login_events WHERE login_id IN ({old_logins})"),
                &binds,
            )
            .await?;
        let more_jobs = self
            .purge(
                &format!("DELETE FROM login_jobs WHERE login_id IN ({old_logins})"),
                &binds,
            )
            .await?;
        let logins = self
            .purge(
                &format!("DELETE FROM logins WHERE id IN ({old_logins})"),
                &binds,
            )
            .await?;
        Ok(Purged {
            events,
            outbox,
            login_jobs: login_jobs + more_jobs,
            login_events,
            logins,
            access_tokens,
        })
    }

    async fn purge(&self, sql: &str, binds: &[i64]) -> Result<u64> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        Ok(q.execute(&self.write).await?.rows_affected())
    }
}
