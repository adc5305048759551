//! Compact JWS/JWT with ES256: signing and verification (alg pinned to ES256, kid lookup,
//! signature, `exp`/`nbf`/`iat` with a small leeway, `aud`, optional `typ`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::keys::{PublicKey, SigningKey};
use super::JoseError;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: i64 = 30;
/// Longest token accepted; anything larger is refused before decoding.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The verified claim set of a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims(pub Map<String, Value>);

impl Claims {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// A NumericDate or other integer claim (fractions are truncated).
    pub fn int(&self, name: &str) -> Option<i64> {
        let v = self.0.get(name)?;
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// Where to look up a key by `kid`: a slice of public keys, of signing keys, or a JWKS
/// already turned into keys with [`Jwks::public_keys`](super::Jwks::public_keys).
pub trait KeySet {
    fn find(&self, kid: &str) -> Option<PublicKey>;
}

impl KeySet for [PublicKey] {
    fn find(&self, kid: &str) -> Option<PublicKey> {
        self.iter().find(|k| k.kid() == kid).cloned()
    }
}

impl KeySet for Vec<PublicKey> {
    fn find(&self, kid: &str) -> Option<PublicKey> {
        self.as_slice().find(kid)
    }
}

impl KeySet for [SigningKey] {
    fn find(&self, kid: &str) -> Option<PublicKey> {
        self.iter().find(|k| k.kid() == kid).map(SigningKey::public)
    }
}

impl KeySet for super::Jwks {
    fn find(&self, kid: &str) -> Option<PublicKey> {
        self.keys
            .iter()
            .filter(|k| k.kid.as_deref() == Some(kid))
            .find_map(|k| PublicKey::from_jwk(k).ok())
    }
}

/// What a verified token must also satisfy.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// Must appear in `aud` (a string or an array of strings).
    pub aud: &'a str,
    /// When set, the header's `typ` must equal it (RFC 8725 §3.11: tells token kinds apart).
    pub typ: Option<&'a str>,
}

/// Signs `claims` as a compact JWS: header `{alg: ES256, kid, typ: JWT}` plus `header_extra`
/// (which may override `typ`, never `alg` or `kid`).
pub fn sign_jwt(key: &SigningKey, header_extra: &Map<String, Value>, claims: &Value) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    header.extend(header_extra.clone());
    header.insert("alg".into(), "ES256".into());
    header.insert("kid".into(), key.kid().into());
    sign_with_header(key, &header, claims)
}

/// Signs with exactly the given header (VAPID uses `{typ, alg}` without `kid`).
pub(crate) fn sign_with_header(
    key: &SigningKey,
    header: &Map<String, Value>,
    claims: &Value,
) -> String {
    let h = URL_SAFE_NO_PAD.encode(Value::Object(header.clone()).to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{h}.{p}");
    let sig = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()));
    format!("{input}.{sig}")
}

/// Verifies a token for audience `expected_aud` at unix time `now`.
pub fn verify_jwt<K: KeySet + ?Sized>(
    keys: &K,
    token: &str,
    expected_aud: &str,
    now: i64,
) -> Result<Claims, JoseError> {
    let expect = Expect {
        aud: expected_aud,
        typ: None,
    };
    verify_jwt_with(keys, token, &expect, now)
}

/// [`verify_jwt`] with the full set of expectations.
pub fn verify_jwt_with<K: KeySet + ?Sized>(
    keys: &K,
    token: &str,
    expect: &Expect<'_>,
    now: i64,
) -> Result<Claims, JoseError> {
    let (header, claims) = verify_signature(keys, token)?;
    if let Some(typ) = expect.typ {
        if header.get("typ").and_then(Value::as_str) != Some(typ) {
            return Err(JoseError::WrongType);
        }
    }
    check_times(&claims, now)?;
    if !audience_contains(claims.get("aud"), expect.aud) {
        return Err(JoseError::WrongAudience);
    }
    Ok(claims)
}

/// Checks structure, header and signature; returns the header and the (unchecked) claims.
fn verify_signature<K: KeySet + ?Sized>(
    keys: &K,
    token: &str,
) -> Result<(Map<String, Value>, Claims), JoseError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JoseError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed);
    };
    let header = decode_object(h)?;
    match header.get("alg").and_then(Value::as_str) {
        Some("ES256") => {}
        _ => return Err(JoseError::UnsupportedAlgorithm),
    }
    if header.contains_key("crit") {
        return Err(JoseError::UnsupportedAlgorithm);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JoseError::UnknownKey)?;
    let key = keys.find(kid).ok_or(JoseError::UnknownKey)?;
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JoseError::Malformed)?;
    let signed_len = h.len() + 1 + p.len();
    if !key.verify(&token.as_bytes()[..signed_len], &sig) {
        return Err(JoseError::BadSignature);
    }
    let claims = decode_object(p)?;
    Ok((header, Claims(claims)))
}

fn decode_object(part: &str) -> Result<Map<String, Value>, JoseError> {
    let raw = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JoseError::Malformed)?;
    match serde_json::from_slice(&raw) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(JoseError::Malformed),
    }
}

fn numeric(claims: &Claims, name: &'static str) -> Result<Option<i64>, JoseError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) if v.is_number() => Ok(claims.int(name)),
        Some(_) => Err(JoseError::InvalidClaim(name)),
    }
}

fn check_times(claims: &Claims, now: i64) -> Result<(), JoseError> {
    let exp = numeric(claims, "exp")?.ok_or(JoseError::InvalidClaim("exp"))?;
    if now >= exp.saturating_add(LEEWAY_SECONDS) {
        return Err(JoseError::Expired);
    }
    if let Some(nbf) = numeric(claims, "nbf")? {
        if now.saturating_add(LEEWAY_SECONDS) < nbf {
            return Err(JoseError::NotYetValid);
        }
    }
    if let Some(iat) = numeric(claims, "iat")? {
        if iat > now.saturating_add(LEEWAY_SECONDS) {
            return Err(JoseError::NotYetValid);
        }
    }
    Ok(())
}

