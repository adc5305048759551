//! Plane homographies: the 3×3 map taking four points to four others, applied to points and used
//! to sample a quadrilateral of a photo (a document in perspective) flat onto a rectangle.

use image::RgbImage;

use super::geometry::{add_bilinear, Quad};

/// A homography, row-major 3×3 with `h[8] = 1`.
pub type Homography = [f64; 9];

/// The homography taking the four `from` points to `to` (solved by Gauss–Jordan elimination
/// with partial pivoting). Degenerate input (three points on a line) gives non-finite values.
pub fn homography(from: &[[f64; 2]; 4], to: &[[f64; 2]; 4]) -> Homography {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ([x, y], [u, v]) = (from[i], to[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let pivot_row = a[col];
        let d = pivot_row[col];
        let norm: [f64; 9] = pivot_row.map(|v| v / d);
        a[col] = norm;
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col];
                for (v, p) in row.iter_mut().zip(norm).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let h: Vec<f64> = (0..8).map(|r| a[r][8]).collect();
    [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]
}

/// `p` mapped through `h`.
pub fn apply(h: &Homography, p: [f32; 2]) -> [f32; 2] {
    let (x, y) = (f64::from(p[0]), f64::from(p[1]));
    let d = h[6] * x + h[7] * y + h[8];
    [
        ((h[0] * x + h[1] * y + h[2]) / d) as f32,
        ((h[3] * x + h[4] * y + h[5]) / d) as f32,
    ]
}

/// The map from a `width` x `height` rectangle (pixel edges, corners TL, TR, BR, BL) onto `quad`.
pub(super) fn rect_to_quad(quad: &Quad, width: u32, height: u32) -> Homography {
    let (w, h) = (f64::from(width), f64::from(height));
    let rect = [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]];
    homography(&rect, &quad.map(|[x, y]| [f64::from(x), f64::from(y)]))
}

/// `quad` of `img` sampled flat onto a `width` x `height` image (bilinear, replicated borders;
/// a few taps per axis where the quad is larger than the output, so print does not alias).
pub(super) fn warp(img: &RgbImage, quad: &Quad, width: u32, height: u32) -> RgbImage {
    let (width, height) = (width.max(1), height.max(1));
    let h = rect_to_quad(quad, width, height);
    let (sw, sh) = super::geometry::quad_size(quad);
    let taps = |src: f32, dst: u32| ((src / dst as f32).round() as u32).clamp(1, 3);
    let (tx, ty) = (taps(sw, width), taps(sh, height));
    let norm = 1.0 / (tx * ty) as f32;
    let mut out = RgbImage::new(width, height);
    for (oy, row) in out.chunks_exact_mut(width as usize * 3).enumerate() {
        for (ox, pixel) in row.chunks_exact_mut(3).enumerate() {
            let mut acc = [0f32; 3];
            for j in 0..ty {
                for i in 0..tx {
                    let q = [
                        ox as f32 + (i as f32 + 0.5) / tx as f32,
                        oy as f32 + (j as f32 + 0.5) / ty as f32,
                    ];
                    add_bilinear(img, apply(&h, q), &mut acc);
                }
            }
            for (p, a) in pixel.iter_mut().zip(acc) {
                *p = (a * norm).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_map_onto_corners_and_back() {
        let quad = [[120.0, 80.0], [900.0, 140.0], [950.0, 700.0], [60.0, 640.0]];
        let h = rect_to_quad(&quad, 800, 500);
        for (p, want) in [[0.0, 0.0], [800.0, 0.0], [800.0, 500.0], [0.0, 500.0]]
            .into_iter()
            .zip(quad)
        {
            let got = apply(&h, p);
            assert!((got[0] - want[0]).abs() < 0.01 && (got[1] - want[1]).abs() < 0.01);
        }
    }

    #[test]
    fn a_dot_in_perspective_lands_where_the_map_says() {
        let mut img = RgbImage::from_pixel(400, 300, image::Rgb([255, 255, 255]));
        for y in 148..153 {
            for x in 248..253 {
                img.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        let quad = [[100.0, 80.0], [330.0, 60.0], [370.0, 230.0], [80.0, 250.0]];
        let flat = warp(&img, &quad, 300, 200);
        let (x, y, _) = flat
            .enumerate_pixels()
            .min_by_key(|(_, _, p)| p[0])
            .expect("pixels");
        let back = apply(
            &rect_to_quad(&quad, 300, 200),
            [x as f32 + 0.5, y as f32 + 0.5],
        );
        assert!(
            (back[0] - 250.5).abs() < 3.0 && (back[1] - 150.5).abs() < 3.0,
            "{back:?}"
        );
    }
}
