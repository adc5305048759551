//! Reading the machine-readable zone among one detection's text boxes: which lines to recognise
//! first (the block of equal stacked lines, the page's longest lines, every long thin line),
//! which way up, with which crop padding, and which 2- or 3-line group of readings parses best.

use image::RgbImage;

use super::geometry::{crop_quad_sharp, extend_quad, rotate_quad_180, Quad};
use super::mrz_lines::{candidates, close_pair, down, equal_lines, join_lines, pad_quad};
use super::recognize::REC_HEIGHT;
use super::{Head, OcrEngine};
use crate::document::mrz::{parse_mrz, Mrz};
use crate::VisionError;

/// MRZ line crops are this many line heights longer at each end: a box found at a tilt, or on
/// a small copy, can end inside the first or last character, which the recogniser then drops
/// (a short data line never settles). The zone has a margin of a character or more.
const END_MARGIN: f32 = 0.25;
/// How a line is cut for the recogniser: its height relative to the detected box, its width
/// relative to its aspect ratio (see [`MRZ_X_SCALE`]), and how many line heights it runs past
/// the box at each end.
type Cut = (f32, f32, f32);
/// Crop heights tried when the first read fails its checks.
const PAD_VARIANTS: [Cut; 3] = [
    (1.0, MRZ_X_SCALE, END_MARGIN),
    (1.2, MRZ_X_SCALE, END_MARGIN),
    (0.85, MRZ_X_SCALE, END_MARGIN),
];
/// A line cut at the widest the recogniser gets ([`MRZ_MAX_WIDTH`]): for a zone whose check
/// digits hold but whose data line came out short (a filler run merged: the box was loose, so
/// its aspect ratio gave too few columns per character).
const WIDE: Cut = (1.0, 100.0, END_MARGIN);
/// A line cut a full line height past each end of its box: for a data line whose last check
/// digits were left outside a box found at a steep tilt.
const LONG: Cut = (1.0, MRZ_X_SCALE, 1.0);
/// MRZ lines are recognised narrower than their aspect ratio: OCR-B is monospace and widely
/// spaced, and the recogniser's cost grows with the crop's width. Not much narrower: a box
/// found at a tilt or on a small copy is looser than the print, and at 0.7 such a line came
/// out at ~16 columns per character, two recogniser steps, which merges fillers (`<<<<<` read
/// `<<<<`) and leaves the data line short.
const MRZ_X_SCALE: f32 = 0.85;
/// And never wider than 20 columns per character of the longest MRZ line (TD3, 44): 2.5
/// recogniser steps per character, which still separate every filler of a `<<<<` run.
/// Sharp passport photos come out at up to 30 columns per character, for nothing.
const MRZ_MAX_WIDTH: u32 = 44 * 20;

/// How far [`read_zone`] searches among the candidate lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Only the block of equal stacked lines, then the longest lines, the way the orientation
    /// model reads them: cheap, and enough for most photos; the caller has other detections
    /// to try.
    Block,
    /// Every candidate line, both ways up, with looser and tighter crops.
    All,
}

