//! Credential lifecycle over HTTP, on SQLite and PostgreSQL: a revoked API key or OAuth client
//! stops working once the credential cache's window has passed (moved with the injected clock);
//! a rotated client secret works at once and the old one until its grace period ends; a
//! tenant's own rate limit applies to its keys; listing never shows secrets; a removed webhook
//! endpoint gets no new deliveries.

use idgate_server::app::cache::TTL_MS;
use idgate_server::app::{admin, credentials};
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::json;

use crate::common::{bearer, start};
use crate::login_support::env;

#[tokio::test]
async fn a_revoked_key_is_refused_within_the_cache_window() {
    for b in BACKENDS {
        let s = start(b).await;
        let store = &s.running.state.store;
        let path = "/v1/verification-sessions";
        let (st, _) = s.call(Method::GET, path, &bearer(&s.a.key), None).await;
        assert_eq!(st, 200);
        let list = credentials::list_api_keys(store, &s.a.id).await.unwrap();
        let id = list[0]["api_key_id"].as_str().unwrap().to_owned();
        assert!(!list
            .to_string()
            .contains(s.a.key.rsplit('_').next().unwrap()));
        credentials::revoke_api_key(store, s.running.state.now(), &s.a.id, &id)
            .await
            .unwrap();
        // revoking twice is not found
        assert!(
            credentials::revoke_api_key(store, s.running.state.now(), &s.a.id, &id)
                .await
                .is_err()
        );
        s.clock.advance_ms(TTL_MS);
        let (st, v) = s.call(Method::GET, path, &bearer(&s.a.key), None).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (401, Some("unauthenticated")),
            "{v}"
        );
        // another tenant's key still works
        let (st, _) = s.call(Method::GET, path, &bearer(&s.b.key), None).await;
        assert_eq!(st, 200);
        let list = credentials::list_api_keys(store, &s.a.id).await.unwrap();
        assert!(list[0]["revoked_at"].is_i64(), "{list}");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_revoked_client_is_refused_and_a_rotated_secret_has_a_grace_period() {
    for b in BACKENDS {
        let mut e = env(b).await;
        let store = e.s.running.state.store.clone();
        let now = e.s.running.state.now();
        assert_eq!(e.start(json!({})).await.0, 200);
        let old = e.secret.clone();
        let r = credentials::rotate_client_secret(&store, now, &e.s.a.id, &e.client_id, 60_000)
            .await
            .unwrap();
        e.s.clock.advance_ms(TTL_MS);
        // both secrets work during the grace period
        assert_eq!(e.start(json!({})).await.0, 200);
        e.secret = r.client_secret.clone();
        assert_eq!(e.start(json!({})).await.0, 200);
        // after it only the new one
        e.s.clock.advance_ms(60_000);
        e.secret = old;
        let (st, v) = e.start(json!({})).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (401, Some("invalid_client")),
            "{v}"
        );
        e.secret = r.client_secret;
        assert_eq!(e.start(json!({})).await.0, 200);
        // revoked: refused once the cache window has passed
        let now = e.s.running.state.now();
        credentials::revoke_client(&store, now, &e.s.a.id, &e.client_id)
            .await
            .unwrap();
        e.s.clock.advance_ms(TTL_MS);
        let (st, v) = e.start(json!({})).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (401, Some("invalid_client")),
            "{v}"
        );
        let list = credentials::list_clients(&store, &e.s.a.id).await.unwrap();
        assert!(list[0]["revoked_at"].is_i64(), "{list}");
        assert!(!list.to_string().contains(&e.secret));
        e.s.stop().await;
    }
}

#[tokio::test]
async fn a_tenants_own_rate_limit_applies_to_its_keys() {
    for b in BACKENDS {
        let s = start(b).await;
        let store = &s.running.state.store;
        credentials::set_rate_limit(store, "alpha", 1, 2)
            .await
            .unwrap();
        let path = "/v1/verification-sessions";
        let key = bearer(&s.a.key);
        let call = || s.call(Method::GET, path, &key, None);
        for _ in 0..2 {
            assert_eq!(call().await.0, 200);
        }
        let (st, v) = call().await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (429, Some("rate_limited")),
            "{v}"
        );
        // beta has no limit of its own (and the test server's default is off)
        for _ in 0..5 {
            let (st, _) = s.call(Method::GET, path, &bearer(&s.b.key), None).await;
            assert_eq!(st, 200);
        }
        s.clock.advance_ms(1_000);
        assert_eq!(call().await.0, 200);
        s.stop().await;
    }
}

