//! The server's edges over HTTP: the step route checks the link before it reads a body, and
//! bounds each step's body; JSON bodies of many tiny values are refused before parsing;
//! connections per address are capped; rate limits answer 429 + Retry-After in each route
//! family's format and refill with the (injected) clock; web sockets bound their messages and
//! their count per address.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use idgate_store::testing::BACKENDS;
use idgate_store::Backend;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{bearer, start, start_with, TestServer};
use crate::flow::session;

/// Sends `head` (a request without its body) on a new connection and returns the status line
/// of the answer. A server waiting for the body would never answer (the guard below fails).
async fn head_only(s: &TestServer, head: String) -> String {
    let mut tcp = TcpStream::connect(s.running.addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tcp.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&buf)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server answered without the body")
}

fn post_head(path: &str, len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
    )
}

#[tokio::test]
async fn step_route_checks_the_link_before_reading_the_body() {
    for b in BACKENDS {
        let s = start(b).await;
        // a wrong link is refused at once, with 26 MB announced and none sent
        let path = format!("/s/AAAAAAA/t/{}/steps/device_scan", uuid::Uuid::new_v4());
        let status = head_only(&s, post_head(&path, 26_000_000)).await;
        assert!(status.contains(" 404 "), "{status}");
        // a valid link's step past its limit is 413 in the /v1 format
        let url = session(
            &s,
            "edge-1",
            "529.982.247-25",
            json!([{"step": "device_scan"}]),
        )
        .await;
        let big = json!({"session_id": "x".repeat(100_000)});
        let (st, v) = s
            .raw(
                Method::POST,
                &format!("{url}/steps/device_scan"),
                "",
                big.to_string().into_bytes(),
            )
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (413, Some("payload_too_large")),
            "{v}"
        );
        // ... and a step that is not due is refused before its (large) body is read
        let status = head_only(
            &s,
            post_head(&format!("{url}/steps/personal_document"), 20_000_000),
        )
        .await;
        assert!(status.contains(" 404 "), "{status}");
        s.stop().await;
    }
}

#[tokio::test]
async fn face_step_body_is_bounded_by_its_own_limit() {
    let s = start_with(Backend::Sqlite, |c, _| {
        c.limits.face_step_body_bytes = 200_000
    })
    .await;
    let steps = json!([{"step": "face_recognition"}]);
    let url = session(&s, "edge-2", "529.982.247-25", steps).await;
    let body = json!({"image": "A".repeat(300_000)})
        .to_string()
        .into_bytes();
    let (st, v) = s
        .raw(
            Method::POST,
            &format!("{url}/steps/face_recognition"),
            "",
            body,
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{v}"
    );
    s.stop().await;
}

#[tokio::test]
async fn many_tiny_json_values_are_refused_before_parsing() {
    let s = start(Backend::Sqlite).await;
    // 100,000 zeros: 200 KB of body, well under the size limit
    let zeros = format!("[{}0]", "0,".repeat(100_000)).into_bytes();
    let (st, v) = s
        .raw(
            Method::POST,
            "/v1/verification-sessions",
            &bearer(&s.a.key),
            zeros.clone(),
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{v}"
    );
    // the vendor format on vendor routes
    let (st, v) = s
        .raw(
            Method::POST,
            "/auth_session_manager/auth_session",
            &s.a.key,
            zeros,
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (413, Some("payload_too_large")),
        "{v}"
    );
    s.stop().await;
}

#[tokio::test]
async fn connections_past_the_per_address_cap_get_503() {
    let s = start_with(Backend::Sqlite, |c, _| c.limits.max_connections_per_ip = 2).await;
    let _a = TcpStream::connect(s.running.addr).await.unwrap();
    let _b = TcpStream::connect(s.running.addr).await.unwrap();
    let mut c = TcpStream::connect(s.running.addr).await.unwrap();
    let mut answer = String::new();
    c.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    drop((_a, _b));
    s.stop().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let s = start_with(Backend::Sqlite, |c, _| {
        c.limits.header_read_timeout_ms = 200
    })
    .await;
    let mut tcp = TcpStream::connect(s.running.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    s.stop().await;
}

fn retry_after(res: &reqwest::Response) -> Option<u64> {
    res.headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[tokio::test]
async fn public_routes_are_limited_per_address_in_each_format() {
    for b in BACKENDS {
        let s = start_with(b, |c, _| {
            c.limits.ip_requests_per_second = 1;
            c.limits.ip_burst = 2;
        })
        .await;
        let get = |p: &str| s.http.get(format!("{}{p}", s.base)).send();
        assert_eq!(get("/.well-known/jwks.json").await.unwrap().status(), 200);
        assert_eq!(get("/.well-known/jwks.json").await.unwrap().status(), 200);
        let res = get("/.well-known/jwks.json").await.unwrap();
        assert_eq!((res.status().as_u16(), retry_after(&res)), (429, Some(1)));
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "rate_limited", "{v}");
        // the OAuth format on /oauth/*
        let (st, v) = s
            .call(Method::POST, "/oauth/start", "", Some(&json!({})))
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (429, Some("rate_limited")),
            "{v}"
        );
        // API-key routes are not limited per address; health checks never are
        let (st, _) = s
            .call(
                Method::GET,
                "/v1/verification-sessions",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(st, 200);
        assert_eq!(get("/healthz").await.unwrap().status(), 200);
        // a second later one more request is allowed
        s.clock.advance_ms(1_000);
        assert_eq!(get("/.well-known/jwks.json").await.unwrap().status(), 200);
        s.stop().await;
    }
}

#[tokio::test]
async fn api_keys_are_limited_per_tenant_in_the_vendor_format() {
    let s = start_with(Backend::Sqlite, |c, _| {
        c.limits.key_requests_per_second = 1;
        c.limits.key_burst = 1;
    })
    .await;
    let path = "/auth_session_manager/auth_session/nope";
    let (st, _) = s.call(Method::GET, path, &s.a.key, None).await;
    assert_eq!(st, 404);
    let res = s
        .http
        .get(format!("{}{path}", s.base))
        .header("authorization", &s.a.key)
        .send()
        .await
        .unwrap();
    assert_eq!((res.status().as_u16(), retry_after(&res)), (429, Some(1)));
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["code"].as_str(), v["title"].as_str()),
        (Some("rate_limited"), Some("Too many requests"))
    );
    // another tenant is not affected
    let (st, _) = s.call(Method::GET, path, &s.b.key, None).await;
    assert_eq!(st, 404);
    s.stop().await;
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match ws.next().await? {
            Ok(Message::Close(c)) => return c.map(|c| u16::from(c.code)),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn web_sockets_bound_messages_and_count_per_address() {
    let s = start_with(Backend::Sqlite, |c, _| {
        c.limits.ws_max_message_bytes = 4_096;
        c.limits.ws_max_frame_bytes = 4_096;
        c.limits.max_sockets_per_ip = 1;
    })
    .await;
    let url = format!("{}/oauth/ws", s.base.replace("http://", "ws://"));
    // one socket per address: the second upgrade is refused while the first is open
    let (mut first, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 429)
        }
        other => panic!("second socket: {:?}", other.map(|_| ())),
    }
    // a well-formed auth frame past the message limit is not read (an unbounded socket would
    // look the token up and close with 4401)
    let frame = json!({"type": "auth", "ws_token": "t".repeat(10_000)}).to_string();
    let _ = first.send(Message::text(frame)).await;
    assert_ne!(close_code(&mut first).await, Some(4401));
    s.stop().await;
}
