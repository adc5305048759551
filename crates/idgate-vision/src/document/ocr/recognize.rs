//! PP-OCRv5 text-line recognition (CTC, height 48) and the 0°/180° text-line orientation
//! classifier: crops in, text with confidence out.

use image::{imageops::FilterType, RgbImage};
use ort::{session::Session, value::Tensor};

use super::detect::ort_err;
use crate::VisionError;

/// Recogniser input height.
pub(super) const REC_HEIGHT: u32 = 48;
/// PaddleOCR pads lines to at least 320 pixels wide (its training shape 3x48x320).
pub(super) const REC_MIN_WIDTH: u32 = 320;
/// The widest line the recogniser is given (a 44-character MRZ line needs ~1,300).
pub(super) const REC_MAX_WIDTH: u32 = 3200;

/// Converts crops (already `REC_HEIGHT` high) to the network's BGR, [-1, 1], zero-padded layout.
fn to_tensor(crops: &[&RgbImage], width: u32, height: u32) -> Result<Tensor<f32>, VisionError> {
    let (w, h) = (width as usize, height as usize);
    let mut data = vec![0f32; crops.len() * 3 * h * w];
    for (n, crop) in crops.iter().enumerate() {
        let base = n * 3 * h * w;
        for (x, y, p) in crop.enumerate_pixels() {
            if x as usize >= w || y as usize >= h {
                continue;
            }
            let i = y as usize * w + x as usize;
            for c in 0..3 {
                data[base + c * h * w + i] = p.0[2 - c] as f32 / 127.5 - 1.0;
            }
        }
    }
    Tensor::from_array(([crops.len(), 3, h, w], data)).map_err(ort_err)
}

/// Recognises a batch of line crops (each `REC_HEIGHT` high); returns (text, confidence) each.
pub(super) fn recognise(
    session: &mut Session,
    dict: &[String],
    crops: &[&RgbImage],
) -> Result<Vec<(String, f32)>, VisionError> {
    if crops.is_empty() {
        return Ok(Vec::new());
    }
    let width = crops
        .iter()
        .map(|c| c.width())
        .max()
        .unwrap_or(0)
        .clamp(REC_MIN_WIDTH, REC_MAX_WIDTH);
    let tensor = to_tensor(crops, width, REC_HEIGHT)?;
    let outputs = session.run(ort::inputs![tensor]).map_err(ort_err)?;
    let (shape, probs) = outputs[0].try_extract_tensor::<f32>().map_err(ort_err)?;
    if shape.len() != 3 {
        return Err(VisionError::Internal(format!(
            "recogniser output shape {shape:?}"
        )));
    }
    let (steps, classes) = (shape[1] as usize, shape[2] as usize);
    if probs.len() < crops.len() * steps * classes {
        return Err(VisionError::Internal("recogniser output is short".into()));
    }
    Ok((0..crops.len())
        .map(|n| {
            ctc_decode(
                &probs[n * steps * classes..(n + 1) * steps * classes],
                classes,
                dict,
            )
        })
        .collect())
}

/// Greedy CTC: best class per step, collapse repeats, drop blanks (class 0). Class `i` is
/// `dict[i - 1]`; the class after the dictionary is a space.
pub(super) fn ctc_decode(probs: &[f32], classes: usize, dict: &[String]) -> (String, f32) {
    let mut text = String::new();
    let (mut sum, mut n) = (0f32, 0usize);
    let mut prev = 0usize;
    for step in probs.chunks_exact(classes.max(1)) {
        let (best, p) =
            step.iter().enumerate().fold(
                (0usize, f32::MIN),
                |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
            );
        if best != 0 && best != prev {
            match dict.get(best - 1) {
                Some(s) => text.push_str(s),
                None => text.push(' '),
            }
            sum += p;
            n += 1;
        }
        prev = best;
    }
    (text, if n == 0 { 0.0 } else { sum / n as f32 })
}

/// Probability that each crop is upside down, from the text-line orientation classifier.
pub(super) fn upside_down(
    session: &mut Session,
    input: (u32, u32),
    crops: &[&RgbImage],
) -> Result<Vec<f32>, VisionError> {
    if crops.is_empty() {
        return Ok(Vec::new());
    }
    let (cw, ch) = input;
    let resized: Vec<RgbImage> = crops
        .iter()
        .map(|c| {
            let ratio = c.width() as f32 / c.height().max(1) as f32;
            let w = ((ch as f32 * ratio).ceil() as u32).clamp(1, cw);
            image::imageops::resize(*c, w, ch, FilterType::Triangle)
        })
        .collect();
    let refs: Vec<&RgbImage> = resized.iter().collect();
    let tensor = to_tensor(&refs, cw, ch)?;
    let outputs = session.run(ort::inputs![tensor]).map_err(ort_err)?;
    let (shape, probs) = outputs[0].try_extract_tensor::<f32>().map_err(ort_err)?;
    let labels = shape.get(1).copied().unwrap_or(0) as usize;
    if labels < 2 || probs.len() < crops.len() * labels {
        return Err(VisionError::Internal(format!(
            "orientation output shape {shape:?}"
        )));
    }
    Ok(probs
        .chunks_exact(labels)
        .take(crops.len())
        .map(|p| p[1])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_collapses_repeats_and_blanks() {
        let dict: Vec<String> = ["<", "A"].iter().map(|s| s.to_string()).collect();
        // classes: blank, '<', 'A', space
        let step = |c: usize| {
            let mut v = vec![0.0f32; 4];
            v[c] = 0.9;
            v
        };
        let probs: Vec<f32> = [2, 2, 0, 1, 0, 1, 1, 3, 2]
            .iter()
            .flat_map(|&c| step(c))
            .collect();
        let (text, conf) = ctc_decode(&probs, 4, &dict);
        assert_eq!(text, "A<< A");
        assert!((conf - 0.9).abs() < 1e-6);
    }
}
