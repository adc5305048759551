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
    min_side: 512,
    max_side: 960,
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
    // Passes, cheapest first: the block of equal stacked lines, the page's longest lines, then
    // every long thin line with looser and tighter crops.
    let longest: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].0 >= 0.8 * all[0].0)
        .take(4)
        .collect();
    let equal = equal_lines(&all);
    let mut probe: Vec<usize> = (0..all.len().min(6)).collect();
    let extra: Vec<usize> = equal
        .iter()
        .copied()
        .filter(|i| !probe.contains(i))
        .collect();
    probe.extend(extra);
    let crops: Vec<RgbImage> = probe
        .iter()
        .map(|&i| crop_quad(img, &all[i].1, REC_HEIGHT, REC_MAX_WIDTH))
        .collect();
    // The orientation model's vote says which way to try first; the MRZ font under glare can
    // fool it, so the other way is read too when the first finds no valid zone.
    let guess = engine.upside_down_share(&crops)? > 0.5;
    let t1 = Instant::now();
    let everything: Vec<usize> = (0..all.len()).collect();
    let passes: [(&[usize], &[f32]); 3] = [
        (&equal, &PAD_VARIANTS[..1]),
        (&longest, &PAD_VARIANTS[..1]),
        (&everything, &PAD_VARIANTS),
    ];
    let turned: Vec<Quad> = all.iter().map(|(_, q)| rotate_quad_180(q)).collect();
    let upright: Vec<Quad> = all.iter().map(|(_, q)| *q).collect();
    let quads = |upside_down: bool| if upside_down { &turned } else { &upright };
    // Cheap passes both ways before the expensive pass.
    let order = [
        (guess, 0),
        (guess, 1),
        (!guess, 0),
        (!guess, 1),
        (guess, 2),
        (!guess, 2),
    ];
    let mut caches = [ReadCache::new(), ReadCache::new()];
    let mut best: Option<(Group, bool)> = None;
    for (upside_down, pass) in order {
        let (lines, pads) = passes[pass];
        let cache = &mut caches[usize::from(upside_down)];
        let group = read_group(engine, img, quads(upside_down), lines, pads, cache)?;
        if group.as_ref().map(score) > best.as_ref().map(|(g, _)| score(g)) {
            best = group.map(|g| (g, upside_down));
        }
        if best.as_ref().is_some_and(|(g, _)| g.mrz.all_checks_valid()) {
            break;
        }
    }
    let recognise_ms = ms(t1);
    let (group, upside_down) = best.ok_or(VisionError::NoMrz)?;
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
    // Filler runs (`<<<<`) get lower boxes than letters.
    let similar = ha.max(hb) < 2.2 * ha.min(hb);
    let (ca, cb) = (centre(a), centre(b));
    let d = [cb[0] - ca[0], cb[1] - ca[1]];
    let off_axis = (-d[0] * ua[1] + d[1] * ua[0]).abs();
    let along = (d[0] * ua[0] + d[1] * ua[1]).abs();
    let gap = along - (wa + wb) / 2.0;
    let h = ha.min(hb);
    parallel && similar && off_axis < 0.5 * h && gap < 4.0 * ha.max(hb)
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

/// First guess at the zone: a block of 2 or 3 stacked lines of equal length and height,
/// aligned at both ends and a line or two apart (an MRZ is printed in one monospace font to
/// one width), the block of longest lines winning.
fn equal_lines(all: &[(f32, Quad)]) -> Vec<usize> {
    let block_mates = |a: &(f32, Quad), b: &(f32, Quad)| {
        let (ha, hb) = (quad_size(&a.1).1, quad_size(&b.1).1);
        let (ca, cb) = (centre(&a.1), centre(&b.1));
        let u = axis(&a.1);
        let d = [cb[0] - ca[0], cb[1] - ca[1]];
        let along = (d[0] * u[0] + d[1] * u[1]).abs();
        let across = (-d[0] * u[1] + d[1] * u[0]).abs();
        (a.0 - b.0).abs() <= 0.08 * a.0.max(b.0)
            && ha.max(hb) <= 1.4 * ha.min(hb)
            && along <= 0.1 * a.0
            && across <= 2.5 * 3.0 * ha.max(hb)
    };
    // Longer lines weigh more than more lines: label columns also come in equal stacks.
    let weight = |set: &[usize]| set.iter().map(|&i| all[i].0 * all[i].0).sum::<f32>();
    let mut best: Vec<usize> = Vec::new();
    for a in all {
        let set: Vec<usize> = (0..all.len())
            .filter(|&j| block_mates(a, &all[j]))
            .take(3)
            .collect();
        if set.len() >= 2 && weight(&set) > weight(&best) {
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
