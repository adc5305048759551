//! The integrator's login web socket (`GET /oauth/ws`). Protocol (also in the OpenAPI text):
//! the client's first text frame is `{"type":"auth","ws_token":"…"}` (sent within 10 s; the
//! token never appears in URLs or logs). The server answers `{"type":"status","status",
//! "expires_in"}`, then one frame per change: `{"type":"scanned"}`, `{"type":"approved"}`,
//! `{"type":"denied","reason"}`, `{"type":"expired"}`, and `{"type":"heartbeat","time"}`
//! every heartbeat period. Close codes: 1000 after the final frame, 1001 server stopping,
//! 4400 first frame malformed, 4401 unknown `ws_token`, 4408 no auth frame in time.
//! Changes arrive through the node's hub (fed by PostgreSQL NOTIFY from every node); each
//! heartbeat also re-reads the login, which covers lost notifications and expiry.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use idgate_core::crypto::hash_secret;
use idgate_core::login::{LoginAction, LoginStatus};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::oauth::OAuth;
use super::sockets::{bounded, SocketSlot, CLOSE_TRY_LATER};
use crate::app::login::{expire, request_of};
use crate::state::AppState;

pub const CLOSE_FINAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_BAD_FRAME: u16 = 4400;
pub const CLOSE_BAD_TOKEN: u16 = 4401;
pub const CLOSE_AUTH_TIMEOUT: u16 = 4408;
const AUTH_WAIT: Duration = Duration::from_secs(10);

/// `GET /oauth/ws`: upgrades, then runs the protocol above.
pub async fn login_socket(
    State(st): State<AppState>,
    slot: SocketSlot<OAuth>,
    ws: WebSocketUpgrade,
) -> Response {
    bounded(ws, &st.cfg.limits).on_upgrade(move |socket| async move {
        run(st, socket).await;
        drop(slot);
    })
}

pub async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

pub async fn send(socket: &mut WebSocket, v: Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

/// Which frames this socket has sent.
#[derive(Default)]
struct Sent {
    scanned: bool,
}

async fn run(st: AppState, mut socket: WebSocket) {
    let token = match tokio::time::timeout(AUTH_WAIT, socket.recv()).await {
        Err(_) => return close(socket, CLOSE_AUTH_TIMEOUT, "no auth frame").await,
        Ok(Some(Ok(Message::Text(t)))) => {
            let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
            match (v["type"].as_str(), v["ws_token"].as_str()) {
                (Some("auth"), Some(tok)) if !tok.is_empty() => tok.to_owned(),
                _ => return close(socket, CLOSE_BAD_FRAME, "expected an auth frame").await,
            }
        }
        Ok(_) => return close(socket, CLOSE_BAD_FRAME, "expected an auth frame").await,
    };
    let mut hub = st.login.hub.subscribe();
    let mut closing = st.login.closing.subscribe();
    let (login_id, tenant_id) = match st.store.login_by_ws_token(&hash_secret(&token)).await {
        Ok(l) => (l.id, l.tenant_id),
        Err(_) => return close(socket, CLOSE_BAD_TOKEN, "unknown ws_token").await,
    };
    let Some(_tenant_slot) = st.edge.sockets_per_tenant.acquire(&tenant_id) else {
        return close(socket, CLOSE_TRY_LATER, "too many open sockets").await;
    };
    let mut sent = Sent::default();
    match step(&st, &mut socket, &login_id, &mut sent, true).await {
        Some(true) => return close(socket, CLOSE_FINAL, "final").await,
        Some(false) => {}
        None => return,
    }
    let period = Duration::from_millis(st.cfg.login.ws_heartbeat_ms.max(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        let changed = tokio::select! {
            m = hub.recv() => match m {
                Ok(id) => id == login_id,
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                if !send(&mut socket, json!({"type": "heartbeat", "time": st.now() / 1000})).await {
                    return;
                }
                true
            }
            m = socket.recv() => match m {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                _ => false,
            },
            _ = closing.changed() => return close(socket, CLOSE_GOING_AWAY, "server stopping").await,
        };
        if changed {
            match step(&st, &mut socket, &login_id, &mut sent, false).await {
                Some(true) => return close(socket, CLOSE_FINAL, "final").await,
                Some(false) => {}
                None => return,
            }
        }
    }
}

/// Reads the login and sends what this socket has not sent yet. `Some(true)` once final;
/// `None` when the socket or the store failed.
async fn step(
    st: &AppState,
    socket: &mut WebSocket,
    login_id: &str,
    sent: &mut Sent,
    first: bool,
) -> Option<bool> {
    let row = st.store.login(login_id).await.ok()?;
    let now = st.now();
    let r = request_of(&row);
    let status = r.status_at(now);
    if status == LoginStatus::Expired && r.status != LoginStatus::Expired {
        if let Ok(t) = r.apply(&LoginAction::Expire, now) {
            expire(st, &row, &t, now).await;
        }
    }
    if first {
        let v = json!({"type": "status", "status": status.as_str(), "expires_in": r.remaining(now) / 1000});
        send(socket, v).await.then_some(())?;
    }
    if row.scanned_at.is_some() && !sent.scanned {
        sent.scanned = true;
        send(socket, json!({"type": "scanned"}))
            .await
            .then_some(())?;
    }
    let frame = match status {
        LoginStatus::Approved => json!({"type": "approved"}),
        LoginStatus::Denied => json!({"type": "denied", "reason": row.deny_reason}),
        LoginStatus::Expired => json!({"type": "expired"}),
        LoginStatus::Pending | LoginStatus::Scanned => return Some(false),
    };
    send(socket, frame).await.then_some(true)
}
