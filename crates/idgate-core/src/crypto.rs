//! Symmetric crypto primitives: an AES-256-GCM key ring with key ids (values carry their key
//! id, so rotation is a config change), HMAC-SHA256 for signatures and derived tokens, SHA-256
//! hashing of high-entropy secrets, and constant-time comparison. Randomness is passed in.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// A 256-bit key with its id.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({}, <redacted>)", self.id)
    }
}

impl Key {
    pub fn new(id: impl Into<String>, bytes: [u8; 32]) -> Self {
        Self {
            id: id.into(),
            bytes,
        }
    }

    /// Parses standard base64 of exactly 32 bytes.
    pub fn from_base64(id: impl Into<String>, b64: &str) -> Result<Self, CryptoError> {
        let raw = STANDARD
            .decode(b64.trim())
            .map_err(|_| CryptoError::BadKey)?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self::new(id, bytes))
    }

    /// A public fingerprint of the key (first 16 hex chars of SHA-256 over a label and the key).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"idgate-key-fingerprint\0");
        h.update(self.bytes);
        hex::encode(&h.finalize()[..8])
    }

    /// HMAC-SHA256 of `msg` under a sub-key derived for `purpose`.
    pub fn mac(&self, purpose: &str, msg: &[u8]) -> [u8; 32] {
        let sub = hmac(&self.bytes, purpose.as_bytes());
        hmac(&sub, msg)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("key must be 32 bytes of standard base64")]
    BadKey,
    #[error("unknown key id {0}")]
    UnknownKey(String),
    #[error("ciphertext is malformed or was tampered with")]
    Decrypt,
}

/// Encryption keys by id, one active for new values.
#[derive(Debug, Clone)]
pub struct KeyRing {
    active: Key,
    old: Vec<Key>,
}

impl KeyRing {
    pub fn new(active: Key, old: Vec<Key>) -> Self {
        Self { active, old }
    }

    pub fn active(&self) -> &Key {
        &self.active
    }

    /// The active key first, then the old ones.
    pub fn all(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.active).chain(&self.old)
    }

    fn by_id(&self, id: &str) -> Option<&Key> {
        self.all().find(|k| k.id == id)
    }

    /// Encrypts to `kid.nonce||ciphertext` (URL-safe base64 after the dot); `aad` binds the value to
    /// its owner (e.g. tenant and row id) so it cannot be moved to another row.
    pub fn seal(&self, plain: &[u8], aad: &[u8], rng: &mut impl RngCore) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new_from_slice(&self.active.bytes).expect("32-byte key");
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
            .expect("AES-GCM encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(self.active.id.len() + 1 + 12 + ct.len());
        out.extend_from_slice(self.active.id.as_bytes());
        out.push(b'.');
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let dot = sealed
            .iter()
            .position(|&b| b == b'.')
            .ok_or(CryptoError::Decrypt)?;
        let id = std::str::from_utf8(&sealed[..dot]).map_err(|_| CryptoError::Decrypt)?;
        let key = self
            .by_id(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let rest = &sealed[dot + 1..];
        if rest.len() < 12 + 16 {
            return Err(CryptoError::Decrypt);
        }
        let cipher = Aes256Gcm::new_from_slice(&key.bytes).expect("32-byte key");
        cipher
            .decrypt(
                Nonce::from_slice(&rest[..12]),
                Payload {
                    msg: &rest[12..],
                    aad,
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Text form of [`seal`](Self::seal) for text columns.
    pub fn seal_str(&self, plain: &str, aad: &[u8], rng: &mut impl RngCore) -> String {
        URL_SAFE_NO_PAD.encode(self.seal(plain.as_bytes(), aad, rng))
    }

    pub fn open_str(&self, sealed: &str, aad: &[u8]) -> Result<String, CryptoError> {
        let raw = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(self.open(&raw, aad)?).map_err(|_| CryptoError::Decrypt)
    }
}

pub fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// SHA-256 hex of a high-entropy secret (API keys, tokens): fast and sufficient, since the
/// secrets carry ≥122 random bits and cannot be guessed.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of two strings (length may leak, content does not).
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A UUID v4 derived from a MAC: 122 bits that only the key holder can compute.
pub fn uuid_from_mac(mac: [u8; 32]) -> uuid::Uuid {
    let mut b: [u8; 16] = mac[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b)
}

/// `n` random bytes as URL-safe base64 (no padding).
pub fn random_token(rng: &mut impl RngCore, n: usize) -> String {
    let mut b = vec![0u8; n];
    rng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn ring() -> KeyRing {
        KeyRing::new(Key::new("k2", [2; 32]), vec![Key::new("k1", [1; 32])])
    }

    #[test]
    fn seal_open_round_trip_and_rotation() {
        let mut rng = StdRng::seed_from_u64(7);
        let old = KeyRing::new(Key::new("k1", [1; 32]), vec![]);
        let sealed_old = old.seal(b"secret", b"t1", &mut rng);
        let r = ring();
        assert_eq!(r.open(&sealed_old, b"t1").unwrap(), b"secret");
        let sealed = r.seal(b"secret", b"t1", &mut rng);
        assert!(sealed.starts_with(b"k2."));
        assert_eq!(r.open(&sealed, b"t1").unwrap(), b"secret");
        assert_eq!(r.open(&sealed, b"t2"), Err(CryptoError::Decrypt));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(r.open(&flipped, b"t1"), Err(CryptoError::Decrypt));
        let s = r.seal_str("hello", b"", &mut rng);
        assert_eq!(r.open_str(&s, b"").unwrap(), "hello");
        let unknown = KeyRing::new(Key::new("k9", [9; 32]), vec![]).seal(b"x", b"", &mut rng);
        assert_eq!(
            r.open(&unknown, b""),
            Err(CryptoError::UnknownKey("k9".into()))
        );
    }

    #[test]
    fn derived_uuid_is_v4_and_keyed() {
        let k = Key::new("k", [3; 32]);
        let a = uuid_from_mac(k.mac("token", b"s1"));
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a, uuid_from_mac(k.mac("token", b"s1")));
        assert_ne!(a, uuid_from_mac(k.mac("token", b"s2")));
        assert_ne!(a, uuid_from_mac(Key::new("k", [4; 32]).mac("token", b"s1")));
    }

    #[test]
    fn ct_eq_works() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "ab"));
    }
}
