//! Helpers for the liveness tests: frames from the shared clips (Debian ffmpeg, run at test
//! time), sequences built from them, and attack frames made from the shared photos.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use idgate_vision::face::liveness::{FaceMesh, LivenessFrame};
use idgate_vision::face::{self, FaceModels};
use idgate_vision::intake::{self, IntakeLimits};
use image::{imageops, Rgb, RgbImage};

/// `shared/testdata` beside the repository; panics loudly when it is missing.
pub fn testdata() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    assert!(
        dir.join("video").is_dir(),
        "\n\n*** TEST DATA MISSING: {}/video not found. The liveness tests need the shared \
         clips (shared/testdata beside the repository checkout). ***\n",
        dir.display()
    );
    dir
}

/// One set of models per test binary.
pub fn engines() -> MutexGuard<'static, (FaceModels, FaceMesh)> {
    static M: OnceLock<Mutex<(FaceModels, FaceMesh)>> = OnceLock::new();
    M.get_or_init(|| {
        let models = FaceModels::load_default().unwrap_or_else(|e| {
            panic!("\n\n*** FACE MODELS MISSING ({e}). Run scripts/setup.sh. ***\n")
        });
        let mesh = FaceMesh::load(&face::models_dir()).unwrap_or_else(|e| {
            panic!("\n\n*** ONNX RUNTIME MISSING ({e}). Run scripts/setup.sh. ***\n")
        });
        Mutex::new((models, mesh))
    })
    .lock()
    .unwrap_or_else(|p| p.into_inner())
}

/// The frames of a shared clip at `fps`, from `from_s` for `len_s` seconds (ffmpeg).
pub fn clip(name: &str, fps: f32, from_s: f32, len_s: f32) -> Vec<RgbImage> {
    let src = testdata().join("video").join(name);
    let dir = std::env::temp_dir().join(format!(
        "idgate-liveness-{}-{name}-{fps}-{from_s}-{len_s}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-ss", &from_s.to_string(), "-i"])
        .arg(&src)
        .args(["-t", &len_s.to_string(), "-vf", &format!("fps={fps}")])
        .arg(dir.join("f%04d.png"))
        .status()
        .unwrap_or_else(|e| panic!("\n\n*** ffmpeg not found ({e}): run scripts/setup.sh ***\n"));
    assert!(status.success(), "ffmpeg failed on {name}");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("frames")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let frames = files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).expect("frame");
            intake::load(&bytes, IntakeLimits::default())
                .expect("frame decodes")
                .image
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    frames
}

/// A shared photo, scaled so its long side is `side`.
pub fn photo(name: &str, side: u32) -> RgbImage {
    let bytes = std::fs::read(testdata().join("faces").join(name)).expect("photo");
    let img = intake::load(&bytes, IntakeLimits::default())
        .expect("photo decodes")
        .image;
    let k = side as f32 / img.width().max(img.height()) as f32;
    imageops::resize(
        &img,
        (img.width() as f32 * k) as u32,
        (img.height() as f32 * k) as u32,
        imageops::FilterType::Triangle,
    )
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .expect("jpeg");
    out.into_inner()
}

/// Frames `step_ms` apart from 0.
pub fn frames(images: &[RgbImage], step_ms: u64) -> Vec<LivenessFrame> {
    images
        .iter()
        .enumerate()
        .map(|(i, img)| LivenessFrame {
            bytes: jpeg(img),
            t_ms: i as u64 * step_ms,
        })
        .collect()
}

/// `images` picked by index.
pub fn pick(images: &[RgbImage], idx: &[usize]) -> Vec<RgbImage> {
    idx.iter().map(|&i| images[i].clone()).collect()
}

/// Inverse-mapped warp through the homography `h` (destination → source), grey-green outside.
pub fn warp(src: &RgbImage, h_inv: [f64; 9], w: u32, hgt: u32, bg: Rgb<u8>) -> RgbImage {
    RgbImage::from_fn(w, hgt, |x, y| {
        let (xf, yf) = (f64::from(x), f64::from(y));
        let d = h_inv[6] * xf + h_inv[7] * yf + h_inv[8];
        let sx = (h_inv[0] * xf + h_inv[1] * yf + h_inv[2]) / d;
        let sy = (h_inv[3] * xf + h_inv[4] * yf + h_inv[5]) / d;
        if sx < 0.0
            || sy < 0.0
            || sx >= f64::from(src.width() - 1)
            || sy >= f64::from(src.height() - 1)
        {
            return bg;
        }
        *src.get_pixel(sx.round() as u32, sy.round() as u32)
    })
}

/// A print of `img` swung by `deg` about its vertical axis, seen by a camera of focal length
/// 1.2 × the long side (the inverse map, for [`warp`]).
pub fn swing_inverse(img: &RgbImage, deg: f64) -> [f64; 9] {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let f = 1.2 * w.max(h);
    let (s, c) = deg.to_radians().sin_cos();
    // Forward: X' = f (X c) / (f + X s), Y' = f Y / (f + X s), around the centre.
    // As a homography on centred coordinates: [f c, 0, 0; 0, f, 0; s, 0, f].
    // Inverse of that (up to scale): [f, 0, 0; 0, f c, 0; -s, 0, f c].
    let inv_c = [f, 0.0, 0.0, 0.0, f * c, 0.0, -s, 0.0, f * c];
    // Wrap with translations: T(+centre) · inv_c · T(−centre).
    let (cx, cy) = (w / 2.0, h / 2.0);
    let t_neg = [1.0, 0.0, -cx, 0.0, 1.0, -cy, 0.0, 0.0, 1.0];
    let t_pos = [1.0, 0.0, cx, 0.0, 1.0, cy, 0.0, 0.0, 1.0];
    mul(&t_pos, &mul(&inv_c, &t_neg))
}

/// Inverse map of a similarity: shift by (dx, dy), scale by `k`, rotate by `deg`, about the
/// image centre.
pub fn similarity_inverse(img: &RgbImage, dx: f64, dy: f64, k: f64, deg: f64) -> [f64; 9] {
    let (cx, cy) = (f64::from(img.width()) / 2.0, f64::from(img.height()) / 2.0);
    let (s, c) = (-deg).to_radians().sin_cos();
    let fwd_inv = [c / k, -s / k, 0.0, s / k, c / k, 0.0, 0.0, 0.0, 1.0];
    let t_neg = [1.0, 0.0, -cx - dx, 0.0, 1.0, -cy - dy, 0.0, 0.0, 1.0];
    let t_pos = [1.0, 0.0, cx, 0.0, 1.0, cy, 0.0, 0.0, 1.0];
    mul(&t_pos, &mul(&fwd_inv, &t_neg))
}

fn mul(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut m = [0f64; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    m
}

/// Adds deterministic noise of amplitude `amp` (a fixed pattern: tests stay repeatable).
pub fn noisy(img: &RgbImage, amp: i32, seed: u32) -> RgbImage {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for ch in p.0.iter_mut() {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let n = (s % (2 * amp as u32 + 1)) as i32 - amp;
            *ch = (i32::from(*ch) + n).clamp(0, 255) as u8;
        }
    }
    out
}
