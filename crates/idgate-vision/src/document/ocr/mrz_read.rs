//! MRZ fast path: detect text boxes, join the pieces of each printed line, keep the long thin
//! lines, recognise only those (upright or turned 180°), and parse the best 2- or 3-line group.

use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

use super::detect::{detect, DetLimits};
use super::geometry::{convex_hull, crop_quad, min_area_rect, quad_size, rotate_quad_180, Quad};
use super::recognize::{REC_HEIGHT, REC_MAX_WIDTH};
use super::{centre, OcrEngine};
use crate::document::mrz::{parse_mrz, Mrz};
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

/// MRZ characters are large and regular: a smaller detection scale than a full page suffices.
const MRZ_LIMITS: DetLimits = DetLimits {
    min_side: 640,
    max_side: 1280,
};
/// A 30-character line is at least ~12 times longer than high; keep margin for tight boxes.
const MIN_ASPECT: f32 = 8.0;
const MAX_CANDIDATES: usize = 10;
/// Crop heights tried (relative to the detected box) when the first read fails its checks.
const PAD_VARIANTS: [f32; 3] = [1.0, 1.2, 0.85];

/// Finds and reads the machine-readable zone of a document photo or scan.
/// `NoText` when the image has no text lines; `NoMrz` when no zone parses.
pub fn read_mrz(engine: &mut OcrEngine, img: &RgbImage) -> Result<MrzRead, VisionError> {
    let t0 = Instant::now();
    let boxes: Vec<Quad> = detect(&mut engine.det, img, MRZ_LIMITS)?
        .into_iter()
        .map(|b| b.quad)
        .collect();
    let detect_ms = ms(t0);
    if boxes.is_empty() {
        return Err(VisionError::NoText);
    }
    let all = candidates(join_lines(boxes));
    if all.is_empty() {
        return Err(VisionError::NoMrz);
    }
    // Passes, cheapest first: the page's longest lines (passports), the largest set of equal
    // lines (ID cards), then every long thin line with looser and tighter crops.
    let longest: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].0 >= 0.8 * all[0].0)
        .take(4)
        .collect();
    let equal = equal_lines(&all);
    let mut probe: Vec<usize> = longest.clone();
    probe.extend(equal.iter().filter(|i| !longest.contains(i)));
    let crops: Vec<RgbImage> = probe
        .iter()
        .map(|&i| crop_quad(img, &all[i].1, REC_HEIGHT, REC_MAX_WIDTH))
        .collect();
    let upside_down = engine.upside_down_share(&crops)? > 0.5;
    let mut quads: Vec<Quad> = all.iter().map(|(_, q)| *q).collect();
    if upside_down {
        quads = quads.iter().map(rotate_quad_180).collect();
    }
    let t1 = Instant::now();
    let everything: Vec<usize> = (0..all.len()).collect();
    let passes: [(&[usize], &[f32]); 3] = [
        (&longest, &PAD_VARIANTS[..1]),
        (&equal, &PAD_VARIANTS[..1]),
        (&everything, &PAD_VARIANTS),
    ];
    let mut cache = ReadCache::new();
    let mut best: Option<Group> = None;
    for (lines, pads) in passes {
        let group = read_group(engine, img, &quads, lines, pads, &mut cache)?;
        if group.as_ref().map(score) > best.as_ref().map(score) {
            best = group;
        }
        if best.as_ref().is_some_and(|g| g.mrz.all_checks_valid()) {
            break;
        }
    }
    let recognise_ms = ms(t1);
    let group = best.ok_or(VisionError::NoMrz)?;
    Ok(MrzRead {
        mrz: group.mrz,
        lines: group.raw,
        confidence: group.confidence,
        upside_down,
        timing: MrzTiming {
            detect_ms,
            recognise_ms,
            total_ms: ms(t0),
        },
    })
}

fn score(g: &Group) -> usize {
    g.mrz.checks.iter().filter(|c| c.valid).count()
}

/// Recognised text per (line, crop padding), so later passes do not read a line twice.
type ReadCache = std::collections::HashMap<(usize, u32), (String, f32)>;

