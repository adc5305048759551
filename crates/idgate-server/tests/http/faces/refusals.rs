//! Refused face input over HTTP: truncated JPEG, a PNG declaring 100000×100000 pixels,
//! non-image bytes, bad base64, a `data:` URL, missing/both image fields, bad CPFs and unknown
//! fields, a group photo and a photo without a face: each a clear 4xx, and nothing stored.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use super::{b64, counts, testdata, CPF};
use crate::common::*;

/// A PNG whose header declares `w`×`h` pixels (valid signature, IHDR and CRC; no pixel data).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // decoders read up to the first IDAT before reporting dimensions: give them one (empty zlib)
    for (kind, data) in [
        (
            &b"IDAT"[..],
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
        ),
        (b"IEND", &[]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

pub(super) async fn refusals(s: &TestServer) {
    let (qa, va) = (s.a.key.clone(), bearer(&s.a.key));
    let before = counts(s, &s.a.id).await;
    let jpeg = testdata("faces/obama_1.jpg");
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"image": STANDARD.encode(&jpeg[..jpeg.len() / 2])}),
            400,
            "corrupt_image",
        ),
        (
            json!({"image": STANDARD.encode(png_header(100_000, 100_000))}),
            413,
            "image_too_many_pixels",
        ),
        (
            json!({"image": STANDARD.encode(b"%PDF-1.4 this is not an image at all")}),
            400,
            "unsupported_image_format",
        ),
        (json!({"image": "not*base64!"}), 400, "invalid_base64"),
        (
            json!({"image": format!("data:image/jpeg;base64,{}", STANDARD.encode(&jpeg[..64]))}),
            400,
            "invalid_base64",
        ),
        (json!({}), 422, "validation_failed"),
        (
            json!({"image": b64("faces/multi_obama_biden_1.jpg")}),
            400,
            "multiple_faces",
        ),
        (
            json!({"image": b64("not_faces/coffee_cup.png")}),
            400,
            "no_face",
        ),
    ];
    for (body, status, code) in cases {
        let (st, v) = s
            .call(Method::POST, "/face_recognition/image", &qa, Some(&body))
            .await;
        assert_eq!((st, v["code"].as_str()), (status, Some(code)), "{v}");
        if ["multiple_faces", "no_face"].contains(&code) {
            assert_eq!(v["title"], "image_quality", "{v}");
        }
        if code == "invalid_base64" && body["image"].as_str().unwrap().starts_with("data:") {
            assert!(
                v["description"].as_str().unwrap().contains("data: URL"),
                "{v}"
            );
        }
    }
    let key = uuid::Uuid::new_v4().to_string();
    let regs: Vec<(Value, &str)> = vec![
        (
            json!({"document_number": CPF, "image": "AAAA", "image_key": key}),
            "image",
        ),
        (json!({"document_number": CPF}), "image"),
        (
            json!({"document_number": "111.111.111-11", "image_key": key}),
            "document_number",
        ),
        (
            json!({"document_number": "123", "image": "x", "extra": 1}),
            "document_number",
        ),
    ];
    for (body, field) in regs {
        let (st, v) = s
            .call(Method::POST, "/v1/faces/registrations", &va, Some(&body))
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (422, Some("validation_failed")),
            "{v}"
        );
        assert!(
            v["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["field"] == field),
            "{v}"
        );
    }
    let (st, v) = s
        .call(
            Method::POST,
            "/face_recognition/validation",
            &qa,
            Some(&json!({"image_key": key})),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("validation_failed")),
        "{v}"
    );
    let (st, v) = s
        .call(
            Method::GET,
            "/face_recognition/registration/document_number/123",
            &qa,
            None,
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("validation_failed")),
        "{v}"
    );
    // sandbox tenants accept repeated-digit test CPFs (404 here: the key is unknown)
    let body = json!({"document_number": "111.111.111-11", "image_key": key});
    let (st, _) = s
        .call(
            Method::POST,
            "/face_recognition/registration",
            &s.sandbox.key,
            Some(&body),
        )
        .await;
    assert_eq!(st, 404);
    assert_eq!(
        counts(s, &s.a.id).await,
        before,
        "refused input stores nothing"
    );
}
