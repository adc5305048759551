//! Matching the portrait printed on a stored document with an uploaded selfie (`image_key` from
//! the face routes): the document file is opened and its portrait found and embedded on the face
//! pool (small faces upsampled, the largest face wins), then compared with the selfie's stored
//! template. `match` when the similarity ratio is above `documents.face_match_threshold` (QI:
//! 95%). The result is stored per tenant; nothing is stored when either side has no face.

use idgate_core::Code;
use idgate_store::FaceMatchRow;
use idgate_vision::document::pdf::{read_cnh_pdf, PdfLimits, TrustRoots};
use idgate_vision::face::{compare, AnalysisMode};
use idgate_vision::intake::{self, IntakeLimits};
use idgate_vision::VisionError;
use image::RgbImage;
use serde_json::{json, Value};

use super::{open_file, stored};
use crate::app::faces::images::stored_template;
use crate::app::render::fmt_time;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A stored face match.
pub struct FaceMatchView {
    pub row: FaceMatchRow,
    /// The outcome `row.result` spells (`match` / `unmatch`).
    pub matched: bool,
    pub created_at: String,
    pub threshold: f32,
}

impl FaceMatchView {
    /// The QI shape: `{face_match_key, face_match_result, similarity_ratio}`.
    pub fn qi(&self) -> Value {
        json!({
            "face_match_key": self.row.face_match_key,
            "face_match_result": self.row.result,
            "similarity_ratio": self.row.similarity,
        })
    }

    pub fn v1(&self) -> Value {
        let mut v = self.qi();
        v["ocr_key"] = json!(self.row.ocr_key);
        v["image_key"] = json!(self.row.image_key);
        v["threshold"] = json!(f64::from(self.threshold));
        v["created_at"] = json!(self.created_at);
        v
    }
}

/// Parses `{ocr_key, image_key}` (QI) or `{image_key}` with the key in the path (`/v1`).
pub fn parse(body: &Value, with_ocr_key: bool) -> Result<(Option<String>, String), ApiError> {
    let mut errs = Vec::new();
    let mut get = |k: &str| match body.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        None | Some(Value::Null) => {
            errs.push(idgate_core::FieldError::new(k, "required", "is required"));
            None
        }
        _ => {
            errs.push(idgate_core::FieldError::new(
                k,
                "invalid_type",
                "must be a non-empty string",
            ));
            None
        }
    };
    let ocr_key = if with_ocr_key { get("ocr_key") } else { None };
    let image_key = get("image_key");
    if !with_ocr_key {
        for k in body.as_object().map(|o| o.keys()).into_iter().flatten() {
            if k != "image_key" {
                errs.push(idgate_core::FieldError::new(
                    k,
                    "unknown_field",
                    "is not a known field",
                ));
            }
        }
    }
    if let (Some(image_key), true) = (image_key, errs.is_empty()) {
        return Ok((ocr_key, image_key));
    }
    Err(ApiError::invalid_fields(errs))
}

/// The image holding the document's portrait: the photo itself; for a PDF, the largest
/// embedded image that is not the QR code (a CNH-e), or the page image of an image-only PDF.
fn document_image(bytes: &[u8], file_type: &str) -> Result<RgbImage, VisionError> {
    if file_type == "pdf" {
        let pdf = read_cnh_pdf(bytes, &TrustRoots::none(), &PdfLimits::default())?;
        return pdf
            .portrait
            .map(|p| p.image.to_rgb8())
            .ok_or(VisionError::NoFace);
    }
    Ok(intake::load(bytes, IntakeLimits::default())?.image)
}

pub async fn face_match(
    st: &AppState,
    t: &Tenant,
    ocr_key: &str,
    image_key: &str,
) -> Result<FaceMatchView, ApiError> {
    let doc = stored(st, t, ocr_key).await?;
    let (_, selfie) = stored_template(st, t, image_key, "image_key").await?;
    let file = open_file(st, &doc)?;
    let file_type = doc.file_type.clone();
    let portrait = st
        .faces
        .run(&t.id, "ocr_key", move |models| {
            let img = document_image(&file, &file_type)?;
            models.analyze(&img, AnalysisMode::DocumentPortrait)
        })
        .await
        .map_err(|mut e| {
            if e.code == Code::NoFace {
                e.message = "ocr_key: no face was found on the document".into();
            }
            e
        })?;
    let c = compare(&portrait.embedding, &selfie);
    let threshold = st.documents.cfg.face_match_threshold;
    let similarity = (f64::from(c.similarity_ratio) * 10_000.0).round() / 10_000.0;
    let now = st.now();
    let matched = c.similarity_ratio > threshold;
    let row = FaceMatchRow {
        face_match_key: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        ocr_key: doc.ocr_key,
        image_key: image_key.to_owned(),
        similarity,
        result: if matched { "match" } else { "unmatch" }.into(),
        created_at: now,
    };
    st.store.insert_face_match(&row).await?;
    Ok(FaceMatchView {
        row,
        matched,
        created_at: fmt_time(now, t.offset),
        threshold,
    })
}
