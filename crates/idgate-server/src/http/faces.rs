//! Face handlers: the QI facade (`/face_recognition/...`) and `/v1/faces/...`. Thin:
//! authenticate, read the body (with the larger face limit), call the use case, render.

use std::marker::PhantomData;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::error::{Fail, Qi, V1};
use super::extract::{read_json, AuthForms, Authed};
use crate::app::faces::{images, registrations, validations};
use crate::state::AppState;

/// A JSON body read with `faces.max_body_bytes` (a 10 MiB image is ~13.4 MB of base64), with
/// the same rules as the other bodies of its family (content type on `/v1`, trailing commas
/// tolerated on vendor routes).
pub struct FaceBody<F>(pub Value, pub PhantomData<F>);

impl<F: AuthForms> FromRequest<AppState> for FaceBody<F> {
    type Rejection = Fail<F>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.cfg.faces.max_body_bytes;
        read_json::<F>(req, limit)
            .await
            .map(|v| Self(v, PhantomData))
    }
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// `POST /face_recognition/image`.
pub async fn qi_upload_image(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    FaceBody(body, ..): FaceBody<Qi>,
) -> Result<Response, Fail<Qi>> {
    Ok(created(images::upload(&st, &t, &body, false).await?.qi()))
}

/// `POST /face_recognition/registration`: `{registration_key}` only, as the seed shows.
pub async fn qi_create_registration(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    FaceBody(body, ..): FaceBody<Qi>,
) -> Result<Response, Fail<Qi>> {
    let v = registrations::create(&st, &t, &body, false).await?;
    Ok(created(v.qi_created()))
}

pub async fn qi_get_registration(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    Path(key): Path<String>,
) -> Result<Response, Fail<Qi>> {
    Ok(Json(registrations::get(&st, &t, &key).await?.qi()).into_response())
}

pub async fn qi_get_registration_by_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    Path(doc): Path<String>,
) -> Result<Response, Fail<Qi>> {
    Ok(Json(registrations::by_document(&st, &t, &doc).await?.qi()).into_response())
}

pub async fn qi_create_validation(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    FaceBody(body, ..): FaceBody<Qi>,
) -> Result<Response, Fail<Qi>> {
    Ok(created(
        validations::create(&st, &t, &body, false).await?.qi(),
    ))
}

pub async fn qi_get_validation(
    State(st): State<AppState>,
    Authed(t, ..): Authed<Qi>,
    Path(key): Path<String>,
) -> Result<Response, Fail<Qi>> {
    Ok(Json(validations::get(&st, &t, &key).await?.qi()).into_response())
}

pub async fn v1_upload_image(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    FaceBody(body, ..): FaceBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(created(images::upload(&st, &t, &body, true).await?.v1()))
}

pub async fn v1_create_registration(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    FaceBody(body, ..): FaceBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(created(
        registrations::create(&st, &t, &body, true).await?.v1(),
    ))
}

pub async fn v1_get_registration(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(key): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(registrations::get(&st, &t, &key).await?.v1()).into_response())
}

pub async fn v1_get_registration_by_document(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(doc): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(registrations::by_document(&st, &t, &doc).await?.v1()).into_response())
}

/// `DELETE /v1/faces/registrations/{registration_key}`: erases template and image; audited.
pub async fn v1_erase_registration(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(key): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(registrations::erase(&st, &t, &key).await?).into_response())
}

pub async fn v1_create_validation(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    FaceBody(body, ..): FaceBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(created(
        validations::create(&st, &t, &body, true).await?.v1(),
    ))
}

pub async fn v1_get_validation(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    Path(key): Path<String>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(validations::get(&st, &t, &key).await?.v1()).into_response())
}

/// `POST /v1/faces/compare`: two images, no registration; nothing stored.
pub async fn v1_compare(
    State(st): State<AppState>,
    Authed(t, ..): Authed<V1>,
    FaceBody(body, ..): FaceBody<V1>,
) -> Result<Response, Fail<V1>> {
    Ok(Json(validations::compare_images(&st, &t, &body).await?).into_response())
}
