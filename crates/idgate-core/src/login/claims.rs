//! Claim sets of the two tokens a login yields: the single-use callback JWT posted to the
//! client's `callback_url`, and the access token `/oauth/token` exchanges it for. Each has
//! its own `typ` header so one can never be presented as the other (RFC 8725 §3.11).

use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jose::{sign_jwt, verify_jwt_with, Claims, Expect, JoseError, KeySet, SigningKey};

/// `typ` header of callback JWTs.
pub const CALLBACK_JWT_TYP: &str = "login-callback+jwt";
/// `typ` header of access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// A callback JWT lives at most this long: it is exchanged right away, once.
pub const CALLBACK_JWT_MAX_TTL: i64 = 120;

/// A fresh `jti` (UUID v4 from the injected RNG).
pub fn new_jti(rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

fn typ_header(typ: &str) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("typ".into(), typ.into());
    h
}

fn from_claims<T: for<'de> Deserialize<'de>>(c: Claims) -> Result<T, JoseError> {
    serde_json::from_value(c.into_value()).map_err(|_| JoseError::InvalidClaim("claims"))
}

/// `{iss, aud: client_id, sub: username, jti, iat, exp ≤ iat + 120, short_token}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub short_token: String,
}

impl CallbackClaims {
    /// `ttl` is clamped to 1..=120 seconds.
    pub fn new(
        iss: &str,
        client_id: &str,
        username: &str,
        jti: &str,
        short_token: &str,
        iat: i64,
        ttl: i64,
    ) -> Self {
        Self {
            iss: iss.to_owned(),
            aud: client_id.to_owned(),
            sub: username.to_owned(),
            jti: jti.to_owned(),
            iat,
            exp: iat.saturating_add(ttl.clamp(1, CALLBACK_JWT_MAX_TTL)),
            short_token: short_token.to_owned(),
        }
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        let claims = serde_json::to_value(self).unwrap_or(Value::Null);
        sign_jwt(key, &typ_header(CALLBACK_JWT_TYP), &claims)
    }

    /// Verifies a callback JWT for `client_id`: signature, type, times, audience, issuer and
    /// the 120-second cap. Single use (the `jti`) is the store's job.
    pub fn verify<K: KeySet + ?Sized>(
        keys: &K,
        token: &str,
        iss: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Self, JoseError> {
        let expect = Expect {
            aud: client_id,
            typ: Some(CALLBACK_JWT_TYP),
        };
        let c: Self = from_claims(verify_jwt_with(keys, token, &expect, now)?)?;
        if c.iss != iss {
            return Err(JoseError::InvalidClaim("iss"));
        }
        if c.exp.saturating_sub(c.iat) > CALLBACK_JWT_MAX_TTL {
            return Err(JoseError::InvalidClaim("exp"));
        }
        Ok(c)
    }
}

/// `{iss, aud, sub, scope, jti, iat, exp = iat + lifetime}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    /// Space-separated scopes.
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    /// The client the token was issued to (RFC 9068 §2.2).
    pub client_id: String,
}

impl AccessTokenClaims {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        iss: &str,
        aud: &str,
        client_id: &str,
        sub: &str,
        scope: &str,
        jti: &str,
        iat: i64,
        lifetime: u32,
    ) -> Self {
        Self {
            iss: iss.to_owned(),
            aud: aud.to_owned(),
            sub: sub.to_owned(),
            scope: scope.to_owned(),
            jti: jti.to_owned(),
            iat,
            exp: iat.saturating_add(i64::from(lifetime)),
            client_id: client_id.to_owned(),
        }
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        let claims = serde_json::to_value(self).unwrap_or(Value::Null);
        sign_jwt(key, &typ_header(ACCESS_TOKEN_TYP), &claims)
    }

    /// Verifies an access token presented to a resource server whose audience is `aud`.
    pub fn verify<K: KeySet + ?Sized>(
        keys: &K,
        token: &str,
        iss: &str,
        aud: &str,
        now: i64,
    ) -> Result<Self, JoseError> {
        let expect = Expect {
            aud,
            typ: Some(ACCESS_TOKEN_TYP),
        };
        let c: Self = from_claims(verify_jwt_with(keys, token, &expect, now)?)?;
        if c.iss != iss {
            return Err(JoseError::InvalidClaim("iss"));
        }
        Ok(c)
    }

    /// The `/oauth/token` answer for this token.
    pub fn response(&self, access_token: String) -> TokenResponse {
        TokenResponse {
            access_token,
            expires_in: self.exp.saturating_sub(self.iat),
            token_type: "Bearer",
            scope: self.scope.clone(),
            username: self.sub.clone(),
        }
    }
}