fn audience_contains(aud: Option<&Value>, expected: &str) -> bool {
    match aud {
        Some(Value::String(s)) => s == expected,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(expected)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::Jwks;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn key(kid: &str, seed: u64) -> SigningKey {
        SigningKey::generate(kid, &mut StdRng::seed_from_u64(seed))
    }

    fn claims() -> Value {
        json!({"iss": "https://idgate.test", "aud": "client-1", "sub": "u", "iat": NOW, "exp": NOW + 60})
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn round_trip_with_each_key_source() {
        let k = key("k1", 1);
        let t = sign_jwt(&k, &Map::new(), &claims());
        let pubs = vec![key("k0", 0).public(), k.public()];
        let c = verify_jwt(&pubs, &t, "client-1", NOW).unwrap();
        assert_eq!(c.str("sub"), Some("u"));
        assert_eq!(c.int("exp"), Some(NOW + 60));
        assert!(verify_jwt(std::slice::from_ref(&k), &t, "client-1", NOW).is_ok());
        let jwks = Jwks::from_keys(&pubs);
        assert!(verify_jwt(&jwks, &t, "client-1", NOW).is_ok());
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(t.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}));
    }

    #[test]
    fn refuses_bad_tokens() {
        let k = key("k1", 1);
        let keys = vec![k.public()];
        let good = sign_jwt(&k, &Map::new(), &claims());
        let (hp, _) = good.rsplit_once('.').unwrap();
        let none = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "kid": "k1"})),
            b64(&claims())
        );
        let hs = format!(
            "{}.{}.AAAA",
            b64(&json!({"alg": "HS256", "kid": "k1"})),
            b64(&claims())
        );
        let cases: Vec<(String, JoseError)> = vec![
            ("a.b".into(), JoseError::Malformed),
            (format!("{good}.x"), JoseError::Malformed),
            (none, JoseError::UnsupportedAlgorithm),
            (hs, JoseError::UnsupportedAlgorithm),
            (
                sign_jwt(&key("k9", 9), &Map::new(), &claims()),
                JoseError::UnknownKey,
            ),
            (
                sign_jwt(&key("k1", 2), &Map::new(), &claims()),
                JoseError::BadSignature,
            ),
            (
                format!("{hp}.{}", URL_SAFE_NO_PAD.encode([0u8; 64])),
                JoseError::BadSignature,
            ),
            ("x".repeat(MAX_TOKEN_LEN + 1), JoseError::Malformed),
        ];
        for (t, want) in cases {
            assert_eq!(verify_jwt(&keys, &t, "client-1", NOW), Err(want), "{t:.40}");
        }
        for junk in [
            "",
            "..",
            "...",
            "é.é.é",
            "e30.e30.",
            "e30.e30.e30",
            "W10.W10.AA",
        ] {
            assert!(verify_jwt(&keys, junk, "client-1", NOW).is_err(), "{junk}");
        }
        let mut crit = Map::new();
        crit.insert("crit".into(), json!(["b64"]));
        let t = sign_jwt(&k, &crit, &claims());
        assert_eq!(
            verify_jwt(&keys, &t, "client-1", NOW),
            Err(JoseError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn checks_times_audience_and_type() {
        let k = key("k1", 1);
        let keys = vec![k.public()];
        let t = |c: Value| sign_jwt(&k, &Map::new(), &c);
        let base = claims();
        assert!(verify_jwt(
            &keys,
            &t(base.clone()),
            "client-1",
            NOW + 60 + LEEWAY_SECONDS - 1
        )
        .is_ok());
        assert_eq!(
            verify_jwt(
                &keys,
                &t(base.clone()),
                "client-1",
                NOW + 60 + LEEWAY_SECONDS
            ),
            Err(JoseError::Expired)
        );
        assert_eq!(
            verify_jwt(&keys, &t(base.clone()), "other", NOW),
            Err(JoseError::WrongAudience)
        );
        let arr = json!({"aud": ["x", "client-1"], "exp": NOW + 5});
        assert!(verify_jwt(&keys, &t(arr), "client-1", NOW).is_ok());
        let no_exp = json!({"aud": "client-1"});
        assert_eq!(
            verify_jwt(&keys, &t(no_exp), "client-1", NOW),
            Err(JoseError::InvalidClaim("exp"))
        );
        let str_exp = json!({"aud": "client-1", "exp": "soon"});
        assert_eq!(
            verify_jwt(&keys, &t(str_exp), "client-1", NOW),
            Err(JoseError::InvalidClaim("exp"))
        );
        let nbf = json!({"aud": "client-1", "exp": NOW + 500, "nbf": NOW + 100});
        assert_eq!(
            verify_jwt(&keys, &t(nbf), "client-1", NOW),
            Err(JoseError::NotYetValid)
        );
        let iat = json!({"aud": "client-1", "exp": NOW + 500, "iat": NOW + 100});
        assert_eq!(
            verify_jwt(&keys, &t(iat), "client-1", NOW),
            Err(JoseError::NotYetValid)
        );
        let mut typ = Map::new();
        typ.insert("typ".into(), "at+jwt".into());
        let at = sign_jwt(&k, &typ, &base);
        let want = |typ| Expect {
            aud: "client-1",
            typ: Some(typ),
        };
        assert!(verify_jwt_with(&keys, &at, &want("at+jwt"), NOW).is_ok());
        assert_eq!(
            verify_jwt_with(&keys, &at, &want("login-callback+jwt"), NOW),
            Err(JoseError::WrongType)
        );
    }
}
