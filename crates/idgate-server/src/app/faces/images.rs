//! Image intake for every face route: decode, quality gate and embedding on a face worker, then
//! the file and its template sealed (AES-256-GCM, key id inside, bound to tenant and key) before
//! anything is stored. Also reads back the template of an uploaded image by `image_key`.

use idgate_core::crypto::KeyRing;
use idgate_core::{Code, FieldError};
use idgate_store::{FaceImageMeta, NewFaceImage, StoreError};
use idgate_vision::face::{AnalysisMode, Embedding};
use idgate_vision::intake::{self, IntakeLimits};
use serde_json::Value;

use super::input::{Fields, ImageSource};
use super::render::ImageView;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Associated data binding a sealed image file to its tenant and key.
pub fn image_aad(tenant: &str, image_key: &str) -> Vec<u8> {
    format!("face_image:{tenant}:{image_key}").into_bytes()
}

/// Associated data of the template computed at upload.
pub fn image_template_aad(tenant: &str, image_key: &str) -> Vec<u8> {
    format!("face_image_template:{tenant}:{image_key}").into_bytes()
}

/// An analysed upload, sealed and ready to store, with its embedding.
pub struct Analysed {
    pub image: NewFaceImage,
    pub embedding: Embedding,
}

/// Decodes, gates and embeds base64 `b64` on a face worker and seals the result.
/// `expires_at: None` keeps the image (a registration's).
pub async fn analyse(
    st: &AppState,
    t: &Tenant,
    b64: String,
    field: &str,
    expires_at: Option<i64>,
) -> Result<Analysed, ApiError> {
    let image_key = uuid::Uuid::new_v4().to_string();
    let (keys, tenant_id, now) = (st.keys.clone(), t.id.clone(), st.now());
    let key = image_key.clone();
    let budget = st.faces.decode_budget();
    st.faces
        .run(&t.id, field, move |models| {
            let bytes = intake::decode_base64(&b64, IntakeLimits::default().max_bytes)?;
            drop(b64);
            let (img, permit) = intake::load_within(&bytes, IntakeLimits::default(), &budget)?;
            let analysis = models.analyze(&img.image, AnalysisMode::Selfie)?;
            let (format, width, height) = (img.format, img.width, img.height);
            drop(img);
            drop(permit);
            let embedding = analysis.embedding;
            let meta = FaceImageMeta {
                image_key: key.clone(),
                tenant_id: tenant_id.clone(),
                format: format!("{format:?}").to_ascii_lowercase(),
                byte_size: bytes.len() as i64,
                width: i64::from(width),
                height: i64::from(height),
                created_at: now,
                expires_at,
            };
            let image = seal(&keys, meta, &bytes, &embedding);
            Ok(Analysed { image, embedding })
        })
        .await
}

pub(crate) fn seal(
    keys: &KeyRing,
    meta: FaceImageMeta,
    bytes: &[u8],
    e: &Embedding,
) -> NewFaceImage {
    let mut rng = rand::rngs::OsRng;
    let sealed_image = keys.seal(
        bytes,
        &image_aad(&meta.tenant_id, &meta.image_key),
        &mut rng,
    );
    let sealed_template = keys.seal(
        &e.to_le_bytes(),
        &image_template_aad(&meta.tenant_id, &meta.image_key),
        &mut rng,
    );
    NewFaceImage {
        meta,
        sealed_image,
        sealed_template,
    }
}

/// `POST /face_recognition/image`, `POST /v1/faces/images`: `{image}` → the stored image,
/// short-lived (`faces.image_ttl_secs`) unless a registration claims it.
pub async fn upload(
    st: &AppState,
    t: &Tenant,
    body: &Value,
    strict: bool,
) -> Result<ImageView, ApiError> {
    let b64 = image_field(body, strict)?;
    let a = analyse(st, t, b64, "image", Some(upload_expiry(st))).await?;
    st.store.insert_face_image(&a.image).await?;
    Ok(ImageView {
        meta: a.image.meta,
        offset: t.offset,
    })
}

/// The `{image}` body of an upload: the base64 of one file (422 listing what is wrong).
pub fn image_field(body: &Value, strict: bool) -> Result<String, ApiError> {
    let mut f = Fields::new(body, &["image"], strict)?;
    let b64 = f.opt_str("image");
    if b64.is_none() {
        f.push(FieldError::new(
            "image",
            "required",
            "send the base64 of a JPEG, PNG or WebP file",
        ));
    }
    f.finish()?;
    Ok(b64.unwrap_or_default())
}

/// When an image uploaded now expires (`faces.image_ttl_secs` from now).
pub fn upload_expiry(st: &AppState) -> i64 {
    let ttl_ms = i64::try_from(st.cfg.faces.image_ttl_secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000);
    st.now().saturating_add(ttl_ms)
}

/// The embedding of a request's image: analysed now (`Inline`, returned sealed for storing) or
/// read back from an unexpired upload (`Key`).
pub async fn embedding_of(
    st: &AppState,
    t: &Tenant,
    src: ImageSource,
    fields: (&str, &str),
    expires_at: Option<i64>,
) -> Result<(Embedding, Option<NewFaceImage>, FaceImageMeta), ApiError> {
    match src {
        ImageSource::Inline(b64) => {
            let a = analyse(st, t, b64, fields.0, expires_at).await?;
            let meta = a.image.meta.clone();
            Ok((a.embedding, Some(a.image), meta))
        }
        ImageSource::Key(key) => {
            let (meta, e) = stored_template(st, t, &key, fields.1).await?;
            Ok((e, None, meta))
        }
    }
}

/// The template sealed with an uploaded image; 404 naming `field` when unknown or expired.
pub async fn stored_template(
    st: &AppState,
    t: &Tenant,
    image_key: &str,
    field: &str,
) -> Result<(FaceImageMeta, Embedding), ApiError> {
    let (meta, sealed) = match st
        .store
        .face_image_template(&t.id, image_key, st.now())
        .await
    {
        Ok(x) => x,
        Err(StoreError::NotFound) => {
            let mut e = ApiError::new(
                Code::NotFound,
                format!("{field}: no such image for this tenant (or it expired)"),
            );
            e.details.push(FieldError::new(
                field,
                "not_found",
                "no such image for this tenant (or it expired)",
            ));
            return Err(e);
        }
        Err(e) => return Err(e.into()),
    };
    let plain = st
        .keys
        .open(&sealed, &image_template_aad(&t.id, image_key))
        .map_err(unsealing)?;
    Ok((meta, Embedding::from_le_bytes(&plain).map_err(unsealing)?))
}

/// A stored value that does not open: our fault, never the caller's.
pub fn unsealing(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "a sealed face value does not open");
    ApiError::internal()
}