/// Recognises the `lines` (indices into `quads`), sorted top to bottom, with each crop padding
/// in turn until a group parses with every check digit valid.
fn read_group(
    engine: &mut OcrEngine,
    img: &RgbImage,
    quads: &[Quad],
    lines: &[usize],
    pads: &[f32],
    cache: &mut ReadCache,
) -> Result<Option<Group>, VisionError> {
    let Some(&first) = lines.first() else {
        return Ok(None);
    };
    let reference = quads[first];
    let mut order = lines.to_vec();
    order.sort_by(|&a, &b| down(&quads[a], &reference).total_cmp(&down(&quads[b], &reference)));
    let mut reads: Vec<Vec<(String, f32)>> = Vec::new();
    let mut best = None;
    for &pad in pads {
        let key = |i: usize| (i, pad.to_bits());
        let todo: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !cache.contains_key(&key(i)))
            .collect();
        let crops: Vec<RgbImage> = todo
            .iter()
            .map(|&i| crop_quad(img, &pad_quad(&quads[i], pad), REC_HEIGHT, REC_MAX_WIDTH))
            .collect();
        for (&i, read) in todo.iter().zip(engine.recognise_crops(&crops)?) {
            cache.insert(key(i), read);
        }
        reads.push(
            order
                .iter()
                .filter_map(|&i| cache.get(&key(i)).cloned())
                .collect(),
        );
        best = best_group(&reads);
        if best
            .as_ref()
            .is_some_and(|g: &Group| g.mrz.all_checks_valid())
        {
            break;
        }
    }
    Ok(best)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

struct Group {
    mrz: Mrz,
    raw: Vec<String>,
    confidence: f32,
}

/// Normalised text if the line looks like MRZ: long, and almost only `A-Z 0-9 <`.
fn mrz_like(text: &str) -> Option<String> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    let n = t.chars().count();
    let good = t
        .chars()
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<')
        .count();
    (n >= 20 && good * 100 >= n * 85).then_some(t)
}

/// Tries every window of 2 or 3 consecutive MRZ-like lines, every crop variant per line, and
/// keeps the parse with the most valid check digits (then the lowest position on the page).
fn best_group(reads: &[Vec<(String, f32)>]) -> Option<Group> {
    let n = reads.first()?.len();
    let mut best: Option<(usize, usize, Group)> = None;
    for size in [3usize, 2] {
        for start in 0..n.saturating_sub(size - 1) {
            let idx: Vec<usize> = (start..start + size).collect();
            // Variants per line that look like MRZ at all.
            let options: Vec<Vec<(String, f32)>> = idx
                .iter()
                .map(|&i| {
                    reads
                        .iter()
                        .filter_map(|r| r.get(i))
                        .filter_map(|(t, c)| mrz_like(t).map(|t| (t, *c)))
                        .collect()
                })
                .collect();
            if options.iter().any(Vec::is_empty) {
                continue;
            }
            for combo in combinations(&options) {
                let texts: Vec<&str> = combo.iter().map(|(t, _)| t.as_str()).collect();
                let Ok(mrz) = parse_mrz(&texts) else { continue };
                let valid = mrz.checks.iter().filter(|c| c.valid).count() * 2
                    + usize::from(mrz.all_checks_valid()) * 10;
                let better = best
                    .as_ref()
                    .is_none_or(|(v, s, _)| (valid, start) > (*v, *s));
                if better {
                    let confidence = combo.iter().map(|(_, c)| c).sum::<f32>() / combo.len() as f32;
                    let raw = combo.iter().map(|(t, _)| t.clone()).collect();
                    best = Some((
                        valid,
                        start,
                        Group {
                            mrz,
                            raw,
                            confidence,
                        },
                    ));
                }
            }
        }
    }
    // Text that merely looks like MRZ (upper-case labels) validates no check digit.
    best.map(|(_, _, g)| g)
        .filter(|g| g.mrz.checks.iter().any(|c| c.valid) && g.raw.iter().any(|l| l.contains('<')))
}

/// Cartesian product of per-line options (at most 3 lines x 3 variants).
fn combinations(options: &[Vec<(String, f32)>]) -> Vec<Vec<(String, f32)>> {
    let mut out: Vec<Vec<(String, f32)>> = vec![Vec::new()];
    for opts in options {
        let mut dedup: Vec<&(String, f32)> = Vec::new();
        for o in opts {
            if !dedup.iter().any(|d| d.0 == o.0) {
                dedup.push(o);
            }
        }
        out = out
            .into_iter()
            .flat_map(|prefix| {
                dedup.iter().map(move |o| {
                    let mut v = prefix.clone();
                    v.push((*o).clone());
                    v
                })
            })
            .collect();
    }
    out
}

