//! The webhook outbox: leased claims (`FOR UPDATE SKIP LOCKED` on PostgreSQL), delivery
//! bookkeeping, dead-lettering and replay.

use crate::db::Store;
use crate::dialect::skip_locked;
use crate::error::Result;
use crate::rows::OutboxRow;

const COLS: &str = "id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, \
                    last_error, created_at, delivered_at";

impl Store {
    /// Claims up to `limit` due deliveries for `owner` until `lease_until`. A crashed worker's
    /// lease runs out and the rows become due again.
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "UPDATE outbox SET lease_until = $1, lease_owner = $2 WHERE id IN (\
             SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3 \
             ORDER BY next_attempt_at, id LIMIT $4{}) RETURNING {COLS}",
            skip_locked(self.backend)
        );
        let rows = sqlx::query_as(&sql)
            .bind(lease_until)
            .bind(owner)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.write)
            .await?;
        Ok(rows)
    }

    pub async fn outbox_delivered(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, lease_until = 0, \
             last_error = NULL WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: due again at `next_at`, or dead when `next_at` is `None`.
    pub async fn outbox_failed(&self, id: &str, error: &str, next_at: Option<i64>) -> Result<()> {
        let status = if next_at.is_some() { "pending" } else { "dead" };
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, lease_until = 0, \
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

    /// Dead (or, with `event_id`, any) deliveries of a tenant back to pending; returns how many.
    pub async fn outbox_replay(
        &self,
        tenant_id: &str,
        event_id: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = 0 \
             WHERE tenant_id = $2 AND (($3 = '' AND status = 'dead') OR event_id = $3)",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(event_id.unwrap_or(""))
        .execute(&self.write)
        .await?
        .rows_affected();
        self.outbox_queued(n);
        Ok(n)
    }

    pub async fn outbox_for_tenant(&self, tenant_id: &str) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query_as(&format!(
            "SELECT {COLS} FROM outbox WHERE tenant_id = $1 ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows)
    }
}
