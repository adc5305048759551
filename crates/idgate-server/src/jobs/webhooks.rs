//! Webhook delivery: claims due outbox rows under a lease, POSTs each event signed with
//! `Idgate-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, retries with exponential
//! backoff and jitter, and dead-letters after the last attempt. At-least-once: receivers
//! de-duplicate by the event `id` (also in the `Idgate-Event-Id` header). Each endpoint has
//! its own lane (one delivery at a time, in event order); a slow endpoint only holds its own
//! lane: the worker keeps claiming and delivering to the others meanwhile.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use idgate_core::crypto::hmac;
use idgate_store::OutboxRow;
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::{AppState, Metrics};

const MAX_DELAY_MS: u64 = 6 * 3600 * 1000;
const BATCH: i64 = 32;
/// Endpoints delivered to at once by one worker; past it, the worker waits for a lane.
const MAX_LANES: usize = 256;

/// Checks a webhook URL (see [`crate::outbound::check_url`]): `https`, a public host; `http`
/// and private hosts only with `webhooks.allow_private`.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, String> {
    crate::outbound::check_url(raw, allow_private)
}

/// Whether `ip` is outside the global unicast range ([`crate::outbound::is_global`]).
pub fn is_private(ip: IpAddr) -> bool {
    !crate::outbound::is_global(ip)
}

/// `t=<unix>,v1=<hex>` for `body` at unix second `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mac = hmac(secret.as_bytes(), format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac))
}

/// Delay before attempt `attempts + 1`: base·2^attempts, capped, ±20 % jitter.
pub fn backoff_ms(base: u64, attempts: u32) -> u64 {
    let exp = base
        .saturating_mul(1u64 << attempts.min(30))
        .min(MAX_DELAY_MS);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    (exp as f64 * jitter) as u64
}

pub async fn run(st: AppState, mut shutdown: watch::Receiver<bool>) {
    let owner = format!("w_{}", uuid::Uuid::new_v4().simple());
    let client = Arc::new(
        crate::outbound::client(
            Duration::from_millis(st.cfg.webhooks.timeout_ms),
            st.cfg.webhooks.allow_private,
            "idgate-webhooks/1",
        )
        .expect("HTTP client"),
    );
    // endpoints with a lane running, and the lanes (each answers its endpoint id when done)
    let mut busy: HashSet<String> = HashSet::new();
    let mut lanes: JoinSet<String> = JoinSet::new();
    loop {
        while let Some(done) = lanes.try_join_next() {
            if let Ok(ep) = done {
                busy.remove(&ep);
            }
        }
        let mut full = false;
        if busy.len() < MAX_LANES {
            let now = st.now();
            let lease_until = now + st.cfg.webhooks.lease_ms as i64;
            let skip: Vec<String> = busy.iter().cloned().collect();
            let batch = match st
                .store
                .claim_outbox_except(&owner, (now, lease_until), BATCH, &skip)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox claim failed");
                    Vec::new()
                }
            };
            full = batch.len() as i64 == BATCH;
            for (ep, rows) in by_endpoint(batch) {
                busy.insert(ep.clone());
                let (st, client, owner) = (st.clone(), client.clone(), owner.clone());
                lanes.spawn(async move {
                    lane(&st, &client, rows, &owner, lease_until).await;
                    ep
                });
            }
        }
        if full && busy.len() < MAX_LANES {
            continue;
        }
        tokio::select! {
            _ = st.store.outbox_queued_wait() => {}
            _ = tokio::time::sleep(Duration::from_millis(st.cfg.webhooks.poll_ms)) => {}
            Some(done) = lanes.join_next(), if !lanes.is_empty() => {
                if let Ok(ep) = done {
                    busy.remove(&ep);
                }
            }
            _ = shutdown.changed() => {
                // let the lanes finish their current attempt (bounded by the request timeout)
                while lanes.join_next().await.is_some() {}
                return;
            }
        }
    }
}

