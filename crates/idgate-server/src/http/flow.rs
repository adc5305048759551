//! The hosted flow's JSON API: `POST /s/{hash}/t/{token}/steps/{step}`, the flow's state and a
//! QR code of its link, authenticated by the session's URL token (the capability the person was sent), errors in the `/v1` format. Thin:
//! the link and the step are checked first, then the body is read with the limit of that step
//! (a device scan is small, a selfie or liveness frames ~12 MB, two document sides the most),
//! and it goes to the step use case. A caller without a valid link never gets a body read.

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use idgate_core::session::Step;

use super::error::{ApiError, Fail, V1};
use super::extract::read_json;
use crate::app::steps::{self, ClientInfo, MAX_SIDES};
use crate::state::AppState;

/// Submits one step's capture; answers where the flow stands (status, current step, steps done).
pub async fn submit_step(
    State(st): State<AppState>,
    Path((hash, token, step)): Path<(String, String, String)>,
    Client(client): Client,
    req: Request,
) -> Result<Response, Fail<V1>> {
    let due = steps::admit(&st, &hash, &token, &step).await?;
    let body = read_json::<V1>(req, body_limit(&st, due)).await?;
    let v = steps::submit(&st, &hash, &token, &step, &body, &client).await?;
    Ok(Json(steps::flow_json(&v)).into_response())
}

/// The largest body `step` needs.
pub fn body_limit(st: &AppState, step: Step) -> usize {
    let limits = &st.cfg.limits;
    match step {
        Step::DeviceScan => limits.small_body_bytes,
        Step::FaceRecognition => limits.face_step_body_bytes,
        Step::PersonalDocument => {
            let max = st.documents.cfg.max_document_bytes;
            MAX_SIDES * (max / 3 * 4 + 4) + limits.small_body_bytes
        }
    }
}

/// `GET /s/{hash}/t/{token}/state`: where the flow stands (the page polls it while the
/// session is `processing`).
pub async fn get_state(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
) -> Result<Response, Fail<V1>> {
    let v = steps::current(&st, &hash, &token).await?;
    Ok(Json(steps::flow_json(&v)).into_response())
}

/// `GET /s/{hash}/t/{token}/qr.svg`: a QR code of the session's own link, shown on a device
/// without a camera so the person can continue on their phone.
pub async fn get_qr(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
) -> Result<Response, Fail<V1>> {
    let v = steps::current(&st, &hash, &token).await?;
    let code = qrcode::QrCode::with_error_correction_level(v.url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| ApiError::internal())?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

/// What the server sees of the caller: its address (the TCP peer, or a trusted proxy's
/// `X-Forwarded-For`), the `User-Agent` and `Accept-Language` (each cut to 512 characters).
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let header = |h: header::HeaderName| {
            parts
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect::<String>())
        };
        let ip = super::clients::client_ip(st, parts);
        Ok(Client(ClientInfo {
            ip: Some(ip.to_string()),
            ip_country: st.geo.country(ip),
            user_agent: header(header::USER_AGENT),
            accept_language: header(header::ACCEPT_LANGUAGE),
        }))
    }
}
