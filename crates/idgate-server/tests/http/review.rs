//! Deciding sessions by hand over HTTP, on SQLite and PostgreSQL: a review approves or rejects a
//! session in manual analysis (reviewer and reason on the decision, `session.reviewed` then
//! `session.completed` to the webhook, an audit row; 409 from every other status; the QI facade
//! shows the final status), and sandbox outcomes complete a sandbox session without captures
//! through the real transitions (403 on a live tenant).

use idgate_server::app::admin;
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{bearer, start, TestServer};
use crate::flow::{code, session, step};
use crate::webhooks::Receiver;

const CPF: &str = "529.982.247-25";

async fn post(s: &TestServer, key: &str, path: &str, body: Value) -> (u16, Value) {
    s.call(Method::POST, path, &bearer(key), Some(&body)).await
}

/// A tenant-A session left in manual analysis: a device scan alone checks no identity.
async fn in_manual_analysis(s: &TestServer, id: &str) {
    let page = session(s, id, CPF, json!([{"step": "device_scan"}])).await;
    let (st, v) = step(s, &page, "device_scan", json!({})).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (200, Some("in_manual_analysis")),
        "{v}"
    );
}

async fn types_for(rx: &Receiver, n: usize, id: &str) -> Vec<String> {
    rx.wait_for(n)
        .await
        .iter()
        .map(|d| serde_json::from_str::<Value>(&d.body).unwrap())
        .filter(|b| b["data"]["session"]["id"] == id)
        .map(|b| b["type"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) async fn hooked(s: &TestServer, tenant: &str) -> Receiver {
    let rx = Receiver::default();
    let addr = rx.serve("127.0.0.1:0".parse().unwrap()).await;
    let st = &s.running.state;
    admin::add_webhook(
        &st.store,
        &st.keys,
        st.now(),
        tenant,
        &format!("http://{addr}/hook"),
        &[],
        true,
    )
    .await
    .unwrap();
    rx
}

#[tokio::test]
async fn a_review_decides_a_session_in_manual_analysis() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let rx = hooked(&s, &s.a.id.clone()).await;
        in_manual_analysis(&s, "r1").await;
        let body = json!({"decision": "approved", "reason": "document checked by hand", "note": "call made"});
        let (st, v) = post(&s, &s.a.key, "/v1/verification-sessions/r1/review", body).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["status"], "approved");
        let review = &v["decision"]["review"];
        assert_eq!(
            (&review["decision"], &review["reason"], &review["note"]),
            (
                &json!("approved"),
                &json!("document checked by hand"),
                &json!("call made")
            )
        );
        let prefix = s.a.key.split('_').nth(1).unwrap();
        assert_eq!(review["reviewer"], format!("api_key:idg_{prefix}"));
        assert!(
            !review
                .to_string()
                .contains(s.a.key.rsplit('_').next().unwrap()),
            "no secret"
        );
        // the automatic reasons stay beside the review
        assert_eq!(v["decision"]["reasons"][0]["code"], "identity_not_checked");
        // the webhook hears reviewed, then completed (after what the flow sent)
        let types = types_for(&rx, 7, "r1").await;
        let tail: Vec<&str> = types
            .iter()
            .rev()
            .take(2)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(tail, ["session.reviewed", "session.completed"], "{types:?}");
        let kinds = s.event_kinds("r1").await;
        assert_eq!(
            &kinds[kinds.len() - 2..],
            ["session.reviewed", "session.completed"]
        );
        // one audit row says who and why
        let audit = s.running.state.store.audit_events(&s.a.id).await.unwrap();
        let row = audit
            .iter()
            .find(|a| a.subject == "r1" && a.kind == "session.reviewed")
            .unwrap();
        assert!(
            row.detail.contains("document checked by hand"),
            "{}",
            row.detail
        );
        // the QI facade shows the final status
        let (st, qi) = s
            .call(
                Method::GET,
                "/auth_session_manager/auth_session/r1",
                &s.a.key,
                None,
            )
            .await;
        assert_eq!((st, &qi["status"]), (200, &json!("approved")));
        // a second review: the session is no longer in manual analysis
        let again = json!({"decision": "rejected", "reason": "changed my mind"});
        let (st, v) = post(&s, &s.a.key, "/v1/verification-sessions/r1/review", again).await;
        assert_eq!((st, code(&v)), (409, "invalid_state_transition"), "{v}");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_review_rejects_and_is_refused_elsewhere() {
    for backend in BACKENDS {
        let s = start(backend).await;
        in_manual_analysis(&s, "r2").await;
        let reject = json!({"decision": "rejected", "reason": "the selfie is of someone else"});
        let (st, v) = post(
            &s,
            &s.a.key,
            "/v1/verification-sessions/r2/review",
            reject.clone(),
        )
        .await;
        assert_eq!((st, v["status"].as_str()), (200, Some("rejected")), "{v}");
        // from pending, canceled: 409; another tenant's session: 404
        session(&s, "r3", CPF, json!([{"step": "device_scan"}])).await;
        let (st, v) = post(
            &s,
            &s.a.key,
            "/v1/verification-sessions/r3/review",
            reject.clone(),
        )
        .await;
        assert_eq!((st, code(&v)), (409, "invalid_state_transition"), "{v}");
        let (st, _) = s
            .call(
                Method::POST,
                "/v1/verification-sessions/r3/cancel",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(st, 200);
        let (st, _) = post(
            &s,
            &s.a.key,
            "/v1/verification-sessions/r3/review",
            reject.clone(),
        )
        .await;
        assert_eq!(st, 409);
        in_manual_analysis(&s, "r4").await;
        let (st, v) = post(&s, &s.b.key, "/v1/verification-sessions/r4/review", reject).await;
        assert_eq!((st, code(&v)), (404, "not_found"), "{v}");
        // every bad field is named at once
        let (st, v) = post(
            &s,
            &s.a.key,
            "/v1/verification-sessions/r4/review",
            json!({"decision": "in_manual_analysis", "reason": " ", "x": 1}),
        )
        .await;
        assert_eq!((st, code(&v)), (422, "validation_failed"), "{v}");
        let fields: Vec<&str> = v["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        for f in ["decision", "reason", "x"] {
            assert!(fields.contains(&f), "{f} in {v}");
        }
        let long = json!({"decision": "approved", "reason": "x".repeat(201)});
        let (st, _) = post(&s, &s.a.key, "/v1/verification-sessions/r4/review", long).await;
        assert_eq!(st, 422);
        // nothing of that changed the session
        let (_, v) = s
            .call(
                Method::GET,
                "/v1/verification-sessions/r4",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(v["status"], "in_manual_analysis");
        s.stop().await;
    }
}

#[tokio::test]
async fn sandbox_outcomes_run_the_real_transitions() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let rx = hooked(&s, &s.sandbox.id.clone()).await;
        let create = |id: &str| json!({"id": id, "document_number": CPF});
        for (id, outcome, reasons) in [
            ("sim-ok", "approved", json!([])),
            (
                "sim-no",
                "rejected",
                json!(["face_mismatch", "document_expired"]),
            ),
            (
                "sim-hm",
                "in_manual_analysis",
                json!(["document_cpf_unread"]),
            ),
        ] {
            let (st, _) = post(&s, &s.sandbox.key, "/v1/verification-sessions", create(id)).await;
            assert_eq!(st, 201);
            let path = format!("/v1/verification-sessions/{id}/simulate");
            let (st, v) = post(
                &s,
                &s.sandbox.key,
                &path,
                json!({"outcome": outcome, "reasons": reasons}),
            )
            .await;
            assert_eq!((st, v["status"].as_str()), (200, Some(outcome)), "{v}");
            assert_eq!(v["decision"]["simulated"], true);
            let codes: Vec<&str> = v["decision"]["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["code"].as_str().unwrap())
                .collect();
            assert_eq!(json!(codes), reasons);
            let (_, again) = post(&s, &s.sandbox.key, &path, json!({"outcome": outcome})).await;
            assert_eq!(code(&again), "invalid_state_transition", "completed once");
        }
        // each went created → in_progress → processing → completed, to the webhook too
        let types = types_for(&rx, 12, "sim-no").await;
        assert_eq!(
            types,
            [
                "session.created",
                "session.in_progress",
                "session.processing",
                "session.completed"
            ]
        );
        // a simulated manual analysis can then be reviewed like a real one
        let (st, v) = post(
            &s,
            &s.sandbox.key,
            "/v1/verification-sessions/sim-hm/review",
            json!({"decision": "approved", "reason": "ok"}),
        )
        .await;
        assert_eq!((st, v["status"].as_str()), (200, Some("approved")), "{v}");
        // a live tenant: 403; bad input: 422
        let (_, _) = post(&s, &s.a.key, "/v1/verification-sessions", create("live")).await;
        let (st, v) = post(
            &s,
            &s.a.key,
            "/v1/verification-sessions/live/simulate",
            json!({"outcome": "approved"}),
        )
        .await;
        assert_eq!((st, code(&v)), (403, "forbidden"), "{v}");
        post(
            &s,
            &s.sandbox.key,
            "/v1/verification-sessions",
            create("sim-bad"),
        )
        .await;
        for body in [
            json!({"outcome": "approved", "reasons": ["face_mismatch"]}),
            json!({"outcome": "rejected", "reasons": ["not_a_code"]}),
            json!({"outcome": "expired"}),
            json!({}),
        ] {
            let (st, v) = post(
                &s,
                &s.sandbox.key,
                "/v1/verification-sessions/sim-bad/simulate",
                body.clone(),
            )
            .await;
            assert_eq!((st, code(&v)), (422, "validation_failed"), "{body} → {v}");
        }
        s.stop().await;
    }
}
