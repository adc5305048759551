//! Active liveness, verified from frames: the person makes the challenge's movements (head
//! turns, blinks) in front of the camera; every frame is read here and the verdict says whether
//! the requested movements happened, in order, by one real head.
//!
//! Per frame: the face is found once (HOG) and then followed by the face mesh ([`mesh`]), which
//! gives the head's yaw and the eyes' openness. A turn must reach a clear angle and come back
//! ([`judge`]), and must move the face's texture in a way no single plane can
//! ([`flow`] tracks corner points, [`homography`] measures how far they stray from the best
//! plane-to-plane map): a photo or screen tilted in front of the camera fools the landmarks but
//! not that. Identity is held by the face embedding across frames, including the one kept as
//! the selfie. No HTTP, no SQL.

pub mod eval;
pub mod flow;
pub mod homography;
pub mod judge;
pub mod mesh;

use std::time::Instant;

use idgate_core::liveness::{Action, FrameRules, Reason};
use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};

use super::analyze::{AnalysisMode, FaceAnalysis};
use super::similarity::{compare, DEFAULT_THRESHOLD};
use super::FaceModels;
use crate::intake::{self, IntakeLimits};
use crate::VisionError;
use judge::{FrameSignal, NON_PLANAR};
pub use mesh::FaceMesh;

/// Frames are judged at most this many pixels on their long side (larger ones are scaled down).
pub const WORK_SIDE: u32 = 640;
/// A frame file may be at most this large.
pub const FRAME_MAX_BYTES: usize = 2 * 1024 * 1024;
/// A frame may declare at most this many pixels (checked in the header, before decoding).
pub const FRAME_MAX_PIXELS: u64 = 1920 * 1920;
/// More than this share of frames without a face fails with `no_face`.
const MAX_FACELESS: f32 = 0.2;
/// A frame whose grey face region differs from the first frame's by at most this (mean
/// absolute difference, 0–255) is "the same"; all frames the same is a static scene.
const STATIC_DIFF: f32 = 1.5;
/// Frames whose face moved more than this many face widths from the previous frame's.
const MAX_JUMP: f32 = 0.6;
/// Corner points tracked for the planarity test.
const TRACK_POINTS: usize = 160;
/// The planarity test seeds points this far (a fraction of the face box) inside the mesh's
/// bounds: the outline shows background, which does not turn with the head.
const PLANE_INSET: f32 = 0.1;
/// RANSAC inlier distance for the plane fit, in pixels.
const PLANE_INLIER_PX: f32 = 1.0;
/// The distance quantile reported (0.75: a quarter of a face's points may sit on its flattest
/// part and still count). Measured (shared clip upscaled to 640 px, prints at 480–640 px swung
/// 35°): real turns 0.27–0.47, prints ≤ 0.026, a frontal person ≤ 0.013.
const PLANE_QUANTILE: f32 = 0.75;
/// Frames read for identity (besides the selfie).
const IDENTITY_FRAMES: usize = 3;

/// One captured frame: an encoded image (JPEG, PNG or WebP) and when it was taken.
#[derive(Debug, Clone)]
pub struct LivenessFrame {
    pub bytes: Vec<u8>,
    /// Milliseconds since the first frame.
    pub t_ms: u64,
}

/// How one requested turn measured.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TurnMeasure {
    pub action: Action,
    /// Yaw change at the turn's peak (see [`mesh::Mesh::yaw`]).
    pub yaw: f32,
    /// The 75th-percentile distance of the tracked points from the best homography, over the eye
    /// distance.
    pub non_planarity: f32,
}

/// The verdict on one set of frames.
#[derive(Debug, Clone)]
pub struct LivenessReport {
    pub passed: bool,
    /// Why it did not pass (empty when it did), sorted, each once.
    pub reasons: Vec<Reason>,
    /// Movements seen, in order (blinks included, requested or not).
    pub seen: Vec<Action>,
    pub turns: Vec<TurnMeasure>,
    pub frames_used: usize,
    /// Largest embedding distance between the selfie and the other frames read for identity.
    pub identity_distance: Option<f32>,
    /// The frame kept as the selfie and its analysis.
    pub selfie: Option<(usize, FaceAnalysis)>,
    /// Why that frame failed the selfie gate (an image-quality code), if it did.
    pub selfie_error: Option<&'static str>,
    /// What each frame showed (yaw `None`: no face).
    pub signals: Vec<FrameSignal>,
    /// Time spent judging, in ms.
    pub elapsed_ms: u64,
}

