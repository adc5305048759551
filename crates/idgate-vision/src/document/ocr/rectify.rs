//! Finding the document in a photo and sampling it flat before it is read (fields and MRZ
//! alike): the direction its text lines run (any angle, quarter turns included: the
//! length-weighted mean of the doubled line angles, so 89° and -89° agree), the block they
//! cover, the page's own edges around that block (a page in perspective: see [`page_edges`]),
//! and the page warped onto an upright rectangle through the homography of its corners. The
//! orientation model then settles 0° against 180°. Pure geometry: no model.
//!
//! [`page_edges`]: super::page_edges

use image::RgbImage;

use super::geometry::{quad_size, Quad};
use super::homography::{apply, rect_to_quad, warp};
use super::page_edges::{document_quad, TextFrame};

/// Boxes this much longer than high say which way the lines run (words and short labels
/// included: a card has few long lines).
const MIN_ASPECT: f32 = 2.5;
/// Boxes taller than this many median line heights are not lines of text.
const MAX_LINE_HEIGHT: f32 = 3.0;
/// Below this tilt the page is read as it is.
const MIN_TILT: f32 = 2.0;
/// The lines must agree: the resultant of their doubled angles, over their total length.
const MIN_AGREEMENT: f32 = 0.5;
/// Margin around the text, in median line heights: keeps the card's edge text whole.
const MARGIN_LINES: f32 = 1.5;
/// A level page whose text covers more than this share of the photo is read whole.
const MAX_TEXT_SHARE: f32 = 0.5;
/// Pages with a longer side below this are enlarged (at most `MAX_UPSCALE` times) before reading.
const SMALL_PAGE_SIDE: f32 = 1100.0;
const MAX_UPSCALE: u32 = 4;

/// The direction the text lines run, in degrees in (-90, 90] (image axes: positive turns from
/// +x towards +y), when they agree on one.
pub(super) fn text_direction(boxes: &[Quad]) -> Option<f32> {
    let (mut c, mut s, mut total) = (0f32, 0f32, 0f32);
    for q in boxes {
        let (w, h) = quad_size(q);
        if w < MIN_ASPECT * h.max(1.0) {
            continue;
        }
        let a = (q[1][1] - q[0][1]).atan2(q[1][0] - q[0][0]);
        c += w * (2.0 * a).cos();
        s += w * (2.0 * a).sin();
        total += w;
    }
    if total <= 0.0 || (c * c + s * s).sqrt() < MIN_AGREEMENT * total {
        return None;
    }
    let mut deg = s.atan2(c).to_degrees() / 2.0;
    if deg <= -90.0 {
        deg += 180.0;
    }
    Some(deg)
}

/// The page region to read level: the box (corners TL, TR, BR, BL of the level page, in source
/// pixels) around every text box, in the frame of the lines' direction, with a margin — when
/// the lines run at a tilt worth straightening, or when the text covers less than
/// `MAX_TEXT_SHARE` of the photo (a card on a table: cut the clutter away).
pub(super) fn level_region(boxes: &[Quad], width: u32, height: u32) -> Option<Quad> {
    text_block(boxes, width, height).map(|(_, region)| region)
}

/// The page to read flat, when it is tilted, turned or small in the photo: its own edges where
/// they show ([`document_quad`]: a page in perspective gets its true corners), else
/// [`level_region`].
pub(super) fn page_quad(img: &RgbImage, boxes: &[Quad]) -> Option<Quad> {
    let (frame, region) = text_block(boxes, img.width(), img.height())?;
    Some(document_quad(img, &frame, frame.line * MARGIN_LINES).unwrap_or(region))
}

/// The whole photo turned level by the text's direction (when it is tilted or turned): the
/// page read flat when its own edges mislead (a text block that misses the MRZ).
pub(super) fn level_photo(boxes: &[Quad], width: u32, height: u32) -> Option<Quad> {
    let (block, _) = text_lines(boxes);
    let deg = text_direction(&block)?;
    if deg.abs() < MIN_TILT {
        return None;
    }
    let (sn, cs) = deg.to_radians().sin_cos();
    let (u, n) = ([cs, sn], [-sn, cs]);
    let corners = [
        [0.0, 0.0],
        [width as f32, 0.0],
        [width as f32, height as f32],
        [0.0, height as f32],
    ];
    let proj = |p: &[f32; 2], d: [f32; 2]| p[0] * d[0] + p[1] * d[1];
    let (lo_u, hi_u) = bounds(corners.iter().map(|p| proj(p, u)));
    let (lo_n, hi_n) = bounds(corners.iter().map(|p| proj(p, n)));
    let at = |a: f32, b: f32| [u[0] * a + n[0] * b, u[1] * a + n[1] * b];
    Some([
        at(lo_u, lo_n),
        at(hi_u, lo_n),
        at(hi_u, hi_n),
        at(lo_u, hi_n),
    ])
}

