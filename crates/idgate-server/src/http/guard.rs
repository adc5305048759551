//! Admission at the edge: the cap on requests in flight (`503 busy` + `Retry-After`), rate
//! limits per client address on the routes anyone can call and per tenant (API keys) or OAuth
//! client (`429 rate_limited` + `Retry-After`), and the web-socket caps per address and per
//! tenant. Which of them a route gets follows its `Access` in the route table (no path list).
//! Limiters run on the injected [`Clock`], so tests move time instead of sleeping. Errors are
//! rendered in the error format of the route's family.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use idgate_core::Code;
use tokio::sync::Semaphore;

use super::clients::{client_ip, Counter};
use super::error::{ApiError, Fail, Qi, V1};
use super::oauth::OAuth;
use super::routes::Access;
use crate::clock::Clock;
use crate::limits_config::LimitsConfig;
use crate::state::AppState;

/// The server's clock as governor sees it (time since the epoch).
#[derive(Clone)]
pub struct LimiterClock(pub Arc<dyn Clock>);

impl governor::clock::Clock for LimiterClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.now_ms().max(0) as u64)
    }
}

type KeyedLimiter = RateLimiter<
    IpAddr,
    governor::state::keyed::HashMapStateStore<IpAddr>,
    LimiterClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;
type DirectLimiter = RateLimiter<
    NotKeyed,
    InMemoryState,
    LimiterClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// Client addresses remembered by the per-address limiter before idle ones are dropped.
const IP_ENTRIES: usize = 100_000;
/// Tenants and clients remembered by the per-credential limiters before the map is emptied.
const KEY_ENTRIES: usize = 10_000;

/// Edge state shared by every request.
pub struct Edge {
    pub proxies: Vec<ipnet::IpNet>,
    in_flight: Arc<Semaphore>,
    per_ip: Option<KeyedLimiter>,
    per_key: Mutex<HashMap<String, (Quota, Arc<DirectLimiter>)>>,
    key_quota: Option<Quota>,
    clock: LimiterClock,
    pub sockets_per_ip: Counter<IpAddr>,
    pub sockets_per_tenant: Counter<String>,
}

/// A quota of `rps` per second with `burst`; `None` when `rps` is 0 (no limit).
pub fn quota(rps: u32, burst: u32) -> Option<Quota> {
    let rps = NonZeroU32::new(rps)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rps);
    Some(Quota::per_second(rps).allow_burst(burst))
}

impl Edge {
    pub fn new(cfg: &LimitsConfig, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let clock = LimiterClock(clock);
        Ok(Self {
            proxies: super::listen::parse_proxies(&cfg.trusted_proxies)?,
            in_flight: Arc::new(Semaphore::new(cfg.max_in_flight.max(1))),
            per_ip: quota(cfg.ip_requests_per_second, cfg.ip_burst)
                .map(|q| RateLimiter::hashmap_with_clock(q, clock.clone())),
            per_key: Mutex::default(),
            key_quota: quota(cfg.key_requests_per_second, cfg.key_burst),
            clock,
            sockets_per_ip: Counter::new(cfg.max_sockets_per_ip.max(1)),
            sockets_per_tenant: Counter::new(cfg.max_sockets_per_tenant.max(1)),
        })
    }

    /// Counts one request of client address `ip` on a public route.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        let Some(l) = &self.per_ip else {
            return Ok(());
        };
        if l.len() > IP_ENTRIES {
            l.retain_recent();
        }
        l.check_key(&ip).map_err(|n| limited(&n, &self.clock))
    }

    /// Counts one request of credential `key` (`tenant:<id>`, `client:<id>`) under `own` (the
    /// tenant's quota) or the default quota.
    pub fn check_key(&self, key: &str, own: Option<Quota>) -> Result<(), ApiError> {
        let Some(q) = own.or(self.key_quota) else {
            return Ok(());
        };
        let limiter = {
            let Ok(mut map) = self.per_key.lock() else {
                return Ok(());
            };
            if map.len() >= KEY_ENTRIES {
                map.clear();
            }
            match map.get(key) {
                Some((have, l)) if *have == q => l.clone(),
                _ => {
                    let l = Arc::new(RateLimiter::direct_with_clock(q, self.clock.clone()));
                    map.insert(key.to_owned(), (q, l.clone()));
                    l
                }
            }
        };
        limiter.check().map_err(|n| limited(&n, &self.clock))
    }
}

