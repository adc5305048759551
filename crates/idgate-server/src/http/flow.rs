//! The hosted flow's JSON API: `POST /s/{hash}/t/{token}/steps/{step}`, authenticated by the
//! session's URL token (the capability the person was sent), errors in the `/v1` format. Thin:
//! the body (up to two base64 document sides) goes to the step use case.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::documents::DocBody;
use super::error::{Fail, V1};
use crate::app::steps::{self, MAX_SIDES};
use crate::state::AppState;

/// Submits one step's capture; answers where the flow stands (status, current step, steps done).
pub async fn submit_step(
    State(st): State<AppState>,
    Path((hash, token, step)): Path<(String, String, String)>,
    DocBody(body, ..): DocBody<V1, MAX_SIDES>,
) -> Result<Response, Fail<V1>> {
    let v = steps::submit(&st, &hash, &token, &step, &body).await?;
    Ok(Json(steps::flow_json(&v)).into_response())
}
