//! A short-lived in-memory cache of verified API keys: the key's stored hash and its tenant,
//! by public prefix, so a busy client does not pay two database reads per request. The secret
//! is still hashed and compared in constant time on every request; a revoked key or a changed
//! tenant is seen within [`TTL_MS`] (per node).

use std::collections::HashMap;
use std::sync::Mutex;

use super::tenant::Tenant;

/// How long an entry is trusted. Revocation takes effect within this time.
pub const TTL_MS: i64 = 5_000;
/// Entries kept at most; the cache empties itself when full (bounded memory under key spraying:
/// only keys whose secret verified are ever inserted).
const CAPACITY: usize = 4_096;

#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    secret_hash: String,
    tenant: Tenant,
    until: i64,
}

impl KeyCache {
    /// The cached `(secret_hash, tenant)` for `prefix`, if fresh at `now` (ms).
    pub fn get(&self, prefix: &str, now: i64) -> Option<(String, Tenant)> {
        let map = self.entries.lock().ok()?;
        let e = map.get(prefix)?;
        (e.until > now).then(|| (e.secret_hash.clone(), e.tenant.clone()))
    }

    pub fn put(&self, prefix: &str, secret_hash: String, tenant: Tenant, now: i64) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(
                prefix.to_owned(),
                Entry {
                    secret_hash,
                    tenant,
                    until: now + TTL_MS,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idgate_core::session::Settings;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let c = KeyCache::default();
        let t = Tenant {
            id: "t".into(),
            name: "n".into(),
            sandbox: false,
            offset: time::UtcOffset::UTC,
            defaults: Settings::default(),
        };
        c.put("p", "h".into(), t.clone(), 0);
        assert_eq!(c.get("p", TTL_MS - 1).map(|x| x.0), Some("h".into()));
        assert!(c.get("p", TTL_MS).is_none());
        for i in 0..CAPACITY + 1 {
            c.put(&format!("k{i}"), "h".into(), t.clone(), 0);
        }
        assert!(c.entries.lock().unwrap().len() <= CAPACITY);
    }
}