impl FaceModels {
    /// [`verify`] with this worker's face mesh (loaded on first use from [`super::models_dir`]).
    pub fn verify_liveness(
        &mut self,
        frames: &[LivenessFrame],
        actions: &[Action],
        rules: &FrameRules,
    ) -> Result<LivenessReport, VisionError> {
        let mut mesh = match self.mesh.take() {
            Some(m) => m,
            None => FaceMesh::load(&super::models_dir())?,
        };
        let r = verify(self, &mut mesh, frames, actions, rules);
        self.mesh = Some(mesh);
        r
    }
}

/// Judges `frames` against the requested `actions`. Request-level problems (a frame that is not
/// an image, mixed sizes, too many frames) are errors; everything about the person is a reason.
pub fn verify(
    models: &mut FaceModels,
    mesh: &mut FaceMesh,
    frames: &[LivenessFrame],
    actions: &[Action],
    rules: &FrameRules,
) -> Result<LivenessReport, VisionError> {
    let started = Instant::now();
    if frames.len() > rules.max_frames {
        return Err(VisionError::InvalidFrames(format!(
            "{} frames; at most {} are accepted",
            frames.len(),
            rules.max_frames
        )));
    }
    let t: Vec<u64> = frames.iter().map(|f| f.t_ms).collect();
    let mut reasons = rules.timing_reasons(&t);
    let images = decode_all(frames)?;
    let mut report = LivenessReport {
        passed: false,
        reasons: Vec::new(),
        seen: Vec::new(),
        turns: Vec::new(),
        frames_used: frames.len(),
        identity_distance: None,
        selfie: None,
        selfie_error: None,
        signals: Vec::new(),
        elapsed_ms: 0,
    };
    if !reasons.contains(&Reason::NotEnoughFrames) {
        judge_frames(models, mesh, &images, actions, &mut report, &mut reasons)?;
    }
    reasons.sort();
    reasons.dedup();
    report.passed = reasons.is_empty();
    report.reasons = reasons;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// How far the face's texture strays from one plane while moving from frame `from` to `to`
/// (see [`TurnMeasure::non_planarity`]); `None` when no face is found in `images[from]`.
pub fn planarity_of(
    models: &mut FaceModels,
    mesh: &mut FaceMesh,
    images: &[RgbImage],
    from: usize,
    to: usize,
) -> Result<Option<f32>, VisionError> {
    let Some(f) = models
        .detect(&images[from], AnalysisMode::Selfie)
        .first()
        .copied()
    else {
        return Ok(None);
    };
    let b = (f.left as f32, f.top as f32, f.width as f32, f.height as f32);
    let tracked = follow(models, mesh, &images[..=to], from, b)?;
    let grays: Vec<GrayImage> = images[..=to].iter().map(imageops::grayscale).collect();
    Ok(Some(non_planarity(&grays, &tracked, from, to)))
}

fn judge_frames(
    models: &mut FaceModels,
    mesh: &mut FaceMesh,
    images: &[RgbImage],
    actions: &[Action],
    report: &mut LivenessReport,
    reasons: &mut Vec<Reason>,
) -> Result<(), VisionError> {
    let Some((start, first_box)) = find_face(models, images, reasons) else {
        reasons.push(Reason::NoFace);
        return Ok(());
    };
    let tracked = follow(models, mesh, images, start, first_box)?;
    if tracked.jumped {
        reasons.push(Reason::FaceChanged);
    }
    let faceless = tracked.signals.iter().filter(|s| s.yaw.is_none()).count();
    if faceless as f32 > MAX_FACELESS * images.len() as f32 {
        reasons.push(Reason::NoFace);
    }
    let grays: Vec<GrayImage> = images.iter().map(imageops::grayscale).collect();
    if is_static(&grays, tracked.boxes[start]) {
        reasons.push(Reason::StaticScene);
    }
    report.signals = tracked.signals.clone();
    let events = judge::events(&tracked.signals);
    report.seen = events.iter().map(|e| e.action).collect();
    match judge::match_actions(actions, &events) {
        Err(r) => reasons.push(r),
        Ok(matched) => {
            for &i in &matched {
                let e = events[i];
                if !e.action.is_turn() {
                    continue;
                }
                let np = non_planarity(&grays, &tracked, e.from, e.peak);
                report.turns.push(TurnMeasure {
                    action: e.action,
                    yaw: e.extent,
                    non_planarity: np,
                });
                if np < NON_PLANAR {
                    reasons.push(Reason::NotLive);
                }
            }
        }
    }
    identity(models, images, &tracked, report, reasons);
    Ok(())
}

/// Decodes every frame (both cores), scales each to at most [`WORK_SIDE`], and checks that all
/// share one size.
fn decode_all(frames: &[LivenessFrame]) -> Result<Vec<RgbImage>, VisionError> {
    let limits = IntakeLimits {
        max_bytes: FRAME_MAX_BYTES,
        max_pixels: FRAME_MAX_PIXELS,
    };
    let decode = |(i, f): (usize, &LivenessFrame)| -> Result<RgbImage, VisionError> {
        let img = intake::load(&f.bytes, limits)
            .map_err(|e| VisionError::InvalidFrames(format!("frames[{i}]: {e}")))?
            .image;
        Ok(fit(img))
    };
    let half = frames.len().div_ceil(2);
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            frames[half..]
                .iter()
                .enumerate()
                .map(|(i, f)| decode((i + half, f)))
                .collect::<Result<Vec<_>, _>>()
        });
        let a = frames[..half]
            .iter()
            .enumerate()
            .map(decode)
            .collect::<Result<Vec<_>, _>>();
        (a, h.join())
    });
    let mut images = a?;
    images.extend(b.map_err(|_| VisionError::Internal("frame decoder panicked".into()))??);
    if let Some(first) = images.first() {
        let dims = first.dimensions();
        if let Some(i) = images.iter().position(|im| im.dimensions() != dims) {
            return Err(VisionError::InvalidFrames(format!(
                "frames[{i}] is {}x{} but frames[0] is {}x{}: every frame must have the same size",
                images[i].width(),
                images[i].height(),
                dims.0,
                dims.1
            )));
        }
    }
    Ok(images)
}

