//! Webhooks end to end: signed deliveries of every event, retry after the receiver comes back,
//! and no event lost when `idgate serve` is killed with SIGKILL and restarted.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use idgate_core::crypto::hmac;
use idgate_server::app::admin;
use idgate_store::testing::{fresh_url, BACKENDS};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::common::*;

#[derive(Clone, Debug)]
pub struct Delivery {
    pub event_id: String,
    pub signature: String,
    pub body: String,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Delivery>>>,
    pub notify: Arc<Notify>,
}

impl Receiver {
    /// Serves on `addr` (port 0 for any) and returns the bound address.
    pub async fn serve(&self, addr: SocketAddr) -> SocketAddr {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let me = me.clone();
                async move {
                    let h = |k: &str| {
                        headers
                            .get(k)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    me.got.lock().unwrap().push(Delivery {
                        event_id: h("idgate-event-id"),
                        signature: h("idgate-signature"),
                        body,
                    });
                    me.notify.notify_waiters();
                    StatusCode::OK
                }
            }),
        );
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind receiver");
        let bound = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.ok() });
        bound
    }

    /// Waits (bounded) until `n` distinct events arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let notified = self.notify.notified();
            let got = self.got.lock().unwrap().clone();
            let mut ids: Vec<_> = got.iter().map(|d| d.event_id.clone()).collect();
            ids.sort();
            ids.dedup();
            if ids.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("only {} of {n} events arrived: {ids:?}", ids.len());
            }
        }
    }
}

