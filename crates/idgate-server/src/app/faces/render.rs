//! Wire shapes of face images, registrations, validations and comparisons: the QI objects
//! (§1a of the vendor notes) and idgate's `/v1` objects (the same fields plus `object`, and on
//! validations the raw `distance` and the `threshold`). No biometric data is ever rendered.

use idgate_core::validate::cpf::Cpf;
use idgate_store::{FaceImageMeta, FaceRegistrationRow, FaceValidationRow};
use idgate_vision::face::{Comparison, DEFAULT_THRESHOLD};
use serde_json::{json, Value};
use time::UtcOffset;

use crate::app::render::fmt_time;

/// Rounds a ratio or distance for the wire (4 decimals).
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn cpf_formatted(digits: &str) -> String {
    Cpf::parse(digits, true)
        .map(|c| c.formatted())
        .unwrap_or_else(|_| digits.to_owned())
}

/// An uploaded image's metadata.
pub struct ImageView {
    pub meta: FaceImageMeta,
    pub offset: UtcOffset,
}

impl ImageView {
    /// `{image_key, file_size, width_px, height_px, created_at}` (QI's image object).
    pub fn qi(&self) -> Value {
        let m = &self.meta;
        json!({
            "image_key": m.image_key,
            "file_size": m.byte_size,
            "width_px": m.width,
            "height_px": m.height,
            "created_at": fmt_time(m.created_at, self.offset),
        })
    }

    pub fn v1(&self) -> Value {
        let mut v = self.qi();
        v["object"] = json!("face_image");
        v["format"] = json!(self.meta.format);
        v["expires_at"] = json!(self.meta.expires_at.map(|t| fmt_time(t, self.offset)));
        v
    }
}

fn image_or_null(m: &Option<FaceImageMeta>, offset: UtcOffset) -> Value {
    m.clone()
        .map_or(Value::Null, |meta| ImageView { meta, offset }.qi())
}

/// A registration with the metadata of its image.
pub struct RegistrationView {
    pub row: FaceRegistrationRow,
    pub image: Option<FaceImageMeta>,
    pub offset: UtcOffset,
}

impl RegistrationView {
    /// The seed's creation answer: only the key.
    pub fn qi_created(&self) -> Value {
        json!({"registration_key": self.row.registration_key})
    }

    /// `{registration_key, document_number, status, registration_date, image}`.
    pub fn qi(&self) -> Value {
        json!({
            "registration_key": self.row.registration_key,
            "document_number": cpf_formatted(&self.row.document_number),
            "status": self.row.status,
            "registration_date": fmt_time(self.row.created_at, self.offset),
            "image": image_or_null(&self.image, self.offset),
        })
    }

    pub fn v1(&self) -> Value {
        let mut v = self.qi();
        v["object"] = json!("face_registration");
        v
    }
}

/// A validation with its registration (possibly erased since) and image metadata.
pub struct ValidationView {
    pub row: FaceValidationRow,
    pub registration: Option<FaceRegistrationRow>,
    pub image: Option<FaceImageMeta>,
    pub offset: UtcOffset,
}

impl ValidationView {
    pub fn qi(&self) -> Value {
        let r = &self.row;
        let registration = match &self.registration {
            Some(reg) => json!({
                "registration_key": reg.registration_key,
                "registration_status": status_of(reg),
                "registration_date": fmt_time(reg.created_at, self.offset),
            }),
            None => json!({"registration_key": r.registration_key}),
        };
        json!({
            "validation_key": r.validation_key,
            "document_number": cpf_formatted(&r.document_number),
            "similarity_ratio": round4(r.similarity),
            "validation_result": r.result,
            "match_level": r.match_level,
            "registration": registration,
            "image": image_or_null(&self.image, self.offset),
            "validation_date": fmt_time(r.created_at, self.offset),
        })
    }

    pub fn v1(&self) -> Value {
        let mut v = self.qi();
        v["object"] = json!("face_validation");
        v["distance"] = json!(round4(self.row.distance));
        v["threshold"] = json!(round4(f64::from(DEFAULT_THRESHOLD)));
        v
    }
}

fn status_of(reg: &FaceRegistrationRow) -> &str {
    if reg.deleted_at.is_some() {
        "erased"
    } else {
        &reg.status
    }
}

/// `POST /v1/faces/compare`'s answer.
pub fn comparison_v1(c: &Comparison) -> Value {
    json!({
        "object": "face_comparison",
        "distance": round4(f64::from(c.distance)),
        "similarity_ratio": round4(f64::from(c.similarity_ratio)),
        "result": if c.passed { "pass" } else { "fail" },
        "match_level": c.match_level,
        "threshold": round4(f64::from(DEFAULT_THRESHOLD)),
    })
}
