//! The authenticator's own web socket (`GET /authenticator/ws`): an open authenticator page
//! receives the logins pushed to its person while it is open, besides (or without) Web Push.
//! Protocol: the server's first frame is `{"type":"challenge","nonce"}` (32 random bytes,
//! base64url); the device answers within 10 s with `{"type":"auth","device_id","signature"}`,
//! its ECDSA P-256 signature (base64url, IEEE P1363) of `{"action":"listen","nonce":"<nonce>"}`
//! (keys in this order, no spaces). Then `{"type":"ready"}`, and for each login pushed to the
//! device's username `{"type":"login_request","short_token","client_name","scope","url",
//! "expires_in"}` (the Web Push payload plus `expires_in`), and `{"type":"heartbeat","time"}`
//! every heartbeat period. Close codes: 1001 server stopping, 4400 malformed frame, 4401
//! unknown device or bad signature (or the device revoked while connected: checked at each
//! heartbeat), 4408 no auth frame in time, 1013 the tenant's socket cap.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::jose::{verify_device_signature, DeviceKey};
use idgate_core::login::{qr_code_text, LoginStatus};
use idgate_store::DeviceRow;
use rand::RngCore;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::error::V1;
use super::login_ws::CLOSE_GOING_AWAY;
use super::login_ws::{close, send, CLOSE_AUTH_TIMEOUT, CLOSE_BAD_FRAME, CLOSE_BAD_TOKEN};
use super::sockets::{bounded, SocketSlot, CLOSE_TRY_LATER};
use crate::app::login::{client_by_id, opened_announcement, request_of};
use crate::app::login_runtime::DEVICE_REVOKED;
use crate::state::AppState;

const AUTH_WAIT: Duration = Duration::from_secs(10);

/// The canonical message a device signs to listen: `{"action":"listen","nonce":"<nonce>"}`.
pub fn listen_message(nonce: &str) -> Vec<u8> {
    format!(r#"{{"action":"listen","nonce":{}}}"#, Value::from(nonce)).into_bytes()
}

/// `GET /authenticator/ws`: upgrades, then runs the protocol above.
pub async fn device_socket(
    State(st): State<AppState>,
    slot: SocketSlot<V1>,
    ws: WebSocketUpgrade,
) -> Response {
    bounded(ws, &st.cfg.limits).on_upgrade(move |socket| async move {
        run(st, socket).await;
        drop(slot);
    })
}

async fn authenticate(
    st: &AppState,
    socket: &mut WebSocket,
) -> Result<DeviceRow, (u16, &'static str)> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let nonce = URL_SAFE_NO_PAD.encode(raw);
    if !send(socket, json!({"type": "challenge", "nonce": nonce})).await {
        return Err((CLOSE_BAD_FRAME, "send failed"));
    }
    let v: Value = match tokio::time::timeout(AUTH_WAIT, socket.recv()).await {
        Err(_) => return Err((CLOSE_AUTH_TIMEOUT, "no auth frame")),
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str(t.as_str()).unwrap_or(Value::Null),
        Ok(_) => return Err((CLOSE_BAD_FRAME, "expected an auth frame")),
    };
    let (Some("auth"), Some(device_id), Some(sig)) = (
        v["type"].as_str(),
        v["device_id"].as_str(),
        v["signature"].as_str(),
    ) else {
        return Err((CLOSE_BAD_FRAME, "expected an auth frame"));
    };
    let refused = (CLOSE_BAD_TOKEN, "unknown device or bad signature");
    let sig = URL_SAFE_NO_PAD
        .decode(sig.trim_end_matches('='))
        .map_err(|_| refused)?;
    let device = st.store.device(device_id).await.map_err(|_| refused)?;
    let key = DeviceKey::parse(&device.public_key).map_err(|_| refused)?;
    if !verify_device_signature(&key, &listen_message(&nonce), &sig) {
        return Err(refused);
    }
    Ok(device)
}

async fn run(st: AppState, mut socket: WebSocket) {
    // Subscribe before authenticating so nothing announced meanwhile is missed.
    let mut hub = st.login.hub.subscribe();
    let mut closing = st.login.closing.subscribe();
    let device = match authenticate(&st, &mut socket).await {
        Ok(d) => d,
        Err((code, reason)) => return close(socket, code, reason).await,
    };
    let Some(_tenant_slot) = st.edge.sockets_per_tenant.acquire(&device.tenant_id) else {
        return close(socket, CLOSE_TRY_LATER, "too many open sockets").await;
    };
    if !send(&mut socket, json!({"type": "ready"})).await {
        return;
    }
    let period = Duration::from_millis(st.cfg.login.ws_heartbeat_ms.max(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        let frame = tokio::select! {
            m = hub.recv() => match m {
                Ok(msg) if msg.strip_prefix(DEVICE_REVOKED) == Some(device.id.as_str()) => {
                    return close(socket, CLOSE_BAD_TOKEN, "device revoked").await;
                }
                Ok(msg) => login_frame(&st, &device, &msg).await,
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                // a device revoked meanwhile loses its socket
                if let Err(idgate_store::StoreError::NotFound) = st.store.device(&device.id).await {
                    return close(socket, CLOSE_BAD_TOKEN, "device revoked").await;
                }
                Some(json!({"type": "heartbeat", "time": st.now() / 1000}))
            }
            m = socket.recv() => match m {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                _ => None,
            },
            _ = closing.changed() => return close(socket, CLOSE_GOING_AWAY, "server stopping").await,
        };
        if let Some(f) = frame {
            if !send(&mut socket, f).await {
                return;
            }
        }
    }
}

/// The `login_request` frame for a hub message announcing a login pushed to this device's
/// person, if it is one and the login still waits.
async fn login_frame(st: &AppState, device: &DeviceRow, msg: &str) -> Option<Value> {
    let a = opened_announcement(st, msg)?;
    if a.tenant_id != device.tenant_id || a.username != device.username {
        return None;
    }
    let login = st.store.login(&a.login_id).await.ok()?;
    let now = st.now();
    let r = request_of(&login);
    if r.status_at(now) != LoginStatus::Pending {
        return None;
    }
    let client = client_by_id(st, &login.client_id).await.ok()?;
    Some(json!({
        "type": "login_request", "short_token": a.short_token, "client_name": client.row.name,
        "scope": login.scope, "url": qr_code_text(&st.public_base, &a.short_token),
        "expires_in": r.remaining(now) / 1000,
    }))
}
