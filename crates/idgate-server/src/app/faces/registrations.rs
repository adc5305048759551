//! Face registrations (1:1 enrolment of a CPF): create from a new image or an uploaded
//! `image_key`, read by key or by CPF (the latest wins; older ones stay as history), and erase
//! (template and image removed, the erasure audited in the same transaction).

use idgate_core::crypto::KeyRing;
use idgate_core::validate::cpf::Cpf;
use idgate_store::{AuditEventRow, FaceRegistrationRow, StoreError};
use idgate_vision::face::Embedding;
use serde_json::{json, Value};

use super::images::{embedding_of, unsealing};
use super::input::{parse_cpf, Fields};
use super::render::RegistrationView;
use crate::app::render::fmt_time;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Status of a new registration (QI: `authentic`, `undefined`, `fraud`).
pub const STATUS_AUTHENTIC: &str = "authentic";

/// Associated data binding a sealed template to its tenant and registration.
pub fn template_aad(tenant: &str, registration_key: &str) -> Vec<u8> {
    format!("face_registration:{tenant}:{registration_key}").into_bytes()
}

/// `POST /face_recognition/registration`, `POST /v1/faces/registrations`:
/// `{document_number, image | image_key}` (exactly one image field).
pub async fn create(
    st: &AppState,
    t: &Tenant,
    body: &Value,
    strict: bool,
) -> Result<RegistrationView, ApiError> {
    let mut f = Fields::new(body, &["document_number", "image", "image_key"], strict)?;
    let cpf = f.cpf("document_number", true, t.sandbox);
    let src = f.image("image", "image_key");
    f.finish()?;
    let (Some(cpf), Some(src)) = (cpf, src) else {
        return Err(ApiError::internal());
    };
    let (embedding, new_image, meta) =
        embedding_of(st, t, src, ("image", "image_key"), None).await?;
    let key = uuid::Uuid::new_v4().to_string();
    let sealed = st.keys.seal(
        &embedding.to_le_bytes(),
        &template_aad(&t.id, &key),
        &mut rand::rngs::OsRng,
    );
    let row = FaceRegistrationRow {
        registration_key: key,
        tenant_id: t.id.clone(),
        document_number: cpf.digits().to_owned(),
        sealed_template: Some(sealed),
        image_key: meta.image_key.clone(),
        status: STATUS_AUTHENTIC.into(),
        created_at: st.now(),
        deleted_at: None,
    };
    match st
        .store
        .insert_face_registration(&row, new_image.as_ref(), st.now())
        .await
    {
        Err(StoreError::NotFound) => return Err(ApiError::not_found("image_key")),
        other => other?,
    }
    tracing::info!(document = %cpf.masked(), "face registration created");
    let mut meta = meta;
    meta.expires_at = None;
    Ok(RegistrationView {
        row,
        image: Some(meta),
        offset: t.offset,
    })
}

/// A live registration by key (404 when unknown to this tenant or erased).
pub async fn get(st: &AppState, t: &Tenant, key: &str) -> Result<RegistrationView, ApiError> {
    let row = live(st, t, key).await?;
    view(st, t, row).await
}

/// The latest live registration of a CPF given formatted or as bare digits.
pub async fn by_document(
    st: &AppState,
    t: &Tenant,
    document_number: &str,
) -> Result<RegistrationView, ApiError> {
    let cpf = path_cpf(t, document_number)?;
    let row = match st.store.latest_face_registration(&t.id, cpf.digits()).await {
        Err(StoreError::NotFound) => return Err(ApiError::not_found("face registration")),
        other => other?,
    };
    view(st, t, row).await
}

/// A CPF from a path: 422 `validation_failed` when malformed.
pub fn path_cpf(t: &Tenant, s: &str) -> Result<Cpf, ApiError> {
    parse_cpf(s, t.sandbox)
        .map_err(|v| ApiError::invalid_fields(vec![v.with_field("document_number")]))
}

pub(super) async fn live(
    st: &AppState,
    t: &Tenant,
    key: &str,
) -> Result<FaceRegistrationRow, ApiError> {
    match st.store.face_registration(&t.id, key).await {
        Ok(r) if r.deleted_at.is_none() => Ok(r),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found("face registration")),
        Err(e) => Err(e.into()),
    }
}

async fn view(
    st: &AppState,
    t: &Tenant,
    row: FaceRegistrationRow,
) -> Result<RegistrationView, ApiError> {
    let image = st.store.face_image_meta(&t.id, &row.image_key).await?;
    Ok(RegistrationView {
        row,
        image,
        offset: t.offset,
    })
}

/// The registration's template, opened.
pub fn template(keys: &KeyRing, row: &FaceRegistrationRow) -> Result<Embedding, ApiError> {
    let sealed = row
        .sealed_template
        .as_deref()
        .ok_or_else(|| ApiError::not_found("face registration"))?;
    let plain = keys
        .open(sealed, &template_aad(&row.tenant_id, &row.registration_key))
        .map_err(unsealing)?;
    Embedding::from_le_bytes(&plain).map_err(unsealing)
}

/// `DELETE /v1/faces/registrations/{key}`: erases the template and the image, keeps the row's
/// key and dates as history, and audits the erasure (CPF masked).
pub async fn erase(st: &AppState, t: &Tenant, key: &str) -> Result<Value, ApiError> {
    let now = st.now();
    let current = live(st, t, key).await?;
    let masked = Cpf::parse(&current.document_number, true)
        .map(|c| c.masked())
        .unwrap_or_default();
    let audit = AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        kind: "face_registration.erased".into(),
        subject: key.to_owned(),
        detail: json!({"document_number": masked, "image_key": current.image_key, "erased": ["template", "image"]})
            .to_string(),
        created_at: now,
    };
    let row = match st
        .store
        .erase_face_registration(&t.id, key, now, &audit)
        .await
    {
        Err(StoreError::NotFound) => return Err(ApiError::not_found("face registration")),
        other => other?,
    };
    tracing::info!(document = %masked, "face registration erased");
    Ok(json!({
        "object": "face_registration",
        "registration_key": row.registration_key,
        "erased": true,
        "erased_at": fmt_time(now, t.offset),
    }))
}
