//! QR-code and push login over HTTP, on SQLite and PostgreSQL: the whole QR flow with the
//! callback JWT, token exchange, JWKS, introspection and revocation; number matching, expiry,
//! device binding, replay, start validation, push-bombing limits and the web socket.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::SinkExt;
use idgate_core::jose::Jwks;
use idgate_core::login::AccessTokenClaims;
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::login_support::*;

#[tokio::test]
async fn login_qr_flow_token_exchange_and_replay() {
    for b in BACKENDS {
        let mut e = env(b).await;
        let d = e.device(CPF_A, None).await;
        let (st, v) = e.start(json!({"username": CPF_A})).await;
        assert_eq!(st, 200, "{b:?} {v}");
        for k in [
            "challenge",
            "client_name",
            "short_token",
            "ws_token",
            "can_notify",
            "notified",
            "qr_code",
            "environment",
            "auth_ttl",
        ] {
            assert!(v.get(k).is_some(), "{k} in {v}");
        }
        assert_eq!(
            (v["client_name"].as_str(), v["auth_ttl"].as_i64()),
            (Some("Portal Alpha"), Some(300))
        );
        assert_eq!(
            (v["can_notify"].as_bool(), v["notified"].as_bool()),
            (Some(true), Some(false))
        );
        assert_eq!(v["environment"], "production");
        let short = v["short_token"].as_str().unwrap().to_owned();
        assert_eq!(
            v["qr_code"],
            format!("{}/authenticator#t={short}", e.s.base)
        );
        let (st, o) = e.open(&d, &short).await;
        assert_eq!(st, 200, "{o}");
        assert_eq!(o["client_name"], "Portal Alpha");
        assert!(o["choices"]
            .as_array()
            .unwrap()
            .contains(&json!(challenge_of(&v))));
        let (st, r) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!((st, r["status"].as_str()), (200, Some("approved")), "{r}");
        let cb = e.next_callback().await;
        assert_eq!(cb["short_token"], short.as_str());
        let jwt = cb["token"].as_str().unwrap().to_owned();
        let (st, t) = e.token(&jwt).await;
        assert_eq!(st, 200, "{t}");
        assert_eq!(
            (t["token_type"].as_str(), t["expires_in"].as_i64()),
            (Some("Bearer"), Some(3600))
        );
        assert_eq!(
            (t["scope"].as_str(), t["username"].as_str()),
            (Some("authentication_session"), Some("52998224725"))
        );
        let (_, jwks) =
            e.s.call(Method::GET, "/.well-known/jwks.json", "", None)
                .await;
        let jwks: Jwks = serde_json::from_value(jwks).unwrap();
        let at = t["access_token"].as_str().unwrap();
        let claims =
            AccessTokenClaims::verify(&jwks.public_keys(), at, &e.s.base, &e.client_id, e.now_s())
                .unwrap();
        assert_eq!(claims.sub, "52998224725");
        // Replay of the callback JWT.
        let (st, r) = e.token(&jwt).await;
        assert_eq!(
            (st, r["error"].as_str()),
            (400, Some("invalid_grant")),
            "{r}"
        );
        // Foreign and malformed tokens.
        let (st, r) = e.token("a.b.c").await;
        assert_eq!((st, r["error"].as_str()), (401, Some("invalid_token")));
        let (st, _) = e.s.call(Method::GET, "/oauth/token", "", None).await;
        assert_eq!(st, 401);
        // Introspection and revocation (RFC 7662 / 7009).
        let (st, i) = e.form("/oauth/introspect", at).await;
        assert_eq!(
            (st, i["active"].as_bool(), i["username"].as_str()),
            (200, Some(true), Some("52998224725"))
        );
        let (st, _) = e.form("/oauth/revoke", at).await;
        assert_eq!(st, 200);
        let (_, i) = e.form("/oauth/introspect", at).await;
        assert_eq!(i["active"], false);
        let (_, i) = e.form("/oauth/introspect", "junk").await;
        assert_eq!(i["active"], false);
        e.s.stop().await;
    }
}

