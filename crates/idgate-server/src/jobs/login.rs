//! Login jobs from the durable `login_jobs` table: the callback POST `{token, short_token}` to
//! the login's `callback_url` (a fresh ≤120 s JWT per attempt, same `jti`) and Web Push
//! (RFC 8291 `aes128gcm`, RFC 8292 VAPID) to each enrolled device. Leased claims, retries with
//! exponential backoff and jitter, dead-letter after the last attempt; the same private-address
//! rules as webhooks. A request that queues a push makes the first attempt itself, so
//! `notified` tells whether a push service accepted it.

use idgate_core::login::{qr_code_text, CallbackClaims, LoginStatus, CALLBACK_JWT_MAX_TTL};
use idgate_core::webpush::{build_message, PushOptions, Subscription, Urgency};
use idgate_store::{LoginJobRow, LoginRow, StoreError};
use rand::rngs::OsRng;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::webhooks::{backoff_ms, check_url};
use crate::app::login::{client_by_id, token::issuer};
use crate::state::AppState;

const BATCH: i64 = 32;

/// Why an attempt failed; `permanent` failures are not retried.
struct Failure {
    msg: String,
    permanent: bool,
}

fn retry(msg: impl Into<String>) -> Failure {
    Failure {
        msg: msg.into(),
        permanent: false,
    }
}

fn stop(msg: impl Into<String>) -> Failure {
    Failure {
        msg: msg.into(),
        permanent: true,
    }
}

fn job(
    st: &AppState,
    login: &LoginRow,
    kind: &str,
    target: &str,
    short: &str,
    now: i64,
) -> LoginJobRow {
    let id = format!("ljob_{}", uuid::Uuid::now_v7().simple());
    let payload = json!({"short_token": short}).to_string();
    LoginJobRow {
        payload: st.keys.seal_str(&payload, id.as_bytes(), &mut OsRng),
        id,
        tenant_id: login.tenant_id.clone(),
        login_id: login.id.clone(),
        kind: kind.to_owned(),
        target: target.to_owned(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        created_at: now,
        done_at: None,
    }
}

pub fn callback_job(st: &AppState, login: &LoginRow, short: &str, now: i64) -> LoginJobRow {
    job(st, login, "callback", "", short, now)
}

pub fn push_job(
    st: &AppState,
    login: &LoginRow,
    device_id: &str,
    short: &str,
    now: i64,
) -> LoginJobRow {
    // Due only after a lease's time: the request that queues it makes the first attempt itself
    // (`deliver_now`), and the background worker must not race it for the claim.
    let mut j = job(st, login, "push", device_id, short, now);
    j.next_attempt_at = now + st.cfg.webhooks.lease_ms as i64;
    j
}

/// First attempt of freshly queued jobs; true when at least one succeeded.
pub async fn deliver_now(st: &AppState, jobs: &[LoginJobRow]) -> bool {
    let owner = format!("now_{}", uuid::Uuid::new_v4().simple());
    let mut set = JoinSet::new();
    for j in jobs {
        let (st, id, owner) = (st.clone(), j.id.clone(), owner.clone());
        set.spawn(async move {
            let now = st.now();
            let lease = now + st.cfg.webhooks.lease_ms as i64;
            match st
                .store
                .claim_login_jobs(&owner, now, lease, 1, Some(&id))
                .await
            {
                Ok(rows) => match rows.into_iter().next() {
                    Some(row) => deliver(&st, row, &owner).await,
                    None => false,
                },
                Err(_) => false,
            }
        });
    }
    let mut any = false;
    while let Some(r) = set.join_next().await {
        any |= r.unwrap_or(false);
    }
    any
}

pub async fn run(st: AppState, mut shutdown: watch::Receiver<bool>) {
    let owner = format!("lw_{}", uuid::Uuid::new_v4().simple());
    loop {
        let now = st.now();
        let lease = now + st.cfg.webhooks.lease_ms as i64;
        let batch = match st
            .store
            .claim_login_jobs(&owner, now, lease, BATCH, None)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "login job claim failed");
                Vec::new()
            }
        };
        let full = batch.len() as i64 == BATCH;
        let mut set = JoinSet::new();
        for row in batch {
            let (st, owner) = (st.clone(), owner.clone());
            set.spawn(async move { deliver(&st, row, &owner).await });
        }
        while set.join_next().await.is_some() {}
        if full {
            continue;
        }
        tokio::select! {
            _ = st.login.wake.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_millis(st.cfg.login.poll_ms)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn deliver(st: &AppState, row: LoginJobRow, owner: &str) -> bool {
    let result = match row.kind.as_str() {
        "callback" => callback(st, &row).await,
        "push" => push(st, &row).await,
        other => Err(stop(format!("unknown job kind {other}"))),
    };
    let now = st.now();
    let (ok, stored) = match result {
        Ok(()) => (true, st.store.login_job_done(&row.id, owner, now).await),
        Err(f) => {
            let attempts = row.attempts as u32 + 1;
            let next = (!f.permanent && attempts < st.cfg.login.max_attempts)
                .then(|| now + backoff_ms(st.cfg.login.base_delay_ms, attempts - 1) as i64);
            tracing::info!(job = %row.id, kind = %row.kind, attempts, dead = next.is_none(), error = %f.msg, "login job attempt failed");
            (
                false,
                st.store
                    .login_job_failed((&row.id, owner, now), &f.msg, next)
                    .await,
            )
        }
    };
    if let Err(e) = stored {
        tracing::warn!(error = %e, job = %row.id, "could not record job outcome; the lease will expire");
    }
    ok
}

fn short_token(st: &AppState, row: &LoginJobRow) -> Result<String, Failure> {
    let plain = st
        .keys
        .open_str(&row.payload, row.id.as_bytes())
        .map_err(|e| stop(e.to_string()))?;
    let v: Value = serde_json::from_str(&plain).map_err(|e| stop(e.to_string()))?;
    Ok(v["short_token"].as_str().unwrap_or_default().to_owned())
}

async fn login_of(st: &AppState, row: &LoginJobRow) -> Result<LoginRow, Failure> {
    match st.store.login(&row.login_id).await {
        Ok(l) => Ok(l),
        Err(StoreError::NotFound) => Err(stop("login is gone")),
        Err(e) => Err(retry(e.to_string())),
    }
}

/// The URL rules of webhooks under `allow_private` (the client resolving the host checks
/// each address it connects to; see [`crate::outbound`]).
fn checked_url(raw: &str, allow_private: bool) -> Result<url::Url, Failure> {
    check_url(raw, allow_private).map_err(stop)
}

async fn callback(st: &AppState, row: &LoginJobRow) -> Result<(), Failure> {
    let login = login_of(st, row).await?;
    if login.status != LoginStatus::Approved.as_str() {
        return Err(stop("login is not approved"));
    }
    let short = short_token(st, row)?;
    let allow = st.cfg.webhooks.allow_private;
    let url = crate::app::receivers::check(&st.store, &login.tenant_id, &login.callback_url, allow)
        .await
        .map_err(stop)?;
    let now = st.now() / 1000;
    let claims = CallbackClaims::new(
        &issuer(st),
        &login.client_id,
        login.subject.as_deref().unwrap_or_default(),
        login.jti.as_deref().unwrap_or_default(),
        &short,
        now,
        CALLBACK_JWT_MAX_TTL,
    );
    let body = json!({"token": claims.sign(&st.login.active()), "short_token": short});
    let res = st
        .login
        .http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| retry(format!("request failed: {e}")))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(retry(format!("receiver answered {}", res.status())))
    }
}

