//! `facialRecognition.maxAttempts` on the phone, on SQLite and PostgreSQL: the face step allows
//! exactly that many liveness attempts (the tenant's default when the data has none); the
//! last failure ends the session as running out of attempts does (rejected, `liveness_failed`,
//! INFO on the desktop socket), and attempt N+1 is refused.

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::*;
use crate::flow::{document, image_side, rg_with_portrait, step, v1};
use crate::liveness::{her_face, jpeg, session_challenge};

/// The phone opens `qr` and scans the RG; returns the flow page path.
async fn past_the_document(u: &Uq, qr: &str) -> String {
    let page = phone(u, qr).await;
    let rg = image_side(&rg_with_portrait(her_face()));
    let (st, v) = document(&u.s, &page, "rg", &rg).await;
    assert_eq!(st, 200, "{v}");
    page
}

/// One liveness attempt that fails (a still photo, whatever the actions), after checking the
/// challenge says `left` attempts remain.
async fn failed_attempt(u: &Uq, page: &str, left: i64) -> (u16, Value) {
    let (st, c) = session_challenge(&u.s, page).await;
    assert_eq!((st, &c["attempts_left"]), (201, &json!(left)), "{c}");
    let still = b64(&jpeg(&her_face()));
    let frames: Vec<Value> = (0..12)
        .map(|i| json!({"image": still, "t_ms": i * 100}))
        .collect();
    let body = json!({"challenge_id": c["id"], "frames": frames});
    step(&u.s, page, "face_recognition", body).await
}

#[tokio::test]
async fn max_attempts_bounds_the_liveness_attempts_of_the_phone() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let face = |n: Value| json!({"facialRecognition": {"enabled": true, "maxAttempts": n}});
        // maxAttempts 2 (the tenant allows 3): one failure says one is left, the second ends it
        let (id, qr, _) = u.session(face(json!(2))).await;
        let mut ws = socket(&u.s.base).await;
        ws.send(Message::text(qr.clone())).await.unwrap();
        assert_eq!(next(&mut ws).await["service"], "QR");
        let page = past_the_document(&u, &qr).await;
        assert_eq!(next(&mut ws).await["service"], "SCAN");
        let (st, v) = failed_attempt(&u, &page, 2).await;
        assert_eq!((st, code(&v)), (422, "liveness_failed"), "{v}");
        assert_eq!(v["error"]["details"]["attempts_left"], 1, "{v}");
        let (st, v) = failed_attempt(&u, &page, 1).await;
        assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
        // attempt 3 is refused: the session is over
        let (st, c) = session_challenge(&u.s, &page).await;
        assert_eq!((st, code(&c)), (409, "invalid_state_transition"), "{c}");
        let got = v1(&u.s, &id).await;
        let reasons: Vec<&Value> = got["decision"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["code"])
            .collect();
        assert_eq!(reasons, [&json!("liveness_failed")], "{got}");
        let info = next(&mut ws).await;
        assert_eq!(
            (&info["service"], &info["status"]),
            (&json!("INFO"), &json!("rejected")),
            "{info}"
        );
        assert_eq!(next(&mut ws).await, json!({"close": 1000}));

        // maxAttempts 1: the first failure ends it
        let (_, qr, _) = u.session(face(json!(1))).await;
        let page = past_the_document(&u, &qr).await;
        let (st, v) = failed_attempt(&u, &page, 1).await;
        assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
        let (st, c) = session_challenge(&u.s, &page).await;
        assert_eq!((st, code(&c)), (409, "invalid_state_transition"), "{c}");

        // no maxAttempts: the tenant's policy (3)
        let data = json!({"documents": [{"documentType": "BRA_RG"}], "facialRecognition": {"enabled": true}});
        let t = u.token_of(&u.a).await;
        let (st, v) = u.create(&t, &STANDARD.encode(data.to_string())).await;
        assert_eq!(st, 200, "{v}");
        let page = past_the_document(&u, v["qrCodeText"].as_str().unwrap()).await;
        let (st, v) = failed_attempt(&u, &page, 3).await;
        assert_eq!(
            (st, &v["error"]["details"]["attempts_left"]),
            (422, &json!(2)),
            "{v}"
        );
        u.s.stop().await;
    }
}
