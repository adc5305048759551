//! Request extractors that fail in the route family's error format: the authenticated tenant
//! (holding the permission the route table names for the route) and the JSON body (size-limited; lenient
//! about trailing commas on vendor routes, as the vendor's own examples have them).

use std::marker::PhantomData;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use idgate_core::crypto::{ct_eq, hash_secret};
use idgate_core::Code;
use serde_json::Value;

use super::error::{ApiError, Fail, Family, Qi, V1};
use super::json_bound::{within, MAX_JSON_VALUES};
use super::routes::Access;
use crate::app::scopes;
use crate::app::tenant::Tenant;
use crate::state::AppState;

/// Which Authorization forms a family accepts.
pub trait AuthForms: Family {
    /// Also accept the raw key without `Bearer ` (QI-style routes).
    const RAW_KEY: bool;
    /// Tolerate trailing commas in JSON bodies.
    const LENIENT_JSON: bool;
}
impl AuthForms for V1 {
    const RAW_KEY: bool = false;
    const LENIENT_JSON: bool = false;
}
impl AuthForms for Qi {
    const RAW_KEY: bool = true;
    const LENIENT_JSON: bool = true;
}

/// Permissions a route can require (the route table names one per route).
pub use crate::app::scopes::perm;

/// The caller's tenant, authenticated by API key and holding the permission of the route's
/// entry in the route table (`Access::ApiKey(p)` for `/v1`, `Access::VendorKey(p)` for the
/// vendor facades, whose family accepts the raw key).
pub struct Authed<F>(pub Tenant, pub PhantomData<F>);

impl<F: AuthForms> FromRequestParts<AppState> for Authed<F> {
    type Rejection = Fail<F>;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let access = parts.extensions.get::<Access>().copied();
        let need = match access {
            Some(Access::ApiKey(p)) if !F::RAW_KEY => p,
            Some(Access::VendorKey(p)) if F::RAW_KEY => p,
            _ => {
                tracing::error!(?access, path = %parts.uri.path(), "the route table's access disagrees with the handler");
                return Err(Fail::new(ApiError::internal()));
            }
        };
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let key = match header.strip_prefix("Bearer ") {
            Some(k) => k.trim(),
            None if F::RAW_KEY => header.trim(),
            None => "",
        };
        let (tenant, granted) = authenticate(state, key).await.map_err(Fail::new)?;
        if granted & need != need {
            return Err(Fail::new(ApiError::new(
                Code::Forbidden,
                format!("this API key lacks the scope {}", scopes::name(need)),
            )));
        }
        state
            .edge
            .check_key(&format!("tenant:{}", tenant.id), tenant.rate)
            .map_err(Fail::new)?;
        Ok(Self(tenant, PhantomData))
    }
}

/// Looks the key up by its public prefix (through the short-lived key cache) and compares the
/// secret's hash in constant time. An unknown prefix still pays for a hash and a comparison.
/// Answers the tenant and the key's permission bits.
pub async fn authenticate(state: &AppState, key: &str) -> Result<(Tenant, u32), ApiError> {
    let mut parts = key.splitn(3, '_');
    let (Some("idg"), Some(prefix), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ApiError::unauthenticated());
    };
    let presented = hash_secret(secret);
    let now = state.now();
    if let Some((stored, tenant, granted)) = state.key_cache.get(prefix, now) {
        if ct_eq(&stored, &presented) {
            return Ok((tenant, granted));
        }
        return Err(ApiError::unauthenticated());
    }
    match state.store.api_key_by_prefix(prefix).await {
        Ok((row, tenant)) if ct_eq(&row.secret_hash, &presented) => {
            let tenant = Tenant::from_row(tenant).map_err(|e| {
                tracing::error!(error = %e, "tenant row unreadable");
                ApiError::internal()
            })?;
            let granted = scopes::mask(row.scopes.as_deref());
            state
                .key_cache
                .put(prefix, (row.secret_hash, tenant.clone(), granted), now);
            Ok((tenant, granted))
        }
        Ok(_) | Err(idgate_store::StoreError::NotFound) => {
            let _ = ct_eq(&presented, &hash_secret("idgate-dummy"));
            Err(ApiError::unauthenticated())
        }
        Err(e) => Err(e.into()),
    }
}