#[tokio::test]
async fn login_wrong_number_is_final_and_expiry_and_device_binding() {
    for b in BACKENDS {
        let mut e = env(b).await;
        let d = e.device(CPF_A, None).await;
        let other = e.device(CPF_B, None).await;
        // Wrong number → denied, and never approved later.
        let (_, v) = e.start(json!({"username": CPF_A})).await;
        let short = v["short_token"].as_str().unwrap().to_owned();
        let (_, o) = e.open(&d, &short).await;
        let (st, r) = e
            .decide(
                &d,
                &short,
                "approve",
                wrong(&o["choices"], challenge_of(&v)),
            )
            .await;
        assert_eq!(
            (st, r["status"].as_str(), r["deny_reason"].as_str()),
            (200, Some("denied"), Some("wrong_number"))
        );
        let (st, r) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (403, Some("login_denied")),
            "{r}"
        );
        // A device enrolled for another username is refused, even with the right number.
        let (_, v) = e.start(json!({"username": CPF_A})).await;
        let short = v["short_token"].as_str().unwrap().to_owned();
        let (st, r) = e.open(&other, &short).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{r}"
        );
        let (st, _) = e.decide(&other, &short, "approve", challenge_of(&v)).await;
        assert_eq!(st, 403);
        // A bad signature is refused.
        let (st, r) = e
            .decide(&d, &format!("{short}x"), "approve", challenge_of(&v))
            .await;
        assert_eq!(st, 404, "{r}");
        // Approval after auth_ttl → expired (enforced on read, before any sweep).
        e.s.clock.advance_ms(301_000);
        let (st, r) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!(
            (st, r["error"]["code"].as_str()),
            (410, Some("login_expired")),
            "{r}"
        );
        let (st, _) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!(st, 410);
        assert!(
            e.callback.rx.try_recv().is_err(),
            "no callback for a denied or expired login"
        );
        e.s.stop().await;
    }
}

#[tokio::test]
async fn login_start_validation_errors() {
    for b in BACKENDS {
        let e = env(b).await;
        let cases: Vec<(Value, u16, &str, &str)> = vec![
            (
                json!({"callback_url": "https://evil.example/cb"}),
                400,
                "invalid_request",
                "callback_url",
            ),
            (
                json!({"username": CPF_A, "lifetime": 604_801}),
                400,
                "invalid_request",
                "lifetime",
            ),
            (
                json!({"username": CNPJ, "lifetime": 2_592_001}),
                400,
                "invalid_request",
                "lifetime",
            ),
            (json!({"lifetime": 0}), 400, "invalid_request", "lifetime"),
            (
                json!({"username": "529.982.247-24"}),
                400,
                "invalid_request",
                "username",
            ),
            (
                json!({"username": "11.222.333/0001-82"}),
                400,
                "invalid_request",
                "username",
            ),
            (json!({"scope": "admin"}), 400, "invalid_scope", "scope"),
            (json!({"client_secret": "wrong"}), 401, "invalid_client", ""),
            (json!({"client_id": "nope"}), 401, "invalid_client", ""),
        ];
        for (extra, status, code, field) in cases {
            let (st, v) = e.start(extra.clone()).await;
            assert_eq!(
                (st, v["error"].as_str()),
                (status, Some(code)),
                "{b:?} {extra} {v}"
            );
            if !field.is_empty() {
                assert_eq!(v["errors"][0]["field"], field, "{v}");
            }
        }
        let (st, v) = e
            .start(json!({"username": CNPJ, "lifetime": 2_592_000}))
            .await;
        assert_eq!(st, 200, "PJ may have 30 days: {v}");
        let (st, v) = e
            .start(json!({"username": "12.ABC.345/01DE-35", "lifetime": 2_592_000}))
            .await;
        assert_eq!(st, 200, "alphanumeric CNPJ: {v}");
        let (st, v) = e
            .start(json!({"username": "bad", "lifetime": 0, "scope": "admin"}))
            .await;
        assert_eq!(
            (st, v["errors"].as_array().map(Vec::len)),
            (400, Some(3)),
            "all at once: {v}"
        );
        let (st, v) = e.s.call(Method::POST, "/oauth/start", "", None).await;
        assert_eq!((st, v["error"].as_str()), (401, Some("invalid_client")));
        e.s.stop().await;
    }
}

