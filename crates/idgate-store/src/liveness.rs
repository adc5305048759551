//! Liveness challenges: issue, read (tenant-scoped), finish once (a conditional update from
//! `pending`), and count a session's failed attempts.

use crate::db::Store;
use crate::error::{Result, StoreError};

/// A stored challenge. `actions` is a comma-separated list; `result` the verification's JSON.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub tenant_id: String,
    pub session_id: Option<String>,
    pub actions: String,
    pub status: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub verified_at: Option<i64>,
    pub image_key: Option<String>,
    pub result: Option<String>,
}

const COLS: &str = "id, tenant_id, session_id, actions, status, created_at, expires_at, \
                    verified_at, image_key, result";

impl Store {
    pub async fn insert_challenge(&self, c: &ChallengeRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO liveness_challenges ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&c.id)
        .bind(&c.tenant_id)
        .bind(&c.session_id)
        .bind(&c.actions)
        .bind(&c.status)
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(c.verified_at)
        .bind(&c.image_key)
        .bind(&c.result)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The tenant's challenge `id` (`NotFound` for another tenant's).
    pub async fn challenge(&self, tenant_id: &str, id: &str) -> Result<ChallengeRow> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM liveness_challenges WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.write)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Moves a `pending` challenge to `status` with its result; `Conflict` when it was already
    /// verified (by this request's twin, or a replay).
    pub async fn finish_challenge(
        &self,
        tenant_id: &str,
        id: &str,
        status: &str,
        at: i64,
        image_key: Option<&str>,
        result: &str,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE liveness_challenges SET status = $1, verified_at = $2, image_key = $3, result = $4 \
             WHERE tenant_id = $5 AND id = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(at)
        .bind(image_key)
        .bind(result)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("the challenge was already verified"));
        }
        Ok(())
    }

    /// How many of the session's challenges failed.
    pub async fn failed_challenges(&self, tenant_id: &str, session_id: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM liveness_challenges WHERE tenant_id = $1 AND session_id = $2 AND status = 'failed'",
        )
        .bind(tenant_id)
        .bind(session_id)
        .fetch_one(&self.write)
        .await?;
        Ok(n)
    }
}
