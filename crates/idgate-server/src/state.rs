//! Shared application state passed to every handler and job.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use idgate_core::crypto::KeyRing;
use idgate_store::Store;

use crate::clock::Clock;
use crate::config::Config;

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub cfg: Config,
    pub keys: KeyRing,
    pub clock: Arc<dyn Clock>,
    /// Base URL for links we hand out (`auth_session_url`).
    pub public_base: String,
    pub ready: AtomicBool,
    pub metrics: Metrics,
    /// Recently verified API keys and OAuth clients (see [`crate::app::cache`]).
    pub key_cache: crate::app::cache::KeyCache,
    pub client_cache: crate::app::cache::ClientCache,
    /// The OCR pool and signature trust roots of the document routes.
    pub documents: crate::app::documents::DocRuntime,
    /// The face pool (dlib models per worker) of the face routes.
    pub faces: crate::app::faces::FaceEngine,
    /// Login signing keys, VAPID key, real-time hub and job wake-up.
    pub login: crate::app::login_runtime::LoginRuntime,
    /// IP → country for the device scan's `timezone_ip_mismatch`.
    pub geo: crate::app::geo::GeoIp,
    /// In-flight cap, rate limiters and socket counters of the edge.
    pub edge: crate::http::guard::Edge,
    /// The uqudo door's RS256 keys and socket subscriptions.
    pub uqudo: crate::app::uqudo::UqRuntime,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Counters exported at `/metrics` in the Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    pub sessions_created: AtomicU64,
    pub webhooks_delivered: AtomicU64,
    pub webhooks_failed: AtomicU64,
    pub sessions_expired: AtomicU64,
    /// Completed passes of the expiry sweeper (also a channel, so a test can wait for one).
    pub sweeps: SweepCount,
}

/// How many sweeper passes have completed.
pub struct SweepCount(tokio::sync::watch::Sender<u64>);

impl Default for SweepCount {
    fn default() -> Self {
        Self(tokio::sync::watch::Sender::new(0))
    }
}

impl SweepCount {
    pub fn done(&self) {
        self.0.send_modify(|n| *n += 1);
    }

    pub fn get(&self) -> u64 {
        *self.0.borrow()
    }

    /// Waits until at least `n` passes have completed.
    pub async fn reached(&self, n: u64) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|got| *got >= n).await;
    }
}

impl Metrics {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let rows = [
            (
                "idgate_http_requests_total",
                "HTTP requests served",
                &self.requests,
            ),
            (
                "idgate_http_responses_4xx_total",
                "responses with a 4xx status",
                &self.responses_4xx,
            ),
            (
                "idgate_http_responses_5xx_total",
                "responses with a 5xx status",
                &self.responses_5xx,
            ),
            (
                "idgate_sessions_created_total",
                "verification sessions created",
                &self.sessions_created,
            ),
            (
                "idgate_sessions_expired_total",
                "sessions expired by the sweeper",
                &self.sessions_expired,
            ),
            (
                "idgate_webhooks_delivered_total",
                "webhook deliveries acknowledged",
                &self.webhooks_delivered,
            ),
            (
                "idgate_webhooks_failed_total",
                "webhook delivery attempts that failed",
                &self.webhooks_failed,
            ),
        ];
        let mut out = String::new();
        let counters = rows
            .into_iter()
            .map(|(name, help, v)| (name, help, v.load(Ordering::Relaxed)))
            .chain([(
                "idgate_sweeper_passes_total",
                "passes of the expiry and retention sweeper completed",
                self.sweeps.get(),
            )]);
        for (name, help, v) in counters {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
            ));
        }
        out
    }
}
