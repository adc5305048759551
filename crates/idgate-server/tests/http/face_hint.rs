//! The hosted selfie's live hints (`POST /s/{hash}/t/{token}/face-hint`) over HTTP on SQLite
//! and PostgreSQL with the real face detector, on preview frames made from the shared photos:
//! one face framed well (and its variants: smaller, rotated, noisy, blurred) is `ok`, a face far
//! away `closer`, two people `one_face`, no face `no_face`, a dark frame `light`; bad input is a
//! 400 naming `image` (a frame over 320x320 px a 413); a closed session's link is refused before its body is read.

use image::{imageops, DynamicImage, Rgb, RgbImage};
use reqwest::Method;
use serde_json::{json, Value};

use idgate_store::testing::BACKENDS;

use crate::common::{b64, bearer, start, testdata, TestServer};
use crate::flow::{code, session};

/// A JPEG preview frame of `img` scaled to fit `side` px, as the page sends it.
fn frame(img: &RgbImage, side: u32) -> String {
    let small =
        DynamicImage::ImageRgb8(img.clone()).resize(side, side, imageops::FilterType::Triangle);
    let mut out = std::io::Cursor::new(Vec::new());
    small
        .to_rgb8()
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    b64(&out.into_inner())
}

fn photo(rel: &str) -> RgbImage {
    image::load_from_memory(&testdata(rel)).unwrap().to_rgb8()
}

/// `img` centred on a grey canvas `k` times its size (the face far from the camera).
fn far(img: &RgbImage, k: u32) -> RgbImage {
    let mut out = RgbImage::from_pixel(img.width() * k, img.height() * k, Rgb([128, 128, 128]));
    let (x, y) = (img.width() * (k - 1) / 2, img.height() * (k - 1) / 2);
    imageops::replace(&mut out, img, i64::from(x), i64::from(y));
    out
}

fn noisy(img: &RgbImage) -> RgbImage {
    let mut out = img.clone();
    for (i, p) in out.pixels_mut().enumerate() {
        let n = ((i * 7919) % 31) as i16 - 15;
        for c in &mut p.0 {
            *c = (i16::from(*c) + n).clamp(0, 255) as u8;
        }
    }
    out
}

async fn hint(s: &TestServer, page: &str, body: Value) -> (u16, Value) {
    s.call(Method::POST, &format!("{page}/face-hint"), "", Some(&body))
        .await
}

#[tokio::test]
async fn the_selfie_screen_gets_a_hint_for_each_situation() {
    let obama = photo("faces/obama_1.jpg");
    let cases: Vec<(&str, RgbImage, u32, &str)> = vec![
        ("framed", obama.clone(), 320, "ok"),
        ("framed, 240 px", obama.clone(), 240, "ok"),
        ("rotated 8°", rotate(&obama, 8.0), 320, "ok"),
        ("noisy", noisy(&obama), 320, "ok"),
        ("blurred", imageops::blur(&obama, 1.5), 320, "ok"),
        ("far away", far(&obama, 3), 320, "closer"),
        (
            "two people",
            photo("faces/multi_obama_biden_1.jpg"),
            320,
            "one_face",
        ),
        (
            "no face",
            RgbImage::from_pixel(320, 240, Rgb([180, 170, 160])),
            320,
            "no_face",
        ),
        (
            "dark",
            imageops::colorops::brighten(&obama, -200),
            320,
            "light",
        ),
    ];
    for backend in BACKENDS {
        let s = start(backend).await;
        let page = session(
            &s,
            "hint",
            "529.982.247-25",
            json!([{"step": "face_recognition"}]),
        )
        .await;
        for (name, img, side, want) in &cases {
            let (st, v) = hint(&s, &page, json!({"image": frame(img, *side)})).await;
            assert_eq!((st, v["hint"].as_str()), (200, Some(*want)), "{name}: {v}");
        }
        s.stop().await;
    }
}

/// `img` rotated by `deg` about its centre (corners filled grey).
fn rotate(img: &RgbImage, deg: f32) -> RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (sin, cos) = deg.to_radians().sin_cos();
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let (dx, dy) = (x as f32 - w / 2.0, y as f32 - h / 2.0);
        let (sx, sy) = (
            cos * dx + sin * dy + w / 2.0,
            -sin * dx + cos * dy + h / 2.0,
        );
        if sx >= 0.0 && sy >= 0.0 && sx < w && sy < h {
            *img.get_pixel(sx as u32, sy as u32)
        } else {
            Rgb([128, 128, 128])
        }
    })
}

#[tokio::test]
async fn bad_hint_requests_are_refused_clearly() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let page = session(
            &s,
            "hint-bad",
            "529.982.247-25",
            json!([{"step": "face_recognition"}]),
        )
        .await;
        let big = RgbImage::from_pixel(640, 480, Rgb([120, 120, 120]));
        // a field that breaks a rule: 422 naming it; bytes that are not an image: 400 saying why
        let cases = [
            ("no image", json!({}), 422, "validation_failed"),
            ("a number", json!({"image": 7}), 422, "validation_failed"),
            (
                "unknown field",
                json!({"image": frame(&big, 100), "x": 1}),
                422,
                "validation_failed",
            ),
            ("not base64", json!({"image": "***"}), 400, "invalid_base64"),
            (
                "not an image",
                json!({"image": b64(b"hello, world")}),
                400,
                "unsupported_image_format",
            ),
        ];
        for (name, body, want, want_code) in cases {
            let (st, v) = hint(&s, &page, body).await;
            assert_eq!((st, code(&v)), (want, want_code), "{name}: {v}");
        }
        // a frame over 320x320 px: too many pixels, as on every image route
        let (st, v) = hint(&s, &page, json!({"image": frame(&big, 640)})).await;
        assert_eq!((st, code(&v)), (413, "image_too_many_pixels"), "{v}");
        // a canceled session's link is refused, whatever the body
        let (st, _) = s
            .call(
                Method::POST,
                "/v1/verification-sessions/hint-bad/cancel",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(st, 200);
        let (st, v) = s
            .raw(
                Method::POST,
                &format!("{page}/face-hint"),
                "",
                b"not json".to_vec(),
            )
            .await;
        assert_eq!((st, code(&v)), (409, "invalid_state_transition"), "{v}");
        // an unknown link
        let (st, _) = hint(
            &s,
            "/s/AAAAAAA/t/00000000-0000-4000-8000-000000000000",
            json!({}),
        )
        .await;
        assert_eq!(st, 404);
        s.stop().await;
    }
}
