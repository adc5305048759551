//! OCR engine: PP-OCRv5 text detection, text-line orientation and recognition on ONNX Runtime
//! (`ort`, with `libonnxruntime.so` loaded at run time). Pixels in, lines of text out. Models
//! come from `scripts/setup.d/30-ocr.sh`; nothing is downloaded here.

mod detect;
mod fold;
mod geometry;
mod head;
mod homography;
mod mrz_lines;
pub(crate) mod mrz_read;
mod mrz_zone;
mod orientation;
mod page;
mod page_edges;
mod proto;
mod recognize;
mod rectify;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::RgbImage;
use ort::{environment::Environment, session::Session, value::ValueType};
use serde::Serialize;

use crate::VisionError;
use detect::DetLimits;
pub use geometry::Quad;
pub use homography::{apply as apply_homography, homography, Homography};
pub use page::read_text;
use recognize::{recognise, REC_MIN_WIDTH};

/// One line of recognised text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextLine {
    pub text: String,
    /// Mean probability of the recognised characters, 0..1.
    pub confidence: f32,
    /// Corners in reading order (top-left, top-right, bottom-right, bottom-left of the upright
    /// text), in the pixels of the page as [`read_text`] read it: the source image, or the level
    /// crop of a tilted page, turned 180° when it was upside down.
    pub quad: Quad,
}

impl TextLine {
    /// The line as the field extractor's item: its axis-aligned box in the page's coordinates.
    pub fn item(&self) -> crate::document::brazil::TextItem {
        let xs = self.quad.iter().map(|p| p[0]);
        let ys = self.quad.iter().map(|p| p[1]);
        let (x0, x1) = xs.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (y0, y1) = ys.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
        crate::document::brazil::TextItem {
            text: self.text.clone(),
            confidence: self.confidence,
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        }
    }
}

/// The loaded OCR models. One per worker thread: inference takes `&mut self` and runs on one
/// intra-op thread, so a bounded pool of engines bounds the CPU spent on OCR.
pub struct OcrEngine {
    det: Session,
    rec: Session,
    /// The same recogniser with its output cut to the MRZ alphabet (see [`mrz_classes`]).
    rec_mrz: Session,
    cls: Session,
    cls_input: (u32, u32),
    dict: Vec<String>,
    mrz_dict: Vec<String>,
}

/// Which recogniser output to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// Every class of the dictionary: page text in any script.
    Full,
    /// `A-Z`, `0-9`, `<` and space only. The MRZ is printed in that alphabet, so nothing is
    /// lost, and the output projection shrinks from 18,385 columns to 39.
    Mrz,
}

// The server keeps one engine per worker thread and moves it there.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<OcrEngine>();
};

/// Lines whose mean character probability is below this are dropped (PaddleOCR's drop score).
const DROP_SCORE: f32 = 0.5;
/// Full-page detection scale.
const PAGE_LIMITS: DetLimits = DetLimits {
    min_side: 736,
    max_side: 2048,
};
const BATCH: usize = 8;
/// The fixed cost of one recogniser run, in padded columns of work.
const RUN_COST: u64 = 48;
/// Page lines are cropped this many line heights longer at each end: DB boxes end right at
/// the last glyph, which the recogniser then tends to drop (accents and cedillas first).
const LINE_MARGIN: f32 = 0.15;

/// `IDGATE_MODELS_DIR`, else the repository's `models/` (where the setup script puts them).
pub fn default_models_dir() -> PathBuf {
    std::env::var_os("IDGATE_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"))
}