/// `GET /oauth/token` response body (seed: access_token, expires_in, token_type, scope, username).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: &'static str,
    pub scope: String,
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const NOW: i64 = 1_700_000_000;
    const ISS: &str = "https://idgate.test";

    #[test]
    fn callback_jwt_round_trip_and_limits() {
        let mut rng = StdRng::seed_from_u64(1);
        let key = SigningKey::generate("k1", &mut rng);
        let keys = vec![key.public()];
        let jti = new_jti(&mut rng);
        assert_eq!(uuid::Uuid::parse_str(&jti).unwrap().get_version_num(), 4);
        let c = CallbackClaims::new(ISS, "client-1", "12345678909", &jti, "st", NOW, 600);
        assert_eq!(c.exp, NOW + CALLBACK_JWT_MAX_TTL);
        let t = c.sign(&key);
        assert_eq!(
            CallbackClaims::verify(&keys, &t, ISS, "client-1", NOW + 5),
            Ok(c.clone())
        );
        assert_eq!(
            CallbackClaims::verify(&keys, &t, ISS, "client-2", NOW),
            Err(JoseError::WrongAudience)
        );
        assert_eq!(
            CallbackClaims::verify(&keys, &t, "https://other", "client-1", NOW),
            Err(JoseError::InvalidClaim("iss"))
        );
        assert_eq!(
            CallbackClaims::verify(&keys, &t, ISS, "client-1", NOW + 600),
            Err(JoseError::Expired)
        );
        // A hand-made token with a long life is refused even though it is signed.
        let long = serde_json::json!({"iss": ISS, "aud": "client-1", "sub": "u", "jti": "j",
            "iat": NOW, "exp": NOW + 3600, "short_token": "st"});
        let t = sign_jwt(&key, &typ_header(CALLBACK_JWT_TYP), &long);
        assert_eq!(
            CallbackClaims::verify(&keys, &t, ISS, "client-1", NOW),
            Err(JoseError::InvalidClaim("exp"))
        );
        let extreme = serde_json::json!({"iss": ISS, "aud": "client-1", "sub": "u", "jti": "j",
            "iat": i64::MIN, "exp": i64::MAX, "short_token": "st"});
        let t = sign_jwt(&key, &typ_header(CALLBACK_JWT_TYP), &extreme);
        assert_eq!(
            CallbackClaims::verify(&keys, &t, ISS, "client-1", NOW),
            Err(JoseError::InvalidClaim("exp"))
        );
    }

    #[test]
    fn access_token_round_trip_and_no_confusion() {
        let mut rng = StdRng::seed_from_u64(2);
        let key = SigningKey::generate("k1", &mut rng);
        let keys = vec![key.public()];
        let a = AccessTokenClaims::new(ISS, "client-1", "client-1", "u", "a b", "j", NOW, 3600);
        assert_eq!(a.exp, NOW + 3600);
        let t = a.sign(&key);
        assert_eq!(
            AccessTokenClaims::verify(&keys, &t, ISS, "client-1", NOW),
            Ok(a.clone())
        );
        assert_eq!(
            CallbackClaims::verify(&keys, &t, ISS, "client-1", NOW),
            Err(JoseError::WrongType)
        );
        let cb = CallbackClaims::new(ISS, "client-1", "u", "j", "st", NOW, 120).sign(&key);
        assert_eq!(
            AccessTokenClaims::verify(&keys, &cb, ISS, "client-1", NOW),
            Err(JoseError::WrongType)
        );
        let r = serde_json::to_value(a.response(t)).unwrap();
        assert_eq!(r["expires_in"], 3600);
        assert_eq!(r["token_type"], "Bearer");
        assert_eq!(r["scope"], "a b");
        assert_eq!(r["username"], "u");
    }
}