/// Claimed rows by endpoint, each endpoint's in event order (ids are time-ordered), so a
/// receiver sees a session's events in the order they happened unless one is retried later.
fn by_endpoint(batch: Vec<OutboxRow>) -> BTreeMap<String, Vec<OutboxRow>> {
    let mut map: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
    for row in batch {
        map.entry(row.endpoint_id.clone()).or_default().push(row);
    }
    for rows in map.values_mut() {
        rows.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
    }
    map
}

/// One endpoint's deliveries, one after the other. Rows whose lease would run out during an
/// attempt are left for a later claim rather than delivered by an owner that lost them.
async fn lane(
    st: &AppState,
    client: &reqwest::Client,
    rows: Vec<OutboxRow>,
    owner: &str,
    lease_until: i64,
) {
    for (i, row) in rows.into_iter().enumerate() {
        if i > 0 && st.now() + st.cfg.webhooks.timeout_ms as i64 >= lease_until {
            return;
        }
        deliver(st, client, row, owner).await;
    }
}

async fn deliver(st: &AppState, client: &reqwest::Client, row: OutboxRow, owner: &str) {
    let result = attempt(st, client, &row).await;
    let now = st.now();
    let stored = match result {
        Ok(()) => {
            Metrics::inc(&st.metrics.webhooks_delivered);
            st.store.outbox_delivered(&row.id, owner, now).await
        }
        Err(err) => {
            Metrics::inc(&st.metrics.webhooks_failed);
            let attempts = row.attempts as u32 + 1;
            let next = (attempts < st.cfg.webhooks.max_attempts)
                .then(|| now + backoff_ms(st.cfg.webhooks.base_delay_ms, attempts - 1) as i64);
            tracing::info!(delivery = %row.id, attempts, dead = next.is_none(), error = %err, "webhook attempt failed");
            st.store
                .outbox_failed((&row.id, owner, now), &err, next)
                .await
        }
    };
    if let Err(e) = stored {
        tracing::warn!(error = %e, delivery = %row.id, "delivery outcome not recorded (lease expired or store failed); it will be attempted again");
    }
}

async fn attempt(st: &AppState, client: &reqwest::Client, row: &OutboxRow) -> Result<(), String> {
    let ep = st
        .store
        .endpoint(&row.tenant_id, &row.endpoint_id)
        .await
        .map_err(|e| e.to_string())?;
    if ep.enabled != 1 {
        return Err("the endpoint was removed".into());
    }
    // the client resolves the host once and connects only to addresses it checked
    let allow = st.cfg.webhooks.allow_private;
    let url = crate::app::receivers::check(&st.store, &row.tenant_id, &ep.url, allow).await?;
    let secret = st
        .keys
        .open_str(&ep.secret_sealed, ep.id.as_bytes())
        .map_err(|e| e.to_string())?;
    let t = st.now() / 1000;
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("idgate-signature", signature(&secret, t, &row.payload))
        .header("idgate-event-id", &row.event_id)
        .header("idgate-event-type", &row.event_type)
        .body(row.payload.clone())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("receiver answered {}", res.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rules() {
        assert!(check_url("https://example.com/hook", false).is_ok());
        for bad in [
            "http://127.0.0.1/x",
            "http://localhost:8/x",
            "http://10.0.0.1/",
            "http://[::1]/",
            "http://192.168.1.2/",
            "http://169.254.169.254/",
            "ftp://example.com/",
            "nonsense",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
    }

    #[test]
    fn signature_is_hmac_of_t_dot_body() {
        let s = signature("whsec_x", 1700000000, "{}");
        let want = hex::encode(hmac(b"whsec_x", b"1700000000.{}"));
        assert_eq!(s, format!("t=1700000000,v1={want}"));
    }

    #[test]
    fn backoff_grows_and_caps() {
        let a = backoff_ms(1000, 0);
        assert!((800..=1200).contains(&a));
        let b = backoff_ms(1000, 5);
        assert!((25_600..=38_400).contains(&b));
        assert!(backoff_ms(1000, 40) <= (MAX_DELAY_MS as f64 * 1.2) as u64);
    }
}