fn fit(img: RgbImage) -> RgbImage {
    let long = img.width().max(img.height());
    if long <= WORK_SIDE {
        return img;
    }
    let k = WORK_SIDE as f32 / long as f32;
    let (w, h) = (
        ((img.width() as f32 * k).round() as u32).max(1),
        ((img.height() as f32 * k).round() as u32).max(1),
    );
    imageops::resize(&img, w, h, FilterType::Triangle)
}

type Box4 = (f32, f32, f32, f32);

/// The first of the first five frames where HOG finds a face: its index and box. A second face
/// at least half as wide as the largest is `multiple_faces`.
fn find_face(
    models: &mut FaceModels,
    images: &[RgbImage],
    reasons: &mut Vec<Reason>,
) -> Option<(usize, Box4)> {
    for (i, img) in images.iter().enumerate().take(5) {
        let faces = models.detect(img, AnalysisMode::Selfie);
        let Some(main) = faces.first() else { continue };
        if faces.iter().skip(1).any(|f| f.width * 2 >= main.width) {
            reasons.push(Reason::MultipleFaces);
        }
        let b = (
            main.left as f32,
            main.top as f32,
            main.width as f32,
            main.height as f32,
        );
        return Some((i, b));
    }
    None
}

struct Tracked {
    signals: Vec<FrameSignal>,
    /// The face box used in each frame (mesh bounds; the first box before `start`).
    boxes: Vec<Box4>,
    eye_distance: Vec<f32>,
    jumped: bool,
}

