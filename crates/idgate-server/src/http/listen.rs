//! The accept loop: HTTP/1.1 connections served by hyper with a header-read timeout (which is
//! also the keep-alive idle time), a cap on open connections overall and per client address
//! (past either, the connection gets a bare `503` with `Retry-After` and is closed), the client's
//! address in each request (`ConnectInfo`), and a graceful stop that lets requests finish.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use super::clients::Counter;
use crate::limits_config::LimitsConfig;

/// Longest a stop waits for open connections to finish their requests.
const DRAIN: Duration = Duration::from_secs(10);

const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: 67\r\nconnection: close\r\n\r\n{\"error\":{\"code\":\"busy\",\"message\":\"too many open connections\"}}\n\n";

/// Serves `app` on `listener` until `stop` turns true, then drains open connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &LimitsConfig,
    mut stop: watch::Receiver<bool>,
) {
    let total = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(total));
    let per_ip = Arc::new(Counter::new(limits.max_connections_per_ip.max(1)));
    let header_timeout = Duration::from_millis(limits.header_read_timeout_ms.max(1));
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse(tcp);
            continue;
        };
        let Some(ip_slot) = per_ip.acquire(&peer.ip()) else {
            refuse(tcp);
            continue;
        };
        let app = app.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            serve_one(tcp, peer, app, header_timeout, stop).await;
            drop((slot, ip_slot));
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(total as u32)).await;
}

/// Answers a connection over the caps with a `503` if the socket takes it at once, and closes it.
fn refuse(tcp: TcpStream) {
    let _ = tcp.try_write(REFUSED);
}

async fn serve_one(
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req.map(axum::body::Body::new))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(64 * 1024);
    let conn = builder
        .serve_connection(TokioIo::new(tcp), svc)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the last address of
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(list) = forwarded else {
        return peer;
    };
    let mut last = peer;
    for hop in list.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last = ip,
            Ok(ip) => return ip,
            Err(_) => return last,
        }
    }
    last
}

/// Parses `limits.trusted_proxies` (IPs or CIDRs).
pub fn parse_proxies(list: &[String]) -> Result<Vec<ipnet::IpNet>, String> {
    list.iter()
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("limits.trusted_proxies: {s} is not an IP or CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_trusts_only_configured_proxies() {
        let proxies = parse_proxies(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // untrusted peer: its header is ignored
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &proxies),
            ip("203.0.113.9")
        );
        // trusted peer: the last untrusted hop
        assert_eq!(
            client_ip(
                ip("10.1.1.1"),
                Some("1.2.3.4, 198.51.100.7, 10.2.2.2"),
                &proxies
            ),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(ip("127.0.0.1"), None, &proxies), ip("127.0.0.1"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some("garbage"), &proxies),
            ip("127.0.0.1")
        );
        assert!(parse_proxies(&["nope".into()]).is_err());
    }
}
