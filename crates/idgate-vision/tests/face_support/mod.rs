//! Helpers for the faces test binary: shared test-data location, one model instance per
//! binary, cached analyses, and byte builders for hostile images.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use idgate_vision::face::{self, AnalysisMode, FaceAnalysis, FaceModels};
use idgate_vision::intake::{self, IntakeLimits};
use idgate_vision::VisionError;

/// `shared/testdata` beside the repository; panics loudly when it is missing.
pub fn testdata() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    assert!(
        dir.join("faces/labels.csv").is_file(),
        "\n\n*** TEST DATA MISSING: {} not found. The face tests need the shared test photos \
         (shared/testdata beside the repository checkout). ***\n",
        dir.display()
    );
    dir
}

/// The one model instance of this test binary; panics loudly if the model files are absent.
pub fn models() -> MutexGuard<'static, FaceModels> {
    static MODELS: OnceLock<Mutex<FaceModels>> = OnceLock::new();
    let m = MODELS.get_or_init(|| match FaceModels::load_default() {
        Ok(m) => Mutex::new(m),
        Err(e) => panic!(
            "\n\n*** FACE MODELS MISSING ({e}). Run scripts/setup.sh (looked in {}). ***\n",
            face::faces_models_dir().display()
        ),
    });
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads a test photo (relative to `testdata()`).
pub fn read(rel: &str) -> Vec<u8> {
    let path = testdata().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Decoded, upright RGB of a test photo.
pub fn image(rel: &str) -> image::RgbImage {
    intake::load(&read(rel), IntakeLimits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .image
}

/// Selfie analysis of a test photo, computed once per binary.
pub fn analysis(rel: &str) -> Result<FaceAnalysis, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Result<FaceAnalysis, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(rel) {
        return hit.clone();
    }
    let img = image(rel);
    let result = models()
        .analyze(&img, AnalysisMode::Selfie)
        .map_err(|e| e.code().to_string());
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(rel.to_string(), result.clone());
    result
}

/// Analysis of an in-memory image with the shared models.
pub fn analyze(img: &image::RgbImage, mode: AnalysisMode) -> Result<FaceAnalysis, VisionError> {
    models().analyze(img, mode)
}

/// `(file, label)` of every single-face photo in `faces/labels.csv`.
pub fn labelled_faces() -> Vec<(String, String)> {
    let csv = std::fs::read_to_string(testdata().join("faces/labels.csv")).expect("labels.csv");
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols.get(3) == Some(&"single_face"))
                .then(|| (cols[0].to_string(), cols[1].to_string()))
        })
        .collect()
}

/// CRC-32 (IEEE) for hand-built PNG chunks.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header declares `width`×`height` (the data after IHDR is a stub).
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// Inserts an EXIF APP1 segment with the given orientation right after a JPEG's SOI marker.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend(1u16.to_be_bytes()); // one IFD entry
    tiff.extend(0x0112u16.to_be_bytes()); // Orientation
    tiff.extend(3u16.to_be_bytes()); // SHORT
    tiff.extend(1u32.to_be_bytes());
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0]);
    tiff.extend(0u32.to_be_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}
