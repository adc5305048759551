//! Finding an MRZ's lines among detected text boxes: joining the pieces of one printed line,
//! keeping long thin lines, spotting the block of equal stacked lines, and crop padding.

use super::geometry::{centre, convex_hull, min_area_rect, quad_size, Quad};

/// A 30-character line's box is ~15 times longer than high; keep margin for tight boxes.
const MIN_ASPECT: f32 = 10.0;
const MAX_CANDIDATES: usize = 10;

fn axis(q: &Quad) -> [f32; 2] {
    let (w, _) = quad_size(q);
    [
        (q[1][0] - q[0][0]) / w.max(1e-3),
        (q[1][1] - q[0][1]) / w.max(1e-3),
    ]
}

/// Position of `q` along the "down" direction of `reference`.
pub(super) fn down(q: &Quad, reference: &Quad) -> f32 {
    let (u, c) = (axis(reference), centre(q));
    -c[0] * u[1] + c[1] * u[0]
}

/// Joins boxes lying on one printed line (glare or wide filler runs split MRZ lines).
pub(super) fn join_lines(mut quads: Vec<Quad>) -> Vec<Quad> {
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
pub(super) fn candidates(quads: Vec<Quad>) -> Vec<(f32, Quad)> {
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
pub(super) fn equal_lines(all: &[(f32, Quad)]) -> Vec<usize> {
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

/// For a block of three lines whose two gaps differ by more than `UNEVEN_GAPS`, the adjacent
/// pair with the smaller gap: an MRZ's lines are evenly spaced, so the third is then likely a
/// line of the card beside a two-line zone (read first, the pair may settle it alone).
pub(super) fn close_pair(all: &[(f32, Quad)], block: &[usize]) -> Option<Vec<usize>> {
    let [a, b, c] = block else { return None };
    let reference = all[*a].1;
    let mut lines = [*a, *b, *c].map(|i| (down(&all[i].1, &reference), i));
    lines.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (g1, g2) = (lines[1].0 - lines[0].0, lines[2].0 - lines[1].0);
    if g1.min(g2) <= 0.0 || g1.max(g2) <= UNEVEN_GAPS * g1.min(g2) {
        return None;
    }
    let pair = if g1 < g2 { [0, 1] } else { [1, 2] };
    Some(pair.iter().map(|&k| lines[k].1).collect())
}

/// Gap ratio above which three stacked lines are not one evenly spaced zone.
const UNEVEN_GAPS: f32 = 1.15;

/// The quad with its height scaled by `k` about its centre line.
pub(super) fn pad_quad(q: &Quad, k: f32) -> Quad {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(y: f32) -> (f32, Quad) {
        (
            500.0,
            [[0.0, y], [500.0, y], [500.0, y + 24.0], [0.0, y + 24.0]],
        )
    }

    #[test]
    fn unevenly_spaced_block_offers_its_close_pair() {
        // A two-line zone 36 px apart with a card line 46 px above it.
        let all = [line(274.0), line(320.0), line(356.0)];
        assert_eq!(close_pair(&all, &[2, 0, 1]), Some(vec![1, 2]));
        // An evenly spaced TD1 zone, or a block of two: nothing to try first.
        let td1 = [line(100.0), line(136.0), line(171.0)];
        assert_eq!(close_pair(&td1, &[0, 1, 2]), None);
        assert_eq!(close_pair(&all, &[1, 2]), None);
    }
}
