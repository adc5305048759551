//! Walks the route table: every route of the router is in the table; every API-key route
//! refuses a caller without a key (401) and a key lacking the route's scope (403), in its
//! family's format; every OAuth-client route refuses a caller without credentials; token routes
//! answer their own refusal for a made-up token; public routes answer without credentials.

use idgate_server::app::admin;
use idgate_server::app::scopes::{ALL, SCOPES};
use idgate_server::http::routes::{Access, RouteDoc, TABLE};
use idgate_store::Backend;
use reqwest::Method;
use serde_json::Value;

use crate::common::{start, T0};

/// `/a/{x}/b` → `/a/x/b`.
fn concrete(path: &str) -> String {
    if path == "/flow/{file}" {
        return "/flow/app.js".into(); // an asset that exists (a made-up one is 404)
    }
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('x');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn code_of(path: &str, v: &Value) -> Option<String> {
    let c =
        if path.starts_with("/v1") || path.starts_with("/s/") || path.starts_with("/authenticator")
        {
            &v["error"]["code"]
        } else if path.starts_with("/oauth") {
            &v["error"]
        } else {
            &v["code"]
        };
    c.as_str().map(str::to_owned)
}

/// What a route that checks its own credential answers for a made-up one, without a body.
fn token_refusal(r: &RouteDoc) -> &'static [u16] {
    match r.path {
        "/oauth/token" => &[401],
        // a web socket route asked without an upgrade
        p if p.ends_with("/ws") => &[400, 426],
        // the link is checked first: a made-up one is not found
        p if p.starts_with("/s/") => &[404],
        // signed device requests: the (empty) body is read and refused
        _ => &[400],
    }
}

#[tokio::test]
async fn every_route_enforces_its_access() {
    let s = start(Backend::Sqlite).await;
    for r in TABLE {
        let path = concrete(r.path);
        let method = Method::from_bytes(r.method.as_bytes()).unwrap();
        let (st, v) = s.call(method, &path, "", None).await;
        let at = format!("{} {}: {st} {v}", r.method, r.path);
        match r.access {
            Access::ApiKey(_) => {
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
            Access::Token => assert!(token_refusal(r).contains(&st), "{at}"),
            Access::Public if path.starts_with("/s/") => assert_eq!(st, 404, "{at}"),
            Access::Public if path.ends_with("/ws") => assert!([400, 426].contains(&st), "{at}"),
            Access::Public => assert!((200..300).contains(&st), "{at}"),
        }
    }
    let (st, v) = s.call(Method::GET, "/no/such/route", "", None).await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("not_found")));
    let (st, _) = s.call(Method::DELETE, "/healthz", "", None).await;
    assert_eq!(st, 405);
    s.stop().await;
}

#[tokio::test]
async fn every_api_key_route_refuses_a_key_without_its_scope() {
    let s = start(Backend::Sqlite).await;
    let store = &s.running.state.store;
    for r in TABLE {
        let Access::ApiKey(p) = r.access else {
            continue;
        };
        // a key with every scope but the route's
        let others: Vec<&str> = SCOPES
            .iter()
            .filter(|(_, bit)| *bit != p)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            others.len(),
            SCOPES.len() - 1,
            "{} {} names a known scope",
            r.method,
            r.path
        );
        let k = admin::create_scoped_api_key(store, T0, &s.a.id, Some(others.join(" ")))
            .await
            .unwrap();
        let path = concrete(r.path);
        let method = Method::from_bytes(r.method.as_bytes()).unwrap();
        let auth = format!("Bearer {}", k.api_key);
        let (st, v) = s.call(method, &path, &auth, None).await;
        let at = format!("{} {}: {st} {v}", r.method, r.path);
        assert_eq!(st, 403, "{at}");
        assert_eq!(code_of(&path, &v).as_deref(), Some("forbidden"), "{at}");
    }
    // a key with every scope passes the scope check (the made-up resource is not found)
    let k = admin::create_scoped_api_key(
        store,
        T0,
        &s.a.id,
        Some(SCOPES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")),
    )
    .await
    .unwrap();
    assert_eq!(
        idgate_server::app::scopes::mask(Some(
            "sessions:read sessions:write faces:read faces:write"
        )),
        ALL
    );
    let (st, _) = s
        .call(
            Method::GET,
            "/v1/verification-sessions/x",
            &format!("Bearer {}", k.api_key),
            None,
        )
        .await;
    assert_eq!(st, 404);
    s.stop().await;
}

/// Every `.route("…")` of the router's source is in the table, so the walks above see it.
#[test]
fn every_routed_path_is_in_the_table() {
    let src = include_str!("../../src/http/routes.rs");
    let fn_start = src.find("pub fn routes()").expect("routes() in routes.rs");
    let mut routed = Vec::new();
    for piece in src[fn_start..].split(".route(").skip(1) {
        let start = piece.find('"').unwrap() + 1;
        let end = start + piece[start..].find('"').unwrap();
        routed.push(&piece[start..end]);
    }
    assert!(routed.len() > 40, "found {} routes", routed.len());
    for p in routed {
        assert!(
            TABLE.iter().any(|r| r.path == p),
            "{p} is routed but not in TABLE"
        );
    }
}
