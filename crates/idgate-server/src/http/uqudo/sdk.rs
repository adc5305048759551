//! `GET /sdk/idgate-qr.js`: the desktop component (embedded in the binary, no CDN), served with
//! a short cache and CORS open, as a script any page may include.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const SCRIPT: &str = include_str!("../../../../../web/sdk/idgate-qr.js");

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        SCRIPT,
    )
        .into_response()
}