fn axis(q: &Quad) -> [f32; 2] {
    let (w, _) = quad_size(q);
    [
        (q[1][0] - q[0][0]) / w.max(1e-3),
        (q[1][1] - q[0][1]) / w.max(1e-3),
    ]
}

/// Position of `q` along the "down" direction of `reference`.
fn down(q: &Quad, reference: &Quad) -> f32 {
    let (u, c) = (axis(reference), centre(q));
    -c[0] * u[1] + c[1] * u[0]
}

/// Joins boxes lying on one printed line (glare or wide filler runs split MRZ lines).
fn join_lines(mut quads: Vec<Quad>) -> Vec<Quad> {
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..quads.len() {
            for j in i + 1..quads.len() {
                if same_line(&quads[i], &quads[j]) {
                    let pts: Vec<[f32; 2]> =
                        quads[i].iter().chain(quads[j].iter()).copied().collect();
                    if let Some(r) = min_area_rect(&convex_hull(&pts)) {
                        quads[i] = r.quad();
                        quads.swap_remove(j);
                        merged = true;
                        break 'outer;
                    }
                }
            }
        }
    }
    quads
}

fn same_line(a: &Quad, b: &Quad) -> bool {
    let ((wa, ha), (wb, hb)) = (quad_size(a), quad_size(b));
    let (ua, ub) = (axis(a), axis(b));
    let parallel = (ua[0] * ub[1] - ua[1] * ub[0]).abs() < 0.08 || wa < 2.0 * ha || wb < 2.0 * hb;
    let similar = ha.max(hb) < 1.6 * ha.min(hb);
    let (ca, cb) = (centre(a), centre(b));
    let d = [cb[0] - ca[0], cb[1] - ca[1]];
    let off_axis = (-d[0] * ua[1] + d[1] * ua[0]).abs();
    let along = (d[0] * ua[0] + d[1] * ua[1]).abs();
    let gap = along - (wa + wb) / 2.0;
    parallel && similar && off_axis < 0.4 * ha && gap < 2.5 * ha
}

/// The longest thin boxes with their lengths, longest first.
fn candidates(quads: Vec<Quad>) -> Vec<(f32, Quad)> {
    let mut c: Vec<(f32, Quad)> = quads
        .into_iter()
        .filter_map(|q| {
            let (w, h) = quad_size(&q);
            (h > 0.0 && w / h >= MIN_ASPECT).then_some((w, q))
        })
        .collect();
    c.sort_by(|a, b| b.0.total_cmp(&a.0));
    c.truncate(MAX_CANDIDATES);
    c
}

/// First guess at the zone: the largest set of lines of equal length and height (an MRZ's
/// lines are printed in one monospace font to one width), the longest such set on ties.
fn equal_lines(all: &[(f32, Quad)]) -> Vec<usize> {
    let similar = |a: &(f32, Quad), b: &(f32, Quad)| {
        let (ha, hb) = (quad_size(&a.1).1, quad_size(&b.1).1);
        (a.0 - b.0).abs() <= 0.08 * a.0.max(b.0) && ha.max(hb) <= 1.4 * ha.min(hb)
    };
    let mut best: Vec<usize> = Vec::new();
    for a in all {
        let set: Vec<usize> = (0..all.len())
            .filter(|&j| similar(a, &all[j]))
            .take(4)
            .collect();
        if set.len() > best.len() {
            best = set;
        }
    }
    best
}

/// The quad with its height scaled by `k` about its centre line.
fn pad_quad(q: &Quad, k: f32) -> Quad {
    let mid = |a: [f32; 2], b: [f32; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    let scale = |m: [f32; 2], p: [f32; 2]| [m[0] + (p[0] - m[0]) * k, m[1] + (p[1] - m[1]) * k];
    let (ml, mr) = (mid(q[0], q[3]), mid(q[1], q[2]));
    [
        scale(ml, q[0]),
        scale(mr, q[1]),
        scale(mr, q[2]),
        scale(ml, q[3]),
    ]
}
