//! Web-socket bounds: the largest message and frame a client may send, small buffers (most
//! frames are a few hundred bytes), and the caps on open sockets per client address (checked
//! before the upgrade) and per tenant (checked once the socket has authenticated).

use std::marker::PhantomData;
use std::net::IpAddr;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use idgate_core::Code;

use super::clients::{client_ip, Counted};
use super::error::{ApiError, Fail, Family};
use crate::limits_config::LimitsConfig;
use crate::state::AppState;

/// Close code sent when the tenant already holds its most sockets (RFC 6455 "try again later").
pub const CLOSE_TRY_LATER: u16 = 1013;

/// `ws` with the configured message and frame limits and small buffers.
pub fn bounded(ws: WebSocketUpgrade, l: &LimitsConfig) -> WebSocketUpgrade {
    ws.max_message_size(l.ws_max_message_bytes)
        .max_frame_size(l.ws_max_frame_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(l.ws_max_message_bytes.max(64 * 1024))
}

/// One of the client address's web-socket slots, held while the socket is open; a client at
/// its cap gets `429 rate_limited` in the family's format instead of an upgrade.
pub struct SocketSlot<F>(pub Counted<IpAddr>, PhantomData<F>);

impl<F: Family> FromRequestParts<AppState> for SocketSlot<F> {
    type Rejection = Fail<F>;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let ip = client_ip(st, parts);
        match st.edge.sockets_per_ip.acquire(&ip) {
            Some(slot) => Ok(Self(slot, PhantomData)),
            None => Err(Fail::new(ApiError {
                retry_after: Some(5),
                ..ApiError::new(
                    Code::RateLimited,
                    "too many open web sockets from this address",
                )
            })),
        }
    }
}
