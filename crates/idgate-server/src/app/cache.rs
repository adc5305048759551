//! Short-lived in-memory caches of verified credentials (API keys by prefix, OAuth clients by
//! `client_id`), so a busy integrator does not pay database reads on every request. Secrets are
//! still hashed and compared in constant time on every request; a revoked key or client, or a
//! changed tenant, is seen within [`TTL_MS`] (per node).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::login::Client;
use super::tenant::Tenant;

/// How long an entry is trusted. Revocation takes effect within this time.
pub const TTL_MS: i64 = 5_000;
/// Entries kept at most; a cache empties itself when full (bounded memory under credential
/// spraying: only credentials whose secret verified are ever inserted).
const CAPACITY: usize = 4_096;

/// API keys: prefix → (stored secret hash, tenant, permission bits).
pub type KeyCache = TtlCache<(String, Tenant, u32)>;
/// OAuth clients: `client_id` → the client with its registration and tenant.
pub type ClientCache = TtlCache<Arc<Client>>;

/// A map whose entries are trusted for [`TTL_MS`] after insertion.
pub struct TtlCache<V> {
    entries: Mutex<HashMap<String, (V, i64)>>,
}

impl<V> Default for TtlCache<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> TtlCache<V> {
    /// The cached value for `key`, if fresh at `now` (ms).
    pub fn get(&self, key: &str, now: i64) -> Option<V> {
        let map = self.entries.lock().ok()?;
        let (v, until) = map.get(key)?;
        (*until > now).then(|| v.clone())
    }

    pub fn put(&self, key: &str, value: V, now: i64) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(key.to_owned(), (value, now + TTL_MS));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let c = TtlCache::<String>::default();
        c.put("p", "h".into(), 0);
        assert_eq!(c.get("p", TTL_MS - 1), Some("h".into()));
        assert!(c.get("p", TTL_MS).is_none());
        for i in 0..CAPACITY + 1 {
            c.put(&format!("k{i}"), "h".into(), 0);
        }
        assert!(c.entries.lock().unwrap().len() <= CAPACITY);
    }
}
