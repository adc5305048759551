//! ES256 (P-256) keys: signing keys with a `kid`, their import/export for encrypted storage,
//! public keys as JWK/JWKS, and authenticator-device keys with WebCrypto (P1363) signatures.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey as EcSigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::JoseError;

/// An ES256 private key and its key id. `Debug` never prints the scalar.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    inner: EcSigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, <redacted>)", self.kid)
    }
}

impl SigningKey {
    /// A fresh key from a cryptographic RNG.
    pub fn generate(kid: impl Into<String>, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self {
            kid: kid.into(),
            inner: EcSigningKey::random(rng),
        }
    }

    /// Imports an unencrypted PKCS#8 DER private key (seal it with `crypto::KeyRing` at rest).
    pub fn from_pkcs8_der(kid: impl Into<String>, der: &[u8]) -> Result<Self, JoseError> {
        let inner = EcSigningKey::from_pkcs8_der(der).map_err(|_| JoseError::InvalidKey)?;
        Ok(Self {
            kid: kid.into(),
            inner,
        })
    }

    /// PKCS#8 DER of the private key. Secret: encrypt before storing.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, JoseError> {
        let doc = self
            .inner
            .to_pkcs8_der()
            .map_err(|_| JoseError::InvalidKey)?;
        Ok(doc.as_bytes().to_vec())
    }

    /// Imports the raw 32-byte big-endian scalar.
    pub fn from_scalar(kid: impl Into<String>, scalar: &[u8]) -> Result<Self, JoseError> {
        let inner = EcSigningKey::from_slice(scalar).map_err(|_| JoseError::InvalidKey)?;
        Ok(Self {
            kid: kid.into(),
            inner,
        })
    }

    /// The raw 32-byte scalar. Secret: encrypt before storing.
    pub fn to_scalar(&self) -> [u8; 32] {
        self.inner.to_bytes().into()
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            key: *self.inner.verifying_key(),
        }
    }

    /// Deterministic (RFC 6979) ECDSA over SHA-256, as raw r||s (the JWS form).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let sig: Signature = self.inner.sign(msg);
        sig.to_bytes().into()
    }
}

/// An ES256 public key with its key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    key: VerifyingKey,
}

impl PublicKey {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Parses an uncompressed or compressed SEC1 point.
    pub fn from_sec1(kid: impl Into<String>, bytes: &[u8]) -> Result<Self, JoseError> {
        let key = VerifyingKey::from_sec1_bytes(bytes).map_err(|_| JoseError::InvalidKey)?;
        Ok(Self {
            kid: kid.into(),
            key,
        })
    }

    /// The 65-byte uncompressed point `04||x||y`.
    pub fn to_uncompressed(&self) -> [u8; 65] {
        let point = self.key.to_encoded_point(false);
        let mut out = [0u8; 65];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// The public JWK: `{kty: EC, crv: P-256, x, y, kid, use: sig, alg: ES256}`.
    pub fn to_jwk(&self) -> Jwk {
        let p = self.to_uncompressed();
        Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: URL_SAFE_NO_PAD.encode(&p[1..33]),
            y: URL_SAFE_NO_PAD.encode(&p[33..]),
            kid: Some(self.kid.clone()),
            use_: Some("sig".into()),
            alg: Some("ES256".into()),
        }
    }

    /// Reads a P-256 JWK; the key id is the JWK's `kid` (empty when absent).
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        if jwk.kty != "EC" || jwk.crv != "P-256" {
            return Err(JoseError::InvalidKey);
        }
        if jwk.alg.as_deref().is_some_and(|a| a != "ES256") {
            return Err(JoseError::InvalidKey);
        }
        let x = decode_coord(&jwk.x)?;
        let y = decode_coord(&jwk.y)?;
        let mut sec1 = Vec::with_capacity(65);
        sec1.push(4);
        sec1.extend_from_slice(&x);
        sec1.extend_from_slice(&y);
        Self::from_sec1(jwk.kid.clone().unwrap_or_default(), &sec1)
    }

    /// Checks a raw r||s (64 bytes) signature over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify(msg, &sig).is_ok()
    }
}

fn decode_coord(s: &str) -> Result<[u8; 32], JoseError> {
    let raw = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JoseError::InvalidKey)?;
    raw.try_into().map_err(|_| JoseError::InvalidKey)
}

/// A public EC JSON Web Key (RFC 7517/7518). Private members are never modelled. Keys of
/// other types in a set (idgate's RS256 keys) read with empty EC members, and
/// [`Jwks::public_keys`] skips them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub crv: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kid: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none", default)]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alg: Option<String>,
}

/// The body of `/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// Publishes the given public keys (the active one and those still verifying old tokens).
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a PublicKey>) -> Self {
        Self {
            keys: keys.into_iter().map(PublicKey::to_jwk).collect(),
        }
    }

    /// The usable keys; entries that are not P-256 signature keys are skipped.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys
            .iter()
            .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|k| PublicKey::from_jwk(k).ok())
            .collect()
    }
}

