//! Session handlers: the QI facade (`/auth_session_manager/...`) and `/v1/verification-sessions`.
//! Thin: authenticate, parse, call the use case, render.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use idgate_core::session::{Status, Strictness};
use serde_json::json;

use super::error::{ApiError, Fail, Qi, V1};
use super::extract::{Authed, JsonBody};
use crate::app::sessions::{self, Outcome};
use crate::state::AppState;

/// `POST /auth_session_manager/auth_session`: 201 with the seed's exact fields; 200 with the
/// existing session when the same `id` comes again with an identical body; 409 otherwise.
pub async fn qi_create_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    JsonBody(body, ..): JsonBody<Qi>,
) -> Result<Response, Fail<Qi>> {
    Ok(
        match sessions::create(&st, &t, &body, Strictness::Lenient).await? {
            Outcome::Created(v) => (StatusCode::CREATED, Json(v.qi(false))).into_response(),
            Outcome::Existing(v) => (StatusCode::OK, Json(v.qi(false))).into_response(),
        },
    )
}

/// `GET /auth_session_manager/auth_session/{id}`: the session object with `step_data`.
pub async fn qi_get_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    Path(id): Path<String>,
) -> Result<Response, Fail<Qi>> {
    Ok(Json(sessions::get(&st, &t, &id).await?.qi(true)).into_response())
}

pub async fn v1_create_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(
        match sessions::create(&st, &t, &body, Strictness::Strict).await? {
            Outcome::Created(v) => (StatusCode::CREATED, Json(v.v1())).into_response(),
            Outcome::Existing(v) => (StatusCode::OK, Json(v.v1())).into_response(),
        },
    )
}

pub async fn v1_get_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(id): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(sessions::get(&st, &t, &id).await?.v1()).into_response())
}

/// Query parameters of the list route; a repeated parameter is refused.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

impl ListQuery {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut q = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "status" => &mut q.status,
                "cursor" => &mut q.cursor,
                "limit" => &mut q.limit,
                _ => continue,
            };
            if slot.replace(v.into_owned()).is_some() {
                return Err(bad_query(&k, "may be given only once"));
            }
        }
        Ok(q)
    }
}

/// `GET /v1/verification-sessions?status=&cursor=&limit=` (newest first, limit 1..100, default 20).
pub async fn v1_list_sessions(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Fail<V1>> {
    let q = ListQuery::parse(raw.as_deref())?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => {
            Some(Status::parse(s).ok_or_else(|| bad_query("status", "is not a session status"))?)
        }
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => 20,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| bad_query("limit", "must be 1..100"))?,
    };
    let (items, next) = sessions::list(&st, &t, status, q.cursor.as_deref(), limit).await?;
    let data: Vec<_> = items.iter().map(|v| v.v1()).collect();
    Ok(Json(
        json!({"object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next}),
    )
    .into_response())
}

/// `POST /v1/verification-sessions/{id}/cancel`.
pub async fn v1_cancel_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(id): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(sessions::cancel(&st, &t, &id).await?.v1()).into_response())
}

/// `POST /v1/verification-sessions/{id}/renew-token`: new token and expiry; the old token stops working.
pub async fn v1_renew_token(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(id): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(sessions::renew_token(&st, &t, &id).await?.v1()).into_response())
}

/// `POST /v1/verification-sessions/{id}/redact`: deletes what the session collected.
pub async fn v1_redact_session(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(id): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(crate::app::redact::redact(&st, &t, &id).await?.v1()).into_response())
}

fn bad_query(field: &str, msg: &str) -> ApiError {
    ApiError::invalid_field(field, "invalid_value", msg)
}