/// Follows the face through the frames with the mesh, re-detecting when the mesh loses it.
fn follow(
    models: &mut FaceModels,
    mesh: &mut FaceMesh,
    images: &[RgbImage],
    start: usize,
    first: Box4,
) -> Result<Tracked, VisionError> {
    let n = images.len();
    let none = FrameSignal {
        yaw: None,
        ear: (0.0, 0.0),
    };
    let mut t = Tracked {
        signals: vec![none; n],
        boxes: vec![first; n],
        eye_distance: vec![0.0; n],
        jumped: false,
    };
    let mut current = first;
    let mut prev_bounds: Option<Box4> = None;
    for (i, image) in images.iter().enumerate().skip(start) {
        let mut m = mesh.run(image, current)?;
        if m.score < 0.0 {
            let Some(f) = models.detect(image, AnalysisMode::Selfie).first().copied() else {
                continue;
            };
            current = (f.left as f32, f.top as f32, f.width as f32, f.height as f32);
            m = mesh.run(image, current)?;
            if m.score < 0.0 {
                continue;
            }
        }
        let b = m.bounds();
        if let Some(p) = prev_bounds {
            let (cx, cy) = (b.0 + b.2 / 2.0, b.1 + b.3 / 2.0);
            let (px, py) = (p.0 + p.2 / 2.0, p.1 + p.3 / 2.0);
            let moved = ((cx - px).powi(2) + (cy - py).powi(2)).sqrt();
            let grew = (b.2 / p.2).max(p.2 / b.2);
            if moved > MAX_JUMP * p.2 || grew > 1.6 {
                t.jumped = true;
            }
        }
        prev_bounds = Some(b);
        t.signals[i] = FrameSignal {
            yaw: Some(m.yaw()),
            ear: m.ear(),
        };
        t.boxes[i] = b;
        t.eye_distance[i] = m.eye_distance();
        current = b;
    }
    Ok(t)
}

/// Every frame's face region is (nearly) the first frame's.
fn is_static(grays: &[GrayImage], b: Box4) -> bool {
    let first = &grays[0];
    let (x0, y0) = (b.0.max(0.0) as u32, b.1.max(0.0) as u32);
    let x1 = ((b.0 + b.2) as u32).min(first.width());
    let y1 = ((b.1 + b.3) as u32).min(first.height());
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return false;
    }
    grays.iter().skip(1).all(|g| {
        let (mut sum, mut count) = (0f32, 0f32);
        for y in (y0..y1).step_by(2) {
            for x in (x0..x1).step_by(2) {
                sum +=
                    (f32::from(g.get_pixel(x, y)[0]) - f32::from(first.get_pixel(x, y)[0])).abs();
                count += 1.0;
            }
        }
        sum / count <= STATIC_DIFF
    })
}

/// Tracks corners of the face from frame `from` to `peak` and returns the largest median
/// distance from the best homography (over the eye distance) seen on the way.
fn non_planarity(grays: &[GrayImage], t: &Tracked, from: usize, peak: usize) -> f32 {
    let (inner, thr, pct) = (PLANE_INSET, PLANE_INLIER_PX, PLANE_QUANTILE);
    let b = t.boxes[from];
    // The inner face: skip the hairline and the outline, where background shows through.
    let rect = (
        (b.0 + b.2 * inner).max(0.0) as usize,
        (b.1 + b.3 * inner).max(0.0) as usize,
        (b.0 + b.2 * (1.0 - inner)).max(0.0) as usize,
        (b.1 + b.3 * (1.0 - inner)).max(0.0) as usize,
    );
    let mut prev = flow::Pyramid::new(&grays[from], 3);
    let seeds = flow::corners(&prev.0[0], rect, TRACK_POINTS, 0.01, 5.0);
    let mut pts: Vec<Option<(f32, f32)>> = seeds.iter().copied().map(Some).collect();
    let eye = t.eye_distance[from].max(1.0);
    let mut worst = 0f32;
    for g in &grays[from + 1..=peak] {
        let next = flow::Pyramid::new(g, 3);
        let alive: Vec<usize> = (0..pts.len()).filter(|&i| pts[i].is_some()).collect();
        let cur: Vec<(f32, f32)> = alive.iter().filter_map(|&i| pts[i]).collect();
        let moved = flow::track(&prev, &next, &cur);
        for (k, &i) in alive.iter().enumerate() {
            pts[i] = moved[k];
        }
        let (src, dst): (Vec<_>, Vec<_>) = seeds
            .iter()
            .zip(&pts)
            .filter_map(|(s, p)| p.map(|p| (*s, p)))
            .unzip();
        if src.len() < 12 {
            break;
        }
        if let Some(h) = homography::ransac(&src, &dst, 150, thr) {
            if let Some(e) = homography::quantile_error(&h, &src, &dst, pct) {
                worst = worst.max(e / eye);
            }
        }
        prev = next;
    }
    worst
}

