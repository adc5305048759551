//! Plane geometry for text boxes: connected regions of a mask, convex hulls, minimum-area
//! rotated rectangles, and rotated crops sampled straight to the recogniser's height.

use image::RgbImage;

/// A text box as four corners: top-left, top-right, bottom-right, bottom-left (reading order).
pub type Quad = [[f32; 2]; 4];

/// One 8-connected region of a mask, kept as its per-row extreme pixels (enough for a hull).
pub(super) fn regions(mask: &[bool], width: usize, height: usize) -> Vec<Vec<[f32; 2]>> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        // per row: (min x, max x)
        let mut rows: std::collections::BTreeMap<usize, (usize, usize)> = Default::default();
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            let e = rows.entry(y).or_insert((x, x));
            e.0 = e.0.min(x);
            e.1 = e.1.max(x);
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= width as i64 || ny >= height as i64 {
                        continue;
                    }
                    let j = ny as usize * width + nx as usize;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let pts = rows
            .iter()
            .flat_map(|(&y, &(a, b))| [[a as f32, y as f32], [b as f32, y as f32]])
            .collect();
        out.push(pts);
    }
    out
}

fn cross(o: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, no repeated end point.
pub(super) fn convex_hull(points: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let mut hull: Vec<[f32; 2]> = Vec::with_capacity(p.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f32; 2]>> = if pass == 0 {
            Box::new(p.iter())
        } else {
            Box::new(p.iter().rev())
        };
        for &pt in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], pt) <= 0.0
            {
                hull.pop();
            }
            hull.push(pt);
        }
        hull.pop();
    }
    hull
}

/// A rotated rectangle: centre, unit axis along its long side, long and short side lengths.
#[derive(Debug, Clone, Copy)]
pub(super) struct RotRect {
    pub centre: [f32; 2],
    pub axis: [f32; 2],
    pub long: f32,
    pub short: f32,
}

impl RotRect {
    /// Grows both sides by `2 * d` (the rectangle case of DB's polygon offset).
    pub fn grown(self, d: f32) -> Self {
        Self {
            long: self.long + 2.0 * d,
            short: self.short + 2.0 * d,
            ..self
        }
    }

    /// Corners in reading order, with the long side as the reading direction: rightwards for
    /// lines nearer horizontal, downwards for lines nearer vertical (a page turned clockwise;
    /// one turned the other way is then upside down, which the orientation model catches).
    pub fn quad(self) -> Quad {
        let mut u = self.axis;
        let flip = if u[0].abs() >= u[1].abs() {
            u[0] < 0.0
        } else {
            u[1] < 0.0
        };
        if flip {
            u = [-u[0], -u[1]];
        }
        let n = [-u[1], u[0]]; // points "down" in image coordinates when u points right
        let (hl, hs) = (self.long / 2.0, self.short / 2.0);
        let c = self.centre;
        let p = |a: f32, b: f32| [c[0] + u[0] * a + n[0] * b, c[1] + u[1] * a + n[1] * b];
        [p(-hl, -hs), p(hl, -hs), p(hl, hs), p(-hl, hs)]
    }
}

/// Minimum-area enclosing rectangle of a convex hull (one side lies on a hull edge).
pub(super) fn min_area_rect(hull: &[[f32; 2]]) -> Option<RotRect> {
    let mut best: Option<(f32, RotRect)> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        if len < 1e-6 {
            continue;
        }
        let u = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
        let (mut lo_u, mut hi_u, mut lo_n, mut hi_n) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in hull {
            let pu = p[0] * u[0] + p[1] * u[1];
            let pn = -p[0] * u[1] + p[1] * u[0];
            (lo_u, hi_u, lo_n, hi_n) = (lo_u.min(pu), hi_u.max(pu), lo_n.min(pn), hi_n.max(pn));
        }
        let (wu, wn) = (hi_u - lo_u, hi_n - lo_n);
        let area = wu * wn;
        if best.as_ref().is_some_and(|(b, _)| *b <= area) {
            continue;
        }
        let (mu, mn) = ((lo_u + hi_u) / 2.0, (lo_n + hi_n) / 2.0);
        let centre = [mu * u[0] - mn * u[1], mu * u[1] + mn * u[0]];
        let rect = if wu >= wn {
            RotRect {
                centre,
                axis: u,
                long: wu,
                short: wn,
            }
        } else {
            RotRect {
                centre,
                axis: [-u[1], u[0]],
                long: wn,
                short: wu,
            }
        };
        best = Some((area, rect));
    }
    if best.is_none() && !hull.is_empty() {
        // A single point or a segment: a degenerate rectangle.
        return Some(RotRect {
            centre: hull[0],
            axis: [1.0, 0.0],
            long: 0.0,
            short: 0.0,
        });
    }
    best.map(|(_, r)| r)
}

