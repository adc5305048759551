//! PP-OCRv5 text detection (DB): resize to multiples of 32, normalise, run the network,
//! threshold the probability map, turn regions into rotated boxes and unclip them.

use image::RgbImage;
use ort::{session::Session, value::Tensor};

use super::geometry::{convex_hull, mean_inside, min_area_rect, regions, Quad};
use crate::VisionError;

/// How the page is scaled for the detector.
#[derive(Debug, Clone, Copy)]
pub(super) struct DetLimits {
    /// The shorter side is scaled up to at least this (PaddleOCR's `min` limit, 736).
    pub min_side: u32,
    /// The longer side is scaled down to at most this (bounds the cost on large photos).
    pub max_side: u32,
}

/// DB post-processing constants (PaddleOCR's defaults for PP-OCRv5).
const THRESH: f32 = 0.3;
const BOX_THRESH: f32 = 0.6;
const UNCLIP_RATIO: f32 = 1.5;
const MIN_SIZE: f32 = 3.0;
const MAX_CANDIDATES: usize = 1000;
// ImageNet statistics, applied to B, G, R in that order as PaddleOCR does on OpenCV images.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// A detected text box in source-image pixels with its mean text probability.
#[derive(Debug, Clone)]
pub(super) struct DetBox {
    pub quad: Quad,
    pub score: f32,
}

fn target_size(w: u32, h: u32, limits: DetLimits) -> (u32, u32) {
    let (wf, hf) = (w as f32, h as f32);
    let mut ratio = 1.0f32;
    if wf.min(hf) < limits.min_side as f32 {
        ratio = limits.min_side as f32 / wf.min(hf);
    }
    if wf.max(hf) * ratio > limits.max_side as f32 {
        ratio = limits.max_side as f32 / wf.max(hf);
    }
    let round32 = |v: f32| (((v / 32.0).round() as u32) * 32).max(32);
    (round32(wf * ratio), round32(hf * ratio))
}

/// Detects text boxes on `img`.
pub(super) fn detect(
    session: &mut Session,
    img: &RgbImage,
    limits: DetLimits,
) -> Result<Vec<DetBox>, VisionError> {
    let (w, h) = target_size(img.width(), img.height(), limits);
    let (wu, hu) = (w as usize, h as usize);
    let input = resize_normalised(img, wu, hu);
    let tensor = Tensor::from_array(([1usize, 3, hu, wu], input)).map_err(ort_err)?;
    let outputs = session.run(ort::inputs![tensor]).map_err(ort_err)?;
    let (shape, probs) = outputs[0].try_extract_tensor::<f32>().map_err(ort_err)?;
    let (mh, mw) = match shape.len() {
        4 => (shape[2] as usize, shape[3] as usize),
        _ => {
            return Err(VisionError::Internal(format!(
                "detector output shape {shape:?}"
            )))
        }
    };
    if probs.len() < mh * mw {
        return Err(VisionError::Internal("detector output is short".into()));
    }
    let probs = &probs[..mh * mw];
    let sx = img.width() as f32 / mw as f32;
    let sy = img.height() as f32 / mh as f32;
    Ok(boxes_from_map(probs, mw, mh)
        .into_iter()
        .map(|b| DetBox {
            quad: b.quad.map(|p| [p[0] * sx, p[1] * sy]),
            score: b.score,
        })
        .collect())
}

/// `img` resized to `w` x `h` by bilinear sampling (what PaddleOCR's `cv2.resize` does) straight
/// into the network's layout: planar B, G, R, normalised with the ImageNet statistics.
fn resize_normalised(img: &RgbImage, w: usize, h: usize) -> Vec<f32> {
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    // Per output column: left source column and weight of the right one (likewise for rows).
    let taps = |out: usize, src: usize| -> Vec<(usize, f32)> {
        let scale = src as f32 / out as f32;
        (0..out)
            .map(|o| {
                let f = ((o as f32 + 0.5) * scale - 0.5).clamp(0.0, (src - 1) as f32);
                let i = (f.floor() as usize).min(src.saturating_sub(2));
                (i, f - i as f32)
            })
            .collect()
    };
    let (xs, ys) = (taps(w, iw), taps(h, ih));
    let plane = w * h;
    let mut out = vec![0f32; 3 * plane];
    // (v / 255 - mean) / std as v * a + b, per network channel (channel c is BGR[c]).
    let ab: [(f32, f32); 3] = std::array::from_fn(|c| (1.0 / (255.0 * STD[c]), -MEAN[c] / STD[c]));
    let mut row = vec![0f32; iw * 3];
    for (y, &(sy, fy)) in ys.iter().enumerate() {
        let (r0, r1) = (sy * iw * 3, (sy + 1).min(ih - 1) * iw * 3);
        for (k, v) in row.iter_mut().enumerate() {
            *v = raw[r0 + k] as f32 * (1.0 - fy) + raw[r1 + k] as f32 * fy;
        }
        for (x, &(sx, fx)) in xs.iter().enumerate() {
            let (p0, p1) = (sx * 3, (sx + 1).min(iw - 1) * 3);
            for c in 0..3 {
                let v = row[p0 + 2 - c] * (1.0 - fx) + row[p1 + 2 - c] * fx;
                out[c * plane + y * w + x] = v * ab[c].0 + ab[c].1;
            }
        }
    }
    out
}

/// DB post-processing on a probability map (map coordinates).
fn boxes_from_map(probs: &[f32], w: usize, h: usize) -> Vec<DetBox> {
    let mask: Vec<bool> = probs.iter().map(|&p| p > THRESH).collect();
    let mut out = Vec::new();
    for region in regions(&mask, w, h).into_iter().take(MAX_CANDIDATES) {
        let hull = convex_hull(&region);
        let Some(rect) = min_area_rect(&hull) else {
            continue;
        };
        if rect.short < MIN_SIZE {
            continue;
        }
        let score = mean_inside(probs, w, h, &rect.quad());
        if score < BOX_THRESH {
            continue;
        }
        let area = rect.long * rect.short;
        let perimeter = 2.0 * (rect.long + rect.short);
        let grown = rect.grown(area * UNCLIP_RATIO / perimeter);
        if grown.short < MIN_SIZE + 2.0 {
            continue;
        }
        let quad = grown
            .quad()
            .map(|p| [p[0].clamp(0.0, w as f32), p[1].clamp(0.0, h as f32)]);
        out.push(DetBox { quad, score });
    }
    out
}

pub(super) fn ort_err<E: std::fmt::Display>(e: E) -> VisionError {
    VisionError::Internal(format!("onnx runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_multiples_of_32_within_limits() {
        let limits = DetLimits {
            min_side: 736,
            max_side: 1280,
        };
        assert_eq!(target_size(600, 400, limits), (1120, 736));
        assert_eq!(target_size(4000, 3000, limits), (1280, 960));
        assert_eq!(target_size(10, 10, limits), (736, 736));
    }

    #[test]
    fn one_bar_gives_one_box() {
        let (w, h) = (64, 32);
        let mut map = vec![0f32; w * h];
        for y in 10..16 {
            for x in 8..56 {
                map[y * w + x] = 0.9;
            }
        }
        let boxes = boxes_from_map(&map, w, h);
        assert_eq!(boxes.len(), 1);
        let q = boxes[0].quad;
        assert!(
            q[0][0] < 8.0 && q[1][0] > 55.0 && q[0][1] < 10.0 && q[3][1] > 15.0,
            "{q:?}"
        );
    }
}
