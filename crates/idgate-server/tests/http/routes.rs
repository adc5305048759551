//! Walks the route table, which is the router (`routes::router()` is built from `table()` and
//! nothing else): every route is routed (no fallback 404/405); every API-key route refuses a
//! caller without a key (401) and a key lacking the route's scope (403), in its family's format,
//! and lets a key holding only that scope past the check; every OAuth-client route refuses a
//! caller without credentials; each token route answers its own refusal for a made-up
//! credential; public routes answer 200 without credentials.

use idgate_core::jose::SigningKey;
use idgate_server::app::admin;
use idgate_server::app::scopes::SCOPES;
use idgate_server::http::routes::{table, Access, Route};
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{start, TestServer, T0};

/// `/a/{x}/b` → `/a/x/b`, with values that reach the route's own logic.
fn concrete(path: &str) -> String {
    // assets that exist (a made-up one is 404)
    match path {
        "/flow/{file}" => return "/flow/app.js".into(),
        "/docs/{file}" => return "/docs/docs.js".into(),
        _ => {}
    }
    let uuid = "00000000-0000-4000-8000-000000000000";
    path.replace("{step}", "device_scan")
        .replace("{document_number}", "52998224725")
        .split('/')
        .map(|seg| if seg.starts_with('{') { uuid } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn code_of(path: &str, v: &Value) -> Option<String> {
    let c = if path.starts_with("/v1")
        || path.starts_with("/s/")
        || path.starts_with("/authenticator")
        || path.starts_with("/api/v1")
    {
        &v["error"]["code"]
    } else if path.starts_with("/oauth") || path.starts_with("/api/oauth") {
        &v["error"]
    } else {
        &v["code"]
    };
    c.as_str().map(str::to_owned)
}

/// A made-up credential for a token route, and the exact refusal it must get.
fn token_probe(r: &Route) -> (Option<Value>, &'static str, u16, Option<&'static str>) {
    let signed = json!({"device_id": "d", "short_token": "t", "time": 0, "signature": "AA",
        "challenge": 11, "decision": "deny"});
    match r.path {
        "/oauth/token" => (None, "Bearer made.up.jwt", 401, Some("invalid_token")),
        // the uqudo door: its Bearer access token, or a qrCodeText
        p if p.starts_with("/api/v1/info")
            || p == "/api/v1/face/match"
            || (p == "/api/v1/session" && r.method == Method::POST) =>
        {
            (
                Some(json!({})),
                "Bearer made.up.jwt",
                401,
                Some("invalid_token"),
            )
        }
        p if p.starts_with("/api/v1/session") => (None, "made-up-code", 404, Some("not_found")),
        "/q/{qr}" => (None, "", 404, None),
        "/ws/v1/session" => (None, "", 400, None),
        // a web socket route asked without an upgrade
        "/oauth/ws" => (None, "", 400, None),
        // the link is checked first: a made-up one is not found
        p if p.starts_with("/s/") => (Some(json!({})), "", 404, Some("not_found")),
        "/authenticator/api/devices" => (
            Some(json!({"enrollment_token": "made-up",
                "public_key": SigningKey::generate("d", &mut rand::rngs::OsRng).public().to_jwk()})),
            "",
            401,
            Some("invalid_token"),
        ),
        _ => (Some(signed), "", 401, Some("invalid_signature")),
    }
}

async fn call(s: &TestServer, r: &Route, auth: &str, body: Option<&Value>) -> (u16, Value) {
    s.call(r.method.clone(), &concrete(r.path), auth, body)
        .await
}

/// A key of tenant A holding exactly `scopes`.
async fn key_with(s: &TestServer, scopes: &[&str]) -> String {
    let k =
        admin::create_scoped_api_key(&s.running.state.store, T0, &s.a.id, Some(scopes.join(" ")))
            .await
            .unwrap();
    format!("Bearer {}", k.api_key)
}

#[tokio::test]
async fn every_route_enforces_its_access() {
    for b in BACKENDS {
        let s = start(b).await;
        let routes = table();
        assert!(routes.len() > 50, "{} routes", routes.len());
        for r in &routes {
            let path = concrete(r.path);
            let (st, v) = match r.access {
                Access::Token => {
                    let (body, auth, _, _) = token_probe(r);
                    call(&s, r, auth, body.as_ref()).await
                }
                _ => call(&s, r, "", None).await,
            };
            let at = format!("{b:?} {} {}: {st} {v}", r.method, r.path);
            assert_ne!(v["error"]["message"], "no such route", "{at}");
            assert_ne!(st, 405, "{at}");
            match r.access {
                Access::ApiKey(_) | Access::VendorKey(_) => {
                    assert_eq!(st, 401, "{at}");
                    assert_eq!(
                        code_of(&path, &v).as_deref(),
                        Some("unauthenticated"),
                        "{at}"
                    );
                }
                Access::Client => {
                    assert_eq!(st, 401, "{at}");
                    assert_eq!(v["error"], "invalid_client", "{at}");
                }
                Access::Token => {
                    let (_, _, want, code) = token_probe(r);
                    assert_eq!(st, want, "{at}");
                    if let Some(c) = code {
                        assert_eq!(code_of(&path, &v).as_deref(), Some(c), "{at}");
                    }
                }
                // the entry page of a made-up link: the page's own 404
                Access::Public if r.path.starts_with("/s/") => assert_eq!(st, 404, "{at}"),
                Access::Public if r.path.ends_with("/ws") => assert_eq!(st, 400, "{at}"),
                Access::Public | Access::Probe => assert_eq!(st, 200, "{at}"),
            }
        }
        let (st, v) = s.call(Method::GET, "/no/such/route", "", None).await;
        assert_eq!((st, v["error"]["code"].as_str()), (404, Some("not_found")));
        let (st, _) = s.call(Method::DELETE, "/healthz", "", None).await;
        assert_eq!(st, 405);
        s.stop().await;
    }
}

#[tokio::test]
async fn every_api_key_route_needs_exactly_its_scope() {
    for b in BACKENDS {
        let s = start(b).await;
        let mut checked = 0;
        for r in table() {
            let Some(p) = r.access.permission() else {
                continue;
            };
            let at = |st: u16, v: &Value| format!("{b:?} {} {}: {st} {v}", r.method, r.path);
            let path = concrete(r.path);
            // every scope but the route's: 403 in the family's format
            let others: Vec<&str> = SCOPES
                .iter()
                .filter(|(_, bit)| *bit != p)
                .map(|(n, _)| *n)
                .collect();
            assert_eq!(
                others.len(),
                SCOPES.len() - 1,
                "{} names a known scope",
                r.path
            );
            let (st, v) = call(&s, &r, &key_with(&s, &others).await, None).await;
            assert_eq!(st, 403, "{}", at(st, &v));
            assert_eq!(
                code_of(&path, &v).as_deref(),
                Some("forbidden"),
                "{}",
                at(st, &v)
            );
            // only the route's scope: past the check, into the route's own logic (a made-up
            // resource is not found, an empty body is refused, a list is listed)
            let mine = SCOPES.iter().find(|(_, bit)| *bit == p).unwrap().0;
            let (st, v) = call(&s, &r, &key_with(&s, &[mine]).await, None).await;
            assert!(
                [200, 400, 404, 422].contains(&st),
                "reached the route's logic: {}",
                at(st, &v)
            );
            checked += 1;
        }
        assert!(checked >= 30, "{checked} API-key routes");
        s.stop().await;
    }
}