/// Mean of `map` over the pixels inside `quad` (DB's "fast" box score).
pub(super) fn mean_inside(map: &[f32], width: usize, height: usize, quad: &Quad) -> f32 {
    let xs = quad.iter().map(|p| p[0]);
    let ys = quad.iter().map(|p| p[1]);
    let clamp = |v: f32, hi: usize| (v.max(0.0) as usize).min(hi.saturating_sub(1));
    let (x0, x1) = (
        clamp(xs.clone().fold(f32::MAX, f32::min).floor(), width),
        clamp(xs.fold(f32::MIN, f32::max).ceil(), width),
    );
    let (y0, y1) = (
        clamp(ys.clone().fold(f32::MAX, f32::min).floor(), height),
        clamp(ys.fold(f32::MIN, f32::max).ceil(), height),
    );
    let (mut sum, mut n) = (0.0f64, 0usize);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if inside(quad, [x as f32, y as f32]) {
                sum += f64::from(map[y * width + x]);
                n += 1;
            }
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / n as f64) as f32
    }
}

fn inside(q: &Quad, p: [f32; 2]) -> bool {
    let signs: Vec<f32> = (0..4).map(|i| cross(q[i], q[(i + 1) % 4], p)).collect();
    signs.iter().all(|&s| s >= -0.5) || signs.iter().all(|&s| s <= 0.5)
}

/// Side lengths of a quad: (top edge, left edge).
pub fn quad_size(q: &Quad) -> (f32, f32) {
    let d = |a: [f32; 2], b: [f32; 2]| ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
    (
        d(q[0], q[1]).max(d(q[3], q[2])),
        d(q[0], q[3]).max(d(q[1], q[2])),
    )
}

/// Samples the quad (reading order) into an image `out_h` pixels high, its width following the
/// aspect ratio times `x_scale` (at most `max_w`); the corners map by bilinear interpolation,
/// pixels by bilinear sampling with replicated borders, averaged over a few taps along an axis
/// the crop shrinks (point sampling would alias thin strokes).
pub(super) fn crop_quad(
    img: &RgbImage,
    q: &Quad,
    out_h: u32,
    x_scale: f32,
    max_w: u32,
) -> RgbImage {
    let out_w = crop_width(q, out_h, x_scale, max_w);
    crop_columns(img, q, out_h, out_w, 0..out_w)
}

/// [`crop_quad`] of a line printed smaller than half of `out_h`: its patch of the image is first
/// enlarged with a sharp filter (Catmull-Rom, at most `MAX_SHARP` times), so the recogniser sees
/// the strokes of a 300 px scan crisp rather than a bilinear smear. Costs a few milliseconds
/// per line, where enlarging the whole image cost tens.
pub(super) fn crop_quad_sharp(
    img: &RgbImage,
    q: &Quad,
    out_h: u32,
    x_scale: f32,
    max_w: u32,
) -> RgbImage {
    let (_, h) = quad_size(q);
    if h <= 0.0 || 2.0 * h >= out_h as f32 {
        return crop_quad(img, q, out_h, x_scale, max_w);
    }
    let k = ((out_h as f32 / h).ceil() as u32).clamp(2, MAX_SHARP);
    let (iw, ih) = (img.width() as f32, img.height() as f32);
    let xs = q.iter().map(|p| p[0]);
    let ys = q.iter().map(|p| p[1]);
    let (x0, x1) = xs.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (y0, y1) = ys.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
    // two pixels of context for the filter; never past the image (the crop replicates borders)
    let (x0, y0) = ((x0 - 2.0).floor().max(0.0), (y0 - 2.0).floor().max(0.0));
    let (x1, y1) = ((x1 + 2.0).ceil().min(iw), (y1 + 2.0).ceil().min(ih));
    if x1 - x0 < 2.0 || y1 - y0 < 2.0 {
        return crop_quad(img, q, out_h, x_scale, max_w);
    }
    let (px, py, pw, ph) = (x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32);
    let patch = image::imageops::crop_imm(img, px, py, pw, ph).to_image();
    let big = image::imageops::resize(
        &patch,
        pw * k,
        ph * k,
        image::imageops::FilterType::CatmullRom,
    );
    let kf = k as f32;
    let moved = q.map(|p| [(p[0] - x0) * kf, (p[1] - y0) * kf]);
    crop_quad(&big, &moved, out_h, x_scale, max_w)
}

