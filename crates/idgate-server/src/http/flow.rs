//! The hosted flow's JSON API: `POST /s/{hash}/t/{token}/steps/{step}`, authenticated by the
//! session's URL token (the capability the person was sent), errors in the `/v1` format. Thin:
//! the link and the step are checked first, then the body is read with the limit of that step
//! (a device scan is small, a selfie or liveness frames ~12 MB, two document sides the most),
//! and it goes to the step use case. A caller without a valid link never gets a body read.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use idgate_core::session::Step;

use super::error::{Fail, V1};
use super::extract::read_json;
use crate::app::steps::{self, MAX_SIDES};
use crate::state::AppState;

/// Submits one step's capture; answers where the flow stands (status, current step, steps done).
pub async fn submit_step(
    State(st): State<AppState>,
    Path((hash, token, step)): Path<(String, String, String)>,
    req: Request,
) -> Result<Response, Fail<V1>> {
    let due = steps::admit(&st, &hash, &token, &step).await?;
    let body = read_json::<V1>(req, body_limit(&st, due)).await?;
    let v = steps::submit(&st, &hash, &token, &step, &body).await?;
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
