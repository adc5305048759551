//! Planar-motion test: fit one homography to tracked point pairs with RANSAC and measure how
//! far the points stray from it. Every point of a flat photo, however it is moved or tilted,
//! follows one homography; the points of a turning head do not.

/// A 3×3 homography, row-major, `h[8] == 1`.
pub type Homography = [f64; 9];

/// Maps `p` through `h`; `None` at infinity.
pub fn apply(h: &Homography, p: (f32, f32)) -> Option<(f32, f32)> {
    let (x, y) = (f64::from(p.0), f64::from(p.1));
    let w = h[6] * x + h[7] * y + h[8];
    if w.abs() < 1e-9 {
        return None;
    }
    Some((
        ((h[0] * x + h[1] * y + h[2]) / w) as f32,
        ((h[3] * x + h[4] * y + h[5]) / w) as f32,
    ))
}

/// Least-squares homography (h33 = 1) through ≥ 4 pairs, on coordinates normalised around
/// their centroid. `None` when degenerate.
pub fn fit(src: &[(f32, f32)], dst: &[(f32, f32)]) -> Option<Homography> {
    if src.len() < 4 || src.len() != dst.len() {
        return None;
    }
    let (ts, td) = (normaliser(src), normaliser(dst));
    let mut ata = [[0f64; 8]; 8];
    let mut atb = [0f64; 8];
    for (s, d) in src.iter().zip(dst) {
        let (x, y) = norm(&ts, *s);
        let (u, v) = norm(&td, *d);
        let rows = [
            ([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y], u),
            ([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y], v),
        ];
        for (r, b) in rows {
            for i in 0..8 {
                atb[i] += r[i] * b;
                for j in 0..8 {
                    ata[i][j] += r[i] * r[j];
                }
            }
        }
    }
    let h = solve8(ata, atb)?;
    let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
    // Undo the normalisation: H = Td⁻¹ · Hn · Ts.
    let ts_m = [
        ts.2,
        0.0,
        -ts.2 * ts.0,
        0.0,
        ts.2,
        -ts.2 * ts.1,
        0.0,
        0.0,
        1.0,
    ];
    let td_inv = [1.0 / td.2, 0.0, td.0, 0.0, 1.0 / td.2, td.1, 0.0, 0.0, 1.0];
    let m = mul(&td_inv, &mul(&hn, &ts_m));
    if m[8].abs() < 1e-12 {
        return None;
    }
    Some(m.map(|v| v / m[8]))
}

