//! Document photo variants generated from a specimen, as a phone or a scanner would give it:
//! turned a quarter, half or three quarters; rotated ±15°/±25° on a textured background; laid
//! in perspective on a textured table at 1–3 MP; scanned small (300–450 px wide). Generated in
//! code (deterministic), never committed. Shared by the vision tests and `examples/doc_variants`.

#![allow(dead_code)]

use idgate_vision::document::ocr::homography;
use image::{imageops, Rgb, RgbImage};

/// One generated variant.
pub struct Variant {
    pub name: String,
    pub set: &'static str,
    pub image: RgbImage,
}

/// Every variant of `doc`, in sets `rotated`, `perspective` and `small`.
pub fn variants(doc: &RgbImage) -> Vec<Variant> {
    let mut out = Vec::new();
    let mut push = |set, name: String, image| out.push(Variant { name, set, image });
    push("rotated", "rot90".into(), imageops::rotate90(doc));
    push("rotated", "rot180".into(), imageops::rotate180(doc));
    push("rotated", "rot270".into(), imageops::rotate270(doc));
    for deg in [15.0, -15.0, 25.0, -25.0] {
        push("rotated", format!("rot{deg:+}"), rotated(doc, deg));
    }
    // ~1.2 MP and ~2.9 MP tables, the card at two slants
    push(
        "perspective",
        "table_1mp".into(),
        on_table(doc, (1280, 960), 0.62, 8.0, 0.10),
    );
    push(
        "perspective",
        "table_3mp".into(),
        on_table(doc, (2048, 1400), 0.55, -12.0, 0.14),
    );
    for w in [300u32, 380, 450] {
        push("small", format!("w{w}"), scaled_to_width(doc, w));
    }
    out
}

pub fn scaled_to_width(img: &RgbImage, w: u32) -> RgbImage {
    let h = (u64::from(img.height()) * u64::from(w) / u64::from(img.width())) as u32;
    imageops::resize(img, w, h.max(1), imageops::FilterType::Triangle)
}

/// A wood-like table: stripes with a slow wave and deterministic grain.
pub fn texture(w: u32, h: u32) -> RgbImage {
    let mut seed = 0x9e37_79b9u32;
    let mut out = RgbImage::new(w, h);
    for (x, y, p) in out.enumerate_pixels_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 24) as f32;
        let (xf, yf) = (x as f32, y as f32);
        let wave = ((yf * 0.05 + (xf * 0.011).sin() * 6.0).sin() * 0.5 + 0.5) * 50.0;
        let v = 90.0 + wave + grain;
        *p = Rgb([v.min(255.0) as u8, (v * 0.72) as u8, (v * 0.45) as u8]);
    }
    out
}

/// `doc` rotated by `deg` (counter-clockwise) on a canvas that holds it, over the texture.
pub fn rotated(doc: &RgbImage, deg: f32) -> RgbImage {
    let (w, h) = (doc.width() as f32, doc.height() as f32);
    let (s, c) = deg.to_radians().sin_cos();
    let cw = (w * c.abs() + h * s.abs()).ceil() + 40.0;
    let ch = (w * s.abs() + h * c.abs()).ceil() + 40.0;
    let (cx, cy) = (cw / 2.0, ch / 2.0);
    let corner = |x: f32, y: f32| {
        let (dx, dy) = (x - w / 2.0, y - h / 2.0);
        [cx + dx * c + dy * s, cy - dx * s + dy * c]
    };
    let quad = [
        corner(0.0, 0.0),
        corner(w, 0.0),
        corner(w, h),
        corner(0.0, h),
    ];
    let mut canvas = texture(cw as u32, ch as u32);
    paste_warped(&mut canvas, doc, quad);
    canvas
}

/// `doc` laid on a `size` table: `fill` of the table's width, turned `deg`, its far edge
/// narrower by `keystone` (the phone held at an angle).
pub fn on_table(doc: &RgbImage, size: (u32, u32), fill: f32, deg: f32, keystone: f32) -> RgbImage {
    let (tw, th) = (size.0 as f32, size.1 as f32);
    let w = tw * fill;
    let h = w * doc.height() as f32 / doc.width() as f32;
    let (cx, cy) = (tw / 2.0, th / 2.0);
    let (s, c) = deg.to_radians().sin_cos();
    let k = keystone * w / 2.0;
    let local = [
        [-w / 2.0 + k, -h / 2.0],
        [w / 2.0 - k, -h / 2.0],
        [w / 2.0, h / 2.0],
        [-w / 2.0, h / 2.0],
    ];
    let quad = local.map(|[x, y]| [cx + x * c + y * s, cy - x * s + y * c]);
    let mut canvas = texture(size.0, size.1);
    paste_warped(&mut canvas, doc, quad);
    canvas
}

/// Draws `doc` into `canvas` so that its corners (TL, TR, BR, BL) land on `quad`, sampling
/// bilinearly through the inverse homography.
pub fn paste_warped(canvas: &mut RgbImage, doc: &RgbImage, quad: [[f32; 2]; 4]) {
    let (w, h) = (doc.width() as f64, doc.height() as f64);
    let src = [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]];
    let dst = quad.map(|[x, y]| [f64::from(x), f64::from(y)]);
    let inv = homography(&dst, &src);
    let xs = quad.iter().map(|p| p[0]);
    let ys = quad.iter().map(|p| p[1]);
    let x0 = xs.clone().fold(f32::MAX, f32::min).max(0.0) as u32;
    let x1 = (xs.fold(f32::MIN, f32::max).ceil() as u32).min(canvas.width());
    let y0 = ys.clone().fold(f32::MAX, f32::min).max(0.0) as u32;
    let y1 = (ys.fold(f32::MIN, f32::max).ceil() as u32).min(canvas.height());
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
            let d = inv[6] * px + inv[7] * py + inv[8];
            let u = (inv[0] * px + inv[1] * py + inv[2]) / d - 0.5;
            let v = (inv[3] * px + inv[4] * py + inv[5]) / d - 0.5;
            if u < 0.0 || v < 0.0 || u > w - 1.0 || v > h - 1.0 {
                continue;
            }
            canvas.put_pixel(x, y, bilinear(doc, u as f32, v as f32));
        }
    }
}

fn bilinear(img: &RgbImage, u: f32, v: f32) -> Rgb<u8> {
    let (x0, y0) = (u.floor() as u32, v.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(img.width() - 1),
        (y0 + 1).min(img.height() - 1),
    );
    let (fx, fy) = (u - x0 as f32, v - y0 as f32);
    let p = |x, y| img.get_pixel(x, y).0.map(f32::from);
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    Rgb([0, 1, 2].map(|i| {
        let top = a[i] + (b[i] - a[i]) * fx;
        let bot = c[i] + (d[i] - c[i]) * fx;
        (top + (bot - top) * fy).round() as u8
    }))
}
