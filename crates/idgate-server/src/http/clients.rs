//! Who is calling and how much they hold open: the client's address (through trusted proxies),
//! and bounded counters of things held per key (connections per address, sockets per address
//! and per tenant) whose slots free themselves when dropped.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::state::AppState;

/// Counts what each key holds, up to `cap` each.
pub struct Counter<K: Hash + Eq + Clone> {
    cap: usize,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

/// One slot of a [`Counter`]; released on drop.
pub struct Counted<K: Hash + Eq + Clone> {
    key: K,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            held: Arc::default(),
        }
    }

    /// A slot for `key`, or `None` when it already holds `cap`.
    pub fn acquire(&self, key: &K) -> Option<Counted<K>> {
        let mut map = self.held.lock().ok()?;
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Counted {
            key: key.clone(),
            held: self.held.clone(),
        })
    }

    /// What `key` holds now.
    pub fn held(&self, key: &K) -> usize {
        self.held
            .lock()
            .map(|m| m.get(key).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl<K: Hash + Eq + Clone> Drop for Counted<K> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.held.lock() {
            if let Some(n) = map.get_mut(&self.key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&self.key);
                }
            }
        }
    }
}

/// The client address of a request: the TCP peer (set by the accept loop), or what a trusted
/// proxy says in `X-Forwarded-For`. Requests made without a peer (in-process) count as
/// `0.0.0.0`.
pub fn client_ip(st: &AppState, parts: &Parts) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let fwd = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    super::listen::client_ip(peer, fwd, &st.edge.proxies)
}

#[cfg(test)]
mod tests {
    use super::Counter;

    #[test]
    fn slots_are_capped_per_key_and_freed_on_drop() {
        let c = Counter::new(2);
        let a1 = c.acquire(&"a").unwrap();
        let _a2 = c.acquire(&"a").unwrap();
        assert!(c.acquire(&"a").is_none());
        let _b = c.acquire(&"b").unwrap();
        drop(a1);
        assert_eq!(c.held(&"a"), 1);
        assert!(c.acquire(&"a").is_some());
    }
}
