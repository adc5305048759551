//! One slow webhook endpoint never stalls deliveries to the others: each endpoint has its own
//! lane in the delivery worker. Synchronised on receipts, no sleeps.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use idgate_server::app::admin;
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::json;
use tokio::sync::{mpsc, Semaphore};

use crate::common::*;
use crate::webhooks::Receiver;

/// An endpoint that reports each request as it arrives and answers only once the test adds a
/// permit to the returned semaphore.
async fn hanging_endpoint() -> (String, mpsc::UnboundedReceiver<()>, Arc<Semaphore>) {
    let (arrived_tx, arrived) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    let gate = release.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move || {
            let (tx, gate) = (arrived_tx.clone(), gate.clone());
            async move {
                let _ = tx.send(());
                gate.acquire().await.expect("gate open").forget();
                StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.ok() });
    (url, arrived, release)
}

/// Waits (bounded) for the slow endpoint's next request.
async fn arrival(rx: &mut mpsc::UnboundedReceiver<()>, what: &str) {
    let got = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await;
    got.unwrap_or_else(|_| panic!("{what}")).expect(what);
}

async fn create(s: &TestServer, id: &str) {
    let body = json!({"id": id, "document_number": "529.982.247-25"});
    let auth = bearer(&s.a.key);
    let (st, v) = s
        .call(
            Method::POST,
            "/v1/verification-sessions",
            &auth,
            Some(&body),
        )
        .await;
    assert_eq!(st, 201, "{v}");
}

#[tokio::test]
async fn a_hanging_endpoint_does_not_stall_deliveries_to_another() {
    for b in BACKENDS {
        // the slow endpoint would hold its request for ten minutes
        let s = start_with(b, |c, _| {
            c.webhooks.timeout_ms = 600_000;
            c.webhooks.lease_ms = 3_600_000;
        })
        .await;
        let st = &s.running.state;
        let (slow_url, mut slow_arrived, release) = hanging_endpoint().await;
        let fast = Receiver::default();
        let fast_addr = fast.serve("127.0.0.1:0".parse().unwrap()).await;
        for url in [slow_url, format!("http://{fast_addr}/hook")] {
            admin::add_webhook(&st.store, &st.keys, T0, &s.a.id, &url, &[], true)
                .await
                .unwrap();
        }
        create(&s, "first").await;
        arrival(&mut slow_arrived, "the slow endpoint got the first event").await;
        fast.wait_for(1).await;
        // while the slow endpoint still holds the first delivery, later events reach the fast one
        create(&s, "second").await;
        create(&s, "third").await;
        fast.wait_for(3).await;
        assert!(
            slow_arrived.try_recv().is_err(),
            "one delivery at a time per endpoint"
        );
        release.add_permits(3);
        for _ in 0..2 {
            arrival(
                &mut slow_arrived,
                "the slow endpoint gets the rest once it answers",
            )
            .await;
        }
        s.stop().await;
    }
}
