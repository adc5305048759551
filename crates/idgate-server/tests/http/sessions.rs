//! The auth-session API over HTTP: the seed's create and get, every validation rule, idempotent
//! replay, renewal, expiry on read, the entry page and tenant isolation.

use std::collections::BTreeSet;

use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

const QI: &str = "/auth_session_manager/auth_session";
const V1: &str = "/v1/verification-sessions";
const CPF: &str = "529.982.247-25";

/// The seed's request body, byte for byte (trailing comma included).
pub const SEED_BODY: &str = r#"{
"id": "12345678",
"document_number": "111.111.111-11",
"settings": {
"steps": [
{
"step": "device_scan"
},
{
"step":"face_recognition",
},
{
"step":"personal_document",
"show_success_screen": true,
"show_introduction_screen": true,
"document_templates":[
"rg",
"cnh",
"cnh_digital"
]
}
],
"session_expiration_time_in_minutes": 120,
"token_expiration_seconds": 3600,
"open_mode": "iframe"
}
}"#;

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn seed_create_and_get() {
    for b in BACKENDS {
        let s = start(b).await;
        let (st, v) = s
            .raw(
                Method::POST,
                QI,
                &s.sandbox.key,
                SEED_BODY.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(st, 201, "{b:?} {v}");
        let want: BTreeSet<String> = [
            "id",
            "status",
            "expiration_date",
            "settings",
            "auth_session_hash",
            "step",
            "auth_session_url",
            "token",
            "token_expiration_date",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(keys(&v), want);
        assert_eq!(v["id"], "12345678");
        assert_eq!(v["status"], "pending");
        assert_eq!(v["step"], "device_scan");
        let token = v["token"].as_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(token).unwrap().get_version_num(), 4);
        let hash = v["auth_session_hash"].as_str().unwrap();
        assert_eq!(hash.len(), 7);
        assert_eq!(
            v["auth_session_url"],
            format!("{}/s/{hash}/t/{token}", s.base)
        );
        // T0 = 2025-12-06T05:46:40Z; +120 min and +3600 s, rendered at -03:00
        assert_eq!(v["expiration_date"], "2025-12-06T04:46:40-03:00");
        assert_eq!(v["token_expiration_date"], "2025-12-06T03:46:40-03:00");
        assert_eq!(v["settings"]["open_mode"], "iframe");
        assert_eq!(
            v["settings"]["steps"][2]["document_templates"],
            json!(["rg", "cnh", "cnh_digital"])
        );

        let (st, got) = s
            .call(Method::GET, &format!("{QI}/12345678"), &s.sandbox.key, None)
            .await;
        assert_eq!(st, 200);
        assert_eq!(got["step_data"], json!({}));
        assert_eq!(got["token"], v["token"]);
        // Bearer works on the vendor route too
        let (st, _) = s
            .call(
                Method::GET,
                &format!("{QI}/12345678"),
                &bearer(&s.sandbox.key),
                None,
            )
            .await;
        assert_eq!(st, 200);
        // a live tenant refuses the seed's repeated-digit CPF, in the vendor's error format
        let (st, e) = s
            .raw(Method::POST, QI, &s.a.key, SEED_BODY.as_bytes().to_vec())
            .await;
        assert_eq!(st, 422);
        assert_eq!(
            keys(&e),
            ["code", "description", "errors", "title", "translation"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        );
        assert_eq!(e["code"], "validation_failed");
        assert_eq!(e["errors"][0]["field"], "document_number");
        assert_eq!(e["errors"][0]["code"], "repeated_digits");
        s.stop().await;
    }
}

#[tokio::test]
async fn every_validation_rule_reported_at_once() {
    let long = "x".repeat(129);
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({}),
            vec![("id", "required"), ("document_number", "required")],
        ),
        (
            json!({"id": "", "document_number": CPF}),
            vec![("id", "empty")],
        ),
        (
            json!({"id": long, "document_number": CPF}),
            vec![("id", "too_long")],
        ),
        (
            json!({"id": 1, "document_number": CPF}),
            vec![("id", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": "529.982.247-26"}),
            vec![("document_number", "invalid_check_digits")],
        ),
        (
            json!({"id": "a", "document_number": "52998"}),
            vec![("document_number", "invalid_format")],
        ),
        (
            json!({"id": "a", "document_number": "111.111.111-11"}),
            vec![("document_number", "repeated_digits")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": []}),
            vec![("settings", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": []}}),
            vec![("settings.steps", "empty")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "x"}]}}),
            vec![("settings.steps[0].step", "invalid_value")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "device_scan"}, {"step": "device_scan"}]}}),
            vec![("settings.steps[1].step", "duplicate")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document"}]}}),
            vec![("settings.steps[0].document_templates", "required")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document", "document_templates": []}]}}),
            vec![("settings.steps[0].document_templates", "empty")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document", "document_templates": ["rg", "rg", "x"]}]}}),
            vec![
                ("settings.steps[0].document_templates[1]", "duplicate"),
                ("settings.steps[0].document_templates[2]", "invalid_value"),
            ],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document", "document_templates": ["rg"], "show_success_screen": 1, "show_introduction_screen": "no"}]}}),
            vec![
                ("settings.steps[0].show_success_screen", "invalid_type"),
                ("settings.steps[0].show_introduction_screen", "invalid_type"),
            ],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": 0}}),
            vec![("settings.token_expiration_seconds", "out_of_range")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": 172801}}),
            vec![("settings.token_expiration_seconds", "out_of_range")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": "1800"}}),
            vec![("settings.token_expiration_seconds", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"session_expiration_time_in_minutes": 0}}),
            vec![(
                "settings.session_expiration_time_in_minutes",
                "out_of_range",
            )],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"session_expiration_time_in_minutes": 43201}}),
            vec![(
                "settings.session_expiration_time_in_minutes",
                "out_of_range",
            )],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"open_mode": "popup"}}),
            vec![("settings.open_mode", "invalid_value")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "bogus": 1}),
            vec![("bogus", "unknown_field")],
        ),
        (
            json!({"id": "", "document_number": "1", "settings": {"steps": [], "open_mode": 2}}),
            vec![
                ("id", "empty"),
                ("document_number", "invalid_format"),
                ("settings.steps", "empty"),
                ("settings.open_mode", "invalid_value"),
            ],
        ),
    ];
    for b in BACKENDS {
        let s = start(b).await;
        let auth = bearer(&s.a.key);
        for (body, want) in &cases {
            let (st, v) = s.call(Method::POST, V1, &auth, Some(body)).await;
            assert_eq!(st, 422, "{body} -> {v}");
            assert_eq!(v["error"]["code"], "validation_failed");
            let mut got: Vec<(String, String)> = v["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["field"].as_str().unwrap().to_owned(),
                        d["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let mut want: Vec<(String, String)> = want
                .iter()
                .map(|(f, c)| (f.to_string(), c.to_string()))
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{body}");
        }
        // nothing was stored by any refused request
        let (_, list) = s.call(Method::GET, V1, &auth, None).await;
        assert_eq!(list["data"], json!([]));
        s.stop().await;
    }
}

#[tokio::test]
async fn malformed_oversized_and_unauthenticated() {
    for b in BACKENDS {
        let s = start(b).await;
        for (path, auth) in [(QI, s.a.key.clone()), (V1, bearer(&s.a.key))] {
            let (st, v) = s
                .raw(Method::POST, path, &auth, b"{\"id\": ".to_vec())
                .await;
            assert_eq!(st, 400, "{path} {v}");
            let code = if path == QI {
                &v["code"]
            } else {
                &v["error"]["code"]
            };
            assert_eq!(code, "invalid_json");
            let (st, _) = s.raw(Method::POST, path, &auth, Vec::new()).await;
            assert_eq!(st, 400);
            let big = format!("{{\"id\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
            let (st, v) = s.raw(Method::POST, path, &auth, big.into_bytes()).await;
            assert_eq!(st, 413, "{path} {v}");
            let (st, _) = s.raw(Method::POST, path, &auth, b"[1, 2]".to_vec()).await;
            assert_eq!(st, 422);
        }
        // the /v1 family is strict about JSON syntax and media type
        let (st, _) = s
            .raw(
                Method::POST,
                V1,
                &bearer(&s.a.key),
                br#"{"id": "a", "document_number": "529.982.247-25",}"#.to_vec(),
            )
            .await;
        assert_eq!(st, 400);
        let res = s
            .http
            .post(format!("{}{V1}", s.base))
            .header("authorization", bearer(&s.a.key))
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 415);
        // authentication
        let body = json!({"id": "a", "document_number": CPF});
        for auth in [
            "",
            "Bearer",
            "Bearer idg_nope_nope",
            "idg_x",
            &s.a.key.replace("idg_", "idg_0"),
        ] {
            let (st, v) = s.call(Method::POST, V1, auth, Some(&body)).await;
            assert_eq!(
                (st, v["error"]["code"].as_str()),
                (401, Some("unauthenticated")),
                "{auth:?}"
            );
            let (st, v) = s.call(Method::POST, QI, auth, Some(&body)).await;
            assert_eq!((st, v["code"].as_str()), (401, Some("unauthenticated")));
        }
        // a tampered secret with a real prefix
        let mut bad = s.a.key.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(s.call(Method::POST, QI, &bad, Some(&body)).await.0, 401);
        // the raw key form is a vendor-route courtesy only
        assert_eq!(s.call(Method::POST, V1, &s.a.key, Some(&body)).await.0, 401);
        s.stop().await;
    }
}

#[tokio::test]
async fn idempotent_replay_and_conflict() {
    for b in BACKENDS {
        let s = start(b).await;
        let body = json!({"id": "order-1", "document_number": CPF});
        let (st, first) = s.call(Method::POST, QI, &s.a.key, Some(&body)).await;
        assert_eq!(st, 201);
        let (st, again) = s.call(Method::POST, QI, &s.a.key, Some(&body)).await;
        assert_eq!(st, 200);
        assert_eq!(again, first);
        let other = json!({"id": "order-1", "document_number": "390.533.447-05"});
        let (st, v) = s.call(Method::POST, QI, &s.a.key, Some(&other)).await;
        assert_eq!((st, v["code"].as_str()), (409, Some("conflict")));
        // the same id belongs to nobody else: tenant B creates its own
        assert_eq!(
            s.call(Method::POST, QI, &s.b.key, Some(&other)).await.0,
            201
        );
        s.stop().await;
    }
}

fn entry_path(url: &str) -> String {
    url.split_once("/s/")
        .map(|(_, p)| format!("/s/{p}"))
        .unwrap()
}

#[tokio::test]
async fn entry_page_renewal_and_expiry() {
    for b in BACKENDS {
        let s = start(b).await;
        let auth = bearer(&s.a.key);
        let body = json!({"id": "s1", "document_number": CPF,
            "settings": {"session_expiration_time_in_minutes": 60, "token_expiration_seconds": 600}});
        let (_, v) = s.call(Method::POST, V1, &auth, Some(&body)).await;
        let page = entry_path(v["auth_session_url"].as_str().unwrap());
        let hash = v["auth_session_hash"].as_str().unwrap().to_owned();
        let get = |p: String| {
            let h = s.http.clone();
            let base = s.base.clone();
            async move {
                h.get(format!("{base}{p}"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(
            get(format!("/s/{hash}/t/{}", uuid::Uuid::new_v4())).await,
            404
        );
        assert_eq!(
            get(format!("/s/nohash1/t/{}", v["token"].as_str().unwrap())).await,
            404
        );
        assert_eq!(get(page.clone()).await, 200);
        let (_, now) = s.call(Method::GET, &format!("{V1}/s1"), &auth, None).await;
        assert_eq!(now["status"], "in_progress");

        // renewal: new token, the old link dies at once
        s.clock.advance_ms(300_000);
        let (st, r) = s
            .call(Method::POST, &format!("{V1}/s1/renew-token"), &auth, None)
            .await;
        assert_eq!(st, 200);
        assert_ne!(r["token"], v["token"]);
        assert_eq!(r["token_expiration_date"], "2025-12-06T03:01:40-03:00");
        assert_eq!(get(page).await, 404);
        let new_page = entry_path(r["auth_session_url"].as_str().unwrap());
        assert_eq!(get(new_page.clone()).await, 200);

        // token clock: past the token's expiry the link says 410, the session lives on
        s.clock.advance_ms(601_000);
        assert_eq!(get(new_page.clone()).await, 410);
        let (_, still) = s.call(Method::GET, &format!("{V1}/s1"), &auth, None).await;
        assert_eq!(still["status"], "in_progress");

        // session clock: expiry is enforced on read, before any sweeper runs
        s.clock.advance_ms(3_600_000);
        let (_, gone) = s
            .call(Method::GET, &format!("{QI}/s1"), &s.a.key, None)
            .await;
        assert_eq!(gone["status"], "expired");
        let (st, e) = s
            .call(Method::POST, &format!("{V1}/s1/renew-token"), &auth, None)
            .await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (409, Some("invalid_state_transition"))
        );
        assert_eq!(
            s.event_kinds("s1").await,
            [
                "session.created",
                "session.in_progress",
                "session.token_renewed",
                "session.expired"
            ]
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn sweeper_expires_unread_sessions() {
    for b in BACKENDS {
        let s = start(b).await;
        let body = json!({"id": "lonely", "document_number": CPF, "settings": {"session_expiration_time_in_minutes": 1}});
        s.call(Method::POST, V1, &bearer(&s.a.key), Some(&body))
            .await;
        s.clock.advance_ms(61_000);
        let n = idgate_server::app::sessions::expire_due(&s.running.state, 100)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let row = s
            .running
            .state
            .store
            .session(&s.a.id, "lonely")
            .await
            .unwrap();
        assert_eq!(row.status, "expired");
        s.stop().await;
    }
}

#[tokio::test]
async fn list_cancel_and_isolation() {
    for b in BACKENDS {
        let s = start(b).await;
        let (a, bk) = (bearer(&s.a.key), bearer(&s.b.key));
        for i in 0..5 {
            s.clock.advance_ms(1);
            let (st, _) = s
                .call(
                    Method::POST,
                    V1,
                    &a,
                    Some(&json!({"id": format!("s{i}"), "document_number": CPF})),
                )
                .await;
            assert_eq!(st, 201);
        }
        let (st, c) = s
            .call(Method::POST, &format!("{V1}/s1/cancel"), &a, None)
            .await;
        assert_eq!((st, c["status"].as_str()), (200, Some("canceled")));
        let (st, e) = s
            .call(Method::POST, &format!("{V1}/s1/cancel"), &a, None)
            .await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (409, Some("invalid_state_transition"))
        );

        let mut ids = Vec::new();
        let mut path = format!("{V1}?limit=2");
        loop {
            let (st, page) = s.call(Method::GET, &path, &a, None).await;
            assert_eq!(st, 200);
            ids.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["id"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("{V1}?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(ids, ["s4", "s3", "s2", "s1", "s0"]);
        let (_, canceled) = s
            .call(Method::GET, &format!("{V1}?status=canceled"), &a, None)
            .await;
        assert_eq!(canceled["data"].as_array().unwrap().len(), 1);
        for (bad, field) in [
            ("?status=nope", "status"),
            ("?limit=0", "limit"),
            ("?limit=101", "limit"),
            ("?cursor=%%%", "cursor"),
            ("?cursor=bm90LWEtY3Vyc29y", "cursor"),
            ("?limit=5&limit=6", "limit"),
        ] {
            let (st, v) = s.call(Method::GET, &format!("{V1}{bad}"), &a, None).await;
            let e = &v["error"];
            assert_eq!(
                (st, e["code"].as_str(), e["field"].as_str()),
                (422, Some("validation_failed"), Some(field)),
                "{bad} -> {v}"
            );
        }

        // tenant B sees none of A's sessions on any route
        let (_, list) = s.call(Method::GET, V1, &bk, None).await;
        assert_eq!(list["data"], json!([]));
        for (m, p) in [
            (Method::GET, format!("{V1}/s0")),
            (Method::POST, format!("{V1}/s0/cancel")),
            (Method::POST, format!("{V1}/s0/renew-token")),
        ] {
            let (st, v) = s.call(m, &p, &bk, None).await;
            assert_eq!(
                (st, v["error"]["code"].as_str()),
                (404, Some("not_found")),
                "{p}"
            );
        }
        let (st, v) = s
            .call(Method::GET, &format!("{QI}/s0"), &s.b.key, None)
            .await;
        assert_eq!((st, v["code"].as_str()), (404, Some("not_found")));
        // and A's session is untouched
        let (_, s0) = s.call(Method::GET, &format!("{V1}/s0"), &a, None).await;
        assert_eq!(s0["status"], "pending");
        s.stop().await;
    }
}

/// An `iframe` session may be framed only by its tenant's configured origins; a `link` session
/// by none (`frame-ancestors` of the page's CSP).
#[tokio::test]
async fn entry_page_frame_ancestors() {
    for b in BACKENDS {
        let s = start(b).await;
        let store = &s.running.state.store;
        let origins = ["https://app.example.com".to_owned()];
        idgate_server::app::admin::set_frame_origins(store, "alpha", &origins)
            .await
            .unwrap();
        let bad = ["https://app.example.com/embed".to_owned()];
        assert!(
            idgate_server::app::admin::set_frame_origins(store, "alpha", &bad)
                .await
                .is_err()
        );
        let mut csp = Vec::new();
        for (id, mode) in [("framed", "iframe"), ("linked", "link")] {
            let body = json!({"id": id, "document_number": CPF, "settings": {"open_mode": mode}});
            let (_, v) = s
                .call(Method::POST, V1, &bearer(&s.a.key), Some(&body))
                .await;
            let page = entry_path(v["auth_session_url"].as_str().unwrap());
            let res = s
                .http
                .get(format!("{}{page}", s.base))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200);
            let h = res.headers()["content-security-policy"].to_str().unwrap();
            csp.push(h.split("frame-ancestors ").nth(1).unwrap().to_owned());
        }
        assert_eq!(csp, ["'self' https://app.example.com", "'self'"], "{b:?}");
        s.stop().await;
    }
}
