//! Test harness: a server on port 0 with a manual clock, two tenants with API keys.

use std::sync::Arc;

use idgate_server::app::admin;
use idgate_server::clock::ManualClock;
use idgate_server::config::{Config, Secret};
use idgate_server::server::{self, Running};
use idgate_store::testing::fresh_url;
use idgate_store::Backend;
use reqwest::{Client, Method, Response};
use serde_json::Value;

pub const T0: i64 = 1_765_000_000_000;
pub const MASTER_KEY: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub struct Tenant {
    pub id: String,
    pub key: String,
}

pub struct TestServer {
    pub base: String,
    pub running: Running,
    pub clock: ManualClock,
    pub http: Client,
    pub a: Tenant,
    pub b: Tenant,
    pub sandbox: Tenant,
}

pub fn config(db: String, dir: &std::path::Path) -> Config {
    let mut cfg = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: db,
        master_key: Secret(MASTER_KEY.into()),
        ..Config::default()
    };
    cfg.webhooks.allow_private = true;
    cfg.login.push_allow_private = true;
    cfg.webhooks.base_delay_ms = 1_000;
    cfg.webhooks.poll_ms = 20;
    cfg.webhooks.timeout_ms = 2_000;
    // OCR models load on the first document read, not in every test server
    cfg.documents.preload = false;
    cfg.login.ws_heartbeat_ms = 50;
    cfg.login.poll_ms = 20;
    // one inference worker, models loaded on first use: most tests never run an inference
    cfg.inference.workers = 1;
    cfg.faces.preload = false;
    // rate limits are tested on their own (tests/http/edges.rs)
    cfg.limits.ip_requests_per_second = 0;
    cfg.limits.key_requests_per_second = 0;
    cfg
}

pub async fn start(backend: Backend) -> TestServer {
    start_with(backend, |_, _| {}).await
}

/// [`start`] with the configuration changed by `change` (given the server's data directory).
pub async fn start_with(
    backend: Backend,
    change: impl FnOnce(&mut Config, &std::path::Path),
) -> TestServer {
    let db = fresh_url(backend).await;
    let dir = std::env::temp_dir().join(format!("idgate-http-{}", uuid::Uuid::new_v4().simple()));
    let clock = ManualClock::new(T0);
    let mut cfg = config(db, &dir);
    change(&mut cfg, &dir);
    let running = server::start(cfg, Arc::new(clock.clone()))
        .await
        .expect("server starts");
    let store = &running.state.store;
    let mut tenants = Vec::new();
    for (name, sandbox) in [("alpha", false), ("beta", false), ("sandy", true)] {
        let t = admin::create_tenant(store, T0, name, sandbox, "America/Sao_Paulo")
            .await
            .unwrap();
        let k = admin::create_api_key(store, T0, &t.tenant_id)
            .await
            .unwrap();
        tenants.push(Tenant {
            id: t.tenant_id,
            key: k.api_key,
        });
    }
    let sandbox = tenants.pop().unwrap();
    let b = tenants.pop().unwrap();
    let a = tenants.pop().unwrap();
    TestServer {
        base: format!("http://{}", running.addr),
        running,
        clock,
        http: Client::new(),
        a,
        b,
        sandbox,
    }
}

impl TestServer {
    /// Sends `body` as JSON with `Authorization: <auth>` (pass "" for none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !auth.is_empty() {
            req = req.header("authorization", auth);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        json_of(req.send().await.expect("request")).await
    }

    pub async fn raw(&self, method: Method, path: &str, auth: &str, body: Vec<u8>) -> (u16, Value) {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(body);
        json_of(req.send().await.expect("request")).await
    }

    /// The types of tenant A's session `id` events, in order.
    pub async fn event_kinds(&self, id: &str) -> Vec<String> {
        let events = self.running.state.store.session_events(&self.a.id, id);
        events.await.unwrap().into_iter().map(|e| e.kind).collect()
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// A file of `../shared/testdata` (beside the checkout); says so loudly when it is absent.
pub fn testdata(rel: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "\n\n*** TEST DATA MISSING: {} ({e}). These tests need ../shared/testdata next to the \
             repository. ***\n",
            path.display()
        )
    })
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

pub async fn json_of(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
