//! Outbound calls chosen by an end user: a push subscription endpoint must be `https` on a
//! public address, under its own switch (`login.push_allow_private`), whatever the webhook
//! switch says. Webhook and callback URLs are `https` unless the tenant allowed plain `http`
//! for that exact URL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::jose::SigningKey;
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::json;

use crate::common::{bearer, start_with};

#[tokio::test]
async fn push_endpoints_on_private_or_plain_http_addresses_are_refused() {
    for b in BACKENDS {
        let s = start_with(b, |c, _| {
            c.webhooks.allow_private = true;
            c.login.push_allow_private = false;
        })
        .await;
        // (the subscription parser already refuses plain http off loopback)
        for (endpoint, code) in [
            ("http://10.0.0.1/", "invalid_subscription"),
            ("http://push.example.com/", "invalid_subscription"),
            ("http://127.0.0.1:9/push", "refused_url"),
            ("https://10.0.0.1/push", "refused_url"),
            ("https://[::1]/push", "refused_url"),
            ("https://198.18.0.1/push", "refused_url"),
        ] {
            let (st, v) = s
                .call(
                    Method::POST,
                    "/v1/authenticator/enrollments",
                    &bearer(&s.a.key),
                    Some(&json!({"username": "529.982.247-25"})),
                )
                .await;
            assert_eq!(st, 201, "{v}");
            let token = v["enrollment_url"]
                .as_str()
                .unwrap()
                .split_once("#e=")
                .unwrap()
                .1
                .to_owned();
            let key = SigningKey::generate("d", &mut rand::rngs::OsRng);
            let ua = SigningKey::generate("ua", &mut rand::rngs::OsRng);
            let sub = json!({"endpoint": endpoint, "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(ua.public().to_uncompressed()),
                "auth": URL_SAFE_NO_PAD.encode([7u8; 16])}});
            let body = json!({"enrollment_token": token, "public_key": key.public().to_jwk(), "push_subscription": sub});
            let (st, v) = s
                .call(Method::POST, "/authenticator/api/devices", "", Some(&body))
                .await;
            assert_eq!(st, 422, "{endpoint}: {v}");
            assert_eq!(v["error"]["details"][0]["code"], code, "{endpoint}: {v}");
        }
        s.stop().await;
    }
}

async fn add_hook(s: &crate::common::TestServer, tenant: &str, url: &str) -> bool {
    let st = &s.running.state;
    let t0 = crate::common::T0;
    idgate_server::app::admin::add_webhook(&st.store, &st.keys, t0, tenant, url, &[], false)
        .await
        .is_ok()
}

/// Plain `http` only for a URL its tenant allowed: per tenant, per exact URL, never for a
/// private address, and the check each delivery and callback makes follows it.
#[tokio::test]
async fn http_receivers_only_where_the_tenant_allowed_the_url() {
    use idgate_server::app::receivers::{allow_http, check};
    for b in BACKENDS {
        let s = start_with(b, |c, _| c.webhooks.allow_private = false).await;
        let (store, t0) = (&s.running.state.store, crate::common::T0);
        let plain = "http://hooks.example.com/idgate";
        assert!(!add_hook(&s, &s.a.id, plain).await, "{b:?}");
        assert!(add_hook(&s, &s.a.id, "https://hooks.example.com/idgate").await);
        let v = allow_http(store, t0, &s.a.id, plain, false).await.unwrap();
        assert_eq!(v["http_urls"], json!([plain]));
        assert!(add_hook(&s, &s.a.id, plain).await);
        assert!(!add_hook(&s, &s.a.id, "http://hooks.example.com/other").await);
        assert!(!add_hook(&s, &s.b.id, plain).await, "another tenant");
        for bad in [
            "http://10.0.0.1/x",
            "http://localhost/x",
            "https://x.example.com/",
        ] {
            assert!(
                allow_http(store, t0, &s.a.id, bad, false).await.is_err(),
                "{bad}"
            );
        }
        assert!(check(store, &s.a.id, plain, false).await.is_ok());
        allow_http(store, t0, &s.a.id, plain, true).await.unwrap();
        assert!(
            check(store, &s.a.id, plain, false).await.is_err(),
            "withdrawn"
        );
        s.stop().await;
    }
}