/// RANSAC fit: `iterations` random 4-point samples (a fixed-seed generator: the same input
/// always gives the same answer), inliers within `threshold` px, refit on the best inlier set.
pub fn ransac(
    src: &[(f32, f32)],
    dst: &[(f32, f32)],
    iterations: usize,
    threshold: f32,
) -> Option<Homography> {
    let n = src.len();
    if n < 4 {
        return None;
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ n as u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let t2 = threshold * threshold;
    let mut best: Option<(usize, Vec<usize>)> = None;
    for _ in 0..iterations {
        let mut idx = [0usize; 4];
        let mut k = 0;
        let mut guard = 0;
        while k < 4 && guard < 64 {
            guard += 1;
            let i = next();
            if !idx[..k].contains(&i) {
                idx[k] = i;
                k += 1;
            }
        }
        if k < 4 {
            continue;
        }
        let s: Vec<_> = idx.iter().map(|&i| src[i]).collect();
        let d: Vec<_> = idx.iter().map(|&i| dst[i]).collect();
        let Some(h) = fit(&s, &d) else { continue };
        let inliers: Vec<usize> = (0..n)
            .filter(|&i| error2(&h, src[i], dst[i]).is_some_and(|e| e <= t2))
            .collect();
        if best.as_ref().is_none_or(|b| inliers.len() > b.0) {
            best = Some((inliers.len(), inliers));
        }
    }
    let (count, inliers) = best?;
    if count < 4 {
        return None;
    }
    let s: Vec<_> = inliers.iter().map(|&i| src[i]).collect();
    let d: Vec<_> = inliers.iter().map(|&i| dst[i]).collect();
    fit(&s, &d)
}

/// Median distance between `h(src)` and `dst` over all pairs.
pub fn median_error(h: &Homography, src: &[(f32, f32)], dst: &[(f32, f32)]) -> Option<f32> {
    quantile_error(h, src, dst, 0.5)
}

/// The `q` quantile (0..1) of the distances between `h(src)` and `dst`.
pub fn quantile_error(
    h: &Homography,
    src: &[(f32, f32)],
    dst: &[(f32, f32)],
    q: f32,
) -> Option<f32> {
    let mut e: Vec<f32> = src
        .iter()
        .zip(dst)
        .map(|(s, d)| error2(h, *s, *d).map_or(f32::MAX, f32::sqrt))
        .collect();
    if e.is_empty() {
        return None;
    }
    let mid = ((e.len() as f32 * q) as usize).min(e.len() - 1);
    e.select_nth_unstable_by(mid, f32::total_cmp);
    Some(e[mid])
}

fn error2(h: &Homography, s: (f32, f32), d: (f32, f32)) -> Option<f32> {
    let p = apply(h, s)?;
    Some((p.0 - d.0).powi(2) + (p.1 - d.1).powi(2))
}

/// (cx, cy, scale) so that the points have mean 0 and mean distance √2.
fn normaliser(p: &[(f32, f32)]) -> (f64, f64, f64) {
    let n = p.len() as f64;
    let cx = p.iter().map(|q| f64::from(q.0)).sum::<f64>() / n;
    let cy = p.iter().map(|q| f64::from(q.1)).sum::<f64>() / n;
    let d = p
        .iter()
        .map(|q| ((f64::from(q.0) - cx).powi(2) + (f64::from(q.1) - cy).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    (cx, cy, if d > 1e-9 { 2f64.sqrt() / d } else { 1.0 })
}

fn norm(t: &(f64, f64, f64), p: (f32, f32)) -> (f64, f64) {
    ((f64::from(p.0) - t.0) * t.2, (f64::from(p.1) - t.1) * t.2)
}

fn mul(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut m = [0f64; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    m
}

/// Gaussian elimination with partial pivoting.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let piv = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-10 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (pivot_row, pivot_b) = (a[col], b[col]);
        for row in col + 1..8 {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * pivot_b;
        }
    }
    let mut x = [0f64; 8];
    for row in (0..8).rev() {
        let s: f64 = (row + 1..8).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_perspective_map_despite_outliers() {
        let h: Homography = [1.1, 0.05, 12.0, -0.03, 0.95, -7.0, 0.0004, -0.0002, 1.0];
        let src: Vec<(f32, f32)> = (0..60)
            .map(|i| ((i % 10) as f32 * 17.0 + 5.0, (i / 10) as f32 * 23.0 + 3.0))
            .collect();
        let mut dst: Vec<(f32, f32)> = src.iter().map(|&p| apply(&h, p).unwrap()).collect();
        for d in dst.iter_mut().step_by(5) {
            d.0 += 40.0;
        }
        let fit = ransac(&src, &dst, 200, 2.0).unwrap();
        let e = median_error(&fit, &src, &dst).unwrap();
        assert!(e < 0.05, "median error {e}");
    }

    #[test]
    fn depth_leaves_a_residual() {
        // Points on a half-cylinder rotated about the vertical axis: not one plane.
        let project = |x: f32, y: f32, angle: f32| {
            let z = (1.0 - x * x).max(0.0).sqrt();
            let (s, c) = angle.sin_cos();
            let (xr, zr) = (x * c + z * s, -x * s + z * c);
            let f = 4.0;
            (
                100.0 + 80.0 * xr * f / (f - zr),
                100.0 + 80.0 * y * f / (f - zr),
            )
        };
        let grid: Vec<(f32, f32)> = (0..100)
            .map(|i| ((i % 10) as f32 / 5.5 - 0.82, (i / 10) as f32 / 5.0 - 0.9))
            .collect();
        let a: Vec<_> = grid.iter().map(|&(x, y)| project(x, y, 0.0)).collect();
        let b: Vec<_> = grid.iter().map(|&(x, y)| project(x, y, 0.5)).collect();
        let h = ransac(&a, &b, 200, 2.0).unwrap();
        assert!(median_error(&h, &a, &b).unwrap() > 2.0);
    }
}