#[tokio::test]
async fn login_push_bombing_limits() {
    for b in BACKENDS {
        let e = env(b).await;
        let mut push = receiver(201).await;
        let d = e.device(CPF_A, Some(&push.url)).await;
        let mut shorts = Vec::new();
        for _ in 0..3 {
            let (st, v) = e.start(json!({"username": CPF_A})).await;
            assert_eq!((st, v["notified"].as_bool()), (200, Some(true)), "{v}");
            let (h, body) = push.rx.recv().await.unwrap();
            assert_eq!(h["content-encoding"], "aes128gcm");
            assert!(h["authorization"].to_str().unwrap().starts_with("vapid t="));
            assert!(body.len() > 86);
            shorts.push(v["short_token"].as_str().unwrap().to_owned());
        }
        // Fourth live push for the username: refused, the start still works for the QR code.
        let (st, v) = e.start(json!({"username": CPF_A})).await;
        assert_eq!((st, v["notified"].as_bool()), (200, Some(false)), "{v}");
        let fourth = v["short_token"].as_str().unwrap().to_owned();
        let (st, r) = e.notify(CPF_A, &fourth).await;
        assert_eq!(
            (st, r["error"].as_str(), r["errors"][0]["code"].as_str()),
            (429, Some("rate_limited"), Some("too_many_pending")),
            "{r}"
        );
        // Three denials start a cooldown.
        for s in &shorts {
            e.open(&d, s).await;
            let (st, _) = e.decide(&d, s, "deny", 0).await;
            assert_eq!(st, 200);
        }
        let (st, r) = e.notify(CPF_A, &fourth).await;
        assert_eq!(
            (st, r["errors"][0]["code"].as_str()),
            (429, Some("cooldown_after_denials")),
            "{r}"
        );
        let login =
            e.s.running
                .state
                .store
                .login_by_short_token(&idgate_core::login::hash_token(&fourth))
                .await
                .unwrap();
        let events =
            e.s.running
                .state
                .store
                .login_events(&e.s.a.id, &login.id)
                .await
                .unwrap();
        let refused = events
            .iter()
            .filter(|x| x.kind == "login.push_refused")
            .count();
        assert_eq!(refused, 3, "each refusal is audited");
        // After the cooldown, pushes flow again; then the per-client rate limit holds.
        e.s.clock.advance_ms(3_601_000);
        for i in 0..6 {
            let (_, v) = e.start(json!({"username": CPF_A})).await;
            let short = v["short_token"].as_str().unwrap().to_owned();
            if i < 5 {
                assert_eq!(v["notified"], true, "push {i}: {v}");
                let _ = push.rx.recv().await;
                e.open(&d, &short).await;
                let (_, o) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
                assert_eq!(o["status"], "approved");
            } else {
                assert_eq!(v["notified"], false);
                let (st, r) = e.notify(CPF_A, &short).await;
                assert_eq!(
                    (st, r["errors"][0]["code"].as_str()),
                    (429, Some("push_rate_limited")),
                    "{r}"
                );
            }
        }
        e.s.stop().await;
    }
}

#[tokio::test]
async fn login_websocket_frames_and_close_codes() {
    for b in BACKENDS {
        let mut e = env(b).await;
        let d = e.device(CPF_A, None).await;
        let (_, v) = e.start(json!({})).await;
        let short = v["short_token"].as_str().unwrap().to_owned();
        let url = format!("{}/oauth/ws", e.s.base.replace("http://", "ws://"));
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::text(
            json!({"type": "auth", "ws_token": v["ws_token"]}).to_string(),
        ))
        .await
        .unwrap();
        let hello = next_json(&mut ws).await;
        assert_eq!(
            (hello["type"].as_str(), hello["status"].as_str()),
            (Some("status"), Some("pending")),
            "{hello}"
        );
        e.open(&d, &short).await;
        assert_eq!(next_json(&mut ws).await["type"], "scanned");
        e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!(next_json(&mut ws).await["type"], "approved");
        assert_eq!(next_json(&mut ws).await["close"], 1000);
        let _ = e.next_callback().await;
        // Unknown token and malformed first frame.
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::text(
            json!({"type": "auth", "ws_token": "nope"}).to_string(),
        ))
        .await
        .unwrap();
        assert_eq!(next_json(&mut ws).await["close"], 4401);
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::text("hello")).await.unwrap();
        assert_eq!(next_json(&mut ws).await["close"], 4400);
        // Expiry reaches an open socket at the next heartbeat.
        let (_, v) = e.start(json!({})).await;
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::text(
            json!({"type": "auth", "ws_token": v["ws_token"]}).to_string(),
        ))
        .await
        .unwrap();
        assert_eq!(next_json(&mut ws).await["status"], "pending");
        e.s.clock.advance_ms(301_000);
        assert_eq!(next_json(&mut ws).await["type"], "expired");
        e.s.stop().await;
    }
}