pub fn verify(secret: &str, d: &Delivery) {
    let (t, v1) = d.signature.split_once(',').expect("t=..,v1=..");
    let t = t.strip_prefix("t=").unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let want = hex::encode(hmac(
        secret.as_bytes(),
        format!("{t}.{}", d.body).as_bytes(),
    ));
    assert_eq!(v1, want, "signature of {}", d.event_id);
    let body: Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(body["id"], d.event_id);
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test]
async fn every_event_signed_once_per_attempt() {
    for b in BACKENDS {
        let s = start(b).await;
        let rx = Receiver::default();
        let addr = rx.serve("127.0.0.1:0".parse().unwrap()).await;
        let st = &s.running.state;
        let hook = admin::add_webhook(
            &st.store,
            &st.keys,
            T0,
            &s.a.id,
            &format!("http://{addr}/hook"),
            &[],
            true,
        )
        .await
        .unwrap();
        let auth = bearer(&s.a.key);
        let (_, v) = s
            .call(
                Method::POST,
                "/v1/verification-sessions",
                &auth,
                Some(&json!({"id": "w1", "document_number": "529.982.247-25"})),
            )
            .await;
        let url = v["auth_session_url"].as_str().unwrap();
        assert_eq!(s.http.get(url).send().await.unwrap().status().as_u16(), 200);
        s.call(
            Method::POST,
            "/v1/verification-sessions/w1/cancel",
            &auth,
            None,
        )
        .await;
        // another tenant's activity never reaches this endpoint
        s.call(
            Method::POST,
            "/v1/verification-sessions",
            &bearer(&s.b.key),
            Some(&json!({"id": "w1", "document_number": "529.982.247-25"})),
        )
        .await;
        let got = rx.wait_for(3).await;
        let mut types = Vec::new();
        for d in &got {
            verify(&hook.signing_secret, d);
            let body: Value = serde_json::from_str(&d.body).unwrap();
            assert_eq!(body["data"]["session"]["id"], "w1");
            assert!(
                body["data"]["session"].get("token").is_none(),
                "no URL token in webhooks"
            );
            types.push(body["type"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            types,
            ["session.created", "session.in_progress", "session.canceled"],
            "{b:?}"
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn receiver_down_then_up_is_delivered() {
    for b in BACKENDS {
        let s = start(b).await;
        let addr = free_port();
        let st = &s.running.state;
        let hook = admin::add_webhook(
            &st.store,
            &st.keys,
            T0,
            &s.a.id,
            &format!("http://{addr}/hook"),
            &[],
            true,
        )
        .await
        .unwrap();
        s.call(
            Method::POST,
            "/v1/verification-sessions",
            &bearer(&s.a.key),
            Some(&json!({"id": "d1", "document_number": "529.982.247-25"})),
        )
        .await;
        // wait (bounded) for the first failed attempt to be recorded
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let rows = st.store.outbox_for_tenant(&s.a.id).await.unwrap();
            if rows.iter().any(|r| r.attempts >= 1) {
                assert_eq!(rows[0].status, "pending");
                assert!(rows[0]
                    .last_error
                    .as_deref()
                    .unwrap_or("")
                    .contains("request failed"));
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no attempt recorded"
            );
            tokio::task::yield_now().await;
        }
        let rx = Receiver::default();
        rx.serve(addr).await;
        s.clock.advance_ms(60_000);
        let got = rx.wait_for(1).await;
        verify(&hook.signing_secret, &got[0]);
        // the worker records the outcome right after the receiver answers
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while st.store.outbox_for_tenant(&s.a.id).await.unwrap()[0].status != "delivered" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "delivery never recorded"
            );
            tokio::task::yield_now().await;
        }
        s.stop().await;
    }
}

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn idgate(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_idgate"));
    c.args(args)
        .env_remove("DATABASE_URL")
        .env("IDGATE_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

pub(crate) fn json_out(args: &[&str], env: &[(&str, String)]) -> Value {
    let out = idgate(args, env).output().expect("run idgate");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed non-JSON ({e}): {:?}", out.stdout))
}

async fn wait_ready(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server at {base} never became ready");
}

#[tokio::test]
async fn sigkill_with_pending_events_loses_nothing() {
    for b in BACKENDS {
        let dir =
            std::env::temp_dir().join(format!("idgate-kill-{}", uuid::Uuid::new_v4().simple()));
        let listen = free_port();
        let hook_addr = free_port();
        let env = vec![
            ("IDGATE_DATA_DIR", dir.display().to_string()),
            ("DATABASE_URL", fresh_url(b).await),
            ("IDGATE_MASTER_KEY", MASTER_KEY.to_owned()),
            ("IDGATE_LISTEN", listen.to_string()),
            ("IDGATE_WEBHOOKS__ALLOW_PRIVATE", "true".to_owned()),
            ("IDGATE_WEBHOOKS__BASE_DELAY_MS", "100".to_owned()),
            ("IDGATE_WEBHOOKS__LEASE_MS", "1000".to_owned()),
            ("IDGATE_WEBHOOKS__POLL_MS", "50".to_owned()),
        ];
        let t = json_out(&["tenant", "create", "acme"], &env);
        let k = json_out(&["api-key", "create", "--tenant", "acme"], &env);
        let h = json_out(
            &[
                "webhook",
                "add",
                "--tenant",
                "acme",
                "--url",
                &format!("http://{hook_addr}/hook"),
            ],
            &env,
        );
        assert!(t["tenant_id"].as_str().unwrap().starts_with("ten_"));
        let key = k["api_key"].as_str().unwrap().to_owned();
        let secret = h["signing_secret"].as_str().unwrap().to_owned();

        let mut server = Proc(
            idgate(&["serve"], &env)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let base = format!("http://{listen}");
        wait_ready(&base).await;
        let http = reqwest::Client::new();
        for i in 0..10 {
            let res = http
                .post(format!("{base}/auth_session_manager/auth_session"))
                .header("authorization", &key)
                .json(&json!({"id": format!("k{i}"), "document_number": "529.982.247-25"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 201);
        }
        // the receiver is down: deliveries are pending; kill the server without warning
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        let rx = Receiver::default();
        rx.serve(hook_addr).await;
        let _server = Proc(
            idgate(&["serve"], &env)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_ready(&base).await;
        let got = rx.wait_for(10).await;
        let mut sessions: Vec<String> = got
            .iter()
            .map(|d| {
                verify(&secret, d);
                let v: Value = serde_json::from_str(&d.body).unwrap();
                v["data"]["session"]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        sessions.sort();
        sessions.dedup();
        assert_eq!(sessions.len(), 10, "{b:?}");
    }
}