fn limited(n: &governor::NotUntil<Duration>, clock: &LimiterClock) -> ApiError {
    use governor::clock::Clock as _;
    let wait = n.wait_time_from(clock.now());
    ApiError {
        retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
        ..ApiError::new(Code::RateLimited, "too many requests; retry later")
    }
}

/// Renders `e` in the error format of the family `path` belongs to.
pub fn fail_for(path: &str, e: ApiError) -> Response {
    if path.starts_with("/oauth/") || path.starts_with("/api/oauth/") {
        Fail::<OAuth>::new(e).into_response()
    } else if ["/auth_session_manager", "/ocr/", "/face_recognition"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        Fail::<Qi>::new(e).into_response()
    } else {
        Fail::<V1>::new(e).into_response()
    }
}

/// Middleware on each route of the table, with the route's [`Access`]: probes pass; routes
/// anyone can call count against the client address's rate; every other request needs a slot
/// among `limits.max_in_flight`.
pub async fn admit(
    State((st, access)): State<(AppState, Access)>,
    req: Request,
    next: Next,
) -> Response {
    if access == Access::Probe {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    if access.is_public() {
        if let Err(e) = st.edge.check_ip(client_ip(&st, &parts)) {
            return fail_for(&path, e);
        }
    }
    let Ok(_slot) = st.edge.in_flight.clone().try_acquire_owned() else {
        let e = ApiError {
            retry_after: Some(1),
            ..ApiError::new(Code::Busy, "the server is busy; retry shortly")
        };
        return fail_for(&path, e);
    };
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn per_address_limit_refills_with_the_injected_clock() {
        let clock = ManualClock::new(1_000_000);
        let cfg = LimitsConfig {
            ip_requests_per_second: 2,
            ip_burst: 3,
            ..LimitsConfig::default()
        };
        let edge = Edge::new(&cfg, Arc::new(clock.clone())).unwrap();
        let ip: IpAddr = "203.0.113.1".parse().unwrap();
        for _ in 0..3 {
            edge.check_ip(ip).unwrap();
        }
        let e = edge.check_ip(ip).unwrap_err();
        assert_eq!(e.code, Code::RateLimited);
        assert_eq!(e.retry_after, Some(1));
        // another address is not affected
        edge.check_ip("203.0.113.2".parse().unwrap()).unwrap();
        clock.advance_ms(500);
        edge.check_ip(ip).unwrap();
        assert!(edge.check_ip(ip).is_err());
    }

    #[test]
    fn per_key_limit_follows_the_tenant_quota() {
        let clock = ManualClock::new(1_000_000);
        let cfg = LimitsConfig {
            key_requests_per_second: 100,
            key_burst: 100,
            ..LimitsConfig::default()
        };
        let edge = Edge::new(&cfg, Arc::new(clock.clone())).unwrap();
        let own = quota(1, 2);
        edge.check_key("tenant:a", own).unwrap();
        edge.check_key("tenant:a", own).unwrap();
        assert!(edge.check_key("tenant:a", own).is_err());
        // the default quota for another tenant
        for _ in 0..100 {
            edge.check_key("tenant:b", None).unwrap();
        }
        assert!(edge.check_key("tenant:b", None).is_err());
        clock.advance_ms(1_000);
        edge.check_key("tenant:a", own).unwrap();
    }

    #[test]
    fn zero_means_unlimited() {
        let cfg = LimitsConfig {
            ip_requests_per_second: 0,
            key_requests_per_second: 0,
            ..LimitsConfig::default()
        };
        let edge = Edge::new(&cfg, Arc::new(ManualClock::new(0))).unwrap();
        for _ in 0..1_000 {
            edge.check_ip("203.0.113.1".parse().unwrap()).unwrap();
            edge.check_key("tenant:a", None).unwrap();
        }
    }
}
