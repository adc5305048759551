//! `POST /api/oauth/token` (client credentials) and the Bearer check of the door's API. The
//! access token is an RS256 JWS (`typ: at+jwt`, RFC 9068 claims) verifiable with
//! `/api/.well-known/jwks.json`; the client behind it is re-read (at most 5 s stale), so
//! `idgate client revoke` ends its tokens.

use std::sync::Arc;

use idgate_core::Code;
use serde_json::{json, Value};

use super::keys;
use crate::app::login::{self, Client};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The scope a client needs (`idgate client create ... --scope sessions`).
pub const SCOPE: &str = "sessions";
/// Access-token lifetime (the vendor's `expires_in`).
pub const TTL_S: i64 = 1800;
/// The `aud` of access tokens (results carry the client id instead).
pub const AUDIENCE: &str = "idgate-uqudo-api";
const TYP: &str = "at+jwt";

/// Issues an access token to the client of `fields` (`grant_type`, `client_id`,
/// `client_secret`, optional `scope`), already authenticated as `client` when it came by
/// HTTP Basic.
pub async fn issue(
    st: &AppState,
    client: Option<Arc<Client>>,
    fields: &Value,
) -> Result<Value, ApiError> {
    let s = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("");
    let client = match client {
        Some(c) => c,
        None => login::authenticate_client(st, s("client_id"), s("client_secret")).await?,
    };
    match s("grant_type") {
        "client_credentials" => {}
        "" => {
            return Err(ApiError::new(
                Code::InvalidRequest,
                "grant_type is required",
            ))
        }
        other => {
            return Err(ApiError::new(
                Code::UnsupportedGrantType,
                format!("grant_type {other} is not supported; use client_credentials"),
            ))
        }
    }
    if !client.scopes.iter().any(|x| x == SCOPE) {
        return Err(ApiError::new(
            Code::InvalidScope,
            "this client has no sessions scope",
        ));
    }
    let asked = s("scope");
    if !asked.is_empty() && asked.split(' ').any(|x| x != SCOPE) {
        return Err(ApiError::new(
            Code::InvalidScope,
            "only the sessions scope can be granted",
        ));
    }
    let keys = keys::current(st, false).await?;
    let now = st.now() / 1000;
    let jti = uuid::Uuid::new_v4().to_string();
    let claims = json!({
        "iss": st.public_base, "sub": client.row.client_id, "aud": AUDIENCE,
        "client_id": client.row.client_id, "scope": SCOPE, "jti": jti,
        "iat": now, "nbf": now, "exp": now + TTL_S,
    });
    Ok(json!({
        "access_token": keys.active().sign(TYP, &claims),
        "token_type": "bearer",
        "expires_in": TTL_S,
        "scope": SCOPE,
        "jti": jti,
    }))
}

fn invalid() -> ApiError {
    ApiError::new(
        Code::InvalidToken,
        "a valid access token from /api/oauth/token is required",
    )
}

/// The client of `Authorization: Bearer <access token>`.
pub async fn authenticate(st: &AppState, authorization: &str) -> Result<Arc<Client>, ApiError> {
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(invalid)?;
    if token.len() > 4096 {
        return Err(invalid());
    }
    let claims = match keys::current(st, false).await?.verify(token, TYP) {
        Ok(c) => c,
        Err(true) => keys::current(st, true)
            .await?
            .verify(token, TYP)
            .map_err(|_| invalid())?,
        Err(false) => return Err(invalid()),
    };
    let now = st.now() / 1000;
    let exp = claims["exp"].as_i64().unwrap_or(0);
    let nbf = claims["nbf"].as_i64().unwrap_or(i64::MAX);
    if claims["aud"] != AUDIENCE || now >= exp || now + 60 < nbf {
        return Err(invalid());
    }
    let client_id = claims["client_id"].as_str().unwrap_or("");
    let client = match st.client_cache.get(client_id, st.now()) {
        Some(c) => c,
        None => {
            let c = Arc::new(
                login::client_by_id(st, client_id)
                    .await
                    .map_err(|_| invalid())?,
            );
            st.client_cache.put(client_id, c.clone(), st.now());
            c
        }
    };
    if !client.scopes.iter().any(|x| x == SCOPE) {
        return Err(ApiError::new(
            Code::Forbidden,
            "this client has no sessions scope",
        ));
    }
    st.edge.check_key(
        &format!("client:{}", client.row.client_id),
        client.tenant.rate,
    )?;
    Ok(client)
}
