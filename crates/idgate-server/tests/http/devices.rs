//! The authenticator device's own requests, on SQLite and PostgreSQL: a signature is verified
//! before anything about the login is read (a forged request learns nothing and writes no
//! event); the person removes their device from the app with a signed request, and its open
//! socket closes at once; the app shell carries its Content-Security-Policy.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use idgate_core::jose::SigningKey;
use idgate_core::login::hash_token;
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Digest;

use crate::login_support::*;

async fn wrong_device_events(e: &LoginEnv, short: &str) -> usize {
    let st = &e.s.running.state;
    let login = st
        .store
        .login_by_short_token(&hash_token(short))
        .await
        .unwrap();
    let events = st.store.login_events(&e.s.a.id, &login.id).await.unwrap();
    events
        .iter()
        .filter(|ev| ev.kind == "login.wrong_device")
        .count()
}

#[tokio::test]
async fn a_forged_device_request_is_refused_before_the_login_is_read() {
    for b in BACKENDS {
        let e = env(b).await;
        let other = e.device(CPF_B, None).await;
        let (_, v) = e.start(json!({"username": CPF_A})).await;
        let short = v["short_token"].as_str().unwrap().to_owned();
        // another person's device id, signed with a key that is not its own
        let forged = Device {
            id: other.id.clone(),
            key: SigningKey::generate("x", &mut rand::rngs::OsRng),
        };
        let (st, r) = e.open(&forged, &short).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (401, Some("invalid_signature")),
            "{r}"
        );
        let (st, r) = e.decide(&forged, &short, "approve", challenge_of(&v)).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (401, Some("invalid_signature")),
            "{r}"
        );
        assert_eq!(wrong_device_events(&e, &short).await, 0, "{b:?}");
        // the real device, properly signed, is refused for another username and recorded
        let (st, r) = e.open(&other, &short).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{r}"
        );
        assert_eq!(wrong_device_events(&e, &short).await, 1);
        e.s.stop().await;
    }
}

async fn revoke(e: &LoginEnv, d: &Device, signer: &SigningKey, time: i64) -> (u16, Value) {
    let msg = format!(
        r#"{{"action":"revoke","device_id":"{}","time":{time}}}"#,
        d.id
    );
    let sig = URL_SAFE_NO_PAD.encode(signer.sign(msg.as_bytes()));
    let body = json!({"device_id": d.id, "time": time, "signature": sig});
    e.s.call(
        Method::POST,
        "/authenticator/api/devices/revoke",
        "",
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn a_person_removes_their_device_and_its_socket_closes_at_once() {
    for b in BACKENDS {
        // heartbeats far apart: the socket must close on the revocation, not at a heartbeat
        let e = env_with(b, |c, _| c.login.ws_heartbeat_ms = 3_600_000).await;
        let d = e.device(CPF_A, None).await;
        let mut ws = device_socket(&e, &d, None).await;
        assert_eq!(next_json(&mut ws).await["type"], "ready", "{b:?}");
        // another key, or a stale time, revokes nothing
        let stranger = SigningKey::generate("x", &mut rand::rngs::OsRng);
        let (st, r) = revoke(&e, &d, &stranger, e.now_s()).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (401, Some("invalid_signature")),
            "{r}"
        );
        let (st, _) = revoke(&e, &d, &d.key, e.now_s() - 3_600).await;
        assert_eq!(st, 401);
        let (_, v) = e.start(json!({"username": CPF_A})).await;
        let short = v["short_token"].as_str().unwrap().to_owned();
        assert_eq!(e.open(&d, &short).await.0, 200, "the device still works");
        // signed by the device itself: revoked, and its socket closes with 4401
        let (st, r) = revoke(&e, &d, &d.key, e.now_s()).await;
        assert_eq!((st, &r["revoked"]), (200, &json!(true)), "{r}");
        // (past the login request the socket was sent meanwhile)
        let closed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                let f = next_json(&mut ws).await;
                if f["type"] != "login_request" {
                    return f;
                }
            }
        });
        assert_eq!(closed.await.expect("socket closed")["close"], 4401);
        let (st, r) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (401, Some("invalid_signature")),
            "{r}"
        );
        assert_eq!(revoke(&e, &d, &d.key, e.now_s()).await.0, 401, "once");
        e.s.stop().await;
    }
}

#[tokio::test]
async fn the_authenticator_page_sends_a_csp_allowing_only_its_own_script_and_style() {
    let e = env(idgate_store::Backend::Sqlite).await;
    let res =
        e.s.http
            .get(format!("{}/authenticator", e.s.base))
            .send()
            .await
            .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    let style = html
        .split_once("<style>")
        .unwrap()
        .1
        .split_once("</style>")
        .unwrap()
        .0;
    let hash = STANDARD.encode(sha2::Sha256::digest(style));
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        &format!("style-src 'sha256-{hash}'"),
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }
    assert!(!html.contains("<script>"), "no inline script");
    e.s.stop().await;
}
