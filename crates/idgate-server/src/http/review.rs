//! Review and sandbox-outcome handlers: `POST /v1/verification-sessions/{id}/review` and
//! `.../simulate` (API key with `sessions:review`). Thin: authenticate, parse, call
//! `app::review`, render.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{Fail, V1};
use super::extract::{Authed, JsonBody};
use crate::app::review;
use crate::state::AppState;

/// Who acted, for the decision and the audit log: the API key's public prefix (never its secret).
fn api_key_actor(headers: &HeaderMap) -> String {
    let prefix = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.trim_start_matches("Bearer ").trim().split('_').nth(1))
        .filter(|p| p.len() <= 32 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("unknown");
    format!("api_key:idg_{prefix}")
}

/// `POST /v1/verification-sessions/{id}/review` `{decision, reason, note?}`.
pub async fn v1_review_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Response, Fail<V1>> {
    let v = review::review(&st, &t, &id, &body, &api_key_actor(&headers)).await?;
    Ok(Json(v.v1()).into_response())
}

/// `POST /v1/verification-sessions/{id}/simulate` `{outcome, reasons?}` (sandbox tenants).
pub async fn v1_simulate_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Response, Fail<V1>> {
    let v = review::simulate(&st, &t, &id, &body, &api_key_actor(&headers)).await?;
    Ok(Json(v.v1()).into_response())
}