#[tokio::test]
async fn authenticator_socket_gets_its_persons_pushes_only() {
    for b in BACKENDS {
        let e = env(b).await;
        let (a, other) = (e.device(CPF_A, None).await, e.device(CPF_B, None).await);
        let mut ws_a = device_socket(&e, &a, None).await;
        assert_eq!(next_json(&mut ws_a).await["type"], "ready", "{b:?}");
        let mut ws_b = device_socket(&e, &other, None).await;
        assert_eq!(next_json(&mut ws_b).await["type"], "ready");
        // A push to A's person reaches A's socket, with what the approval page needs.
        let (_, v) = e.start(json!({})).await;
        let short = v["short_token"].as_str().unwrap();
        let (status, _) = e.notify(CPF_A, short).await;
        assert_eq!(status, 200);
        let f = next_json(&mut ws_a).await;
        assert_eq!(f["type"], "login_request", "{f}");
        assert_eq!(f["short_token"], short);
        assert_eq!(f["url"], v["qr_code"]);
        assert!(f["expires_in"].as_i64().unwrap() > 0);
        // B's socket sees only B's person's login (A's was never sent to it).
        let (_, w) = e.start(json!({"username": CPF_B})).await;
        let f = next_json(&mut ws_b).await;
        assert_eq!(
            (f["type"].as_str(), f["short_token"].as_str()),
            (Some("login_request"), w["short_token"].as_str()),
            "{b:?} {f}"
        );
        // A signature by another device's key, and a malformed answer, are refused.
        let mut ws = device_socket(&e, &a, Some(&other)).await;
        assert_eq!(next_json(&mut ws).await["close"], 4401);
        let url = format!("{}/authenticator/ws", e.s.base.replace("http://", "ws://"));
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let _ = next_json(&mut ws).await;
        ws.send(Message::text("hello")).await.unwrap();
        assert_eq!(next_json(&mut ws).await["close"], 4400);
        e.s.stop().await;
    }
}

#[tokio::test]
async fn sockets_follow_logins_changed_on_another_node() {
    // Two nodes on one PostgreSQL database: changes made through node 1 reach sockets held
    // by node 2 through LISTEN/NOTIFY.
    let mut e = env(idgate_store::Backend::Postgres).await;
    let db = e.s.running.state.cfg.database_url.clone();
    let dir = std::env::temp_dir().join(format!("idgate-node2-{}", uuid::Uuid::new_v4().simple()));
    let node2 = idgate_server::server::start(
        crate::common::config(db, &dir),
        std::sync::Arc::new(e.s.clock.clone()),
    )
    .await
    .expect("second node starts");
    let base2 = format!("ws://{}", node2.addr);
    let d = e.device(CPF_A, None).await;
    // the authenticator listens on node 2
    let (mut dev_ws, _) = tokio_tungstenite::connect_async(format!("{base2}/authenticator/ws"))
        .await
        .unwrap();
    let challenge = next_json(&mut dev_ws).await;
    let msg = json!({"action": "listen", "nonce": challenge["nonce"]}).to_string();
    let sig = URL_SAFE_NO_PAD.encode(d.key.sign(msg.as_bytes()));
    dev_ws
        .send(Message::text(
            json!({"type": "auth", "device_id": d.id, "signature": sig}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut dev_ws).await["type"], "ready");
    // the integrator's page follows the login on node 2; everything else goes to node 1
    let (_, v) = e.start(json!({})).await;
    let short = v["short_token"].as_str().unwrap().to_owned();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{base2}/oauth/ws"))
        .await
        .unwrap();
    ws.send(Message::text(
        json!({"type": "auth", "ws_token": v["ws_token"]}).to_string(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "status");
    assert_eq!(e.notify(CPF_A, &short).await.0, 200);
    let f = next_json(&mut dev_ws).await;
    assert_eq!(
        (f["type"].as_str(), f["short_token"].as_str()),
        (Some("login_request"), Some(short.as_str())),
        "{f}"
    );
    e.open(&d, &short).await;
    assert_eq!(next_json(&mut ws).await["type"], "scanned");
    e.decide(&d, &short, "approve", challenge_of(&v)).await;
    assert_eq!(next_json(&mut ws).await["type"], "approved");
    let _ = e.next_callback().await;
    node2.stop().await;
    e.s.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_revoked_device_loses_its_socket_and_cannot_approve() {
    for b in BACKENDS {
        let e = env(b).await;
        let d = e.device(CPF_A, None).await;
        let mut ws = device_socket(&e, &d, None).await;
        assert_eq!(next_json(&mut ws).await["type"], "ready", "{b:?}");
        let store = &e.s.running.state.store;
        let listed = idgate_server::app::credentials::list_devices(store, &e.s.a.id, None)
            .await
            .unwrap();
        assert_eq!(listed[0]["device_id"], d.id.as_str(), "{listed}");
        idgate_server::app::credentials::revoke_device(store, e.now_s() * 1000, &e.s.a.id, &d.id)
            .await
            .unwrap();
        // the open socket closes at its next heartbeat
        assert_eq!(next_json(&mut ws).await["close"], 4401, "{b:?}");
        // and the device can no longer open a login
        let (_, v) = e.start(json!({})).await;
        let (st, _) = e.open(&d, v["short_token"].as_str().unwrap()).await;
        assert!((400..500).contains(&st), "{st}");
        e.s.stop().await;
    }
}
