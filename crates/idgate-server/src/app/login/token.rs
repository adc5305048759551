//! The token side of a login: the single-use exchange of the callback JWT for an access token
//! (`GET /oauth/token`), introspection (RFC 7662), revocation (RFC 7009) and the JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::jose::{JoseError, Jwks};
use idgate_core::login::{hash_token, new_jti, AccessTokenClaims, CallbackClaims, TokenResponse};
use idgate_core::Code;
use idgate_store::{AccessTokenRow, StoreError};
use rand::rngs::OsRng;
use serde_json::{json, Value};

use super::{event, Client};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The issuer of every login JWT: the public base URL.
pub fn issuer(st: &AppState) -> String {
    st.public_base.clone()
}

/// The one key set idgate publishes (at `/.well-known/jwks.json` and
/// `/api/.well-known/jwks.json`): the login JWT keys (ES256) and the uqudo door's RS256 keys
/// of its access tokens and results.
pub async fn jwks(st: &AppState) -> Result<Value, ApiError> {
    let es = Jwks::from_keys(st.login.public_keys().iter()).keys;
    let rs = crate::app::uqudo::keys::current(st, false).await?;
    let mut keys: Vec<Value> = es.iter().map(|k| json!(k)).collect();
    keys.extend(rs.jwks()["keys"].as_array().into_iter().flatten().cloned());
    Ok(json!({ "keys": keys }))
}

/// The unverified `aud` of a compact JWT, to know which client to verify it for.
fn peek_aud(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("aud")?.as_str().map(str::to_owned)
}

fn grant_error(e: &JoseError) -> ApiError {
    match e {
        JoseError::Expired | JoseError::NotYetValid => {
            ApiError::new(Code::InvalidGrant, "the callback token has expired")
        }
        _ => ApiError::new(Code::InvalidToken, "the callback token is not valid"),
    }
}

/// `GET /oauth/token` with `Authorization: Bearer <callback JWT>`. Works once per login, within
/// the JWT's 120 s, and only while its client is not revoked.
pub async fn exchange(st: &AppState, bearer: &str) -> Result<TokenResponse, ApiError> {
    if bearer.is_empty() {
        return Err(ApiError::new(
            Code::InvalidToken,
            "send the callback JWT as Authorization: Bearer <token>",
        ));
    }
    let now = st.now();
    let aud = peek_aud(bearer).ok_or_else(|| grant_error(&JoseError::Malformed))?;
    let keys = st.login.public_keys();
    let claims =
        CallbackClaims::verify(&keys, bearer, &issuer(st), &aud, now / 1000).map_err(|e| {
            tracing::info!(error = %e, "callback JWT refused");
            grant_error(&e)
        })?;
    // The JWT is the only credential the vendor's wire format sends (no client
    // authentication), so it is bound to everything it was issued for: the login (jti), its
    // client (aud, still not revoked), its person (sub) and its short_token.
    let login = match st.store.login_by_jti(&claims.jti).await {
        Ok(l)
            if l.client_id == claims.aud
                && l.subject.as_deref() == Some(claims.sub.as_str())
                && l.short_token_hash == hash_token(&claims.short_token) =>
        {
            l
        }
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::new(Code::InvalidGrant, "unknown grant"))
        }
        Err(e) => return Err(e.into()),
    };
    match st.store.client_by_client_id(&login.client_id).await {
        Ok(c) if c.tenant_id == login.tenant_id => {}
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::new(
                Code::InvalidGrant,
                "the client of this grant was revoked",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let lifetime = u32::try_from(login.lifetime).unwrap_or(u32::MAX);
    let jti = new_jti(&mut OsRng);
    let iat = now / 1000;
    let at = AccessTokenClaims::new(
        &issuer(st),
        &login.client_id,
        &login.client_id,
        &claims.sub,
        &login.scope,
        &jti,
        iat,
        lifetime,
    );
    let row = AccessTokenRow {
        jti: jti.clone(),
        tenant_id: login.tenant_id.clone(),
        client_id: login.client_id.clone(),
        login_id: login.id.clone(),
        expires_at: at.exp.saturating_mul(1000),
        revoked_at: None,
        created_at: now,
    };
    if !st.store.exchange_login(&login.id, now, &row).await? {
        let ev = event(&login, "login.grant_replayed", json!({}), now);
        st.store.insert_login_event(&ev).await?;
        return Err(ApiError::new(
            Code::InvalidGrant,
            "the callback token was already used",
        ));
    }
    let ev = event(&login, "login.token_issued", json!({"jti": jti}), now);
    st.store.insert_login_event(&ev).await?;
    Ok(at.response(at.sign(&st.login.active())))
}

/// RFC 7662: `{active: false}` for anything not a live access token issued to `client`.
pub async fn introspect(st: &AppState, client: &Client, token: &str) -> Result<Value, ApiError> {
    let now = st.now();
    let keys = st.login.public_keys();
    let inactive = json!({"active": false});
    let Ok(c) =
        AccessTokenClaims::verify(&keys, token, &issuer(st), &client.row.client_id, now / 1000)
    else {
        return Ok(inactive);
    };
    match st.store.access_token(&c.jti).await {
        Ok(r) if r.revoked_at.is_none() && r.client_id == client.row.client_id => {}
        Ok(_) | Err(StoreError::NotFound) => return Ok(inactive),
        Err(e) => return Err(e.into()),
    }
    Ok(json!({
        "active": true, "scope": c.scope, "client_id": c.client_id, "username": c.sub,
        "token_type": "Bearer", "exp": c.exp, "iat": c.iat, "sub": c.sub, "aud": c.aud,
        "iss": c.iss, "jti": c.jti,
    }))
}

/// RFC 7009: revokes an access token of `client`; unknown or foreign tokens are ignored.
pub async fn revoke(st: &AppState, client: &Client, token: &str) -> Result<(), ApiError> {
    let now = st.now();
    let keys = st.login.public_keys();
    // Expired tokens are dead anyway; the signature check keeps strangers from probing jtis.
    if let Ok(c) =
        AccessTokenClaims::verify(&keys, token, &issuer(st), &client.row.client_id, now / 1000)
    {
        st.store
            .revoke_access_token(&c.jti, &client.row.client_id, now)
            .await?;
    }
    Ok(())
}
