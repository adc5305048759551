//! The uqudo door's RS256 keys: RSA-2048 keys generated on first use, stored sealed with the
//! master key ring (table `login_keys`, purpose `uqudo_rs256`, the PKCS#8 DER sealed), signing
//! access tokens and result JWS. Rotation: `idgate keys rotate` adds a key; every node signs
//! with the newest one from its next key refresh (at most [`REFRESH_MS`] later, or at once
//! when it meets a token signed with a `kid` it does not know), and superseded keys stay in
//! the JWKS and keep verifying for [`RETIRED_MS`].

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use idgate_core::crypto::KeyRing;
use idgate_store::{LoginKeyRow, Store};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

use crate::http::error::ApiError;
use crate::state::AppState;

pub const PURPOSE: &str = "uqudo_rs256";
/// How often a node re-reads the key list (so a rotation takes effect without a restart).
pub const REFRESH_MS: i64 = 60_000;
/// How long a superseded key stays published and verifying: longer than an access token
/// (30 min) and than a JWKS a client cached for a day.
pub const RETIRED_MS: i64 = 7 * 86_400_000;

/// One RSA key with its id.
pub struct RsaKey {
    pub kid: String,
    key: SigningKey<Sha256>,
    verify: VerifyingKey<Sha256>,
    jwk: Value,
}

impl RsaKey {
    fn new(kid: String, private: RsaPrivateKey) -> Self {
        let public = private.to_public_key();
        let b = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b(public.n()), "e": b(public.e())});
        Self {
            kid,
            key: SigningKey::new(private),
            verify: VerifyingKey::new(public),
            jwk,
        }
    }

    /// A compact JWS of `claims` with header `{alg: RS256, kid, typ}`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": typ});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.key.sign(input.as_bytes()).to_vec();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn verifies(&self, input: &str, sig: &[u8]) -> bool {
        Signature::try_from(sig).is_ok_and(|s| self.verify.verify(input.as_bytes(), &s).is_ok())
    }
}

/// The keys a node holds, the one to sign with first.
pub struct KeySet {
    pub loaded_at: i64,
    pub keys: Vec<RsaKey>,
}

impl KeySet {
    pub fn active(&self) -> &RsaKey {
        &self.keys[0]
    }
    pub fn jwks(&self) -> Value {
        json!({"keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()})
    }
    /// The claims of `token` if its signature verifies with one of these keys and its header
    /// says RS256 and `typ`; `Err(true)` when its `kid` is unknown here.
    pub fn verify(&self, token: &str, typ: &str) -> Result<Value, bool> {
        let mut parts = token.splitn(3, '.');
        let (Some(h), Some(c), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(false);
        };
        let dec = |p: &str| URL_SAFE_NO_PAD.decode(p).ok();
        let header: Value = dec(h)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(false)?;
        if header["alg"] != "RS256" || header["typ"] != typ {
            return Err(false);
        }
        let kid = header["kid"].as_str().unwrap_or("");
        let key = self.keys.iter().find(|k| k.kid == kid).ok_or(true)?;
        let sig = dec(s).ok_or(false)?;
        if !key.verifies(&format!("{h}.{c}"), &sig) {
            return Err(false);
        }
        dec(c)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(false)
    }
}

fn aad(kid: &str) -> Vec<u8> {
    format!("{PURPOSE}:{kid}").into_bytes()
}

/// Adds a new key (generated off the async runtime); used on first use and by `idgate keys rotate`.
pub async fn rotate(store: &Store, ring: &KeyRing, now: i64) -> Result<String, String> {
    let private = tokio::task::spawn_blocking(|| RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let der = private.to_pkcs8_der().map_err(|e| e.to_string())?;
    let kid = format!("rs-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let row = LoginKeyRow {
        sealed: ring.seal_str(
            &STANDARD.encode(der.as_bytes()),
            &aad(&kid),
            &mut rand::rngs::OsRng,
        ),
        kid: kid.clone(),
        purpose: PURPOSE.to_owned(),
        created_at: now,
    };
    store
        .insert_login_key(&row)
        .await
        .map_err(|e| e.to_string())?;
    Ok(kid)
}

/// Reads the keys (generating the first one), newest first, without those retired for longer
/// than [`RETIRED_MS`].
async fn load(store: &Store, ring: &KeyRing, now: i64) -> Result<KeySet, String> {
    let mut rows = store.login_keys(PURPOSE).await.map_err(|e| e.to_string())?;
    if rows.is_empty() {
        rotate(store, ring, now).await?;
        rows = store.login_keys(PURPOSE).await.map_err(|e| e.to_string())?;
    }
    // oldest first from the store: a key is retired when the next one was created
    let retired: Vec<Option<i64>> = (0..rows.len())
        .map(|i| rows.get(i + 1).map(|n| n.created_at))
        .collect();
    let mut keys = Vec::new();
    for (r, at) in rows.iter().zip(retired).rev() {
        if at.is_some_and(|at| now - at >= RETIRED_MS) {
            continue;
        }
        let der = ring
            .open_str(&r.sealed, &aad(&r.kid))
            .map_err(|e| format!("uqudo key {}: {e}", r.kid))?;
        let der = STANDARD
            .decode(der)
            .map_err(|e| format!("uqudo key {}: {e}", r.kid))?;
        let private =
            RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| format!("uqudo key {}: {e}", r.kid))?;
        keys.push(RsaKey::new(r.kid.clone(), private));
    }
    Ok(KeySet {
        loaded_at: now,
        keys,
    })
}

/// This node's keys, re-read when older than [`REFRESH_MS`] or when `force`d (a token with an
/// unknown `kid`; at most once per second).
pub async fn current(st: &AppState, force: bool) -> Result<Arc<KeySet>, ApiError> {
    let now = st.now();
    let slot = &st.uqudo.keys;
    {
        let held = slot.read().await;
        if let Some(k) = held.as_ref() {
            let age = now - k.loaded_at;
            if age < REFRESH_MS && !(force && age >= 1_000) {
                return Ok(k.clone());
            }
        }
    }
    let mut held = slot.write().await;
    if let Some(k) = held.as_ref() {
        if k.loaded_at == now || (!force && now - k.loaded_at < REFRESH_MS) {
            return Ok(k.clone());
        }
    }
    let set = Arc::new(load(&st.store, &st.keys, now).await.map_err(|e| {
        tracing::error!(error = %e, "uqudo signing keys unavailable");
        ApiError::internal()
    })?);
    *held = Some(set.clone());
    Ok(set)
}