/// Reads the zone among one detection's boxes: the best group found and whether it was read
/// turned 180°.
pub(super) fn read_zone(
    engine: &mut OcrEngine,
    img: &RgbImage,
    boxes: Vec<Quad>,
    scope: Scope,
) -> Result<Option<(Group, bool)>, VisionError> {
    let all = candidates(join_lines(boxes));
    if all.is_empty() {
        return Ok(None);
    }
    // Passes, cheapest first: the block of equal stacked lines, the page's longest lines, then
    // every long thin line with looser and tighter crops.
    let longest: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].0 >= 0.8 * all[0].0)
        .take(4)
        .collect();
    let equal = equal_lines(&all);
    let everything: Vec<usize> = (0..all.len()).collect();
    let turned: Vec<Quad> = all.iter().map(|(_, q)| rotate_quad_180(q)).collect();
    let upright: Vec<Quad> = all.iter().map(|(_, q)| *q).collect();
    let quads = |upside_down: bool| if upside_down { &turned } else { &upright };
    let mut caches = [ReadCache::new(), ReadCache::new()];
    let mut best: Option<(Group, bool)> = None;
    // The equal block, read the way the orientation model sees it, settles most documents.
    let mut first = None;
    if !equal.is_empty() {
        let lines: Vec<Quad> = equal.iter().map(|&i| all[i].1).collect();
        let upside_down = engine.upside_down_share_of_lines(img, &lines)? > 0.5;
        tracing::trace!(
            candidates = all.len(),
            ?equal,
            upside_down,
            "mrz equal block"
        );
        // Three lines spaced unevenly: the evenly spaced pair alone may be the whole zone.
        let tries = close_pair(&all, &equal).into_iter().chain([equal.clone()]);
        for lines in tries {
            let group = read_group(
                engine,
                img,
                quads(upside_down),
                &lines,
                &PAD_VARIANTS[..1],
                &mut caches[usize::from(upside_down)],
            )?;
            if group.as_ref().map(score) > best.as_ref().map(|(g, _)| score(g)) {
                best = group.map(|g| (g, upside_down));
            }
            if best.as_ref().is_some_and(|(g, _)| settled(g)) {
                return Ok(best);
            }
            if let Some(done) =
                reread_valid(engine, img, [&upright, &turned], &mut caches, &mut best)?
            {
                return Ok(done);
            }
        }
        first = Some(upside_down);
    }
    // The orientation model's vote says which way to try next; the MRZ font under glare can
    // fool it, so the other way is read too when the first finds no valid zone.
    let mut probe: Vec<usize> = (0..all.len().min(6)).collect();
    let extra: Vec<usize> = equal
        .iter()
        .copied()
        .filter(|i| !probe.contains(i))
        .collect();
    probe.extend(extra);
    let lines: Vec<Quad> = probe.iter().map(|&i| all[i].1).collect();
    let guess = engine.upside_down_share_of_lines(img, &lines)? > 0.5;
    // Cheap passes both ways; then, the way the orientation model voted, every candidate once
    // and looser and tighter crops of the lines that read as something like MRZ.
    let order: &[(bool, u8)] = match scope {
        // a card's title lines can form the equal block: its longest lines, the way they read
        Scope::Block => &[(guess, 1)],
        Scope::All => &[
            (guess, 0),
            (guess, 1),
            (!guess, 0),
            (!guess, 1),
            (guess, 2),
            (guess, 3),
        ],
    };
    for &(upside_down, pass) in order {
        if first == Some(upside_down) && pass == 0 {
            continue;
        }
        let cache = &mut caches[usize::from(upside_down)];
        let (lines, pads): (Vec<usize>, &[Cut]) = match pass {
            0 => (equal.clone(), &PAD_VARIANTS[..1]),
            1 => (longest.clone(), &PAD_VARIANTS[..1]),
            2 => (everything.clone(), &PAD_VARIANTS[..1]),
            _ => (
                everything
                    .iter()
                    .copied()
                    .filter(|&i| {
                        cache
                            .get(&key(i, PAD_VARIANTS[0]))
                            .is_some_and(|(t, _)| maybe_mrz(t))
                    })
                    .collect(),
                &PAD_VARIANTS,
            ),
        };
        if lines.is_empty() {
            continue;
        }
        let group = read_group(engine, img, quads(upside_down), &lines, pads, cache)?;
        if group.as_ref().map(score) > best.as_ref().map(|(g, _)| score(g)) {
            best = group.map(|g| (g, upside_down));
        }
        if best.as_ref().is_some_and(|(g, _)| settled(g)) {
            break;
        }
        if let Some(done) = reread_valid(engine, img, [&upright, &turned], &mut caches, &mut best)?
        {
            return Ok(done);
        }
    }
    Ok(best)
}

/// Whether a broken plausibility rule of a reading whose check digits all hold could be a
/// misread that another crop mends: a filler or a letter in the document code, the names or
/// the document number, or a country code with letters. A country code of digits or a date that
/// does not exist (its check digit holds) is the document's own.
fn mendable(m: &Mrz) -> bool {
    let letters = |f: &str| f.chars().any(|c| !c.is_ascii_digit());
    m.doubts.iter().any(|d| match *d {
        "issuing_country" => letters(&m.issuing_country),
        "nationality" => letters(&m.nationality),
        "birth_date" | "expiry_date" => false,
        _ => true,
    })
}

/// When the best reading has a data line that came out short, or has every check digit valid,
/// its own lines are read again: cut at full width and with longer ends when a line is short,
/// with every crop padding when it breaks a plausibility rule a crop could mend (a filler read
/// as a letter). The search ends there when
/// the reading is then complete: the check digits say these are the zone's lines, read the
/// right way up, so other lines or the other way up cannot do better. `None` when the best
/// reading is not such a one, or is still short (the search goes on).
fn reread_valid(
    engine: &mut OcrEngine,
    img: &RgbImage,
    quads: [&[Quad]; 2],
    caches: &mut [ReadCache; 2],
    best: &mut Option<(Group, bool)>,
) -> Result<Option<Option<(Group, bool)>>, VisionError> {
    let Some((g, upside_down)) = best.as_ref() else {
        return Ok(None);
    };
    let short = !complete(g);
    if g.reread || !(g.mrz.all_checks_valid() || short) {
        return Ok(None);
    }
    let cuts: &[Cut] = if short {
        &[PAD_VARIANTS[0], WIDE, LONG]
    } else if mendable(&g.mrz) {
        &PAD_VARIANTS
    } else {
        &[]
    };
    let (lines, upside_down) = (g.lines.clone(), *upside_down);
    if !cuts.is_empty() {
        let cache = &mut caches[usize::from(upside_down)];
        let quads = quads[usize::from(upside_down)];
        let group = read_group(engine, img, quads, &lines, cuts, cache)?;
        if group.as_ref().map(score) > best.as_ref().map(|(g, _)| score(g)) {
            *best = group.map(|g| (g, upside_down));
        }
    }
    let Some((g, _)) = best.as_mut() else {
        return Ok(None);
    };
    g.reread = true;
    Ok(complete(g).then(|| best.take()))
}