/// An enrolled authenticator's public key (P-256), as sent by the device at enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKey(VerifyingKey);

impl DeviceKey {
    /// Accepts what a browser can export: a JWK (JSON text), SPKI DER in base64 or base64url
    /// (WebCrypto `exportKey("spki")`), or a raw SEC1 point in base64url (`exportKey("raw")`).
    pub fn parse(text: &str) -> Result<Self, JoseError> {
        let text = text.trim();
        if text.starts_with('{') {
            let jwk: Jwk = serde_json::from_str(text).map_err(|_| JoseError::InvalidKey)?;
            return Self::from_jwk(&jwk);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .or_else(|_| STANDARD.decode(text))
            .map_err(|_| JoseError::InvalidKey)?;
        Self::from_bytes(&raw)
    }

    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        PublicKey::from_jwk(jwk).map(|k| Self(k.key))
    }

    /// SPKI DER (starts with a SEQUENCE) or a SEC1 point.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, JoseError> {
        let key = if raw.first() == Some(&0x30) {
            VerifyingKey::from_public_key_der(raw).map_err(|_| JoseError::InvalidKey)?
        } else {
            VerifyingKey::from_sec1_bytes(raw).map_err(|_| JoseError::InvalidKey)?
        };
        Ok(Self(key))
    }

    pub fn to_jwk(&self) -> Jwk {
        let mut jwk = PublicKey {
            kid: String::new(),
            key: self.0,
        }
        .to_jwk();
        jwk.kid = None;
        jwk
    }
}

/// Checks an ECDSA P-256/SHA-256 signature by an authenticator device. WebCrypto produces
/// raw r||s (64 bytes, IEEE P1363); DER-encoded signatures (Android, OpenSSL) are accepted too.
pub fn verify_device_signature(key: &DeviceKey, message: &[u8], sig: &[u8]) -> bool {
    let parsed = if sig.len() == 64 {
        Signature::from_slice(sig)
    } else {
        Signature::from_der(sig)
    };
    match parsed {
        Ok(s) => key.0.verify(message, &s).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn key() -> SigningKey {
        SigningKey::generate("k1", &mut StdRng::seed_from_u64(1))
    }

    #[test]
    fn pkcs8_and_scalar_round_trip_and_debug_is_redacted() {
        let k = key();
        let der = k.to_pkcs8_der().unwrap();
        let back = SigningKey::from_pkcs8_der("k1", &der).unwrap();
        assert_eq!(back.public(), k.public());
        let s = SigningKey::from_scalar("k1", &k.to_scalar()).unwrap();
        assert_eq!(s.public(), k.public());
        let dbg = format!("{k:?}");
        assert_eq!(dbg, "SigningKey(k1, <redacted>)");
        assert!(SigningKey::from_pkcs8_der("x", b"junk").is_err());
        assert!(SigningKey::from_scalar("x", &[0u8; 32]).is_err());
    }

    #[test]
    fn jwk_and_jwks_round_trip() {
        let k = key().public();
        let jwk = k.to_jwk();
        let v = serde_json::to_value(&jwk).unwrap();
        assert_eq!(v["kty"], "EC");
        assert_eq!(v["crv"], "P-256");
        assert_eq!(v["use"], "sig");
        assert_eq!(v["alg"], "ES256");
        assert_eq!(v["kid"], "k1");
        assert_eq!(v["x"].as_str().unwrap().len(), 43);
        let jwks = Jwks::from_keys([&k]);
        assert_eq!(jwks.public_keys(), vec![k.clone()]);
        let mut bad = jwk.clone();
        bad.crv = "P-384".into();
        assert!(PublicKey::from_jwk(&bad).is_err());
        let mut off_curve = jwk;
        off_curve.y = off_curve.x.clone();
        assert!(PublicKey::from_jwk(&off_curve).is_err());
    }

    #[test]
    fn device_signature_p1363_and_der() {
        let k = key();
        let msg = b"approve";
        let raw = k.sign(msg);
        let jwk_text = serde_json::to_string(&k.public().to_jwk()).unwrap();
        let dev = DeviceKey::parse(&jwk_text).unwrap();
        assert!(verify_device_signature(&dev, msg, &raw));
        assert!(!verify_device_signature(&dev, b"deny", &raw));
        let der = Signature::from_slice(&raw).unwrap().to_der();
        assert!(verify_device_signature(&dev, msg, der.as_bytes()));
        assert!(!verify_device_signature(&dev, msg, &raw[..63]));
        assert!(!verify_device_signature(&dev, msg, &[]));
        let sec1 = URL_SAFE_NO_PAD.encode(k.public().to_uncompressed());
        assert_eq!(DeviceKey::parse(&sec1).unwrap(), dev);
        let spki = p256::pkcs8::EncodePublicKey::to_public_key_der(&dev.0).unwrap();
        assert_eq!(
            DeviceKey::parse(&STANDARD.encode(spki.as_bytes())).unwrap(),
            dev
        );
        assert!(DeviceKey::parse("not a key").is_err());
        assert!(DeviceKey::parse("{\"kty\":1}").is_err());
    }
}