/// Picks the selfie (the most frontal frame with open eyes), gates it like an uploaded selfie,
/// and compares it with a few other frontal frames.
fn identity(
    models: &mut FaceModels,
    images: &[RgbImage],
    t: &Tracked,
    report: &mut LivenessReport,
    reasons: &mut Vec<Reason>,
) {
    let base = judge::baseline(&t.signals);
    let open = judge::open_eyes(&t.signals, base).unwrap_or(0.0);
    let frontal: Vec<(usize, f32)> = t
        .signals
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.yaw.map(|y| (i, (y - base).abs(), s.ear)))
        .filter(|&(_, d, _)| d < judge::BACK)
        .map(|(i, d, ear)| {
            let shut = (ear.0 + ear.1) / 2.0 < 0.9 * open;
            (i, d + if shut { 1.0 } else { 0.0 })
        })
        .collect();
    let Some(&(selfie, _)) = frontal.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
        reasons.push(Reason::NoFace);
        return;
    };
    let crop = |i: usize| crop_around(&images[i], t.boxes[i]);
    let analysis = match models.analyze(&crop(selfie), AnalysisMode::Selfie) {
        Ok(a) => a,
        Err(e) => {
            // Frames of a moving head are softer than a still photo: blur is reported, not
            // failed (identity below still holds the frames to one person).
            match e {
                VisionError::NoFace => reasons.push(Reason::NoFace),
                VisionError::MultipleFaces(_) => reasons.push(Reason::MultipleFaces),
                VisionError::TooBlurry => {}
                _ => reasons.push(Reason::PoorQuality),
            }
            report.selfie_error = Some(e.code());
            // Identity is still checked, on the frame as it is.
            match models.analyze(&crop(selfie), AnalysisMode::DocumentPortrait) {
                Ok(a) => a,
                Err(_) => return,
            }
        }
    };
    let others: Vec<usize> = spread(&frontal, selfie);
    let mut worst = 0f32;
    for i in others {
        let Ok(a) = models.analyze(&crop(i), AnalysisMode::DocumentPortrait) else {
            continue;
        };
        let d = compare(&analysis.embedding, &a.embedding).distance;
        worst = worst.max(d);
    }
    if worst > DEFAULT_THRESHOLD {
        reasons.push(Reason::FaceChanged);
    }
    report.identity_distance = Some(worst);
    report.selfie = Some((selfie, analysis));
}

/// Up to [`IDENTITY_FRAMES`] frontal frames other than `skip`: the first, the last and the
/// middle one.
fn spread(frontal: &[(usize, f32)], skip: usize) -> Vec<usize> {
    let idx: Vec<usize> = frontal.iter().map(|f| f.0).filter(|&i| i != skip).collect();
    if idx.is_empty() {
        return idx;
    }
    let mut pick = vec![idx[0], idx[idx.len() / 2], idx[idx.len() - 1]];
    pick.dedup();
    pick.truncate(IDENTITY_FRAMES);
    pick
}

/// The frame around the tracked face, twice its size: background faces elsewhere stay out.
fn crop_around(img: &RgbImage, b: Box4) -> RgbImage {
    let (cx, cy) = (b.0 + b.2 / 2.0, b.1 + b.3 / 2.0);
    let side = b.2.max(b.3) * 2.2;
    let x0 = (cx - side / 2.0).max(0.0) as u32;
    let y0 = (cy - side / 2.0).max(0.0) as u32;
    let x1 = ((cx + side / 2.0) as u32).min(img.width());
    let y1 = ((cy + side / 2.0) as u32).min(img.height());
    if x1 <= x0 + 8 || y1 <= y0 + 8 {
        return img.clone();
    }
    imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image()
}
