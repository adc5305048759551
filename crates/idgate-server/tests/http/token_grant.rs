//! `GET /oauth/token` takes the callback JWT as its only credential (the vendor's wire format:
//! `Authorization: Bearer <JWT>`, no client authentication), so the JWT is bound to what it was
//! issued for: it stops working once its client is revoked.

use idgate_server::app::credentials;
use idgate_store::testing::BACKENDS;
use serde_json::json;

use crate::login_support::*;

#[tokio::test]
async fn the_callback_jwt_of_a_revoked_client_is_refused() {
    for b in BACKENDS {
        let mut e = env(b).await;
        let d = e.device(CPF_A, None).await;
        let (_, v) = e.start(json!({"username": CPF_A})).await;
        let short = v["short_token"].as_str().unwrap().to_owned();
        assert_eq!(e.open(&d, &short).await.0, 200);
        let (st, r) = e.decide(&d, &short, "approve", challenge_of(&v)).await;
        assert_eq!((st, &r["status"]), (200, &json!("approved")), "{r}");
        let jwt = e.next_callback().await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let store = &e.s.running.state.store;
        credentials::revoke_client(store, e.s.running.state.now(), &e.s.a.id, &e.client_id)
            .await
            .unwrap();
        let (st, r) = e.token(&jwt).await;
        assert_eq!(
            (st, r["error"].as_str()),
            (400, Some("invalid_grant")),
            "{b:?} {r}"
        );
        e.s.stop().await;
    }
}
