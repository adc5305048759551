//! The document's own edges around its text in a photo: beyond each side of the text block, the
//! strongest long straight edge with one contrast along its length (the card against the table),
//! searched at small angles to the text's frame, so a page in perspective gets its true
//! quadrilateral. A textured background does not fool it: grain and wavy stripes change
//! contrast along any straight line. Pure geometry on a small grey copy: no model.

use image::RgbImage;

use super::geometry::Quad;

/// The text block in its own frame: `u` along the lines, `n` down the page (unit vectors, image
/// pixels), the block's bounds along each, and the median line height.
#[derive(Debug, Clone, Copy)]
pub(super) struct TextFrame {
    pub u: [f32; 2],
    pub n: [f32; 2],
    pub lo_u: f32,
    pub hi_u: f32,
    pub lo_n: f32,
    pub hi_n: f32,
    pub line: f32,
}

/// The grey copy's longer side (edges of a card are long: this keeps them several pixels
/// strong while the search stays cheap).
const GREY_SIDE: u32 = 640;
/// Edge angles tried against the text frame, in degrees either way (perspective and the card's
/// own slant against its print).
const MAX_SLANT: f32 = 12.0;
/// How far beyond the text an edge is looked for, as a share of the block's size across it.
const MAX_OUT: f32 = 0.35;
/// An edge: mean contrast across it at least this (grey levels), with this share of its
/// samples agreeing in sign.
const MIN_CONTRAST: f32 = 18.0;
const MIN_AGREEMENT: f32 = 0.8;

/// A grey copy of `img`, box-averaged by an integer factor.
struct Grey {
    w: usize,
    h: usize,
    k: f32,
    px: Vec<f32>,
}

impl Grey {
    fn of(img: &RgbImage) -> Self {
        let k = img.width().max(img.height()).div_ceil(GREY_SIDE).max(1) as usize;
        let (w, h) = (img.width() as usize / k, img.height() as usize / k);
        let mut px = vec![0f32; w * h];
        let raw = img.as_raw();
        let iw = img.width() as usize;
        for y in 0..h * k {
            for x in 0..w * k {
                let at = (y * iw + x) * 3;
                let v = 0.299 * f32::from(raw[at])
                    + 0.587 * f32::from(raw[at + 1])
                    + 0.114 * f32::from(raw[at + 2]);
                px[(y / k) * w + x / k] += v;
            }
        }
        let norm = 1.0 / (k * k) as f32;
        px.iter_mut().for_each(|v| *v *= norm);
        Self {
            w,
            h,
            k: k as f32,
            px,
        }
    }

