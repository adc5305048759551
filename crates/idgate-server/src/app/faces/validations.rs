//! 1:1 validations (an image against a registration, found by key or by the CPF's latest) and
//! the registration-free comparison of two images. The pass threshold, the distance → similarity
//! mapping and the match levels are the face engine's published ones (`idgate_vision::face`).

use idgate_store::{FaceRegistrationRow, FaceValidationRow, StoreError};
use idgate_vision::face::{compare, Comparison};
use serde_json::Value;

use super::images::embedding_of;
use super::input::Fields;
use super::registrations::{live, template};
use super::render::{comparison_v1, ValidationView};
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

const FIELDS: &[&str] = &["document_number", "registration_key", "image", "image_key"];

/// `POST /face_recognition/validation`, `POST /v1/faces/validations`:
/// `{document_number | registration_key, image | image_key}`.
pub async fn create(
    st: &AppState,
    t: &Tenant,
    body: &Value,
    strict: bool,
) -> Result<ValidationView, ApiError> {
    let mut f = Fields::new(body, FIELDS, strict)?;
    let cpf = f.cpf("document_number", false, t.sandbox);
    let reg_key = f.key("registration_key");
    let src = f.image("image", "image_key");
    if cpf.is_none()
        && reg_key.is_none()
        && !has_any(body, &["document_number", "registration_key"])
    {
        f.push(idgate_core::FieldError::new(
            "document_number",
            "required",
            "send document_number or registration_key",
        ));
    }
    f.finish()?;
    let Some(src) = src else {
        return Err(ApiError::internal());
    };
    let reg = find_registration(st, t, cpf.as_ref().map(|c| c.digits()), reg_key).await?;
    let reference = template(&st.keys, &reg)?;
    let expires = st.now().saturating_add(image_ttl_ms(st));
    let (probe, new_image, meta) =
        embedding_of(st, t, src, ("image", "image_key"), Some(expires)).await?;
    let c = compare(&reference, &probe);
    let row = validation_row(st, t, &reg, &c, &meta.image_key);
    st.store
        .insert_face_validation(&row, new_image.as_ref())
        .await?;
    Ok(ValidationView {
        row,
        registration: Some(reg),
        image: Some(meta),
        offset: t.offset,
    })
}

/// The 1:1 check of a verified selfie (`image_key`, already stored) against the latest face
/// registration of `cpf`, recorded as a validation; `None` when the CPF has no registration.
pub async fn against_latest(
    st: &AppState,
    t: &Tenant,
    cpf: &str,
    image_key: &str,
    probe: &idgate_vision::face::Embedding,
) -> Result<Option<FaceValidationRow>, ApiError> {
    let reg = match st.store.latest_face_registration(&t.id, cpf).await {
        Err(StoreError::NotFound) => return Ok(None),
        other => other?,
    };
    let reference = template(&st.keys, &reg)?;
    let c = compare(&reference, probe);
    let row = validation_row(st, t, &reg, &c, image_key);
    st.store.insert_face_validation(&row, None).await?;
    Ok(Some(row))
}

/// The stored form of comparison `c` of `image_key` with registration `reg`.
fn validation_row(
    st: &AppState,
    t: &Tenant,
    reg: &FaceRegistrationRow,
    c: &Comparison,
    image_key: &str,
) -> FaceValidationRow {
    FaceValidationRow {
        validation_key: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        registration_key: reg.registration_key.clone(),
        document_number: reg.document_number.clone(),
        distance: f64::from(c.distance),
        similarity: f64::from(c.similarity_ratio),
        result: if c.passed { "pass" } else { "fail" }.into(),
        match_level: i64::from(c.match_level),
        image_key: image_key.to_owned(),
        created_at: st.now(),
    }
}

fn has_any(body: &Value, keys: &[&str]) -> bool {
    keys.iter()
        .any(|k| !matches!(body.get(k), None | Some(Value::Null)))
}

fn image_ttl_ms(st: &AppState) -> i64 {
    i64::try_from(st.cfg.faces.image_ttl_secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000)
}

/// By key (the CPF, when also given, must be the registration's), else the CPF's latest.
async fn find_registration(
    st: &AppState,
    t: &Tenant,
    cpf: Option<&str>,
    key: Option<String>,
) -> Result<FaceRegistrationRow, ApiError> {
    let reg = match (key, cpf) {
        (Some(k), _) => live(st, t, &k).await?,
        (None, Some(doc)) => match st.store.latest_face_registration(&t.id, doc).await {
            Err(StoreError::NotFound) => return Err(ApiError::not_found("face registration")),
            other => other?,
        },
        (None, None) => return Err(ApiError::not_found("face registration")),
    };
    if cpf.is_some_and(|d| d != reg.document_number) {
        return Err(super::input::invalid(vec![idgate_core::FieldError::new(
            "document_number",
            "mismatch",
            "is not the document number of registration_key",
        )])
        .err()
        .unwrap_or_else(ApiError::internal));
    }
    Ok(reg)
}

/// A stored validation with its registration (erased or not) and image metadata.
pub async fn get(st: &AppState, t: &Tenant, key: &str) -> Result<ValidationView, ApiError> {
    let row = match st.store.face_validation(&t.id, key).await {
        Err(StoreError::NotFound) => return Err(ApiError::not_found("face validation")),
        other => other?,
    };
    let registration = match st
        .store
        .face_registration(&t.id, &row.registration_key)
        .await
    {
        Ok(r) => Some(r),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let image = st.store.face_image_meta(&t.id, &row.image_key).await?;
    Ok(ValidationView {
        row,
        registration,
        image,
        offset: t.offset,
    })
}

/// `POST /v1/faces/compare`: `{image_a | image_key_a, image_b | image_key_b}`; stores nothing.
pub async fn compare_images(st: &AppState, t: &Tenant, body: &Value) -> Result<Value, ApiError> {
    let mut f = Fields::new(
        body,
        &["image_a", "image_key_a", "image_b", "image_key_b"],
        true,
    )?;
    let a = f.image("image_a", "image_key_a");
    let b = f.image("image_b", "image_key_b");
    f.finish()?;
    let (Some(a), Some(b)) = (a, b) else {
        return Err(ApiError::internal());
    };
    let (ea, eb) = tokio::join!(
        embedding_of(st, t, a, ("image_a", "image_key_a"), None),
        embedding_of(st, t, b, ("image_b", "image_key_b"), None)
    );
    let (ea, eb) = (ea?.0, eb?.0);
    Ok(comparison_v1(&compare(&ea, &eb)))
}
