//! The uqudo web socket and result: a desktop socket follows the phone through the hosted flow
//! (SCAN, FACE, INFO in order), the result JWS verifies against the JWKS with `aud`, `jti`,
//! `nonce` and the document's fields, images are tenant-scoped and audited; bad first frames
//! and unknown codes close with their codes; a socket on one node follows a phone on another.

use futures_util::SinkExt;
use reqwest::Method;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::*;
use crate::flow::{document, image_side, rg_with_portrait};
use crate::liveness::{face_step, her_face};

async fn opened(base: &str, qr: &str) -> Ws {
    let mut ws = socket(base).await;
    ws.send(Message::text(qr.to_owned())).await.unwrap();
    let hello = next(&mut ws).await;
    assert_eq!(hello["service"], "QR", "{hello}");
    assert!(
        hello["svg"].as_str().unwrap().starts_with("<?xml")
            || hello["svg"].as_str().unwrap().contains("<svg")
    );
    assert!(hello["link"].as_str().unwrap().ends_with(qr));
    ws
}

#[tokio::test]
async fn first_frames_that_are_not_a_live_code_close_the_socket() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let mut ws = socket(&u.s.base).await;
        ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
        assert_eq!(next(&mut ws).await, json!({"close": 4400}));
        let mut ws = socket(&u.s.base).await;
        ws.send(Message::text("x".repeat(300))).await.unwrap();
        assert_eq!(next(&mut ws).await, json!({"close": 4400}));
        let mut ws = socket(&u.s.base).await;
        ws.send(Message::text("unknown-code")).await.unwrap();
        assert_eq!(next(&mut ws).await, json!({"close": 4401}));
        // a deleted code closes an open socket
        let (_, qr, _) = u.session(json!({})).await;
        let mut ws = opened(&u.s.base, &qr).await;
        u.s.call(Method::DELETE, &format!("/api/v1/session/{qr}"), "", None)
            .await;
        assert_eq!(next(&mut ws).await, json!({"close": 4401}));
        u.s.stop().await;
    }
}

/// Walks the phone through the document and face steps while `ws` follows; checks the frames.
async fn walk(u: &Uq, ws: &mut Ws, page: &str) {
    let (st, v) = document(&u.s, page, "rg", &image_side(&rg_with_portrait(her_face()))).await;
    assert_eq!(st, 200, "{v}");
    let scan = next(ws).await;
    // a frame sent because of a change says when that change was committed
    assert!(scan["at"].as_i64().is_some_and(|at| at > 0), "{scan}");
    assert_eq!(
        (&scan["service"], &scan["documentType"], &scan["side"]),
        (&json!("SCAN"), &json!("BRA_RG"), &json!("front")),
        "{scan}"
    );
    let (st, v) = face_step(&u.s, page).await;
    assert_eq!(st, 200, "{v}");
    let face = next(ws).await;
    assert_eq!(
        (&face["service"], &face["match"]),
        (&json!("FACE"), &json!(true)),
        "{face}"
    );
    assert!(face["matchLevel"].as_i64().unwrap() >= 2, "{face}");
    let info = next(ws).await;
    // no CPF to compare (the door has none): the RG with her portrait is approved
    assert_eq!(
        (&info["service"], &info["status"]),
        (&json!("INFO"), &json!("approved")),
        "{info}"
    );
    assert_eq!(next(ws).await, json!({"close": 1000}));
}

