//! `GET /ws/v1/session`: the desktop page follows a uqudo session. Protocol (also in the
//! OpenAPI text): the first text frame is the raw `qrCodeText` (within 10 s, at most 256
//! bytes). The server answers `{"service":"QR","svg","link","expiresIn"}` (an SVG of
//! `qrCodeTextWithDynamicLink` to show), then the session's frames as the phone progresses
//! (see [`crate::app::uqudo::frames`]: `SCAN` per side, `FACE`, `INFO` last), and
//! `{"service":"HEARTBEAT","time"}` every heartbeat period. Close codes: 1000 after `INFO`,
//! 1001 server stopping, 1011 server error, 1013 too many sockets for the tenant, 4400 first
//! frame not a qrCodeText, 4401 unknown or deleted qrCodeText, 4408 no first frame in time,
//! 4410 session expired or canceled. Changes arrive through the node's hub (fed by PostgreSQL
//! NOTIFY from every node); every fourth heartbeat also re-reads the session. A frame sent
//! because of a change carries `at`, the unix ms of that change's commit.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use idgate_core::Code;
use idgate_store::UqudoRow;
use serde_json::{json, Value};

use super::Uq;
use crate::app::render::SessionView;
use crate::app::sessions::{get as get_session, view};
use crate::app::tenant::Tenant;
use crate::app::uqudo::frames::{standing, Standing};
use crate::app::uqudo::hub::Change;
use crate::app::uqudo::sessions::{by_qr, tenant_of};
use crate::http::login_ws::{close, send};
use crate::http::sockets::{bounded, SocketSlot, CLOSE_TRY_LATER};
use crate::state::AppState;

pub const CLOSE_FINISHED: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_ERROR: u16 = 1011;
pub const CLOSE_BAD_FRAME: u16 = 4400;
pub const CLOSE_UNKNOWN: u16 = 4401;
pub const CLOSE_AUTH_TIMEOUT: u16 = 4408;
pub const CLOSE_EXPIRED: u16 = 4410;
const AUTH_WAIT: Duration = Duration::from_secs(10);
const MAX_QR_LEN: usize = 256;

/// `GET /ws/v1/session`: upgrades, then runs the protocol above.
pub async fn session_socket(
    State(st): State<AppState>,
    slot: SocketSlot<Uq>,
    ws: WebSocketUpgrade,
) -> Response {
    bounded(ws, &st.cfg.limits).on_upgrade(move |socket| async move {
        run(st, socket).await;
        drop(slot);
    })
}