async fn push(st: &AppState, row: &LoginJobRow) -> Result<(), Failure> {
    let login = login_of(st, row).await?;
    let now_ms = st.now();
    let remaining = (login.expires_at - now_ms) / 1000;
    if login.status != LoginStatus::Pending.as_str() || remaining <= 0 {
        return Err(stop("login is no longer waiting for a push"));
    }
    let device = match st.store.device(&row.target).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => return Err(stop("device is gone")),
        Err(e) => return Err(retry(e.to_string())),
    };
    let (Some(ep), Some(p256dh), Some(auth)) = (
        &device.push_endpoint,
        &device.push_p256dh,
        &device.push_auth,
    ) else {
        return Err(stop("device has no push subscription"));
    };
    let sub = Subscription::parse(ep, p256dh, auth).map_err(|e| stop(e.to_string()))?;
    let url = checked_url(ep, st.cfg.login.push_allow_private)?;
    let short = short_token(st, row)?;
    let client = client_by_id(st, &login.client_id)
        .await
        .map_err(|e| retry(e.message))?;
    let plaintext = json!({
        "type": "login_request", "short_token": short, "client_name": client.row.name,
        "scope": login.scope, "url": qr_code_text(&st.public_base, &short),
    });
    let opts = PushOptions {
        subject: &st.cfg.login.vapid_subject,
        ttl_seconds: u32::try_from(remaining).unwrap_or(0),
        urgency: Urgency::High,
        topic: None,
    };
    let msg = build_message(
        &sub,
        plaintext.to_string().as_bytes(),
        &st.login.vapid,
        &opts,
        now_ms / 1000,
        &mut OsRng,
    )
    .map_err(|e| stop(e.to_string()))?;
    let mut req = st.login.push_http.post(url).body(msg.body);
    for (k, v) in msg.headers {
        req = req.header(k, v);
    }
    let res = req
        .send()
        .await
        .map_err(|e| retry(format!("request failed: {e}")))?;
    match res.status().as_u16() {
        200..=299 => Ok(()),
        404 | 410 => {
            let _ = st.store.clear_device_push(&device.id).await;
            Err(stop(format!(
                "push service answered {}: subscription gone",
                res.status()
            )))
        }
        _ => Err(retry(format!("push service answered {}", res.status()))),
    }
}
