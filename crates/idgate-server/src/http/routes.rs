//! The route table: every path, its handler and the permission it needs, in one place. `TABLE`
//! mirrors the router for documentation and for the test that walks every route.

use axum::routing::{get, post};
use axum::Router;

use super::extract::perm;
use super::faces;
use super::{authenticator, login_ws, oauth, ops, pages, sessions};
use crate::state::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// An API key of the tenant with this permission.
    ApiKey(u32),
    /// An OAuth client's `client_id` and `client_secret` (body or HTTP Basic).
    Client,
    /// A credential the route checks itself: the callback JWT, a device signature, a `ws_token`.
    Token,
}

#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> RouteDoc {
    RouteDoc {
        method,
        path,
        access,
    }
}

use Access::{ApiKey, Client, Public, Token};

pub const TABLE: &[RouteDoc] = &[
    r(
        "POST",
        "/auth_session_manager/auth_session",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r(
        "GET",
        "/auth_session_manager/auth_session/{id}",
        ApiKey(perm::SESSIONS_READ),
    ),
    r(
        "POST",
        "/v1/verification-sessions",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r(
        "GET",
        "/v1/verification-sessions",
        ApiKey(perm::SESSIONS_READ),
    ),
    r(
        "GET",
        "/v1/verification-sessions/{id}",
        ApiKey(perm::SESSIONS_READ),
    ),
    r(
        "POST",
        "/v1/verification-sessions/{id}/cancel",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r(
        "POST",
        "/v1/verification-sessions/{id}/renew-token",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r(
        "POST",
        "/v1/verification-sessions/{id}/redact",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r("POST", "/ocr/image", ApiKey(perm::SESSIONS_WRITE)),
    r("GET", "/ocr/image/{ocr_key}", ApiKey(perm::SESSIONS_READ)),
    r("POST", "/v1/documents/read", ApiKey(perm::SESSIONS_WRITE)),
    r("GET", "/v1/documents/{id}", ApiKey(perm::SESSIONS_READ)),
    r("POST", "/ocr/face_match", ApiKey(perm::SESSIONS_WRITE)),
    r(
        "POST",
        "/v1/documents/{id}/face-match",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r("GET", "/s/{hash}/t/{token}", Public),
    r("POST", "/s/{hash}/t/{token}/steps/{step}", Token),
    r("GET", "/s/{hash}/t/{token}/state", Token),
    r("GET", "/s/{hash}/t/{token}/qr.svg", Token),
    r("GET", "/flow/{file}", Public),
    r("POST", "/s/{hash}/t/{token}/liveness", Token),
    r("POST", "/s/{hash}/t/{token}/face-hint", Token),
    r("POST", "/v1/liveness/challenges", ApiKey(perm::FACES_WRITE)),
    r(
        "POST",
        "/v1/liveness/challenges/{id}/verify",
        ApiKey(perm::FACES_WRITE),
    ),
    r("POST", "/oauth/start", Client),
    r("POST", "/oauth/notify", Client),
    r("GET", "/oauth/token", Token),
    r("POST", "/oauth/introspect", Client),
    r("POST", "/oauth/revoke", Client),
    r("GET", "/oauth/ws", Token),
    r("GET", "/.well-known/jwks.json", Public),
    r(
        "POST",
        "/v1/authenticator/enrollments",
        ApiKey(perm::SESSIONS_WRITE),
    ),
    r("GET", "/authenticator", Public),
    r("GET", "/authenticator/ws", Public),
    r("GET", "/authenticator/app.js", Public),
    r("GET", "/authenticator/sw.js", Public),
    r("GET", "/authenticator/manifest.webmanifest", Public),
    r("GET", "/authenticator/icon.svg", Public),
    r("POST", "/authenticator/api/devices", Token),
    r("POST", "/authenticator/api/logins/open", Token),
    r("POST", "/authenticator/api/logins/decide", Token),
    r("POST", "/face_recognition/image", ApiKey(perm::FACES_WRITE)),
    r(
        "POST",
        "/face_recognition/registration",
        ApiKey(perm::FACES_WRITE),
    ),
    r(
        "GET",
        "/face_recognition/registration/{registration_key}",
        ApiKey(perm::FACES_READ),
    ),
    r(
        "GET",
        "/face_recognition/registration/document_number/{document_number}",
        ApiKey(perm::FACES_READ),
    ),
    r(
        "POST",
        "/face_recognition/validation",
        ApiKey(perm::FACES_WRITE),
    ),
    r(
        "GET",
        "/face_recognition/validation/{validation_key}",
        ApiKey(perm::FACES_READ),
    ),
    r("POST", "/v1/faces/images", ApiKey(perm::FACES_WRITE)),
    r("POST", "/v1/faces/registrations", ApiKey(perm::FACES_WRITE)),
    r(
        "GET",
        "/v1/faces/registrations/{registration_key}",
        ApiKey(perm::FACES_READ),
    ),
    r(
        "DELETE",
        "/v1/faces/registrations/{registration_key}",
        ApiKey(perm::FACES_WRITE),
    ),
    r(
        "GET",
        "/v1/faces/registrations/by-document/{document_number}",
        ApiKey(perm::FACES_READ),
    ),
    r("POST", "/v1/faces/validations", ApiKey(perm::FACES_WRITE)),
    r(
        "GET",
        "/v1/faces/validations/{validation_key}",
        ApiKey(perm::FACES_READ),
    ),
    r("POST", "/v1/faces/compare", ApiKey(perm::FACES_WRITE)),
    r("GET", "/healthz", Public),
    r("GET", "/readyz", Public),
    r("GET", "/metrics", Public),
    r("GET", "/openapi.json", Public),
    r("GET", "/docs", Public),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/auth_session_manager/auth_session",
            post(sessions::qi_create_session),
        )
        .route(
            "/auth_session_manager/auth_session/{id}",
            get(sessions::qi_get_session),
        )
        .route(
            "/v1/verification-sessions",
            post(sessions::v1_create_session).get(sessions::v1_list_sessions),
        )
        .route(
            "/v1/verification-sessions/{id}",
            get(sessions::v1_get_session),
        )
        .route(
            "/v1/verification-sessions/{id}/cancel",
            post(sessions::v1_cancel_session),
        )
        .route(
            "/v1/verification-sessions/{id}/renew-token",
            post(sessions::v1_renew_token),
        )
        .route(
            "/v1/verification-sessions/{id}/redact",
            post(sessions::v1_redact_session),
        )
        .route("/ocr/image", post(super::documents::qi_read_document))
        .route(
            "/ocr/image/{ocr_key}",
            get(super::documents::qi_get_document),
        )
        .route(
            "/v1/documents/read",
            post(super::documents::v1_read_document),
        )
        .route("/v1/documents/{id}", get(super::documents::v1_get_document))
        .route("/ocr/face_match", post(super::documents::qi_face_match))
        .route(
            "/v1/documents/{id}/face-match",
            post(super::documents::v1_face_match),
        )
        .route("/s/{hash}/t/{token}", get(pages::open_session))
        .route("/flow/{file}", get(pages::flow_asset))
        .route("/s/{hash}/t/{token}/state", get(super::flow::get_state))
        .route("/s/{hash}/t/{token}/qr.svg", get(super::flow::get_qr))
        .route(
            "/s/{hash}/t/{token}/steps/{step}",
            post(super::flow::submit_step),
        )
        .route(
            "/s/{hash}/t/{token}/liveness",
            post(super::liveness::session_challenge),
        )
        .route(
            "/s/{hash}/t/{token}/face-hint",
            post(super::liveness::session_face_hint),
        )
        .route(
            "/v1/liveness/challenges",
            post(super::liveness::create_challenge),
        )
        .route(
            "/v1/liveness/challenges/{id}/verify",
            post(super::liveness::verify_challenge),
        )
        .route("/oauth/start", post(oauth::start_login))
        .route("/oauth/notify", post(oauth::notify_login))
        .route("/oauth/token", get(oauth::exchange_token))
        .route("/oauth/introspect", post(oauth::introspect))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/oauth/ws", get(login_ws::login_socket))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route(
            "/v1/authenticator/enrollments",
            post(authenticator::create_enrollment),
        )
        .route("/authenticator", get(authenticator::page))
        .route("/authenticator/app.js", get(authenticator::app_js))
        .route("/authenticator/ws", get(super::device_ws::device_socket))
        .route("/authenticator/sw.js", get(authenticator::service_worker))
        .route(
            "/authenticator/manifest.webmanifest",
            get(authenticator::manifest),
        )
        .route("/authenticator/icon.svg", get(authenticator::icon))
        .route(
            "/authenticator/api/devices",
            post(authenticator::register_device),
        )
        .route(
            "/authenticator/api/logins/open",
            post(authenticator::open_login),
        )
        .route(
            "/authenticator/api/logins/decide",
            post(authenticator::decide_login),
        )
        .route("/face_recognition/image", post(faces::qi_upload_image))
        .route(
            "/face_recognition/registration",
            post(faces::qi_create_registration),
        )
        .route(
            "/face_recognition/registration/{registration_key}",
            get(faces::qi_get_registration),
        )
        .route(
            "/face_recognition/registration/document_number/{document_number}",
            get(faces::qi_get_registration_by_document),
        )
        .route(
            "/face_recognition/validation",
            post(faces::qi_create_validation),
        )
        .route(
            "/face_recognition/validation/{validation_key}",
            get(faces::qi_get_validation),
        )
        .route("/v1/faces/images", post(faces::v1_upload_image))
        .route(
            "/v1/faces/registrations",
            post(faces::v1_create_registration),
        )
        .route(
            "/v1/faces/registrations/{registration_key}",
            get(faces::v1_get_registration).delete(faces::v1_erase_registration),
        )
        .route(
            "/v1/faces/registrations/by-document/{document_number}",
            get(faces::v1_get_registration_by_document),
        )
        .route("/v1/faces/validations", post(faces::v1_create_validation))
        .route(
            "/v1/faces/validations/{validation_key}",
            get(faces::v1_get_validation),
        )
        .route("/v1/faces/compare", post(faces::v1_compare))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi_json))
        .route("/docs", get(ops::docs))
}
