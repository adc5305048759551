//! Straightening a tilted page before its zone is read again: the skew of the page's long text
//! boxes (their median angle) and the page turned back by it, sampled like a line crop. Quarter
//! turns are left to the line reader, which reads vertical lines and upside-down pages itself.

use image::RgbImage;

use super::geometry::{crop_quad, quad_size, Quad};

/// Boxes this much longer than high say which way the lines run.
const MIN_ASPECT: f32 = 8.0;
/// Below this the line reader copes with the tilt; above, the page is read a quarter turned.
const MIN_SKEW: f32 = 3.0;
const MAX_SKEW: f32 = 60.0;

/// The median direction of the long boxes, in degrees (image axes: positive turns from +x
/// towards +y), when it is a tilt worth straightening.
pub(super) fn skew_degrees(boxes: &[Quad]) -> Option<f32> {
    let mut angles: Vec<(f32, f32)> = boxes
        .iter()
        .filter_map(|q| {
            let (w, h) = quad_size(q);
            if w < MIN_ASPECT * h.max(1.0) {
                return None;
            }
            let (dx, dy) = (q[1][0] - q[0][0], q[1][1] - q[0][1]);
            let mut a = dy.atan2(dx).to_degrees();
            if a > 90.0 {
                a -= 180.0;
            } else if a <= -90.0 {
                a += 180.0;
            }
            Some((a, w))
        })
        .collect();
    if angles.is_empty() {
        return None;
    }
    // the length-weighted median
    angles.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = angles.iter().map(|a| a.1).sum::<f32>() / 2.0;
    let mut acc = 0.0;
    let median = angles
        .iter()
        .find(|a| {
            acc += a.1;
            acc >= half
        })
        .map_or(0.0, |a| a.0);
    (MIN_SKEW..=MAX_SKEW)
        .contains(&median.abs())
        .then_some(median)
}

/// The page turned by `-degrees`, on a canvas that holds all of it, so lines running at
/// `degrees` come out level.
pub(super) fn straighten(img: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (s, c) = degrees.to_radians().sin_cos();
    let (ow, oh) = (w * c.abs() + h * s.abs(), w * s.abs() + h * c.abs());
    let centre = [w / 2.0, h / 2.0];
    let (u, v) = ([c, s], [-s, c]);
    let at = |x: f32, y: f32| {
        [
            centre[0] + u[0] * x + v[0] * y,
            centre[1] + u[1] * x + v[1] * y,
        ]
    };
    let (hw, hh) = (ow / 2.0, oh / 2.0);
    let quad = [at(-hw, -hh), at(hw, -hh), at(hw, hh), at(-hw, hh)];
    crop_quad(
        img,
        &quad,
        oh.round() as u32,
        1.0,
        (ow.round() as u32).max(1),
    )
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
    fn the_long_lines_say_the_skew() {
        let tilted = [
            line(100.0, 100.0, 300.0, 20.0),
            line(100.0, 140.0, 280.0, 21.0),
        ];
        let got = skew_degrees(&tilted).expect("a skew");
        assert!((got - 20.0).abs() < 1.1, "{got}");
        // short boxes (words at another angle) do not vote; level pages need nothing
        let level = [line(0.0, 0.0, 300.0, 1.0), line(0.0, 0.0, 20.0, 40.0)];
        assert_eq!(skew_degrees(&level), None);
        // a quarter turn is left to the line reader
        assert_eq!(skew_degrees(&[line(0.0, 0.0, 300.0, 89.0)]), None);
    }

    #[test]
    fn straightening_levels_a_tilted_bar() {
        // a dark bar at -20° on white: once straightened, its rows are level
        let mut img = RgbImage::from_pixel(400, 400, image::Rgb([255, 255, 255]));
        let (s, c) = (-20f32).to_radians().sin_cos();
        for t in -150..150 {
            for k in -4..=4 {
                let x = 200.0 + c * t as f32 - s * k as f32;
                let y = 200.0 + s * t as f32 + c * k as f32;
                img.put_pixel(x as u32, y as u32, image::Rgb([0, 0, 0]));
            }
        }
        let out = straighten(&img, -20.0);
        let dark_rows: Vec<u32> = (0..out.height())
            .filter(|&y| {
                (0..out.width())
                    .filter(|&x| out.get_pixel(x, y)[0] < 100)
                    .count()
                    > 200
            })
            .collect();
        assert!(
            !dark_rows.is_empty() && dark_rows.len() <= 12,
            "{dark_rows:?}"
        );
    }
}
