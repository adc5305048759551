//! Liveness handlers: `/v1/liveness/challenges` (tenant API key) and the hosted flow's
//! `POST /s/{hash}/t/{token}/liveness` and `.../face-hint` (the session URL token is the
//! credential). Thin: parse, call `app::liveness` / `app::faces::hint`, render.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{Fail, V1};
use super::extract::{read_json, Authed};
use crate::app::faces::images::upload_expiry;
use crate::app::liveness::{self, challenge_json};
use crate::app::sessions::by_url;
use crate::app::uqudo::sessions::liveness_attempts;
use crate::http::error::ApiError;
use crate::state::AppState;

/// `POST /v1/liveness/challenges` `{actions?}` → 201 the challenge.
pub async fn create_challenge(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    req: Request,
) -> Result<Response, Fail<V1>> {
    let body = read_json::<V1>(req, st.cfg.limits.small_body_bytes).await?;
    let c = liveness::issue(&st, &t, None, &body, true).await?;
    Ok((StatusCode::CREATED, Json(challenge_json(&c, &t))).into_response())
}

/// `POST /v1/liveness/challenges/{id}/verify` `{frames}` → 200 the verdict (once; then 409).
pub async fn verify_challenge(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Fail<V1>> {
    let body = read_json::<V1>(req, st.cfg.limits.face_step_body_bytes).await?;
    let keep = upload_expiry(&st);
    let v = liveness::verify(&st, &t, &id, None, keep, &body, true).await?;
    let mut out = v.result;
    out["id"] = serde_json::json!(v.row.id);
    out["object"] = serde_json::json!("liveness_verification");
    Ok(Json(out).into_response())
}

/// `POST /s/{hash}/t/{token}/liveness` `{actions?}` → 201 a challenge for this session's face
/// step (with `attempts_left`).
pub async fn session_challenge(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail<V1>> {
    // The link is checked before the body is read.
    let (t, v) = open_session(&st, &hash, &token).await?;
    let body = read_json::<V1>(req, st.cfg.limits.small_body_bytes).await?;
    let c = liveness::issue(&st, &t, Some(&v.row.id), &body, true).await?;
    let failed = st
        .store
        .failed_challenges(&t.id, &v.row.id)
        .await
        .map_err(ApiError::from)?;
    let allowed = liveness_attempts(&st, &t, &v.row.id).await?;
    let mut out = challenge_json(&c, &t);
    out["attempts_left"] = serde_json::json!(allowed - failed);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `POST /s/{hash}/t/{token}/face-hint` `{image}` (a preview frame ≤ 320 px) → 200 `{hint,
/// faces, brightness}` for the selfie screen's live guidance. Nothing is stored.
pub async fn session_face_hint(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Fail<V1>> {
    let (t, _) = open_session(&st, &hash, &token).await?;
    let body = read_json::<V1>(req, st.cfg.limits.small_body_bytes).await?;
    let answer = crate::app::faces::hint::hint(&st, &t, &body).await?;
    Ok(Json(answer).into_response())
}

/// The session behind a page link, refused (before any body is read) when it is unknown,
/// closed or its link expired.
async fn open_session(
    st: &AppState,
    hash: &str,
    token: &str,
) -> Result<(crate::app::tenant::Tenant, crate::app::render::SessionView), ApiError> {
    let Some((t, v)) = by_url(st, hash, token).await? else {
        return Err(ApiError::not_found("session"));
    };
    if v.status.is_final() || v.row.token_expires_at <= st.now() {
        return Err(ApiError::new(
            idgate_core::Code::InvalidTransition,
            "the session is closed or its link expired",
        ));
    }
    Ok((t, v))
}
