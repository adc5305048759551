//! MRZ fast path: detect text boxes once on a small copy of the image and recognise only the
//! long thin lines, cut from the photo at whatever angle they run (upright or turned 180°),
//! with the recogniser's output cut to the MRZ alphabet, parsing the best 2- or 3-line group
//! (see [`mrz_zone`](super::mrz_zone)). Only when that finds no valid zone is the page found
//! from those boxes (turned, tilted, in perspective or small in the photo: see
//! [`rectify`](super::rectify)), read flat and detected again; then larger detection scales.

use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

use super::detect::{detect, DetLimits};
use super::geometry::{quad_size, Quad};
use super::homography::warp;
use super::mrz_zone::{complete, read_zone, score, settled, Group, Scope};
use super::rectify::{level_photo, level_region, page_quad, to_source, upscale_for};
use super::OcrEngine;
use crate::document::mrz::Mrz;
use crate::VisionError;

/// What the fast path read, with the zone as recognised and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct MrzRead {
    pub mrz: Mrz,
    /// The zone's lines exactly as recognised, before repair.
    pub lines: Vec<String>,
    /// Mean character probability of those lines.
    pub confidence: f32,
    /// The text ran against the assumed direction: the page was upside down (or turned a
    /// quarter anticlockwise) and was read turned.
    pub upside_down: bool,
    pub timing: MrzTiming,
}

/// Milliseconds spent per stage.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MrzTiming {
    pub detect_ms: f64,
    pub recognise_ms: f64,
    pub total_ms: f64,
}

/// First detection pass: MRZ characters are large and regular, so a small input usually finds
/// the zone (the image is never scaled up for it).
const QUICK_LIMITS: DetLimits = DetLimits {
    min_side: 320,
    max_side: 640,
};
/// Second pass, when the first finds no zone with every check digit valid.
const MRZ_LIMITS: DetLimits = DetLimits {
    min_side: 512,
    max_side: 960,
};
/// A scan whose longer side is below this (300–450 px wide) is detected again enlarged with a
/// sharp filter (see [`upscale_for`]) when nothing else finds its zone (its lines are always
/// cut sharp: see `crop_quad_sharp`).
const SMALL_SIDE: u32 = 720;

/// Finds and reads the machine-readable zone of a document photo or scan. One detection on a
/// small copy finds the lines, read where they lie. When they give no valid zone, the same
/// boxes give the page's geometry: a page turned, tilted, in perspective or small in the photo
/// is read flat from there (else the text's level region, else the whole photo turned level);
/// then larger detection scales.
/// `NoText` when the image has no text lines; `NoMrz` when no zone parses.
pub fn read_mrz(engine: &mut OcrEngine, img: &RgbImage) -> Result<MrzRead, VisionError> {
    let t0 = Instant::now();
    let mut run = Passes {
        best: None,
        along: [1.0, 0.0],
        confirmed: false,
        text: false,
        detect_ms: 0.0,
        recognise_ms: 0.0,
    };
    let boxes = run.detect(engine, img, QUICK_LIMITS)?;
    let (w, h) = (img.width(), img.height());
    // the block of MRZ-like lines as detected, cut from the photo at any angle: most photos
    // end here
    run.read(engine, img, boxes.clone(), Scope::Block)?;
    let mut tried = Vec::new();
    run.read_pages(engine, img, &boxes, &mut tried)?;
    if !run.done() {
        run.read(engine, img, boxes, Scope::All)?;
    }
    if !run.done() {
        // a busy background can run the text together at the first scale: look closer, and
        // find the page again from what that shows
        let boxes = run.detect(engine, img, MRZ_LIMITS)?;
        run.read(engine, img, boxes.clone(), Scope::All)?;
        run.read_pages(engine, img, &boxes, &mut tried)?;
    }
    let side = w.max(h);
    if !run.done() && side < SMALL_SIDE {
        // a small scan whose lines the detector missed at its size: the whole scan enlarged
        let k = upscale_for(side as f32);
        let filter = image::imageops::FilterType::CatmullRom;
        let enlarged = image::imageops::resize(img, w * k, h * k, filter);
        run.pass(engine, &enlarged, QUICK_LIMITS)?;
    }
    if !run.text {
        return Err(VisionError::NoText);
    }
    let (group, upside_down) = run.best.ok_or(VisionError::NoMrz)?;
    Ok(MrzRead {
        mrz: group.mrz,
        lines: group.raw,
        confidence: group.confidence,
        upside_down,
        timing: MrzTiming {
            detect_ms: run.detect_ms,
            recognise_ms: run.recognise_ms,
            total_ms: ms(t0),
        },
    })
}

/// The detection passes of one read: the best zone so far and the time spent.
struct Passes {
    best: Option<(Group, bool)>,
    /// The reading direction, in the photo, of the image being read (`[1, 0]`: the photo itself).
    along: [f32; 2],
    /// Two passes read the same zone with every check digit valid: a rule it breaks (a
    /// specimen's own quirk) is not a misreading a third pass would mend.
    confirmed: bool,
    text: bool,
    detect_ms: f64,
    recognise_ms: f64,
}