fn qr_svg(text: &str) -> String {
    qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map(|c| {
            c.render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

async fn run(st: AppState, mut socket: WebSocket) {
    let qr = match tokio::time::timeout(AUTH_WAIT, socket.recv()).await {
        Err(_) => return close(socket, CLOSE_AUTH_TIMEOUT, "no qrCodeText frame").await,
        Ok(Some(Ok(Message::Text(t)))) if !t.trim().is_empty() && t.len() <= MAX_QR_LEN => {
            t.trim().to_owned()
        }
        Ok(_) => return close(socket, CLOSE_BAD_FRAME, "expected the qrCodeText").await,
    };
    let row = match by_qr(&st, &qr).await {
        Ok(r) => r,
        Err(e) if e.code == Code::SessionExpired => {
            return close(socket, CLOSE_EXPIRED, "expired").await
        }
        Err(e) if e.code == Code::NotFound => {
            return close(socket, CLOSE_UNKNOWN, "unknown qrCodeText").await
        }
        Err(_) => return close(socket, CLOSE_ERROR, "server error").await,
    };
    let Some(_tenant_slot) = st.edge.sockets_per_tenant.acquire(&row.tenant_id) else {
        return close(socket, CLOSE_TRY_LATER, "too many open sockets").await;
    };
    let Ok(t) = tenant_of(&st, &row).await else {
        return close(socket, CLOSE_ERROR, "server error").await;
    };
    let mut sub = st.uqudo.hub.subscribe(&st, &row.session_id);
    let mut closing = st.login.closing.subscribe();
    let link = format!("{}/q/{qr}", st.public_base);
    let left = (row.expires_at - st.now()).max(0) / 1000;
    let hello = json!({"service": "QR", "svg": qr_svg(&link), "link": link, "expiresIn": left});
    if !send(&mut socket, hello).await {
        return;
    }
    let mut f = Follow {
        t,
        qr,
        row,
        sent: 0,
        seen: 0,
    };
    let period = Duration::from_millis(st.cfg.login.ws_heartbeat_ms.max(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut beats = 0u64;
    // `Some(None)`: re-read the session; `Some(Some(change))`: the change that woke the socket
    let mut check: Option<Option<Change>> = Some(None);
    loop {
        if let Some(change) = check.take() {
            let at = change.as_ref().map_or(0, |c| c.at);
            // a newer change stops a read still waiting for the database (a burst of requests
            // may hold every connection) and is handled instead
            let read = tokio::select! {
                v = f.read(&st, change) => v,
                r = sub.rx.changed() => match r {
                    Ok(()) => {
                        check = Some(Some(sub.rx.borrow_and_update().clone()));
                        continue;
                    }
                    Err(_) => return close(socket, CLOSE_ERROR, "server error").await,
                },
            };
            let end = match read {
                Ok(v) => match f.send_new(&mut socket, &v, at).await {
                    Ok(end) => end,
                    Err(()) => return,
                },
                Err(end) => Some(end),
            };
            if let Some((code, reason)) = end {
                return close(socket, code, reason).await;
            }
        }
        check = tokio::select! {
            r = sub.rx.changed() => r.is_ok().then(|| Some(sub.rx.borrow_and_update().clone())),
            _ = tick.tick() => {
                beats += 1;
                if !send(&mut socket, json!({"service": "HEARTBEAT", "time": st.now() / 1000})).await {
                    return;
                }
                (beats.is_multiple_of(4) || st.now() >= f.row.expires_at).then_some(None)
            }
            m = socket.recv() => match m {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                _ => None,
            },
            _ = closing.changed() => return close(socket, CLOSE_GOING_AWAY, "server stopping").await,
        };
    }
}

/// What a socket knows of its session between wakes.
struct Follow {
    t: Tenant,
    qr: String,
    row: UqudoRow,
    /// Frames sent so far (besides `QR` and heartbeats).
    sent: usize,
    /// The hub change handled last.
    seen: u64,
}

impl Follow {
    /// The session after `change` (`None`: a periodic re-read): the committed row the change
    /// carries when it is the newest state known (and the QR code is still live), otherwise
    /// the database's. `Err` when the socket should close. Cancel-safe: `seen` moves on only
    /// once the read is done.
    async fn read(
        &mut self,
        st: &AppState,
        change: Option<Change>,
    ) -> Result<SessionView, (u16, &'static str)> {
        let pushed = change
            .as_ref()
            .and_then(|c| c.row_after(self.seen))
            .filter(|_| st.now() < self.row.expires_at)
            .cloned();
        let v = match pushed {
            Some(row) => view(st, &self.t, row),
            None => match by_qr(st, &self.qr).await {
                Ok(r) => {
                    self.row = r;
                    get_session(st, &self.t, &self.row.session_id).await
                }
                Err(e) if e.code == Code::SessionExpired => return Err((CLOSE_EXPIRED, "expired")),
                Err(e) if e.code == Code::NotFound => return Err((CLOSE_UNKNOWN, "deleted")),
                Err(e) => Err(e),
            },
        };
        if let Some(c) = &change {
            self.seen = c.seq;
        }
        v.map_err(|_| (CLOSE_ERROR, "server error"))
    }

    /// Sends the frames of `v` not sent yet (with `at`, the commit instant of the change that
    /// woke the socket, when known); `Some(close)` when the socket should end, `Err` when the
    /// socket failed.
    async fn send_new(
        &mut self,
        socket: &mut WebSocket,
        v: &SessionView,
        at: i64,
    ) -> Result<Option<(u16, &'static str)>, ()> {
        let (frames, end): (Vec<Value>, _) = match standing(v, self.row.min_level as u8) {
            Standing::Open(f) => (f, None),
            Standing::Finished(f) => (f, Some((CLOSE_FINISHED, "finished"))),
            Standing::Ended(_) => (Vec::new(), Some((CLOSE_EXPIRED, "expired"))),
        };
        for mut f in frames.into_iter().skip(self.sent) {
            if at > 0 {
                f["at"] = json!(at);
            }
            if !send(socket, f).await {
                return Err(());
            }
            self.sent += 1;
        }
        Ok(end)
    }
}