/// The text block's frame and its level region (see [`level_region`]).
fn text_block(boxes: &[Quad], width: u32, height: u32) -> Option<(TextFrame, Quad)> {
    let (block, line) = text_lines(boxes);
    let deg = text_direction(&block)?;
    let deg = if deg.abs() < MIN_TILT { 0.0 } else { deg };
    let (sn, cs) = deg.to_radians().sin_cos();
    let (u, n) = ([cs, sn], [-sn, cs]);
    let margin = line * MARGIN_LINES;
    let proj = |p: &[f32; 2], d: [f32; 2]| p[0] * d[0] + p[1] * d[1];
    let (lo_u, hi_u) = bounds(block.iter().flatten().map(|p| proj(p, u)));
    let (lo_n, hi_n) = bounds(block.iter().flatten().map(|p| proj(p, n)));
    let frame = TextFrame {
        u,
        n,
        lo_u,
        hi_u,
        lo_n,
        hi_n,
        line,
    };
    // never past the image: the corners of the image bound the region in the new frame too
    let corners = [
        [0.0, 0.0],
        [width as f32, 0.0],
        [width as f32, height as f32],
        [0.0, height as f32],
    ];
    let (min_u, max_u) = bounds(corners.iter().map(|p| proj(p, u)));
    let (min_n, max_n) = bounds(corners.iter().map(|p| proj(p, n)));
    let (lo_u, hi_u) = ((lo_u - margin).max(min_u), (hi_u + margin).min(max_u));
    let (lo_n, hi_n) = ((lo_n - margin).max(min_n), (hi_n + margin).min(max_n));
    if hi_u - lo_u < 8.0 || hi_n - lo_n < 8.0 {
        return None;
    }
    let share = (hi_u - lo_u) * (hi_n - lo_n) / (width as f32 * height as f32).max(1.0);
    if deg == 0.0 && share > MAX_TEXT_SHARE {
        return None;
    }
    let at = |a: f32, b: f32| [u[0] * a + n[0] * b, u[1] * a + n[1] * b];
    let region = [
        at(lo_u, lo_n),
        at(hi_u, lo_n),
        at(hi_u, hi_n),
        at(lo_u, hi_n),
    ];
    Some((frame, region))
}

/// The boxes that are lines of text: not more than `MAX_LINE_HEIGHT` times the median box's
/// height (the detector finds fat blobs in a textured background, never lines that tall).
fn text_lines(boxes: &[Quad]) -> (Vec<Quad>, f32) {
    let mut heights: Vec<f32> = boxes.iter().map(|q| quad_size(q).1).collect();
    heights.sort_by(f32::total_cmp);
    let line = heights.get(heights.len() / 2).copied().unwrap_or(0.0);
    let lines = boxes
        .iter()
        .filter(|q| quad_size(q).1 <= MAX_LINE_HEIGHT * line)
        .copied()
        .collect();
    (lines, line)
}

/// How much a page whose longer side is `side` pixels is enlarged before it is read: small
/// scans (300–450 px wide) have print a few pixels high, which the recogniser reads better
/// from a sharp enlargement than from its own stretch of each line.
pub(super) fn upscale_for(side: f32) -> u32 {
    if side <= 0.0 {
        return 1;
    }
    ((SMALL_PAGE_SIDE / side).ceil() as u32).clamp(1, MAX_UPSCALE)
}

fn bounds(values: impl Iterator<Item = f32>) -> (f32, f32) {
    values.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)))
}

/// The page `quad` sampled flat, `scale` times its size in the source.
pub(super) fn flatten(img: &RgbImage, quad: &Quad, scale: u32) -> RgbImage {
    let (w, h) = quad_size(quad);
    let k = scale.max(1) as f32;
    let (w, h) = (
        (w * k).round().max(1.0) as u32,
        (h * k).round().max(1.0) as u32,
    );
    warp(img, quad, w, h)
}

/// The point `p` of a flat page `width` x `height` of `quad` (as [`flatten`] samples it), in
/// the source's pixels.
pub(super) fn to_source(quad: &Quad, width: u32, height: u32, p: [f32; 2]) -> [f32; 2] {
    apply(&rect_to_quad(quad, width, height), p)
}