pub(crate) fn environment(models_dir: &Path) -> Result<Environment, VisionError> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let lib = std::env::var_os("ORT_DYLIB_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| models_dir.join("onnxruntime/libonnxruntime.so"));
        if !lib.is_file() {
            return Err(format!(
                "{} is missing: run scripts/setup.sh",
                lib.display()
            ));
        }
        let builder = ort::init_from(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
        builder
            .with_name("idgate-ocr")
            .build()
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(VisionError::ModelUnavailable)
}

fn read_model(path: &Path) -> Result<Vec<u8>, VisionError> {
    std::fs::read(path).map_err(|e| {
        VisionError::ModelUnavailable(format!("{}: {e}: run scripts/setup.sh", path.display()))
    })
}

/// The model at `path` with its affine steps folded into its convolutions (see [`fold`]).
fn read_folded(path: &Path) -> Result<Vec<u8>, VisionError> {
    let (bytes, removed) = fold::fold_affine(&read_model(path)?)
        .map_err(|e| VisionError::ModelUnavailable(format!("{}: {e}", path.display())))?;
    tracing::debug!(model = %path.display(), removed, "folded affine nodes into convolutions");
    Ok(bytes)
}

/// A single-threaded session on the model `bytes` (read from `path`, named in errors).
/// Subnormal floats are flushed to zero (set on the thread that builds the session, which is
/// the worker that then runs it): they only ever come from vanishing activations and
/// probabilities, and cost far more cycles than normal numbers.
pub(crate) fn session_from(
    env: &Environment,
    path: &Path,
    bytes: &[u8],
) -> Result<Session, VisionError> {
    let fail = |e: String| VisionError::ModelUnavailable(format!("{}: {e}", path.display()));
    Session::builder(env)
        .map_err(|e| fail(e.to_string()))?
        .with_intra_threads(1)
        .map_err(|e| fail(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| fail(e.to_string()))?
        .with_flush_to_zero()
        .map_err(|e| fail(e.to_string()))?
        .commit_from_memory(bytes)
        .map_err(|e| fail(e.to_string()))
}

/// The recogniser classes of the MRZ head, in order: the CTC blank (class 0), the dictionary's
/// `A-Z`, `0-9` and `<` (class `i + 1` is `dict[i]`), and the space after the dictionary.
/// Returns the class indices and the dictionary of the cut model.
fn mrz_classes(dict: &[String]) -> (Vec<usize>, Vec<String>) {
    let mrz = |s: &str| {
        let mut c = s.chars();
        matches!((c.next(), c.next()), (Some(ch), None)
            if ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '<')
    };
    let kept: Vec<usize> = (0..dict.len()).filter(|&i| mrz(&dict[i])).collect();
    let mut classes = vec![0];
    classes.extend(kept.iter().map(|&i| i + 1));
    classes.push(dict.len() + 1);
    (classes, kept.iter().map(|&i| dict[i].clone()).collect())
}

fn tensor_dims(t: &ValueType) -> Vec<i64> {
    t.tensor_shape()
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default()
}

impl OcrEngine {
    /// Loads the detection, orientation and recognition models and the character dictionary
    /// from `models_dir/ocr`, and ONNX Runtime from `ORT_DYLIB_PATH` or `models_dir/onnxruntime`.
    pub fn load(models_dir: &Path) -> Result<Self, VisionError> {
        let env = environment(models_dir)?;
        let dir = models_dir.join("ocr");
        let dict_path = dir.join("ppocrv5_dict.txt");
        let dict_text = std::fs::read_to_string(&dict_path).map_err(|e| {
            VisionError::ModelUnavailable(format!(
                "{}: {e}: run scripts/setup.sh",
                dict_path.display()
            ))
        })?;
        let dict: Vec<String> = dict_text
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        let det_path = dir.join("ppocrv5_det.onnx");
        let det = session_from(&env, &det_path, &read_folded(&det_path)?)?;
        let rec_path = dir.join("ppocrv5_rec.onnx");
        let rec_bytes = read_folded(&rec_path)?;
        let rec = session_from(&env, &rec_path, &rec_bytes)?;
        let cls_path = dir.join("ppocrv5_cls.onnx");
        let cls = session_from(&env, &cls_path, &read_model(&cls_path)?)?;
        let classes = rec
            .outputs()
            .first()
            .map(|o| tensor_dims(o.dtype()))
            .and_then(|d| d.last().copied());
        if classes != Some(dict.len() as i64 + 2) {
            return Err(VisionError::ModelUnavailable(format!(
                "recogniser has {classes:?} classes but the dictionary {} (+ blank and space)",
                dict.len()
            )));
        }
        let (keep, mrz_dict) = mrz_classes(&dict);
        if mrz_dict.len() != 37 {
            return Err(VisionError::ModelUnavailable(format!(
                "the dictionary spells {} of the 37 MRZ characters",
                mrz_dict.len()
            )));
        }
        let mrz_bytes = head::keep_classes(&rec_bytes, dict.len() + 2, &keep)
            .map_err(|e| VisionError::ModelUnavailable(format!("{}: {e}", rec_path.display())))?;
        drop(rec_bytes);
        let rec_mrz = session_from(&env, &rec_path, &mrz_bytes)?;
        let dims = cls
            .inputs()
            .first()
            .map(|i| tensor_dims(i.dtype()))
            .unwrap_or_default();
        let cls_input = match dims.as_slice() {
            [_, _, h, w] if *h > 0 && *w > 0 => (*w as u32, *h as u32),
            _ => (192, 48),
        };
        Ok(Self {
            det,
            rec,
            rec_mrz,
            cls,
            cls_input,
            dict,
            mrz_dict,
        })
    }

    /// Recognises line crops in batches of similar width (see [`plan_batches`]) with the given
    /// output head. The MRZ head's confidence is a probability among the MRZ alphabet.
    fn recognise_crops(
        &mut self,
        crops: &[RgbImage],
        head: Head,
    ) -> Result<Vec<(String, f32)>, VisionError> {
        let (session, dict) = match head {
            Head::Full => (&mut self.rec, &self.dict),
            Head::Mrz => (&mut self.rec_mrz, &self.mrz_dict),
        };
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by_key(|&i| crops[i].width());
        let widths: Vec<u32> = order.iter().map(|&i| crops[i].width()).collect();
        let mut out = vec![(String::new(), 0.0); crops.len()];
        for range in plan_batches(&widths) {
            let chunk = &order[range];
            let refs: Vec<&RgbImage> = chunk.iter().map(|&i| &crops[i]).collect();
            for (&i, r) in chunk.iter().zip(recognise(session, dict, &refs)?) {
                out[i] = r;
            }
        }
        Ok(out)
    }
}

/// Splits crops sorted by width into batches of at most `BATCH`. A batch is padded to its
/// widest crop (and to at least `REC_MIN_WIDTH`), so it costs its size times that width in
/// recogniser columns, plus a fixed cost per run; the split minimises the sum (dynamic
/// programming over the sorted widths).
fn plan_batches(sorted_widths: &[u32]) -> Vec<std::ops::Range<usize>> {
    let n = sorted_widths.len();
    let padded = |i: usize| u64::from(sorted_widths[i].max(REC_MIN_WIDTH));
    // best[i]: cost of the first i crops; from[i]: where the last batch of that split starts.
    let mut best = vec![0u64; n + 1];
    let mut from = vec![0usize; n + 1];
    for i in 1..=n {
        best[i] = u64::MAX;
        for j in i.saturating_sub(BATCH)..i {
            let cost = best[j] + (i - j) as u64 * padded(i - 1) + RUN_COST;
            if cost < best[i] {
                (best[i], from[i]) = (cost, j);
            }
        }
    }
    let mut batches = Vec::new();
    let mut i = n;
    while i > 0 {
        batches.push(from[i]..i);
        i = from[i];
    }
    batches.reverse();
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_group_similar_widths() {
        // Narrow crops all pad to the minimum width: one batch; a wide one runs alone.
        let w = [60, 90, 120, 200, 250, 300, 1400];
        assert_eq!(plan_batches(&w), vec![0..6, 6..7]);
        // Never more than BATCH per run, every crop in exactly one batch, in order.
        let w: Vec<u32> = (0..20).map(|i| 100 + i * 10).collect();
        let plan = plan_batches(&w);
        assert!(plan.iter().all(|r| r.len() <= BATCH));
        assert_eq!(plan.first().map(|r| r.start), Some(0));
        assert_eq!(plan.last().map(|r| r.end), Some(20));
        assert!(plan.windows(2).all(|p| p[0].end == p[1].start));
        assert!(plan_batches(&[]).is_empty());
    }
}
