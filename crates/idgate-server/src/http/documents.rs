//! Document handlers: the QI facade (`/ocr/image`, `/ocr/face_match`) and `/v1/documents`.
//! Thin: authenticate, parse (bodies up to the document limit, base64 included), call the use
//! case, render. Errors in the family's format; busy and missing models are 503.

use std::marker::PhantomData;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::{Fail, Qi, V1};
use super::extract::{read_json, AuthForms, Authed, JsonBody};
use crate::app::documents::{self as docs, face_match};
use crate::state::AppState;

/// A JSON body allowed to be as large as `SIDES` base64 documents (4/3 of the decoded limit
/// each, plus room for the other fields), otherwise like [`super::extract::JsonBody`].
pub struct DocBody<F, const SIDES: usize = 1>(pub Value, pub PhantomData<F>);

impl<F: AuthForms, const SIDES: usize> FromRequest<AppState> for DocBody<F, SIDES> {
    type Rejection = Fail<F>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let max = state.documents.cfg.max_document_bytes;
        let limit = (SIDES * (max / 3 * 4) + 64 * 1024).max(state.cfg.max_body_bytes);
        read_json::<F>(req, limit)
            .await
            .map(|v| Self(v, PhantomData))
    }
}

/// `POST /ocr/image` `{document_b64, template, file_type: jpeg|pdf}` → 201 `{ocr_key}`.
pub async fn qi_read_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    DocBody(body, ..): DocBody<Qi>,
) -> Result<Response, Fail<Qi>> {
    let req = docs::parse_read(&body, false)?;
    let v = docs::read_document(&st, &t, req).await?;
    Ok((StatusCode::CREATED, Json(json!({"ocr_key": v.row.ocr_key}))).into_response())
}

/// `GET /ocr/image/{ocr_key}`: the stored result.
pub async fn qi_get_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    Path(key): Path<String>,
) -> Result<Response, Fail<Qi>> {
    Ok(Json(docs::get_document(&st, &t, &key).await?.json()).into_response())
}

/// `POST /v1/documents/read`: 201 with the whole result.
pub async fn v1_read_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    DocBody(body, ..): DocBody<V1>,
) -> Result<Response, Fail<V1>> {
    let req = docs::parse_read(&body, true)?;
    let v = docs::read_document(&st, &t, req).await?;
    Ok((StatusCode::CREATED, Json(v.json())).into_response())
}

/// `GET /v1/documents/{key}`.
pub async fn v1_get_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(key): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(docs::get_document(&st, &t, &key).await?.json()).into_response())
}

/// `DELETE /v1/documents/{id}` → 204.
pub async fn v1_delete_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(key): Path<String>,
) -> Result<Response, Fail<V1>> {
    docs::delete_document(&st, &t, &key).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `POST /ocr/face_match` `{ocr_key, image_key}` → 201 `{face_match_key, face_match_result,
/// similarity_ratio}`.
pub async fn qi_face_match(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    JsonBody(body, ..): JsonBody<Qi>,
) -> Result<Response, Fail<Qi>> {
    let (ocr_key, image_key) = face_match::parse(&body, true)?;
    let ocr_key = ocr_key.unwrap_or_default();
    let v = face_match::face_match(&st, &t, &ocr_key, &image_key).await?;
    Ok((StatusCode::CREATED, Json(v.qi())).into_response())
}

/// `POST /v1/documents/{id}/face-match` `{image_key}`.
pub async fn v1_face_match(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(key): Path<String>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Response, Fail<V1>> {
    let (_, image_key) = face_match::parse(&body, false)?;
    let v = face_match::face_match(&st, &t, &key, &image_key).await?;
    Ok((StatusCode::CREATED, Json(v.v1())).into_response())
}