/// Valid check digits, plausibility, data lines read at full length, fewer repairs.
pub(super) fn score(g: &Group) -> (usize, bool, bool, std::cmp::Reverse<usize>) {
    let (valid, plausible, repairs) = g.mrz.quality();
    (valid, plausible, complete(g), repairs)
}

/// A reading to stop at: trustworthy, and its data lines read at full length.
pub(super) fn settled(g: &Group) -> bool {
    g.mrz.trustworthy() && complete(g)
}

/// Whether every line but the names line was read at the format's width. A data line read
/// short had characters merged by the recogniser (a run `00000000` read as `0000`); fitting it
/// to width with fillers can pass every check digit (`0` and `<` both count 0), so such a
/// reading is kept only if no pass reads the line whole. The names line may be read short (its
/// filler run merged), but then it ends in a filler: one that ends in a letter lost its end to
/// a tight crop (`...ANNA<MARI`).
pub(super) fn complete(g: &Group) -> bool {
    let names = if g.mrz.lines.len() == 3 { 2 } else { 0 };
    g.raw
        .iter()
        .zip(&g.mrz.lines)
        .enumerate()
        .all(|(i, (raw, line))| {
            raw.chars().count() == line.chars().count() || (i == names && raw.ends_with('<'))
        })
}

/// The cache key of line `i` cut as `cut`.
fn key(i: usize, cut: Cut) -> (usize, u32, u32, u32) {
    (i, cut.0.to_bits(), cut.1.to_bits(), cut.2.to_bits())
}

/// Recognised text per (line, cut), so later passes do not read a line twice.
type ReadCache = std::collections::HashMap<(usize, u32, u32, u32), (String, f32)>;

/// Recognises the `lines` (indices into `quads`), sorted top to bottom, with each crop padding
/// in turn until a group parses with every check digit valid.
fn read_group(
    engine: &mut OcrEngine,
    img: &RgbImage,
    quads: &[Quad],
    lines: &[usize],
    cuts: &[Cut],
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
    for &cut in cuts {
        let (pad, x_scale, ends) = cut;
        let key = |i: usize| key(i, cut);
        let todo: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !cache.contains_key(&key(i)))
            .collect();
        let crops: Vec<RgbImage> = todo
            .iter()
            .map(|&i| {
                crop_quad_sharp(
                    img,
                    &extend_quad(&pad_quad(&quads[i], pad), ends),
                    REC_HEIGHT,
                    x_scale,
                    MRZ_MAX_WIDTH,
                )
            })
            .collect();
        for (&i, read) in todo.iter().zip(engine.recognise_crops(&crops, Head::Mrz)?) {
            cache.insert(key(i), read);
        }
        reads.push(
            order
                .iter()
                .filter_map(|&i| cache.get(&key(i)).cloned())
                .collect(),
        );
        tracing::trace!(lines = ?order, pad, read = ?order.iter().filter_map(|&i| cache.get(&key(i)).map(|r| &r.0)).collect::<Vec<_>>(), "mrz lines read");
        best = best_group(&reads).map(|mut g| {
            g.lines = g.lines.iter().map(|&k| order[k]).collect();
            g
        });
        if best.as_ref().is_some_and(settled) {
            break;
        }
    }
    Ok(best)
}

pub(super) struct Group {
    pub mrz: Mrz,
    pub raw: Vec<String>,
    pub confidence: f32,
    /// The candidate lines (indices into the detection's candidates) the group was read from.
    pub lines: Vec<usize>,
    /// Those lines were read with every crop padding and this is still the best reading: a
    /// rule it breaks (a specimen's own quirk) is not one a looser or tighter crop would mend.
    pub reread: bool,
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

/// Loosely MRZ-like (mostly `A-Z 0-9`, with fillers): worth re-reading with other crops.
fn maybe_mrz(text: &str) -> bool {
    let filler = |c: char| matches!(c, '<' | '«' | 'く');
    let good = text
        .chars()
        .filter(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || filler(c))
        .count();
    let all = text.chars().filter(|c| !c.is_whitespace()).count();
    good >= 15 && good * 10 >= all * 7 && text.chars().any(filler)
}

/// Tries every window of 2 or 3 consecutive MRZ-like lines, every crop variant per line, and
/// keeps the parse with the most valid check digits (then the lowest position on the page).
fn best_group(reads: &[Vec<(String, f32)>]) -> Option<Group> {
    let n = reads.first()?.len();
    let mut best: Option<((usize, bool), usize, Group)> = None;
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
                let valid = (
                    mrz.checks.iter().filter(|c| c.valid).count() * 2
                        + usize::from(mrz.all_checks_valid()) * 10,
                    mrz.doubts.is_empty(),
                );
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
                            lines: idx.clone(),
                            reread: false,
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