impl Passes {
    /// Detects at `limits` and reads the zone among the boxes.
    fn pass(
        &mut self,
        engine: &mut OcrEngine,
        img: &RgbImage,
        limits: DetLimits,
    ) -> Result<(), VisionError> {
        let boxes = self.detect(engine, img, limits)?;
        self.read(engine, img, boxes, Scope::All)
    }

    /// The pages that `boxes` show in `img` (its own edges, the text's level region, the whole
    /// photo turned level), each read flat at two detection scales, until one gives a zone;
    /// pages in `tried` are skipped, and those read are added to it.
    fn read_pages(
        &mut self,
        engine: &mut OcrEngine,
        img: &RgbImage,
        boxes: &[Quad],
        tried: &mut Vec<Quad>,
    ) -> Result<(), VisionError> {
        if self.done() {
            return Ok(());
        }
        let (w, h) = (img.width(), img.height());
        let pages = [
            page_quad(img, boxes),
            level_region(boxes, w, h),
            level_photo(boxes, w, h),
        ];
        for page in pages.into_iter().flatten() {
            if self.done() {
                break;
            }
            if tried.contains(&page) {
                continue;
            }
            tried.push(page);
            let (w, _) = quad_size(&page);
            // the flat page's reading direction in the photo
            self.along = [(page[1][0] - page[0][0]) / w, (page[1][1] - page[0][1]) / w];
            self.flat_pass(engine, img, &page, QUICK_LIMITS)?;
            if !self.done() {
                self.flat_pass(engine, img, &page, MRZ_LIMITS)?;
            }
            self.along = [1.0, 0.0];
        }
        Ok(())
    }

    /// Detects at `limits` on the page `page` of `photo` sampled flat at the detector's own
    /// size (no larger copy is made only to be shrunk again), and reads the zone among the boxes
    /// mapped back onto the photo: lines are cut from the photo's own pixels, once.
    fn flat_pass(
        &mut self,
        engine: &mut OcrEngine,
        photo: &RgbImage,
        page: &Quad,
        limits: DetLimits,
    ) -> Result<(), VisionError> {
        let (w, h) = quad_size(page);
        let k = limits.max_side as f32 / w.max(h).max(1.0);
        let size = |v: f32| (v * k).round().max(1.0) as u32;
        let (fw, fh) = (size(w), size(h));
        let flat = warp(photo, page, fw, fh);
        let boxes = self.detect(engine, &flat, limits)?;
        let mapped = boxes
            .iter()
            .map(|q| q.map(|p| to_source(page, fw, fh, p)))
            .collect();
        self.read(engine, photo, mapped, Scope::All)
    }

    fn detect(
        &mut self,
        engine: &mut OcrEngine,
        img: &RgbImage,
        limits: DetLimits,
    ) -> Result<Vec<Quad>, VisionError> {
        let t = Instant::now();
        let boxes: Vec<Quad> = detect(&mut engine.det, img, limits)?
            .into_iter()
            .map(|b| b.quad)
            .collect();
        self.detect_ms += ms(t);
        tracing::debug!(
            width = img.width(),
            height = img.height(),
            ?limits,
            boxes = boxes.len(),
            ms = ms(t),
            "mrz detection"
        );
        self.text |= !boxes.is_empty();
        Ok(boxes)
    }

    /// Reads the zone among `boxes` of `img`, keeping the best reading so far.
    fn read(
        &mut self,
        engine: &mut OcrEngine,
        img: &RgbImage,
        boxes: Vec<Quad>,
        scope: Scope,
    ) -> Result<(), VisionError> {
        let t = Instant::now();
        let along = self.along;
        let found = read_zone(engine, img, boxes, scope)?.map(|(g, turned)| {
            // Against the assumed direction in the photo: rightwards for text nearer level,
            // downwards (a page turned clockwise) for text nearer vertical.
            let d = if turned {
                [-along[0], -along[1]]
            } else {
                along
            };
            let against = if d[0].abs() >= d[1].abs() {
                d[0] < 0.0
            } else {
                d[1] < 0.0
            };
            (g, against)
        });
        self.recognise_ms += ms(t);
        tracing::debug!(
            width = img.width(),
            height = img.height(),
            ?scope,
            found = ?found.as_ref().map(|(g, _)| (score(g), g.reread, &g.raw)),
            ms = ms(t),
            "mrz zone read"
        );
        if let (Some((g, _)), Some((b, _))) = (&found, &self.best) {
            // two detections agree on a zone whose check digits all hold
            self.confirmed |= g.mrz.lines == b.mrz.lines && g.mrz.all_checks_valid() && complete(g);
        }
        if found.as_ref().map(|(g, _)| score(g)) > self.best.as_ref().map(|(g, _)| score(g)) {
            self.best = found;
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.confirmed
            || self.best.as_ref().is_some_and(|(g, _)| {
                settled(g) || (g.reread && g.mrz.all_checks_valid() && complete(g))
            })
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
