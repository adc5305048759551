//! The login routes of the integrating application (Soluti-compatible `/oauth/start`,
//! `/oauth/notify`, `/oauth/token`), introspection, revocation and the JWKS. Errors use the
//! OAuth format `{"error": code, "error_description", "errors"?}` (RFC 6749 §5.2). Thin:
//! parse, call [`crate::app::login`], render.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use idgate_core::Code;
use serde_json::{json, Value};

use super::error::{ApiError, Fail, Family, V1};
use super::extract::{bounded, parse_lenient, read_limited, AuthForms};
use crate::app::login::{self, start, token};
use crate::state::AppState;

/// OAuth-style routes: `{"error": code, "error_description": message, "errors"?: details}`.
pub struct OAuth;

impl Family for OAuth {
    fn render(e: &ApiError) -> Value {
        let mut v = json!({"error": e.code.as_str(), "error_description": e.message});
        if !e.details.is_empty() {
            v["errors"] = json!(e.details);
        }
        v
    }
}

impl AuthForms for OAuth {
    const RAW_KEY: bool = false;
    const LENIENT_JSON: bool = true;
}

/// A JSON body as the vendor's clients send it (any content type, trailing commas); an
/// empty body is `{}`, so a request without credentials gets `401 invalid_client`.
async fn vendor_body(st: &AppState, req: Request) -> Result<Value, ApiError> {
    let bytes = read_limited(req.into_body(), st.cfg.limits.small_body_bytes).await?;
    bounded(&bytes)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    parse_lenient(&bytes)
        .map_err(|e| ApiError::new(Code::InvalidJson, format!("malformed JSON: {e}")))
}

/// `POST /oauth/start`.
pub async fn start_login(
    State(st): State<AppState>,
    req: Request,
) -> Result<Response, Fail<OAuth>> {
    let body = vendor_body(&st, req).await?;
    Ok(Json(start::start(&st, &body).await?).into_response())
}

/// `POST /oauth/notify`.
pub async fn notify_login(
    State(st): State<AppState>,
    req: Request,
) -> Result<Response, Fail<OAuth>> {
    let body = vendor_body(&st, req).await?;
    Ok(Json(start::notify(&st, &body).await?).into_response())
}

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("")
}

/// `GET /oauth/token` with the callback JWT as Bearer.
pub async fn exchange_token(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Fail<OAuth>> {
    let mut res = Json(token::exchange(&st, bearer(&headers)).await?).into_response();
    res.headers_mut()
        .insert("cache-control", "no-store".parse().expect("static header"));
    Ok(res)
}

/// The body of introspection and revocation: form-encoded (RFC 7662/7009) or JSON, with
/// client_secret_post or HTTP Basic client authentication. With HTTP Basic the client is
/// authenticated before the body is read.
async fn client_and_token(
    st: &AppState,
    req: Request,
) -> Result<(std::sync::Arc<login::Client>, String), ApiError> {
    let headers = req.headers().clone();
    let basic = basic_credentials(&headers);
    let early = match &basic {
        Some((id, secret)) => Some(login::authenticate_client(st, id, secret).await?),
        None => None,
    };
    let bytes = read_limited(req.into_body(), st.cfg.limits.small_body_bytes).await?;
    bounded(&bytes)?;
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fields: Value = if ct.starts_with("application/json") {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::new(Code::InvalidJson, format!("malformed JSON: {e}")))?
    } else {
        let m: serde_json::Map<String, Value> = url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Value::Object(m)
    };
    let client = match early {
        Some(c) => c,
        None => {
            let (id, secret) = login::body_credentials(&fields);
            login::authenticate_client(st, &id, &secret).await?
        }
    };
    let token = fields
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    Ok((client, token))
}

/// `client_id` and `client_secret` from `Authorization: Basic`, if sent.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))?;
    let raw = STANDARD.decode(basic.trim()).unwrap_or_default();
    let text = String::from_utf8(raw).unwrap_or_default();
    let (i, s) = text.split_once(':').unwrap_or(("", ""));
    Some((i.to_owned(), s.to_owned()))
}

/// `POST /oauth/introspect` (RFC 7662).
pub async fn introspect(
    State(st): State<AppState>,
    req: Request<Body>,
) -> Result<Response, Fail<OAuth>> {
    let (client, tok) = client_and_token(&st, req).await?;
    Ok(Json(token::introspect(&st, &client, &tok).await?).into_response())
}

/// `POST /oauth/revoke` (RFC 7009): 200 whether or not the token was known.
pub async fn revoke(
    State(st): State<AppState>,
    req: Request<Body>,
) -> Result<Response, Fail<OAuth>> {
    let (client, tok) = client_and_token(&st, req).await?;
    token::revoke(&st, &client, &tok).await?;
    Ok(Json(json!({})).into_response())
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(st): State<AppState>) -> Result<Response, Fail<V1>> {
    Ok(jwks_response(&st).await?)
}

/// The answer of both JWKS paths: [`token::jwks`], cacheable for 5 minutes.
pub(crate) async fn jwks_response(st: &AppState) -> Result<Response, ApiError> {
    let mut res = Json(token::jwks(st).await?).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        "public, max-age=300".parse().expect("static header"),
    );
    Ok(res)
}