#[tokio::test]
async fn a_removed_webhook_endpoint_gets_no_new_events() {
    for b in BACKENDS {
        let s = start(b).await;
        let st = &s.running.state;
        let hook = admin::add_webhook(
            &st.store,
            &st.keys,
            s.running.state.now(),
            &s.a.id,
            "https://hooks.example.com/idgate",
            &[],
            true,
        )
        .await
        .unwrap();
        let rotated =
            credentials::rotate_webhook_secret(&st.store, &st.keys, &s.a.id, &hook.webhook_id)
                .await
                .unwrap();
        assert_ne!(rotated["signing_secret"], json!(hook.signing_secret));
        credentials::remove_webhook(&st.store, &s.a.id, &hook.webhook_id)
            .await
            .unwrap();
        let list = credentials::list_webhooks(&st.store, &s.a.id)
            .await
            .unwrap();
        assert_eq!(list[0]["enabled"], false, "{list}");
        let body = json!({"id": "after-removal", "document_number": "529.982.247-25"});
        let (code, v) = s
            .call(
                Method::POST,
                "/v1/verification-sessions",
                &bearer(&s.a.key),
                Some(&body),
            )
            .await;
        assert_eq!(code, 201, "{v}");
        let pending = st.store.outbox_for_tenant(&s.a.id).await.unwrap();
        assert!(pending.is_empty(), "{pending:?}");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_rotated_jwt_key_signs_and_the_old_one_stays_published_until_tokens_expire() {
    use idgate_server::app::login_runtime::{rotate_jwt_key, LoginRuntime, JWT_KEY_RETIRED_MS};
    for b in BACKENDS {
        let s = start(b).await;
        let st = &s.running.state;
        let old = st.login.active().kid().to_owned();
        s.clock.advance_ms(1_000);
        let now = st.now();
        let new = rotate_jwt_key(&st.store, &st.keys, now).await.unwrap();
        // a node started after the rotation signs with the new key and publishes both
        let load = |at: i64| LoginRuntime::load(&st.store, &st.keys, at, 1_000, (true, true));
        let rt = load(now + 1).await.unwrap();
        assert_eq!(rt.active().kid(), new);
        let kids: Vec<String> = rt
            .public_keys()
            .iter()
            .map(|k| k.kid().to_owned())
            .collect();
        assert_eq!(kids, vec![new.clone(), old.clone()]);
        // once every token the old key signed has expired, it is no longer published
        let rt = load(now + JWT_KEY_RETIRED_MS).await.unwrap();
        let kids: Vec<String> = rt
            .public_keys()
            .iter()
            .map(|k| k.kid().to_owned())
            .collect();
        assert_eq!(kids, vec![new]);
        s.stop().await;
    }
}

/// `idgate keys rotate` reaches running nodes: two nodes on one database both switch to the new
/// key (synchronised on each node's key-change signal, no restart) and publish both keys.
#[tokio::test]
async fn a_rotated_jwt_key_signs_on_every_running_node() {
    use idgate_server::app::login_runtime::rotate_jwt_key;
    for b in BACKENDS {
        let s = crate::common::start_with(b, |c, _| c.login.key_refresh_ms = 20).await;
        let st = &s.running.state;
        let dir = std::env::temp_dir().join(format!("idgate-node2-{}", uuid::Uuid::new_v4()));
        let mut cfg = crate::common::config(st.cfg.database_url(), &dir);
        cfg.login.key_refresh_ms = 20;
        let clock = std::sync::Arc::new(s.clock.clone());
        let node2 = idgate_server::server::start(cfg, clock).await.unwrap();
        let old = st.login.active().kid().to_owned();
        assert_eq!(node2.state.login.active().kid(), old);
        let (mut w1, mut w2) = (
            st.login.jwt_active.subscribe(),
            node2.state.login.jwt_active.subscribe(),
        );
        s.clock.advance_ms(1_000);
        let new = rotate_jwt_key(&st.store, &st.keys, st.now()).await.unwrap();
        for w in [&mut w1, &mut w2] {
            let seen = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                w.wait_for(|kid| *kid == new),
            );
            seen.await.expect("the node picked up the key").unwrap();
        }
        for (state, base) in [
            (st, s.base.clone()),
            (&node2.state, format!("http://{}", node2.addr)),
        ] {
            assert_eq!(state.login.active().kid(), new);
            let jwks: serde_json::Value = s
                .http
                .get(format!("{base}/.well-known/jwks.json"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            // the login (ES256) keys; the uqudo door's RS256 keys share the set
            let kids: Vec<&str> = jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|k| k["alg"] == "ES256")
                .map(|k| k["kid"].as_str().unwrap())
                .collect();
            assert_eq!(kids, [new.as_str(), old.as_str()], "{jwks}");
        }
        node2.stop().await;
        s.stop().await;
    }
}
