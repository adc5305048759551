//! Face-crop quality measures (sharpness, brightness) and the selfie quality gate thresholds.
//!
//! Both measures are taken on the inner part of the face box, resampled to a fixed
//! [`QUALITY_SIDE`]×[`QUALITY_SIDE`] grey patch, so they do not depend on the photo's resolution.
//! Thresholds were calibrated on `shared/testdata/faces` (every single-face photo passes, see
//! the test suite) with a wide margin; the synthetic blur/darken/brighten tests show they trip.

use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};

use super::analyze::FaceBox;
use crate::VisionError;

/// Side of the grey patch the measures run on.
pub const QUALITY_SIDE: u32 = 128;
/// Below this variance of the Laplacian (on the 128 px patch) a face is `TooBlurry`.
/// The 48 single-face test photos measure 54–710 (lowest: alex_lacamoire_1.png 54.5,
/// lin_manuel_miranda_1.png 61.8); obama_1 (367) blurred with σ = 6 px drops far below 20.
pub const MIN_SHARPNESS: f32 = 20.0;
/// Below this mean luminance (0–255, Rec. 601) a face is `TooDark`. Test photos: 98.6–181.5.
pub const MIN_BRIGHTNESS: f32 = 40.0;
/// Above this mean luminance a face is `TooBright`. Test photos: at most 181.5.
pub const MAX_BRIGHTNESS: f32 = 225.0;
/// Fraction of the face box trimmed on each side before measuring (hair, background).
const INSET: f32 = 0.1;

/// Quality measures of one face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceQuality {
    /// Variance of the 4-neighbour Laplacian on the grey patch (higher = sharper).
    pub sharpness: f32,
    /// Mean luminance 0–255 on the grey patch.
    pub brightness: f32,
}

impl FaceQuality {
    /// The selfie gate: `TooDark`, `TooBright` or `TooBlurry`, in that order (exposure first:
    /// a dark face also measures as unsharp).
    pub fn check(&self) -> Result<(), VisionError> {
        if self.brightness < MIN_BRIGHTNESS {
            Err(VisionError::TooDark)
        } else if self.brightness > MAX_BRIGHTNESS {
            Err(VisionError::TooBright)
        } else if self.sharpness < MIN_SHARPNESS {
            Err(VisionError::TooBlurry)
        } else {
            Ok(())
        }
    }
}

/// Measures the face `face` (in `image` pixels).
pub fn measure(image: &RgbImage, face: FaceBox) -> FaceQuality {
    let dx = (face.width as f32 * INSET) as u32;
    let dy = (face.height as f32 * INSET) as u32;
    let x = (face.left + dx).min(image.width().saturating_sub(1));
    let y = (face.top + dy).min(image.height().saturating_sub(1));
    let w = face
        .width
        .saturating_sub(2 * dx)
        .clamp(1, image.width() - x);
    let h = face
        .height
        .saturating_sub(2 * dy)
        .clamp(1, image.height() - y);
    let region = imageops::crop_imm(image, x, y, w, h).to_image();
    let grey = imageops::grayscale(&region);
    let patch = imageops::resize(&grey, QUALITY_SIDE, QUALITY_SIDE, FilterType::Triangle);
    FaceQuality {
        sharpness: laplacian_variance(&patch),
        brightness: mean(&patch),
    }
}

fn mean(image: &GrayImage) -> f32 {
    let n = image.as_raw().len().max(1) as f64;
    (image.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n) as f32
}

/// Variance of the 4-neighbour Laplacian over the interior pixels.
pub fn laplacian_variance(image: &GrayImage) -> f32 {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let px = image.as_raw();
    let at = |x: usize, y: usize| f64::from(px[y * w + x]);
    let (mut sum, mut sum_sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let m = sum / n;
    (sum_sq / n - m * m) as f32
}