/// A JSON body parsed to a `Value` (validation happens in the core, all violations at once).
pub struct JsonBody<F>(pub Value, pub PhantomData<F>);

impl<F: AuthForms> FromRequest<AppState> for JsonBody<F> {
    type Rejection = Fail<F>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.cfg.max_body_bytes;
        read_json::<F>(req, limit)
            .await
            .map(|v| Self(v, PhantomData))
    }
}

/// A JSON body of at most `limits.small_body_bytes`: for routes whose caller is authenticated
/// by the body itself (a device signature), so an unauthenticated body stays small.
pub struct SmallBody<F>(pub Value, pub PhantomData<F>);

impl<F: AuthForms> FromRequest<AppState> for SmallBody<F> {
    type Rejection = Fail<F>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        read_json::<F>(req, state.cfg.limits.small_body_bytes)
            .await
            .map(|v| Self(v, PhantomData))
    }
}

/// Reads a JSON body of at most `limit` bytes by the family's rules: `/v1` needs
/// `application/json` when a content type is sent; vendor routes read JSON whatever the header
/// says (as `curl -d` users expect) and tolerate trailing commas.
pub async fn read_json<F: AuthForms>(req: Request, limit: usize) -> Result<Value, Fail<F>> {
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !F::LENIENT_JSON && !ct.is_empty() && !ct.starts_with("application/json") {
        return Err(Fail::new(ApiError::new(
            Code::UnsupportedMediaType,
            "send the body as application/json",
        )));
    }
    let bytes = read_limited(req.into_body(), limit)
        .await
        .map_err(Fail::new)?;
    bounded(&bytes).map_err(Fail::new)?;
    let parsed = if F::LENIENT_JSON {
        parse_lenient(&bytes)
    } else {
        serde_json::from_slice(&bytes)
    };
    parsed.map_err(|e| {
        Fail::new(ApiError::new(
            Code::InvalidJson,
            format!("malformed JSON: {e}"),
        ))
    })
}

pub async fn read_limited(body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("the body is larger than {limit} bytes (or was cut off)"),
        )
    })
}

/// Refuses a body holding more JSON values than [`MAX_JSON_VALUES`] (before it is parsed).
pub fn bounded(bytes: &[u8]) -> Result<(), ApiError> {
    if within(bytes, MAX_JSON_VALUES) {
        return Ok(());
    }
    Err(ApiError::new(
        Code::PayloadTooLarge,
        format!("the body holds more than {MAX_JSON_VALUES} JSON values"),
    ))
}

/// JSON as the vendors' clients send it: trailing commas accepted. A body that parses as it
/// is is not copied.
pub fn parse_lenient<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(bytes).or_else(|_| serde_json::from_slice(&strip_trailing_commas(bytes)))
}

/// Removes commas that directly precede `}` or `]` outside strings.
pub fn strip_trailing_commas(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let (mut in_str, mut esc) = (false, false);
    for (i, &b) in input.iter().enumerate() {
        if in_str {
            out.push(b);
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        if b == b'"' {
            in_str = true;
        } else if b == b',' {
            let next = input[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
            if matches!(next, Some(b'}') | Some(b']')) {
                continue;
            }
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_trailing_commas;

    #[test]
    fn trailing_commas() {
        let cases = [
            (r#"{"a":1,}"#, r#"{"a":1}"#),
            (r#"[1,2 , ]"#, r#"[1,2  ]"#),
            (r#"{"s":",}"}"#, r#"{"s":",}"}"#),
            (r#"{"s":"\",}",}"#, r#"{"s":"\",}"}"#),
            (r#"{"a":[{"b":1,},],}"#, r#"{"a":[{"b":1}]}"#),
        ];
        for (i, want) in cases {
            assert_eq!(
                String::from_utf8(strip_trailing_commas(i.as_bytes())).unwrap(),
                want
            );
        }
    }
}
