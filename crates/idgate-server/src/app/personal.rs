//! Personal data kept out of records that do not need it. Events and webhook payloads (the
//! `events` and `outbox` tables) and the device scan's memory (`device_uses`) carry a keyed hash
//! of the session's CPF instead of the CPF: HMAC-SHA256 under a sub-key of the active master key
//! (purpose `cpf-hash`), over the tenant id and the CPF digits. The CPF has only 10⁹ values, so an
//! unkeyed hash would be reversed by trying them all; without the master key this one cannot be.
//! Equal CPFs of one tenant hash equally while the active key stays (a key rotation starts new
//! hashes); two tenants' hashes of one CPF differ. Where the CPF stays in clear, and why, is in
//! the README's "Personal data" section.

use idgate_core::crypto::KeyRing;

/// The keyed hash of `digits` for `tenant_id` (64 hex characters); `None` for a session without
/// a CPF (a door that has none, or a redacted session).
pub fn cpf_hash(keys: &KeyRing, tenant_id: &str, digits: &str) -> Option<String> {
    if digits.is_empty() || digits == idgate_store::REDACTED {
        return None;
    }
    let msg = format!("{tenant_id}\n{digits}");
    Some(hex::encode(keys.active().mac("cpf-hash", msg.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use idgate_core::crypto::Key;

    #[test]
    fn the_hash_is_keyed_per_tenant_and_hides_the_cpf() {
        let ring = |b: u8| KeyRing::new(Key::new("k", [b; 32]), vec![]);
        let h = cpf_hash(&ring(1), "t1", "52998224725").unwrap();
        assert_eq!(h.len(), 64);
        assert!(!h.contains("52998224725"));
        assert_eq!(cpf_hash(&ring(1), "t1", "52998224725").unwrap(), h);
        assert_ne!(cpf_hash(&ring(1), "t2", "52998224725").unwrap(), h);
        assert_ne!(cpf_hash(&ring(2), "t1", "52998224725").unwrap(), h);
        assert_eq!(cpf_hash(&ring(1), "t1", ""), None);
        assert_eq!(cpf_hash(&ring(1), "t1", "[redacted]"), None);
    }
}
