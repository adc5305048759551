//! Shared set-up of the document tests: the shared test data beside the checkout, one OCR
//! engine per test binary (loaded once, behind a lock), images, expected MRZ lines and the
//! synthetic cards' ground truth.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use idgate_vision::document::ocr::{default_models_dir, OcrEngine};
use image::RgbImage;

/// `../shared/testdata` beside the checkout; fails with a clear message when it is missing.
pub fn testdata() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    assert!(
        dir.join("documents/passport").is_dir() && dir.join("documents/br_synthetic").is_dir(),
        "\n\n*** TEST DATA MISSING: {}/documents not found (shared/testdata beside the checkout). ***\n",
        dir.display()
    );
    dir
}

/// The OCR engine of this test binary.
pub fn engine() -> MutexGuard<'static, OcrEngine> {
    static ENGINE: OnceLock<Mutex<OcrEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| match OcrEngine::load(&default_models_dir()) {
            Ok(e) => Mutex::new(e),
            Err(e) => panic!("\n\n*** OCR MODELS MISSING ({e}). Run scripts/setup.sh. ***\n"),
        })
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The image at `rel` under the test data.
pub fn open(rel: &str) -> RgbImage {
    let path = testdata().join(rel);
    image::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()))
        .to_rgb8()
}

/// The non-empty lines of `text`, trimmed.
pub fn lines_of(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The expected zone of a passport specimen (`documents/passport/NAME.mrz.txt`).
pub fn passport_lines(name: &str) -> Vec<String> {
    let path = testdata().join(format!("documents/passport/{name}.mrz.txt"));
    lines_of(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// `documents/br_synthetic/ground_truth.json`.
pub fn ground_truth() -> serde_json::Value {
    let path = testdata().join("documents/br_synthetic/ground_truth.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("ground_truth.json")
}

/// The strings of the ground truth at `key` (a card's MRZ lines or expected texts).
pub fn truth_lines(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("an array in the ground truth")
        .iter()
        .map(|l| l.as_str().expect("a string").to_string())
        .collect()
}