#[tokio::test]
async fn the_desktop_follows_the_phone_and_gets_a_signed_result() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let (id, qr, _) = u.session(json!({"nonce": "n-42"})).await;
        let mut ws = opened(&u.s.base, &qr).await;
        let page = phone(&u, &qr).await;
        walk(&u, &mut ws, &page).await;
        let ta = u.token_of(&u.a).await;
        let res =
            u.s.http
                .get(format!("{}/api/v1/info/{id}", u.s.base))
                .header("authorization", &ta)
                .send()
                .await
                .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/jwt");
        let jws = res.text().await.unwrap();
        let (h, c) = verified(&u.s.http, &u.s.base, &jws).await;
        assert!(h["kid"].is_string());
        // the root JWKS carries the same keys (and the login keys besides)
        let root = format!("{}/.well-known/jwks.json", u.s.base);
        assert_eq!(verified_at(&u.s.http, &root, &jws).await.1, c);
        assert_eq!(
            (&c["aud"], &c["jti"], &c["nonce"]),
            (&json!(u.a.0), &json!(id), &json!("n-42")),
            "{c}"
        );
        let d = &c["data"]["documents"][0];
        assert_eq!(d["documentType"], "BRA_RG", "{d}");
        assert_eq!(d["scan"]["front"]["cpf"], "52998224725", "{d}");
        assert_eq!(
            (
                &d["face"]["match"],
                d["face"]["matchLevel"].as_i64().unwrap() >= 2
            ),
            (&json!(true), true),
            "{d}"
        );
        // the images behind the ids: A's, audited; not B's
        let front = d["scan"]["frontImageId"].as_str().unwrap();
        let selfie = d["scan"]["faceImageId"].as_str().unwrap();
        for img in [front, selfie] {
            let res =
                u.s.http
                    .get(format!("{}/api/v1/info/img/{img}", u.s.base))
                    .header("authorization", &ta)
                    .send()
                    .await
                    .unwrap();
            assert_eq!(res.status(), 200);
            assert!(res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/"));
            assert!(res.bytes().await.unwrap().len() > 1000);
        }
        let audits =
            u.s.running
                .state
                .store
                .audit_events(&u.s.a.id)
                .await
                .unwrap();
        let mut reads: Vec<&str> = audits
            .iter()
            .filter(|a| a.kind == "uqudo.image_read")
            .map(|a| a.subject.as_str())
            .collect();
        reads.sort_unstable();
        let mut want = [front, selfie];
        want.sort_unstable();
        assert_eq!(reads, want);
        let tb = u.token_of(&u.b).await;
        assert_eq!(
            u.get(&format!("/api/v1/info/img/{front}"), &tb).await.0,
            404
        );
        assert_eq!(u.get(&format!("/api/v1/info/{id}"), &tb).await.0, 404);
        // the header form, then delete
        let (st, _) = u.s.call(Method::GET, "/api/v1/info", &ta, None).await;
        assert_eq!(st, 404, "no UQ-Session-ID");
        let res =
            u.s.http
                .get(format!("{}/api/v1/info", u.s.base))
                .header("authorization", &ta)
                .header("uq-session-id", &id)
                .send()
                .await
                .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            u.s.call(Method::DELETE, &format!("/api/v1/info/{id}"), &ta, None)
                .await
                .0,
            204
        );
        assert_eq!(u.get(&format!("/api/v1/info/{id}"), &ta).await.0, 404);
        // a socket that connects after the end gets every frame, then closes
        let mut late = opened(&u.s.base, &qr).await;
        let kinds = [
            next(&mut late).await,
            next(&mut late).await,
            next(&mut late).await,
        ];
        let kinds: Vec<&str> = kinds
            .iter()
            .map(|f| f["service"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["SCAN", "FACE", "INFO"]);
        u.s.stop().await;
    }
}

#[tokio::test]
async fn a_socket_on_one_node_follows_a_phone_on_another() {
    let u = env(idgate_store::Backend::Postgres).await;
    let db = u.s.running.state.cfg.database_url.clone();
    let dir =
        std::env::temp_dir().join(format!("idgate-uq-node2-{}", uuid::Uuid::new_v4().simple()));
    let node2 = idgate_server::server::start(
        crate::common::config(db, &dir),
        std::sync::Arc::new(u.s.clock.clone()),
    )
    .await
    .expect("second node starts");
    let (_, qr, _) = u.session(json!({})).await;
    // the desktop's socket is on node 2; the phone and everything else on node 1
    let mut ws = opened(&format!("http://{}", node2.addr), &qr).await;
    let page = phone(&u, &qr).await;
    walk(&u, &mut ws, &page).await;
    node2.stop().await;
    u.s.stop().await;
}
