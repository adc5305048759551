//! Web Push message building: RFC 8291 payload encryption in the `aes128gcm` content coding
//! (RFC 8188, one record) and RFC 8292 VAPID authorisation. Pure: the ephemeral key and the
//! salt come from an injected RNG, time comes in as an argument; sending is the caller's job.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey as EcPublicKey, SecretKey};
use rand::{CryptoRng, RngCore};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::jose::{sign_with_header, SigningKey};

/// The record size written in the header; the whole message is one record.
pub const RECORD_SIZE: u32 = 4096;
/// Header: salt (16) + record size (4) + key id length (1) + server public key (65).
pub const HEADER_LEN: usize = 86;
/// Largest plaintext whose encrypted body fits the 4096 bytes every push service accepts
/// (RFC 8291 §4): 4096 − 86 header − 16 tag − 1 delimiter.
pub const MAX_PLAINTEXT: usize = 3993;
/// Lifetime of a VAPID JWT (RFC 8292 §2 allows at most 24 hours).
pub const VAPID_TTL_SECONDS: i64 = 12 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebPushError {
    #[error("p256dh is not a base64url P-256 point")]
    BadP256dh,
    #[error("auth is not 16 bytes of base64url")]
    BadAuth,
    #[error("endpoint is not an https URL (http only on loopback)")]
    BadEndpoint,
    #[error("VAPID subject must be a mailto: or https: URI")]
    BadSubject,
    #[error("plaintext longer than {MAX_PLAINTEXT} bytes")]
    TooLarge,
}

/// The subscription's keys. `Debug` does not print the auth secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PushKeys {
    p256dh: EcPublicKey,
    auth: [u8; 16],
}

impl std::fmt::Debug for PushKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PushKeys(<redacted>)")
    }
}

fn b64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim().trim_end_matches('=')).ok()
}

impl PushKeys {
    /// Parses the `keys.p256dh` (uncompressed point) and `keys.auth` of a PushSubscription.
    pub fn parse(p256dh: &str, auth: &str) -> Result<Self, WebPushError> {
        let point = b64url(p256dh)
            .filter(|p| p.len() == 65 && p[0] == 4)
            .ok_or(WebPushError::BadP256dh)?;
        let p256dh = EcPublicKey::from_sec1_bytes(&point).map_err(|_| WebPushError::BadP256dh)?;
        let auth = b64url(auth)
            .and_then(|a| <[u8; 16]>::try_from(a).ok())
            .ok_or(WebPushError::BadAuth)?;
        Ok(Self { p256dh, auth })
    }
}

/// A browser's PushSubscription: where to send and how to encrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    pub keys: PushKeys,
}

impl Subscription {
    pub fn parse(endpoint: &str, p256dh: &str, auth: &str) -> Result<Self, WebPushError> {
        vapid_audience(endpoint)?;
        Ok(Self {
            endpoint: endpoint.to_owned(),
            keys: PushKeys::parse(p256dh, auth)?,
        })
    }

    /// Reads `PushSubscription.toJSON()`: `{endpoint, keys: {p256dh, auth}}`.
    pub fn from_json(v: &Value) -> Result<Self, WebPushError> {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let endpoint = s(v.get("endpoint")).ok_or(WebPushError::BadEndpoint)?;
        let keys = v.get("keys");
        let p256dh = s(keys.and_then(|k| k.get("p256dh"))).ok_or(WebPushError::BadP256dh)?;
        let auth = s(keys.and_then(|k| k.get("auth"))).ok_or(WebPushError::BadAuth)?;
        Self::parse(&endpoint, &p256dh, &auth)
    }
}

