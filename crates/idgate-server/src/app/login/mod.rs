//! QR-code and push login use cases: the integrating application's `/oauth/start` and
//! `/oauth/notify` ([`start`]), the authenticator's enrolment, open and decision
//! ([`device`]), and the token side: callback JWT exchange, introspection, revocation
//! ([`token`]). Status changes go through the core state machine and are stored with their
//! audit events and jobs in one transaction, then published to the web sockets.

pub mod device;
pub mod start;
pub mod token;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::crypto::{ct_eq, hash_secret};
use idgate_core::login::{
    DenyReason, LoginError, LoginEvent, LoginRequest, LoginStatus, Transition,
};
use idgate_core::{Code, CoreError};
use idgate_store::{ClientRow, LoginEventRow, LoginRow, StoreError};
use serde_json::Value;

use super::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// An authenticated OAuth client with its registration parsed.
pub struct Client {
    pub row: ClientRow,
    pub scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub tenant: Tenant,
}

impl Client {
    pub fn can_notify(&self) -> bool {
        self.row.can_notify != 0
    }
    pub fn websocket(&self) -> bool {
        self.row.websocket != 0
    }
}

pub fn invalid_client() -> ApiError {
    ApiError::new(
        Code::InvalidClient,
        "unknown client_id or wrong client_secret",
    )
}

/// Checks `client_id`/`client_secret` (hash compared in constant time; an unknown client still
/// pays for a comparison). A verified client is remembered for a few seconds
/// ([`crate::app::cache`]); the secret is checked against it on every call.
pub async fn authenticate_client(
    st: &AppState,
    client_id: &str,
    secret: &str,
) -> Result<Arc<Client>, ApiError> {
    let presented = hash_secret(secret);
    let now = st.now();
    if let Some(c) = st.client_cache.get(client_id, now) {
        if secret_matches(&c.row, &presented, now) && !secret.is_empty() {
            return rate(st, c);
        }
        return Err(invalid_client());
    }
    let row = match st.store.client_by_client_id(client_id).await {
        Ok(row) if secret_matches(&row, &presented, now) && !secret.is_empty() => row,
        Ok(_) | Err(StoreError::NotFound) => {
            let _ = ct_eq(&presented, &hash_secret("idgate-dummy"));
            return Err(invalid_client());
        }
        Err(e) => return Err(e.into()),
    };
    let c = Arc::new(load_client(st, row).await?);
    st.client_cache.put(client_id, c.clone(), now);
    rate(st, c)
}

/// Counts one request of a verified client against its rate limit (its tenant's, if set).
fn rate(st: &AppState, c: Arc<Client>) -> Result<Arc<Client>, ApiError> {
    st.edge
        .check_key(&format!("client:{}", c.row.client_id), c.tenant.rate)?;
    Ok(c)
}

/// The current secret, or the one before the last rotation until its grace period ends. Both
/// are compared, in constant time.
fn secret_matches(row: &ClientRow, presented: &str, now: i64) -> bool {
    let current = ct_eq(&row.secret_hash, presented);
    let old = match (&row.old_secret_hash, row.old_secret_until) {
        (Some(h), Some(until)) => ct_eq(h, presented) && now < until,
        _ => false,
    };
    current | old
}

pub async fn client_by_id(st: &AppState, client_id: &str) -> Result<Client, ApiError> {
    let row = st.store.client_by_client_id(client_id).await?;
    load_client(st, row).await
}

async fn load_client(st: &AppState, row: ClientRow) -> Result<Client, ApiError> {
    let tenant = st.store.tenant_by_id(&row.tenant_id).await?;
    let tenant = Tenant::from_row(tenant).map_err(|e| {
        tracing::error!(error = %e, "tenant row unreadable");
        ApiError::internal()
    })?;
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    Ok(Client {
        scopes: list(&row.scopes),
        callback_urls: list(&row.callback_urls),
        row,
        tenant,
    })
}

/// `client_id` and `client_secret` from a JSON body (client_secret_post).
pub fn body_credentials(body: &Value) -> (String, String) {
    let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    (s("client_id"), s("client_secret"))
}

/// The web-socket token of a login: derived from the master key and the login id, so only
/// its hash is stored yet `/oauth/notify` can answer it again (256 bits).
pub fn ws_token_of(st: &AppState, login_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(st.keys.active().mac("login.ws_token", login_id.as_bytes()))
}

