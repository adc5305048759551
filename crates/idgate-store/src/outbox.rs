//! The webhook outbox: a [`Queue`] of deliveries, with replay.

use crate::db::Store;
use crate::error::Result;
use crate::queue::Queue;
use crate::rows::OutboxRow;

const COLS: &str = "id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, \
                    last_error, created_at, delivered_at";

const OUTBOX: Queue = Queue {
    table: "outbox",
    cols: COLS,
    done_status: "delivered",
    done_at: "delivered_at",
};

impl Store {
    /// Claims up to `limit` due deliveries for `owner` until `lease_until`.
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        self.claim_outbox_except(owner, (now, lease_until), limit, &[])
            .await
    }

    /// [`Store::claim_outbox`] leaving alone the deliveries to the endpoints in `busy` (the
    /// worker is still delivering to them: one delivery per endpoint at a time).
    pub async fn claim_outbox_except(
        &self,
        owner: &str,
        (now, lease_until): (i64, i64),
        limit: i64,
        busy: &[String],
    ) -> Result<Vec<OutboxRow>> {
        let except = ("endpoint_id", busy);
        self.claim(&OUTBOX, owner, (now, lease_until), limit, None, except)
            .await
    }

    /// Records a delivery by `owner`, if its lease still holds at `now` (else `Conflict`).
    pub async fn outbox_delivered(&self, id: &str, owner: &str, now: i64) -> Result<()> {
        self.succeeded(&OUTBOX, id, owner, now).await
    }

    /// Records a failed attempt by `owner` (lease as above): due again at `next_at`, or dead
    /// when `next_at` is `None`.
    pub async fn outbox_failed(
        &self,
        lease: (&str, &str, i64),
        error: &str,
        next_at: Option<i64>,
    ) -> Result<()> {
        self.failed(&OUTBOX, lease, error, next_at).await
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