/// The quad's corners on the page (`width` x `height`) turned 180°, in the same order.
pub(super) fn turn_180(q: &Quad, width: u32, height: u32) -> Quad {
    let (w, h) = (width as f32, height as f32);
    q.map(|p| [w - p[0], h - p[1]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cx: f32, cy: f32, len: f32, deg: f32) -> Quad {
        let (s, c) = deg.to_radians().sin_cos();
        let (dx, dy) = (c * len / 2.0, s * len / 2.0);
        let (nx, ny) = (-s * 5.0, c * 5.0);
        [
            [cx - dx - nx, cy - dy - ny],
            [cx + dx - nx, cy + dy - ny],
            [cx + dx + nx, cy + dy + ny],
            [cx - dx + nx, cy - dy + ny],
        ]
    }

    #[test]
    fn direction_of_tilted_and_quarter_turned_lines() {
        let tilted = [
            line(100.0, 100.0, 300.0, 20.0),
            line(100.0, 140.0, 200.0, 22.0),
        ];
        let got = text_direction(&tilted).expect("a direction");
        assert!((got - 20.8).abs() < 1.0, "{got}");
        // 89° and -89° (=91°) are the same direction, not their average 0°
        let quarter = [line(0.0, 0.0, 300.0, 89.0), line(50.0, 0.0, 300.0, -89.0)];
        let got = text_direction(&quarter).expect("a direction");
        assert!(got.abs() > 88.0, "{got}");
        // lines that disagree (a cross) give none; short blobs do not vote
        let cross = [line(0.0, 0.0, 300.0, 0.0), line(0.0, 0.0, 300.0, 90.0)];
        assert_eq!(text_direction(&cross), None);
        assert_eq!(text_direction(&[line(0.0, 0.0, 12.0, 30.0)]), None);
    }

    #[test]
    fn level_region_holds_every_line_and_stays_in_the_image() {
        let lines = [
            line(300.0, 200.0, 300.0, -20.0),
            line(320.0, 260.0, 260.0, -20.0),
        ];
        let q = level_region(&lines, 640, 480).expect("a region");
        // its top edge runs along the lines
        let a = (q[1][1] - q[0][1]).atan2(q[1][0] - q[0][0]).to_degrees();
        assert!((a + 20.0).abs() < 0.5, "{a}");
        for p in q {
            assert!(p[0] >= -300.0 && p[1] >= -300.0, "{q:?}");
        }
        // a level page is read as it is, unless its text is a small part of the photo
        let card = [line(170.0, 50.0, 300.0, 1.0), line(170.0, 80.0, 300.0, 0.0)];
        assert_eq!(level_region(&card, 340, 130), None);
        let q = level_region(&card, 2000, 1500).expect("the card is cut out");
        assert!(q[0][0] > 0.0 && q[2][0] < 400.0 && q[2][1] < 200.0, "{q:?}");
    }

    #[test]
    fn flat_page_points_map_back_to_the_source() {
        // a dark dot on a tilted page lands where `to_source` says it came from
        let mut img = RgbImage::from_pixel(400, 300, image::Rgb([255, 255, 255]));
        for y in 148..153 {
            for x in 248..253 {
                img.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        let region = [[100.0, 80.0], [330.0, 40.0], [350.0, 200.0], [120.0, 240.0]];
        let crop = flatten(&img, &region, 1);
        let darkest = crop
            .enumerate_pixels()
            .min_by_key(|(_, _, p)| p[0])
            .map(|(x, y, _)| [x as f32 + 0.5, y as f32 + 0.5])
            .expect("pixels");
        let back = to_source(&region, crop.width(), crop.height(), darkest);
        assert!(
            (back[0] - 250.5).abs() < 4.0 && (back[1] - 150.5).abs() < 4.0,
            "{back:?}"
        );
    }

    #[test]
    fn small_pages_are_enlarged() {
        assert_eq!(upscale_for(300.0), 4);
        assert_eq!(upscale_for(450.0), 3);
        assert_eq!(upscale_for(1100.0), 1);
        assert_eq!(upscale_for(4000.0), 1);
    }

    #[test]
    fn turning_a_quad_twice_gives_it_back() {
        // a line read upside down: its reading-order corners start at the bottom right
        let q = super::super::geometry::rotate_quad_180(&line(100.0, 50.0, 80.0, 0.0));
        let t = turn_180(&q, 640, 480);
        // on the turned page the line reads upright: top-left above and left of bottom-right
        assert!(t[0][0] < t[2][0] && t[0][1] < t[2][1], "{t:?}");
        assert_eq!(turn_180(&t, 640, 480), q);
    }
}