/// OAuth routes answer `400 invalid_request` (or `invalid_scope`) with every violation listed.
pub fn oauth_validation(e: CoreError) -> ApiError {
    let mut err = ApiError::from(e);
    if err.code == Code::ValidationFailed {
        let scope = err.details.iter().any(|d| d.code == "invalid_scope");
        err.code = if scope {
            Code::InvalidScope
        } else {
            Code::InvalidRequest
        };
    }
    err
}

/// The core state of a stored login.
pub fn request_of(row: &LoginRow) -> LoginRequest {
    LoginRequest {
        status: LoginStatus::parse(&row.status).unwrap_or(LoginStatus::Expired),
        challenge: u8::try_from(row.challenge).unwrap_or(0),
        created_at: row.created_at,
        expires_at: row.expires_at,
        device_id: row.device_id.clone(),
        deny_reason: row.deny_reason.as_deref().and_then(DenyReason::parse),
        finished_at: row.finished_at,
    }
}

/// `row` after `t`, with its version bumped for the conditional update.
pub fn applied(row: &LoginRow, t: &Transition, now: i64) -> LoginRow {
    let r = &t.request;
    let mut out = row.clone();
    out.status = r.status.as_str().to_owned();
    out.device_id = r.device_id.clone();
    out.deny_reason = r.deny_reason.map(|d| d.as_str().to_owned());
    out.finished_at = r.finished_at;
    if t.event == LoginEvent::Scanned {
        out.scanned_at = Some(now);
    }
    out.updated_at = now;
    out.version += 1;
    out
}

pub fn event(row: &LoginRow, kind: &str, detail: Value, now: i64) -> LoginEventRow {
    LoginEventRow {
        id: format!("lev_{}", uuid::Uuid::now_v7().simple()),
        tenant_id: row.tenant_id.clone(),
        login_id: row.id.clone(),
        kind: kind.to_owned(),
        detail: detail.to_string(),
        created_at: now,
    }
}

/// The error for an action the state machine refused.
pub fn login_error(e: LoginError) -> ApiError {
    ApiError::new(e.code(), e.to_string())
}

/// Stores the `expired` transition of a live login past its expiry (expiry on read).
pub async fn expire(st: &AppState, row: &LoginRow, t: &Transition, now: i64) {
    let next = applied(row, t, now);
    let ev = event(
        row,
        LoginEvent::Expired.as_str(),
        serde_json::json!({}),
        now,
    );
    if st.store.update_login(&next, &[ev], &[]).await.is_ok() {
        super::login_runtime::publish(st, &row.id).await;
    }
}

/// Expires live logins past their expiry (the sweeper), publishing each; returns how many.
pub async fn expire_due(st: &AppState, limit: i64) -> Result<usize, ApiError> {
    let now = st.now();
    let rows = st.store.logins_due_to_expire(now, limit).await?;
    for row in &rows {
        if let Ok(t) = request_of(row).apply(&idgate_core::login::LoginAction::Expire, now) {
            expire(st, row, &t, now).await;
        }
    }
    Ok(rows.len())
}

/// Prefix of hub messages that announce a pushed login to authenticator sockets.
const ANNOUNCE: &str = "push:";

/// A login pushed to a person, as announced to the open authenticator pages.
pub struct Announcement {
    pub login_id: String,
    pub tenant_id: String,
    pub username: String,
    pub short_token: String,
}

/// Tells the open authenticator pages of the login's person, on every node, that the login was
/// pushed (see [`crate::http::device_ws`]). The short token travels sealed with the master key.
pub async fn announce(st: &AppState, row: &LoginRow, short: &str) {
    let Some(username) = &row.username else {
        return;
    };
    let plain = serde_json::json!({
        "tenant_id": row.tenant_id, "username": username, "short_token": short,
    })
    .to_string();
    let sealed = st
        .keys
        .seal_str(&plain, row.id.as_bytes(), &mut rand::rngs::OsRng);
    super::login_runtime::publish(st, &format!("{ANNOUNCE}{}:{sealed}", row.id)).await;
}

/// The announcement in a hub message, if it is one and its seal opens.
pub fn opened_announcement(st: &AppState, msg: &str) -> Option<Announcement> {
    let (login_id, sealed) = msg.strip_prefix(ANNOUNCE)?.split_once(':')?;
    let plain = st.keys.open_str(sealed, login_id.as_bytes()).ok()?;
    let v: Value = serde_json::from_str(&plain).ok()?;
    let field = |k: &str| v[k].as_str().map(str::to_owned);
    Some(Announcement {
        login_id: login_id.to_owned(),
        tenant_id: field("tenant_id")?,
        username: field("username")?,
        short_token: field("short_token")?,
    })
}
