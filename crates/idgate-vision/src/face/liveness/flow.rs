//! Sparse optical flow: Shi–Tomasi corners and pyramidal Lucas–Kanade tracking on grey images.
//! Used to ask whether the texture of a face moves like one plane (a photo) or like a head.

use image::GrayImage;

/// A grey image as `f32`, row-major.
#[derive(Debug, Clone)]
pub struct Plane {
    pub w: usize,
    pub h: usize,
    pub px: Vec<f32>,
}

impl Plane {
    pub fn from_gray(g: &GrayImage) -> Self {
        Self {
            w: g.width() as usize,
            h: g.height() as usize,
            px: g.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    #[inline]
    fn at(&self, x: usize, y: usize) -> f32 {
        self.px[y * self.w + x]
    }

    /// Bilinear sample, clamped to the image (the edge pixels extend outward). `None` only for
    /// a non-finite position.
    #[inline]
    fn sample(&self, x: f32, y: f32) -> Option<f32> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let x = x.clamp(0.0, (self.w - 1) as f32 - 0.001);
        let y = y.clamp(0.0, (self.h - 1) as f32 - 0.001);
        let (x0, y0) = (x as usize, y as usize);
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * self.w + x0;
        let top = self.px[i] * (1.0 - fx) + self.px[i + 1] * fx;
        let bot = self.px[i + self.w] * (1.0 - fx) + self.px[i + self.w + 1] * fx;
        Some(top * (1.0 - fy) + bot * fy)
    }

    /// Half size, 2×2 box average.
    fn half(&self) -> Self {
        let (w, h) = (self.w / 2, self.h / 2);
        let mut px = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let s = self.at(2 * x, 2 * y)
                    + self.at(2 * x + 1, 2 * y)
                    + self.at(2 * x, 2 * y + 1)
                    + self.at(2 * x + 1, 2 * y + 1);
                px.push(s * 0.25);
            }
        }
        Self { w, h, px }
    }
}

/// An image pyramid, level 0 the full image.
#[derive(Debug, Clone)]
pub struct Pyramid(pub Vec<Plane>);

impl Pyramid {
    pub fn new(g: &GrayImage, levels: usize) -> Self {
        let mut v = vec![Plane::from_gray(g)];
        while v.len() < levels {
            let last = v.last().expect("non-empty");
            if last.w < 32 || last.h < 32 {
                break;
            }
            let next = last.half();
            v.push(next);
        }
        Self(v)
    }
}

/// Up to `max` Shi–Tomasi corners inside `(x0, y0, x1, y1)`, strongest first, at least
/// `min_dist` pixels apart, each at least `quality` × the strongest response.
pub fn corners(
    p: &Plane,
    rect: (usize, usize, usize, usize),
    max: usize,
    quality: f32,
    min_dist: f32,
) -> Vec<(f32, f32)> {
    let (x0, y0) = (rect.0.max(2), rect.1.max(2));
    let (x1, y1) = (
        rect.2.min(p.w.saturating_sub(3)),
        rect.3.min(p.h.saturating_sub(3)),
    );
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return Vec::new();
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    // Gradient products, then a 3×3 box sum, then the smaller eigenvalue.
    let mut gxx = vec![0f32; cw * ch];
    let mut gxy = vec![0f32; cw * ch];
    let mut gyy = vec![0f32; cw * ch];
    for y in 0..ch {
        for x in 0..cw {
            let (ix, iy) = (x0 + x, y0 + y);
            let dx = (p.at(ix + 1, iy) - p.at(ix - 1, iy)) * 0.5;
            let dy = (p.at(ix, iy + 1) - p.at(ix, iy - 1)) * 0.5;
            let i = y * cw + x;
            gxx[i] = dx * dx;
            gxy[i] = dx * dy;
            gyy[i] = dy * dy;
        }
    }
    let mut resp: Vec<(f32, usize, usize)> = Vec::new();
    let mut best = 0f32;
    for y in 1..ch.saturating_sub(1) {
        for x in 1..cw.saturating_sub(1) {
            let (mut a, mut b, mut c) = (0f32, 0f32, 0f32);
            for dy in 0..3 {
                let row = (y + dy - 1) * cw;
                for dx in 0..3 {
                    let i = row + x + dx - 1;
                    a += gxx[i];
                    b += gxy[i];
                    c += gyy[i];
                }
            }
            let tr = (a + c) * 0.5;
            let lambda = tr - ((a - c) * (a - c) * 0.25 + b * b).sqrt();
            if lambda > 0.0 {
                best = best.max(lambda);
                resp.push((lambda, x0 + x, y0 + y));
            }
        }
    }
    let floor = best * quality;
    resp.retain(|r| r.0 >= floor && r.0 > 1.0);
    resp.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<(f32, f32)> = Vec::new();
    let d2 = min_dist * min_dist;
    for (_, x, y) in resp {
        let (fx, fy) = (x as f32, y as f32);
        if out
            .iter()
            .all(|&(ox, oy)| (ox - fx).powi(2) + (oy - fy).powi(2) >= d2)
        {
            out.push((fx, fy));
            if out.len() == max {
                break;
            }
        }
    }
    out
}

