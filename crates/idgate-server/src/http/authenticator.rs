//! The authenticator web app (an installable PWA embedded in the binary) and its device API,
//! plus the tenant's `/v1` route creating one-time enrolment links. Device requests are
//! authenticated by the device's signature (checked in the use case), not by a key here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::error::{Fail, V1};
use super::extract::{Authed, JsonBody, SmallBody};
use crate::app::login::device;
use crate::state::AppState;

const INDEX: &str = include_str!("../../../../web/authenticator/index.html");
const APP_JS: &str = include_str!("../../../../web/authenticator/app.js");
const SW_JS: &str = include_str!("../../../../web/authenticator/sw.js");
const MANIFEST: &str = include_str!("../../../../web/authenticator/manifest.webmanifest");
const ICON: &str = include_str!("../../../../web/authenticator/icon.svg");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            ("content-type", content_type),
            ("cache-control", "no-cache"),
            ("x-content-type-options", "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The app shell's Content-Security-Policy: its own script, its one inline style (allowed by
/// hash), same-origin fetches and socket, its own manifest, icon and service worker; no framing.
pub fn page_csp() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        use base64::Engine;
        use sha2::Digest;
        let style = INDEX
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map_or("", |(s, _)| s);
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
        format!(
            "default-src 'none'; script-src 'self'; style-src 'sha256-{hash}'; img-src 'self'; \
             connect-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        )
    })
}

/// `GET /authenticator`: the app shell, with the VAPID public key for push subscriptions.
pub async fn page(State(st): State<AppState>) -> Response {
    let html = INDEX.replace("{{VAPID_KEY}}", &st.login.vapid_public());
    (
        [
            ("cache-control", "no-cache"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
            ("content-security-policy", page_csp()),
        ],
        Html(html),
    )
        .into_response()
}

pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub async fn service_worker() -> Response {
    asset("text/javascript; charset=utf-8", SW_JS)
}

pub async fn manifest() -> Response {
    asset("application/manifest+json", MANIFEST)
}

pub async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

/// `POST /v1/authenticator/enrollments {username}`: a one-time enrolment link for a person.
pub async fn create_enrollment(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Response, Fail<V1>> {
    let v = device::create_enrollment(&st, &t, &body).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `POST /authenticator/api/devices`: registers the device's key and push subscription.
pub async fn register_device(
    State(st): State<AppState>,
    SmallBody(body, ..): SmallBody<V1>,
) -> Result<Response, Fail<V1>> {
    let v = device::register_device(&st, &body).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `POST /authenticator/api/devices/revoke` (signed): the person removes this device.
pub async fn revoke_device(
    State(st): State<AppState>,
    SmallBody(body, ..): SmallBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(device::revoke_own(&st, &body).await?).into_response())
}

/// `POST /authenticator/api/logins/open` (signed): the choices to show.
pub async fn open_login(
    State(st): State<AppState>,
    SmallBody(body, ..): SmallBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(device::open(&st, &body).await?).into_response())
}

/// `POST /authenticator/api/logins/decide` (signed): approve with the picked number, or deny.
pub async fn decide_login(
    State(st): State<AppState>,
    SmallBody(body, ..): SmallBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(device::decide(&st, &body).await?).into_response())
}
