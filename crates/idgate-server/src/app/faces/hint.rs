//! Live hints for the hosted selfie: a small preview frame (≤ 320 px, never stored) goes through
//! the face detector and comes back as one hint the page shows while the person frames their face
//! (`light`, `no_face`, `one_face`, `closer`, `ok`). Works in every browser, unlike the Shape
//! Detection API.

use idgate_core::FieldError;
use idgate_vision::face::{AnalysisMode, FaceBox};
use idgate_vision::intake::{self, IntakeLimits};
use serde::Serialize;
use serde_json::Value;

use super::input::Fields;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Longest side of a hint frame, in pixels.
pub const MAX_SIDE: u32 = 320;
/// Below this mean luma (0–255) the picture is too dark.
const DARK: f32 = 50.0;
/// A face narrower than this share of the frame's shorter side is too far away (the page shows
/// a portrait crop of a landscape camera: the shorter side is what the person sees).
const NEAR: f32 = 0.25;

/// What the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    Light,
    NoFace,
    OneFace,
    Closer,
    Ok,
}

#[derive(Debug, Clone, Serialize)]
pub struct HintAnswer {
    pub hint: Hint,
    pub faces: usize,
    /// Mean luma of the frame's centre (0–255).
    pub brightness: u8,
}

/// The hint for a frame whose shorter side is `short` px, with `faces` (largest first) and
/// centre brightness `luma`.
pub fn hint_for(short: u32, faces: &[FaceBox], luma: f32) -> Hint {
    match faces {
        _ if luma < DARK => Hint::Light,
        [] => Hint::NoFace,
        [_, _, ..] => Hint::OneFace,
        [f] if (f.width as f32) < short as f32 * NEAR => Hint::Closer,
        [_] => Hint::Ok,
    }
}

/// Mean luma of the centre half of the image.
fn centre_luma(img: &image::RgbImage) -> f32 {
    let (w, h) = img.dimensions();
    let (mut sum, mut n) = (0f64, 0u64);
    for y in h / 4..h - h / 4 {
        for x in w / 4..w - w / 4 {
            let p = img.get_pixel(x, y).0;
            sum += 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / n as f64) as f32
    }
}

/// Reads `{image}` (base64 JPEG/PNG/WebP, at most [`MAX_SIDE`] px on its long side) and answers
/// its hint. Bad input is a 400 naming `image`; nothing is stored.
pub async fn hint(st: &AppState, t: &Tenant, body: &Value) -> Result<HintAnswer, ApiError> {
    let mut f = Fields::new(body, &["image"], true)?;
    let b64 = f.opt_str("image");
    if b64.is_none() && body.get("image").is_none_or(Value::is_null) {
        f.push(FieldError::new(
            "image",
            "required",
            "a base64 JPEG, PNG or WebP frame is required",
        ));
    }
    f.finish()?;
    let b64 = b64.unwrap_or_default();
    let limits = IntakeLimits {
        max_bytes: st.cfg.limits.small_body_bytes,
        max_pixels: u64::from(MAX_SIDE) * u64::from(MAX_SIDE),
    };
    let budget = st.faces.decode_budget();
    st.faces
        .run(&t.id, "image", move |models| {
            let bytes = intake::decode_base64(&b64, limits.max_bytes)?;
            let (img, _permit) = intake::load_within(&bytes, limits, &budget)?;
            let faces = models.detect(&img.image, AnalysisMode::Selfie);
            let luma = centre_luma(&img.image);
            Ok(HintAnswer {
                hint: hint_for(img.width.min(img.height), &faces, luma),
                faces: faces.len(),
                brightness: luma.clamp(0.0, 255.0) as u8,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(width: u32) -> FaceBox {
        FaceBox {
            left: 0,
            top: 0,
            width,
            height: width,
        }
    }

    #[test]
    fn each_situation_has_its_hint() {
        assert_eq!(hint_for(320, &[face(120)], 30.0), Hint::Light);
        assert_eq!(hint_for(320, &[], 120.0), Hint::NoFace);
        assert_eq!(hint_for(320, &[face(120), face(60)], 120.0), Hint::OneFace);
        assert_eq!(hint_for(320, &[face(60)], 120.0), Hint::Closer);
        assert_eq!(hint_for(320, &[face(120)], 120.0), Hint::Ok);
        // a 640x360 landscape frame shown as a portrait crop: 100 px is near enough
        assert_eq!(hint_for(360, &[face(100)], 120.0), Hint::Ok);
    }
}