    /// Bilinear sample at `p` (grey pixels); `None` off the image.
    fn at(&self, p: [f32; 2]) -> Option<f32> {
        let (x, y) = (p[0] - 0.5, p[1] - 0.5);
        if x < 0.0 || y < 0.0 || x >= (self.w - 1) as f32 || y >= (self.h - 1) as f32 {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        let (ax, ay) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * self.w + x0;
        let top = self.px[i] * (1.0 - ax) + self.px[i + 1] * ax;
        let bot = self.px[i + self.w] * (1.0 - ax) + self.px[i + self.w + 1] * ax;
        Some(top * (1.0 - ay) + bot * ay)
    }
}

/// One side's search: `along` runs the side's length, `out` points away from the text; the
/// text ends at `bound` along `out`, and the side spans `from..to` along `along`.
struct Side {
    along: [f32; 2],
    out: [f32; 2],
    bound: f32,
    from: f32,
    to: f32,
    reach: f32,
}

/// A line as a point and a unit direction, in source pixels.
type Line = ([f32; 2], [f32; 2]);

/// The document's quadrilateral (TL, TR, BR, BL of the upright page, source pixels) around the
/// text block `frame`, when at least one of its edges shows; the sides without an edge stay
/// `margin` beyond the text. `None` when the edges found do not make a plausible page.
pub(super) fn document_quad(img: &RgbImage, frame: &TextFrame, margin: f32) -> Option<Quad> {
    if img.width() < 16 || img.height() < 16 {
        return None;
    }
    let grey = Grey::of(img);
    let f = frame;
    let neg = |v: [f32; 2]| [-v[0], -v[1]];
    let (w, h) = (f.hi_u - f.lo_u, f.hi_n - f.lo_n);
    // along-coordinates are measured on the `along` axis, bounds on `out`
    let sides = [
        Side {
            along: f.u,
            out: neg(f.n),
            bound: -f.lo_n,
            from: f.lo_u,
            to: f.hi_u,
            reach: h,
        },
        Side {
            along: f.n,
            out: f.u,
            bound: f.hi_u,
            from: f.lo_n,
            to: f.hi_n,
            reach: w,
        },
        Side {
            along: f.u,
            out: f.n,
            bound: f.hi_n,
            from: f.lo_u,
            to: f.hi_u,
            reach: h,
        },
        Side {
            along: f.n,
            out: neg(f.u),
            bound: -f.lo_u,
            from: f.lo_n,
            to: f.hi_n,
            reach: w,
        },
    ];
    let mut found = 0;
    let lines: Vec<Line> = sides
        .iter()
        .map(|s| {
            let edge = find_edge(&grey, s, f.line);
            found += usize::from(edge.is_some());
            edge.unwrap_or_else(|| {
                let mid = (s.from + s.to) / 2.0;
                let d = s.bound + margin;
                (point(s, mid, d), s.along)
            })
        })
        .collect();
    if found == 0 {
        return None;
    }
    let corner = |a: usize, b: usize| intersect(&lines[a], &lines[b]);
    // sides: 0 top, 1 right, 2 bottom, 3 left
    let quad = [corner(3, 0)?, corner(0, 1)?, corner(1, 2)?, corner(2, 3)?];
    plausible(&quad, frame, img).then_some(quad)
}

/// The point `a` along the side and `d` out, in source pixels.
fn point(s: &Side, a: f32, d: f32) -> [f32; 2] {
    [s.along[0] * a + s.out[0] * d, s.along[1] * a + s.out[1] * d]
}

/// The strongest straight edge beyond the side, as a line in source pixels: the page against
/// its background outweighs a panel printed on the page (a CIN's white MRZ box).
fn find_edge(grey: &Grey, s: &Side, line: f32) -> Option<Line> {
    let k = grey.k;
    let (mid, half) = ((s.from + s.to) / 2.0, (s.to - s.from) * 0.3);
    let step = k.max(1.0);
    let samples = ((2.0 * half / step) as usize).clamp(8, 160);
    let start = (line * 0.3).max(step);
    let end = (s.reach * MAX_OUT).max(start + 2.0 * line);
    let mut scored: Vec<(f32, f32, f32)> = Vec::new(); // (d, slope, contrast)
    let mut d = start;
    while d <= end {
        let mut best: Option<(f32, f32)> = None;
        let mut slant = -MAX_SLANT;
        while slant <= MAX_SLANT {
            let slope = slant.to_radians().tan();
            if let Some(c) = contrast(grey, s, mid, half, samples, s.bound + d, slope) {
                if best.is_none_or(|b| c > b.1) {
                    best = Some((slope, c));
                }
            }
            slant += 1.0;
        }
        if let Some((slope, c)) = best {
            scored.push((d, slope, c));
        }
        d += step;
    }
    let (d, slope, strongest) = scored.into_iter().max_by(|a, b| a.2.total_cmp(&b.2))?;
    if strongest < MIN_CONTRAST {
        return None;
    }
    let p = point(s, mid, s.bound + d);
    let dir = [s.along[0] + s.out[0] * slope, s.along[1] + s.out[1] * slope];
    let len = (dir[0] * dir[0] + dir[1] * dir[1]).sqrt();
    Some((p, [dir[0] / len, dir[1] / len]))
}

/// Mean contrast across the line through (`mid`, `d`) with `slope` (out per along), over
/// `samples` points within `half` of `mid`, when one sign holds along it.
fn contrast(
    grey: &Grey,
    s: &Side,
    mid: f32,
    half: f32,
    samples: usize,
    d: f32,
    slope: f32,
) -> Option<f32> {
    let k = grey.k;
    let (mut sum, mut pos, mut n) = (0f32, 0usize, 0usize);
    for i in 0..samples {
        let a = mid - half + 2.0 * half * (i as f32 + 0.5) / samples as f32;
        let at = d + (a - mid) * slope;
        let (p_in, p_out) = (point(s, a, at - 1.5 * k), point(s, a, at + 1.5 * k));
        let (Some(g_in), Some(g_out)) = (
            grey.at([p_in[0] / k, p_in[1] / k]),
            grey.at([p_out[0] / k, p_out[1] / k]),
        ) else {
            continue;
        };
        let diff = g_in - g_out;
        sum += diff;
        pos += usize::from(diff > 0.0);
        n += 1;
    }
    if n * 2 < samples {
        return None;
    }
    let mean = sum / n as f32;
    let agree = if mean > 0.0 { pos } else { n - pos } as f32 / n as f32;
    (agree >= MIN_AGREEMENT).then_some(mean.abs())
}

fn intersect(a: &Line, b: &Line) -> Option<[f32; 2]> {
    let ((p, r), (q, s)) = (a, b);
    let den = r[0] * s[1] - r[1] * s[0];
    if den.abs() < 1e-3 {
        return None;
    }
    let t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / den;
    Some([p[0] + r[0] * t, p[1] + r[1] * t])
}

/// Convex, in reading order, holding the text block, and not far past the photo.
fn plausible(q: &Quad, f: &TextFrame, img: &RgbImage) -> bool {
    let cross = |o: [f32; 2], a: [f32; 2], b: [f32; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let convex = (0..4).all(|i| cross(q[i], q[(i + 1) % 4], q[(i + 2) % 4]) > 0.0);
    let at = |a: f32, b: f32| [f.u[0] * a + f.n[0] * b, f.u[1] * a + f.n[1] * b];
    let slack = f.line * 0.5;
    let text = [
        at(f.lo_u + slack, f.lo_n + slack),
        at(f.hi_u - slack, f.lo_n + slack),
        at(f.hi_u - slack, f.hi_n - slack),
        at(f.lo_u + slack, f.hi_n - slack),
    ];
    let holds = text
        .iter()
        .all(|&p| (0..4).all(|i| cross(q[i], q[(i + 1) % 4], p) >= 0.0));
    let (w, h) = (img.width() as f32, img.height() as f32);
    let near = q
        .iter()
        .all(|p| p[0] > -0.1 * w && p[0] < 1.1 * w && p[1] > -0.1 * h && p[1] < 1.1 * h);
    convex && holds && near
}