/// Window half-size of the Lucas–Kanade solve (a 15×15 window).
const HALF: isize = 7;
const ITERATIONS: usize = 12;

/// Tracks `pts` from `prev` to `next`. `None` for a point that was lost (left the image, or sits
/// on a patch without texture in both directions).
pub fn track(prev: &Pyramid, next: &Pyramid, pts: &[(f32, f32)]) -> Vec<Option<(f32, f32)>> {
    let levels = prev.0.len().min(next.0.len());
    pts.iter()
        .map(|&p| track_one(prev, next, p, levels))
        .collect()
}

fn track_one(prev: &Pyramid, next: &Pyramid, p: (f32, f32), levels: usize) -> Option<(f32, f32)> {
    let mut guess = (0f32, 0f32);
    let n = ((2 * HALF + 1) * (2 * HALF + 1)) as usize;
    let mut tpl = vec![0f32; n];
    let mut gx = vec![0f32; n];
    let mut gy = vec![0f32; n];
    for level in (0..levels).rev() {
        let scale = 1.0 / (1u32 << level) as f32;
        let (a, b) = (&prev.0[level], &next.0[level]);
        let (px, py) = (p.0 * scale, p.1 * scale);
        let (mut sxx, mut sxy, mut syy) = (0f32, 0f32, 0f32);
        let mut k = 0;
        for dy in -HALF..=HALF {
            for dx in -HALF..=HALF {
                let (x, y) = (px + dx as f32, py + dy as f32);
                let c = a.sample(x, y)?;
                let ddx = (a.sample(x + 1.0, y)? - a.sample(x - 1.0, y)?) * 0.5;
                let ddy = (a.sample(x, y + 1.0)? - a.sample(x, y - 1.0)?) * 0.5;
                tpl[k] = c;
                gx[k] = ddx;
                gy[k] = ddy;
                sxx += ddx * ddx;
                sxy += ddx * ddy;
                syy += ddy * ddy;
                k += 1;
            }
        }
        let det = sxx * syy - sxy * sxy;
        let min_eig = ((sxx + syy) - ((sxx - syy).powi(2) + 4.0 * sxy * sxy).sqrt()) * 0.5;
        if det.abs() < 1e-6 || min_eig / (n as f32) < 1e-3 {
            return None;
        }
        let mut v = guess;
        for _ in 0..ITERATIONS {
            let (mut bx, mut by) = (0f32, 0f32);
            let mut k = 0;
            for dy in -HALF..=HALF {
                for dx in -HALF..=HALF {
                    let q = b.sample(px + v.0 + dx as f32, py + v.1 + dy as f32)?;
                    let diff = tpl[k] - q;
                    bx += diff * gx[k];
                    by += diff * gy[k];
                    k += 1;
                }
            }
            let ux = (syy * bx - sxy * by) / det;
            let uy = (sxx * by - sxy * bx) / det;
            v = (v.0 + ux, v.1 + uy);
            if ux * ux + uy * uy < 0.0009 {
                break;
            }
        }
        guess = if level > 0 { (v.0 * 2.0, v.1 * 2.0) } else { v };
    }
    let out = (p.0 + guess.0, p.1 + guess.1);
    let base = &next.0[0];
    if out.0 < 0.0 || out.1 < 0.0 || out.0 >= base.w as f32 || out.1 >= base.h as f32 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth random-ish texture, shifted by a sub-pixel amount.
    fn texture(w: u32, h: u32, sx: f32, sy: f32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let (x, y) = (x as f32 - sx, y as f32 - sy);
            let v = 128.0
                + 50.0 * (x * 0.21).sin() * (y * 0.17).cos()
                + 40.0 * ((x + 2.0 * y) * 0.09).sin()
                + 30.0 * ((x * y) * 0.002).cos();
            image::Luma([v.clamp(0.0, 255.0) as u8])
        })
    }

    #[test]
    fn tracks_a_shift() {
        let a = Pyramid::new(&texture(200, 160, 0.0, 0.0), 3);
        let b = Pyramid::new(&texture(200, 160, 6.5, -3.25), 3);
        let pts = corners(&a.0[0], (30, 30, 170, 130), 60, 0.05, 6.0);
        assert!(pts.len() >= 20, "{}", pts.len());
        let tracked = track(&a, &b, &pts);
        let good: Vec<_> = pts
            .iter()
            .zip(&tracked)
            .filter_map(|(p, t)| t.map(|t| (t.0 - p.0, t.1 - p.1)))
            .collect();
        assert!(
            good.len() * 10 >= pts.len() * 8,
            "{} of {}: {:?}",
            good.len(),
            pts.len(),
            &tracked[..8]
        );
        let err: f32 = good
            .iter()
            .map(|d| ((d.0 - 6.5).powi(2) + (d.1 + 3.25).powi(2)).sqrt())
            .sum::<f32>()
            / good.len() as f32;
        assert!(err < 0.5, "mean error {err}");
    }
}
