//! The uqudo door's HTTP surface (thin: authenticate, read a bounded body, call
//! [`crate::app::uqudo`], render). Routes: `POST /api/oauth/token` (OAuth error format),
//! `POST /api/v1/session` (Bearer access token), the phone side `GET /api/v1/session`
//! (`Authorization: <qrCodeText>`), `GET|DELETE /api/v1/session/{qrCodeText}`, the dynamic link
//! `GET /q/{qrCodeText}`, results `GET|DELETE /api/v1/info/{sessionId}`, `GET /api/v1/info`
//! (`UQ-Session-ID`), `GET /api/v1/info/img/{id}`, `POST /api/v1/face/match`, the keys
//! `GET /api/.well-known/jwks.json`, the socket ([`ws`]) and the page component ([`sdk`]).
//! Errors other than the token route's use the `/v1` format (the vendor documents none). The
//! routes and their OpenAPI text are in [`crate::http::routes`] (`uqudo.rs`).

pub mod sdk;
pub mod ws;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use idgate_core::Code;
use serde_json::{Map, Value};

use super::error::{ApiError, Fail, Family, V1};
use super::extract::{bounded, read_json, read_limited, AuthForms};
use super::oauth::{basic_credentials, OAuth};
use crate::app::login;
use crate::app::uqudo::{result, sessions, token};
use crate::state::AppState;

/// The door's error family: the `/v1` shape; bodies read leniently like other vendor routes.
pub struct Uq;
impl Family for Uq {
    fn render(e: &ApiError) -> Value {
        V1::render(e)
    }
}
impl AuthForms for Uq {
    const RAW_KEY: bool = false;
    const LENIENT_JSON: bool = true;
}

fn auth_header(h: &HeaderMap) -> &str {
    h.get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    res
}

/// `POST /api/oauth/token`: form-encoded (or JSON) `grant_type=client_credentials`,
/// `client_id`, `client_secret` (or HTTP Basic, checked before the body is read).
pub async fn issue_token(
    State(st): State<AppState>,
    req: Request,
) -> Result<Response, Fail<OAuth>> {
    let headers = req.headers().clone();
    let early = match basic_credentials(&headers) {
        Some((id, secret)) => Some(login::authenticate_client(&st, &id, &secret).await?),
        None => None,
    };
    let bytes = read_limited(req.into_body(), st.cfg.limits.small_body_bytes).await?;
    bounded(&bytes)?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let fields: Value = if json {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::new(Code::InvalidJson, format!("malformed JSON: {e}")))?
    } else {
        let m: Map<String, Value> = url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Value::Object(m)
    };
    Ok(no_store(
        Json(token::issue(&st, early, &fields).await?).into_response(),
    ))
}

/// `POST /api/v1/session` (Bearer access token): `{"data": "<base64 JSON>"}`.
pub async fn create_session(
    State(st): State<AppState>,
    req: Request,
) -> Result<Response, Fail<Uq>> {
    let client = token::authenticate(&st, auth_header(req.headers())).await?;
    let body = read_json::<Uq>(req, st.cfg.limits.small_body_bytes).await?;
    let out = sessions::create(&st, &client, &body).await?;
    Ok((StatusCode::OK, Json(out)).into_response())
}

/// `GET /api/v1/session` with `Authorization: <qrCodeText>`: the phone's `{sessionId, token,
/// data}`, once.
pub async fn phone_session(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Fail<Uq>> {
    let qr = auth_header(&headers).trim();
    let (row, v) = sessions::open(&st, qr).await?;
    Ok(no_store(
        Json(sessions::phone_json(&row, &v)).into_response(),
    ))
}

/// `GET /api/v1/session/{qrCodeText}`: the same.
pub async fn phone_session_path(
    State(st): State<AppState>,
    Path(qr): Path<String>,
) -> Result<Response, Fail<Uq>> {
    let (row, v) = sessions::open(&st, &qr).await?;
    Ok(no_store(
        Json(sessions::phone_json(&row, &v)).into_response(),
    ))
}

/// `DELETE /api/v1/session/{qrCodeText}` → 204.
pub async fn delete_session(
    State(st): State<AppState>,
    Path(qr): Path<String>,
) -> Result<Response, Fail<Uq>> {
    sessions::delete(&st, &qr).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /q/{qrCodeText}` (`qrCodeTextWithDynamicLink`): opens the session on this phone and
/// sends it to the hosted flow; a second phone, an expired or unknown code get a short page
/// saying so.
pub async fn open_link(State(st): State<AppState>, Path(qr): Path<String>) -> Response {
    match sessions::open(&st, &qr).await {
        Ok((_, v)) => no_store(Redirect::to(&v.url).into_response()),
        Err(e) => {
            let text = match e.code {
                Code::Conflict => {
                    "This QR code was already opened on another phone. Ask for a new one."
                }
                Code::SessionExpired => "This QR code has expired. Ask for a new one.",
                Code::NotFound => "This QR code is not valid.",
                _ => "Something went wrong; try again.",
            };
            let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let page = format!(
                "<!doctype html><meta name=viewport content=\"width=device-width\"><title>idgate</title><p id=refusal data-code=\"{}\">{text}</p>",
                e.code.as_str()
            );
            no_store((status, Html(page)).into_response())
        }
    }
}

fn jwt(token: String) -> Response {
    no_store(([(header::CONTENT_TYPE, "application/jwt")], token).into_response())
}

/// `GET /api/v1/info/{sessionId}` (Bearer): the signed result, `application/jwt`.
pub async fn info(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Fail<Uq>> {
    let client = token::authenticate(&st, auth_header(&headers)).await?;
    Ok(jwt(result::info(&st, &client, &id).await?))
}

/// `GET /api/v1/info` with the session id in `UQ-Session-ID`.
pub async fn info_by_header(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Fail<Uq>> {
    let client = token::authenticate(&st, auth_header(&headers)).await?;
    let id = headers
        .get("uq-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Ok(jwt(result::info(&st, &client, &id).await?))
}

/// `DELETE /api/v1/info/{sessionId}` → 204.
pub async fn delete_info(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Fail<Uq>> {
    let client = token::authenticate(&st, auth_header(&headers)).await?;
    result::delete_info(&st, &client, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/info/img/{id}` (Bearer): the image bytes.
pub async fn image(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Fail<Uq>> {
    let client = token::authenticate(&st, auth_header(&headers)).await?;
    let (bytes, media) = result::image(&st, &client, &id).await?;
    Ok(no_store(
        ([(header::CONTENT_TYPE, media)], bytes).into_response(),
    ))
}

/// `POST /api/v1/face/match` (Bearer): `{sourceImage, targetImage, minimumMatchLevel}`.
pub async fn face_match(State(st): State<AppState>, req: Request) -> Result<Response, Fail<Uq>> {
    let client = token::authenticate(&st, auth_header(req.headers())).await?;
    let body = read_json::<Uq>(req, st.cfg.faces.max_body_bytes).await?;
    Ok(Json(result::face_match(&st, &client, &body).await?).into_response())
}

/// `GET /api/.well-known/jwks.json`: the same key set as `/.well-known/jwks.json`.
pub async fn uqudo_jwks(State(st): State<AppState>) -> Result<Response, Fail<Uq>> {
    Ok(super::oauth::jwks_response(&st).await?)
}
