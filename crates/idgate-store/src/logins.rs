//! Login requests, their audit events, and the single-use exchange of an approved login for
//! an access token. A state change is written together with its events and jobs in one
//! transaction, conditional on the row's version (push decisions: [`crate::push_guard`]).

use sqlx::{Any, Transaction};

use crate::columns::columns;
use crate::db::{Backend, Store};
use crate::error::{Result, StoreError};
use crate::group::{cached_sql, placeholders};
use crate::login_rows::{AccessTokenRow, LoginEventRow, LoginJobRow, LoginRow};

columns!(
    COLS, NCOLS, bind_login, LoginRow:
    id, tenant_id, client_id, short_token_hash, ws_token_hash, username, subject, scope,
    lifetime, callback_url, challenge, choices, status, device_id, deny_reason, pushed_at,
    scanned_at, jti, exchanged_at, created_at, expires_at, finished_at, updated_at, version
);

/// Rows per multi-row statement for events and jobs (a login has a few of each).
const CHUNK: usize = 128;

/// Writes a login's new state (conditional on `version - 1`), its events and jobs in `tx`; a
/// concurrent change is `Conflict` (the caller's transaction then rolls back when dropped).
pub(crate) async fn write_login_change(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    l: &LoginRow,
    events: &[LoginEventRow],
    jobs: &[LoginJobRow],
) -> Result<()> {
    let n = sqlx::query(
        "UPDATE logins SET username = $1, subject = $2, status = $3, device_id = $4, deny_reason = $5, \
         pushed_at = $6, scanned_at = $7, jti = $8, finished_at = $9, updated_at = $10, version = $11 \
         WHERE id = $12 AND version = $13",
    )
    .bind(&l.username)
    .bind(&l.subject)
    .bind(&l.status)
    .bind(&l.device_id)
    .bind(&l.deny_reason)
    .bind(l.pushed_at)
    .bind(l.scanned_at)
    .bind(&l.jti)
    .bind(l.finished_at)
    .bind(l.updated_at)
    .bind(l.version)
    .bind(&l.id)
    .bind(l.version - 1)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict("login changed concurrently"));
    }
    write_side_effects(tx, backend, &refs(events), &refs(jobs)).await
}

pub(crate) fn refs<T>(rows: &[T]) -> Vec<&T> {
    rows.iter().collect()
}

/// Live statuses: the login can still be scanned, approved or denied.
pub(crate) const LIVE: &str = "('pending', 'scanned')";

impl Store {
    /// Inserts a login with its events and jobs in a transaction of its own.
    pub(crate) async fn insert_login_now(
        &self,
        l: &LoginRow,
        events: &[LoginEventRow],
        jobs: &[LoginJobRow],
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let sql = format!(
            "INSERT INTO logins ({COLS}) VALUES {}",
            placeholders(1, NCOLS)
        );
        bind_login(sqlx::query(&sql), l).execute(&mut *tx).await?;
        write_side_effects(&mut tx, self.backend, &refs(events), &refs(jobs)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the mutable part of `l` if the stored row still has `l.version - 1`; records
    /// `events` and `jobs` in the same transaction. `Conflict` when the row moved on.
    pub async fn update_login(
        &self,
        l: &LoginRow,
        events: &[LoginEventRow],
        jobs: &[LoginJobRow],
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        write_login_change(&mut tx, self.backend, l, events, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login_where(&self, cond: &str, value: &str) -> Result<LoginRow> {
        sqlx::query_as(&format!("SELECT {COLS} FROM logins WHERE {cond} = $1"))
            .bind(value)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn login(&self, id: &str) -> Result<LoginRow> {
        self.login_where("id", id).await
    }

    pub async fn login_by_short_token(&self, hash: &str) -> Result<LoginRow> {
        self.login_where("short_token_hash", hash).await
    }

    pub async fn login_by_ws_token(&self, hash: &str) -> Result<LoginRow> {
        self.login_where("ws_token_hash", hash).await
    }

    pub async fn login_by_jti(&self, jti: &str) -> Result<LoginRow> {
        self.login_where("jti", jti).await
    }

    /// Live logins whose expiry has passed, oldest first.
    pub async fn logins_due_to_expire(&self, now: i64, limit: i64) -> Result<Vec<LoginRow>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {COLS} FROM logins WHERE status IN {LIVE} AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }

    pub async fn insert_login_event(&self, e: &LoginEventRow) -> Result<()> {
        let mut tx = self.write.begin().await?;
        write_side_effects(&mut tx, self.backend, &[e], &[]).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn login_events(
        &self,
        tenant_id: &str,
        login_id: &str,
    ) -> Result<Vec<LoginEventRow>> {
        let rows = sqlx::query_as(
            "SELECT id, tenant_id, login_id, type, detail, created_at FROM login_events \
             WHERE tenant_id = $1 AND login_id = $2 ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .bind(login_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }

    /// Marks an approved login exchanged and records the access token, once. `false` when the
    /// login was already exchanged (a replayed callback JWT) or is not approved.
    pub async fn exchange_login(
        &self,
        login_id: &str,
        now: i64,
        token: &AccessTokenRow,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let n = sqlx::query(
            "UPDATE logins SET exchanged_at = $1, updated_at = $1, version = version + 1 \
             WHERE id = $2 AND status = 'approved' AND exchanged_at IS NULL",
        )
        .bind(now)
        .bind(login_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO access_tokens (jti, tenant_id, client_id, login_id, expires_at, revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token.jti)
        .bind(&token.tenant_id)
        .bind(&token.client_id)
        .bind(&token.login_id)
        .bind(token.expires_at)
        .bind(token.revoked_at)
        .bind(token.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn access_token(&self, jti: &str) -> Result<AccessTokenRow> {
        sqlx::query_as(
            "SELECT jti, tenant_id, client_id, login_id, expires_at, revoked_at, created_at \
             FROM access_tokens WHERE jti = $1",
        )
        .bind(jti)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Revokes a token of `client_id`; `false` if there was none (or it was revoked already).
    pub async fn revoke_access_token(&self, jti: &str, client_id: &str, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND client_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(jti)
        .bind(client_id)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}

/// Inserts login events and jobs, one multi-row statement per up to [`CHUNK`] rows of each.
pub(crate) async fn write_side_effects(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    events: &[&LoginEventRow],
    jobs: &[&LoginJobRow],
) -> Result<()> {
    for chunk in events.chunks(CHUNK) {
        let sql = cached_sql("login_events", chunk.len(), backend, || {
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
        q.execute(&mut **tx).await?;
    }
    for chunk in jobs.chunks(CHUNK) {
        let sql = cached_sql("login_jobs", chunk.len(), backend, || {
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
        q.execute(&mut **tx).await?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    #[test]
    fn job_tuples_put_the_literal_lease_in_tenth_place() {
        assert_eq!(
            super::job_tuples(1),
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)"
        );
    }
}