/// [`crop_quad_sharp`] enlarges a line's patch at most this many times.
const MAX_SHARP: u32 = 4;

/// The width [`crop_quad`] gives the quad.
pub(super) fn crop_width(q: &Quad, out_h: u32, x_scale: f32, max_w: u32) -> u32 {
    let (w, h) = quad_size(q);
    ((out_h as f32 * w * x_scale / h.max(1.0)).round() as u32).clamp(1, max_w.max(1))
}

/// Columns `cols` of the quad sampled `out_w` x `out_h` as [`crop_quad`] does, pixel for pixel,
/// without sampling the rest.
pub(super) fn crop_columns(
    img: &RgbImage,
    q: &Quad,
    out_h: u32,
    out_w: u32,
    cols: std::ops::Range<u32>,
) -> RgbImage {
    let (w, h) = quad_size(q);
    let cols = cols.start.min(out_w)..cols.end.min(out_w);
    let mut out = RgbImage::new(cols.len() as u32, out_h);
    let bilinear = |p: [f32; 2], acc: &mut [f32; 3]| add_bilinear(img, p, acc);
    // Source pixels per output pixel along each axis: that many taps (rounded) per pixel.
    let taps = |src: f32, dst: u32| ((src / dst as f32).round() as u32).clamp(1, 4);
    let (tx, ty) = (taps(w, out_w), taps(h, out_h));
    let norm = 1.0 / (tx * ty) as f32;
    let row_len = cols.len() * 3;
    for (oy, row) in (0..out_h).zip(out.chunks_exact_mut(row_len.max(1))) {
        // Both ends of each tap's scan line (the same for the whole output row).
        let ends: Vec<([f32; 2], [f32; 2])> = (0..ty)
            .map(|j| {
                let t = (oy as f32 + (j as f32 + 0.5) / ty as f32) / out_h as f32;
                (lerp(q[0], q[3], t), lerp(q[1], q[2], t))
            })
            .collect();
        for (ox, pixel) in cols.clone().zip(row.chunks_exact_mut(3)) {
            let mut acc = [0f32; 3];
            for &(left, right) in &ends {
                for i in 0..tx {
                    let s = (ox as f32 + (i as f32 + 0.5) / tx as f32) / out_w as f32;
                    bilinear(lerp(left, right, s), &mut acc);
                }
            }
            for (p, a) in pixel.iter_mut().zip(acc) {
                *p = (a * norm).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// Adds the pixel of `img` at `p` (bilinear, borders replicated) to `acc`.
pub(super) fn add_bilinear(img: &RgbImage, p: [f32; 2], acc: &mut [f32; 3]) {
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let px = |x: i64, y: i64| {
        let at = (y.clamp(0, ih - 1) * iw + x.clamp(0, iw - 1)) as usize * 3;
        [raw[at], raw[at + 1], raw[at + 2]]
    };
    // `floor` without a libm call: truncation is the floor for non-negative values.
    let floor = |v: f32| if v >= 0.0 { v as i64 } else { v.floor() as i64 };
    let (fx, fy) = (p[0] - 0.5, p[1] - 0.5);
    let (x0, y0) = (floor(fx), floor(fy));
    let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
    let (a, b, c, d) = (
        px(x0, y0),
        px(x0 + 1, y0),
        px(x0, y0 + 1),
        px(x0 + 1, y0 + 1),
    );
    for k in 0..3 {
        let top = a[k] as f32 * (1.0 - ax) + b[k] as f32 * ax;
        let bot = c[k] as f32 * (1.0 - ax) + d[k] as f32 * ax;
        acc[k] += top * (1.0 - ay) + bot * ay;
    }
}

fn lerp(a: [f32; 2], b: [f32; 2], t: f32) -> [f32; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// The quad lengthened by `k` times its height at both ends (along its reading direction).
pub(super) fn extend_quad(q: &Quad, k: f32) -> Quad {
    let (w, h) = quad_size(q);
    let u = [
        (q[1][0] - q[0][0]) / w.max(1e-3),
        (q[1][1] - q[0][1]) / w.max(1e-3),
    ];
    let d = [u[0] * k * h, u[1] * k * h];
    [
        [q[0][0] - d[0], q[0][1] - d[1]],
        [q[1][0] + d[0], q[1][1] + d[1]],
        [q[2][0] + d[0], q[2][1] + d[1]],
        [q[3][0] - d[0], q[3][1] - d[1]],
    ]
}

/// The mean of the quad's corners.
pub(super) fn centre(q: &Quad) -> [f32; 2] {
    let s = q.iter().fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
    [s[0] / 4.0, s[1] / 4.0]
}

/// The same quad read upside down.
pub fn rotate_quad_180(q: &Quad) -> Quad {
    [q[2], q[3], q[0], q[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_lines_are_cut_from_a_sharp_enlargement_at_the_same_place() {
        // a dark bar 2 px high across a light 10 px line, on a 120x40 scan
        let img = RgbImage::from_fn(120, 40, |x, y| {
            let bar = (19..21).contains(&y) && (20..100).contains(&x);
            image::Rgb(if bar { [0, 0, 0] } else { [230, 230, 230] })
        });
        let q = [[10.0, 15.0], [110.0, 15.0], [110.0, 25.0], [10.0, 25.0]];
        let plain = crop_quad(&img, &q, 48, 1.0, 3200);
        let sharp = crop_quad_sharp(&img, &q, 48, 1.0, 3200);
        assert_eq!(plain.dimensions(), sharp.dimensions());
        // the bar lands on the same rows, and its edge is steeper (fewer grey rows)
        let column = |c: &RgbImage| (0..48).map(|y| c.get_pixel(240, y)[0]).collect::<Vec<_>>();
        let darkest = |v: &[u8]| (0..v.len()).min_by_key(|&i| v[i]).unwrap_or(0);
        let (p, s) = (column(&plain), column(&sharp));
        assert!(darkest(&p).abs_diff(darkest(&s)) <= 1, "{p:?} {s:?}");
        let grey = |v: &[u8]| v.iter().filter(|&&g| (40..200).contains(&g)).count();
        assert!(grey(&s) <= grey(&p), "{p:?} {s:?}");
        // a line already half the output's height or more is cut as it is
        let big = [[10.0, 5.0], [110.0, 5.0], [110.0, 35.0], [10.0, 35.0]];
        assert_eq!(
            crop_quad_sharp(&img, &big, 48, 1.0, 3200),
            crop_quad(&img, &big, 48, 1.0, 3200)
        );
    }

    #[test]
    fn columns_are_the_crops_own_pixels() {
        let img = RgbImage::from_fn(300, 120, |x, y| {
            image::Rgb([(x * 7 + y) as u8, (y * 5) as u8, (x ^ y) as u8])
        });
        let q = [[10.3, 20.1], [280.7, 35.2], [278.2, 80.9], [8.4, 66.6]];
        let full = crop_quad(&img, &q, 48, 0.8, 3200);
        let w = crop_width(&q, 48, 0.8, 3200);
        assert_eq!(full.width(), w);
        let part = crop_columns(&img, &q, 48, w, 40..140);
        assert_eq!(
            part,
            image::imageops::crop_imm(&full, 40, 0, 100, 48).to_image()
        );
        assert_eq!(crop_columns(&img, &q, 48, w, 0..w), full);
    }

    #[test]
    fn min_area_rect_of_a_tilted_bar() {
        // A 40x4 bar rotated by ~30 degrees.
        let (c, s) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        let pts: Vec<[f32; 2]> = [[-20.0, -2.0], [20.0, -2.0], [20.0, 2.0], [-20.0, 2.0]]
            .iter()
            .map(|p| [100.0 + p[0] * c - p[1] * s, 100.0 + p[0] * s + p[1] * c])
            .collect();
        let r = min_area_rect(&convex_hull(&pts)).expect("rect");
        assert!(
            (r.long - 40.0).abs() < 0.01 && (r.short - 4.0).abs() < 0.01,
            "{r:?}"
        );
        let q = r.quad();
        assert!(q[0][0] < q[1][0] && q[0][1] < q[3][1], "{q:?}");
    }

    #[test]
    fn regions_are_eight_connected() {
        let mask = [true, false, false, false, true, false, false, false, true];
        assert_eq!(regions(&mask, 3, 3).len(), 1);
        let mask = [true, false, true, false, false, false, true, false, true];
        assert_eq!(regions(&mask, 3, 3).len(), 4);
    }
}