/// Encrypts `plaintext` for the subscription with a fresh ephemeral key and salt.
pub fn encrypt(
    keys: &PushKeys,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, WebPushError> {
    let secret = SecretKey::random(rng);
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    encrypt_with(keys, plaintext, &secret.to_bytes().into(), &salt)
}

/// [`encrypt`] with a given server key and salt (known-answer tests only: never reuse them).
pub fn encrypt_with(
    keys: &PushKeys,
    plaintext: &[u8],
    server_secret: &[u8; 32],
    salt: &[u8; 16],
) -> Result<Vec<u8>, WebPushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(WebPushError::TooLarge);
    }
    let secret = SecretKey::from_slice(server_secret).map_err(|_| WebPushError::BadP256dh)?;
    let as_public = secret.public_key().to_encoded_point(false);
    let ua_public = keys.p256dh.to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), keys.p256dh.as_affine());

    // RFC 8291 §3.3–3.4: IKM from the ECDH secret and the auth secret, then RFC 8188 keys.
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    expand(&keys.auth, shared.raw_secret_bytes(), &key_info, &mut ikm);
    let mut cek = [0u8; 16];
    expand(salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek);
    let mut nonce = [0u8; 12];
    expand(salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce);

    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(2); // last-record delimiter, no padding
    let cipher = Aes128Gcm::new(&cek.into());
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| WebPushError::TooLarge)?;

    let mut body = Vec::with_capacity(HEADER_LEN + ct.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&ct);
    Ok(body)
}

/// HKDF-SHA256 extract-and-expand; every output here is ≤ 32 bytes, far below the limit.
fn expand(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let ok = Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .is_ok();
    debug_assert!(ok, "HKDF output length is a constant ≤ 32");
}

/// The VAPID `aud`: the origin (`scheme://host[:port]`) of the push endpoint.
pub fn vapid_audience(endpoint: &str) -> Result<String, WebPushError> {
    let url = url::Url::parse(endpoint).map_err(|_| WebPushError::BadEndpoint)?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(WebPushError::BadEndpoint),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(WebPushError::BadEndpoint),
    }
    Ok(url.origin().ascii_serialization())
}

/// `Authorization: vapid t=<JWT>, k=<public key>` for a push to `endpoint` (RFC 8292 §3).
/// `subject` is the operator's contact, a `mailto:` or `https:` URI.
pub fn vapid_header(
    vapid_key: &SigningKey,
    endpoint: &str,
    subject: &str,
    now: i64,
) -> Result<String, WebPushError> {
    let aud = vapid_audience(endpoint)?;
    let contact_ok = subject
        .strip_prefix("mailto:")
        .or_else(|| subject.strip_prefix("https://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if !contact_ok {
        return Err(WebPushError::BadSubject);
    }
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    header.insert("alg".into(), "ES256".into());
    let claims = json!({"aud": aud, "exp": now + VAPID_TTL_SECONDS, "sub": subject});
    let jwt = sign_with_header(vapid_key, &header, &claims);
    let k = URL_SAFE_NO_PAD.encode(vapid_key.public().to_uncompressed());
    Ok(format!("vapid t={jwt}, k={k}"))
}

/// RFC 8030 §5.3 urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    VeryLow,
    Low,
    Normal,
    High,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryLow => "very-low",
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
        }
    }
}

/// A ready-to-send push: POST `body` to `endpoint` with `headers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    pub endpoint: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What the push carries and how long the push service should keep it.
#[derive(Debug, Clone, Copy)]
pub struct PushOptions<'a> {
    pub subject: &'a str,
    pub ttl_seconds: u32,
    pub urgency: Urgency,
    /// Collapses unsent pushes with the same topic (RFC 8030 §5.4); ≤ 32 base64url chars.
    pub topic: Option<&'a str>,
}

/// Encrypts `plaintext` and adds the VAPID, `TTL`, `Urgency` and content headers.
pub fn build_message(
    sub: &Subscription,
    plaintext: &[u8],
    vapid_key: &SigningKey,
    opts: &PushOptions<'_>,
    now: i64,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<PushMessage, WebPushError> {
    let authorization = vapid_header(vapid_key, &sub.endpoint, opts.subject, now)?;
    let body = encrypt(&sub.keys, plaintext, rng)?;
    let mut headers = vec![
        ("Authorization", authorization),
        ("Content-Encoding", "aes128gcm".to_owned()),
        ("Content-Type", "application/octet-stream".to_owned()),
        ("TTL", opts.ttl_seconds.to_string()),
        ("Urgency", opts.urgency.as_str().to_owned()),
    ];
    let topic_ok = |t: &str| {
        t.len() <= 32
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if let Some(t) = opts.topic.filter(|t| topic_ok(t)) {
        headers.push(("Topic", t.to_owned()));
    }
    Ok(PushMessage {
        endpoint: sub.endpoint.clone(),
        headers,
        body,
    })
}

#[cfg(test)]
mod tests;
