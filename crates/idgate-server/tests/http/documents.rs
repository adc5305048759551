//! Document routes over HTTP on SQLite and PostgreSQL: a passport read by its MRZ (lines equal
//! the `.mrz.txt`, every check digit valid), the signed CNH digital PDF (fields, QR payload,
//! valid signature), the passport portrait against another person's selfie (`unmatch`), tenant
//! isolation, and refused input (wrong file type, non-image bytes,
//! malformed PDFs, a stream bomb, 10,000 pages, an image without text) stored nothing.
//! Needs the OCR models (`scripts/setup.sh`) and `../shared/testdata`.

use idgate_store::testing::BACKENDS;
use lopdf::{dictionary, Document, Object, Stream};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{b64, bearer, start, testdata, TestServer};

async fn read(s: &TestServer, key: &str, body: Value) -> (u16, Value) {
    s.call(Method::POST, "/ocr/image", key, Some(&body)).await
}

async fn count(s: &TestServer) -> i64 {
    s.running.state.store.document_count(&s.a.id).await.unwrap()
}

#[tokio::test]
async fn documents_passport_mrz_and_cnh_digital_pdf() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let key = s.a.key.clone();
        // passport: MRZ fast path
        let jpg = testdata("documents/passport/icao_utopia_td3_passport.jpg");
        let want = String::from_utf8(testdata(
            "documents/passport/icao_utopia_td3_passport.mrz.txt",
        ))
        .unwrap();
        let body = json!({"document_b64": b64(&jpg), "template": "passport", "file_type": "jpeg"});
        let (st, v) = read(&s, &key, body).await;
        assert_eq!(st, 201, "{v}");
        let ocr_key = v["ocr_key"].as_str().expect("ocr_key").to_owned();
        let (st, r) = s
            .call(Method::GET, &format!("/ocr/image/{ocr_key}"), &key, None)
            .await;
        assert_eq!(st, 200, "{r}");
        let lines: Vec<&str> = r["mrz"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let want: Vec<&str> = want.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines, want, "{backend:?}");
        assert_eq!(r["mrz"]["valid"], true);
        for (name, d) in r["mrz"]["check_digits"].as_object().unwrap() {
            assert_eq!(d["valid"], true, "{name}");
        }
        assert_eq!(r["validation"]["check_digits_valid"], true);
        assert_eq!(r["fields"]["document_number"]["value"], "L898902C3");
        assert_eq!(r["template"], "passport");
        // the same read on /v1; another tenant cannot see it
        let (st, v1) = s
            .call(
                Method::GET,
                &format!("/v1/documents/{ocr_key}"),
                &bearer(&key),
                None,
            )
            .await;
        assert_eq!((st, &v1["mrz"]["lines"]), (200, &r["mrz"]["lines"]));
        let (st, other) = s
            .call(
                Method::GET,
                &format!("/ocr/image/{ocr_key}"),
                &s.b.key,
                None,
            )
            .await;
        assert_eq!((st, other["code"].as_str()), (404, Some("not_found")));

        // the passport portrait against a selfie of someone else (uploaded via the faces route)
        let selfie = json!({"image": b64(&testdata("faces/obama_1.jpg"))});
        let (st, img) = s
            .call(Method::POST, "/face_recognition/image", &key, Some(&selfie))
            .await;
        assert_eq!(st, 201, "{img}");
        let image_key = img["image_key"].as_str().unwrap();
        let body = json!({"ocr_key": ocr_key, "image_key": image_key});
        let (st, m) = s
            .call(Method::POST, "/ocr/face_match", &key, Some(&body))
            .await;
        assert_eq!(st, 201, "{m}");
        assert_eq!(m["face_match_result"], "unmatch", "{m}");
        let ratio = m["similarity_ratio"].as_f64().unwrap();
        assert!((0.0..=0.95).contains(&ratio), "{m}");
        assert!(m["face_match_key"].as_str().is_some_and(|k| k.len() == 36));
        // another tenant's document is not found
        let (st, m) = s
            .call(Method::POST, "/ocr/face_match", &s.b.key, Some(&body))
            .await;
        assert_eq!((st, m["code"].as_str()), (404, Some("not_found")), "{m}");

        // CNH digital: PDF text, QR code, signature (by the test certificate, not a configured root)
        let pdf = testdata("documents/cnh_digital_synthetic/cnh_digital_synth_signed.pdf");
        let body =
            json!({"document_b64": b64(&pdf), "template": "cnh_digital", "file_type": "pdf"});
        let (st, v) = s
            .call(
                Method::POST,
                "/v1/documents/read",
                &bearer(&key),
                Some(&body),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["pdf"]["signature"]["status"], "valid", "{v}");
        assert_eq!(v["pdf"]["signature"]["trusted"], false);
        assert!(v["pdf"]["qr_payload"]
            .as_str()
            .is_some_and(|q| !q.is_empty()));
        assert_eq!(v["fields"]["name"]["value"], "JOÃO DA SILVA SAURO");
        assert_eq!(v["fields"]["cpf"]["check"]["status"], "valid");
        assert_eq!(v["validation"]["cpf_valid"], true);
        assert_eq!(v["validation"]["signature_valid"], true);
        assert_eq!(v["validation"]["signature"], "untrusted");
        assert_eq!(
            v["validation"]["valid"], false,
            "an untrusted signature is no proof"
        );
        assert!(
            v.get("evidence").is_none(),
            "the stored evidence is not answered"
        );
        assert_eq!(count(&s).await, 2);
        s.stop().await;
    }
}

/// A PDF whose pages all draw `content` (as the vision crate's PDF tests build them).
fn build_pdf(pages: usize, content: Stream) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(content);
    let kids: Vec<Object> = (0..pages)
        .map(|_| {
            doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            })
            .into()
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages as i64 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    out
}

fn blank_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(480, 320, image::Rgb([250, 250, 250]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn documents_refuse_bad_input_and_store_nothing() {
    let jpg = testdata("documents/passport/icao_utopia_td3_passport.jpg");
    let pdf = testdata("documents/cnh_digital_synthetic/cnh_digital_synth_unsigned.pdf");
    let mut bomb = Stream::new(dictionary! {}, vec![0u8; 64 * 1024 * 1024]);
    bomb.compress().expect("compresses");
    let bomb = build_pdf(1, bomb);
    let pages = build_pdf(10_000, Stream::new(dictionary! {}, b"BT ET".to_vec()));
    let mut truncated = pdf.clone();
    truncated.truncate(pdf.len() / 3);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"document_b64": b64(&pdf), "template": "cnh", "file_type": "jpeg"}),
            400,
            "file_type_mismatch",
        ),
        (
            json!({"document_b64": b64(&jpg), "template": "cnh_digital", "file_type": "pdf"}),
            400,
            "file_type_mismatch",
        ),
        (
            json!({"document_b64": b64(b"hello, not an image at all"), "template": "rg", "file_type": "jpeg"}),
            400,
            "unsupported_image_format",
        ),
        (
            json!({"document_b64": b64(b"hello, not a pdf"), "template": "cnh_digital", "file_type": "pdf"}),
            400,
            "invalid_pdf",
        ),
        (
            json!({"document_b64": b64(&truncated), "template": "cnh_digital", "file_type": "pdf"}),
            400,
            "invalid_pdf",
        ),
        (
            json!({"document_b64": "not base64!", "template": "rg", "file_type": "jpeg"}),
            400,
            "invalid_base64",
        ),
        (
            json!({"document_b64": b64(&bomb), "template": "cnh_digital", "file_type": "pdf"}),
            413,
            "pdf_stream_too_large",
        ),
        (
            json!({"document_b64": b64(&pages), "template": "cnh_digital", "file_type": "pdf"}),
            413,
            "pdf_too_many_pages",
        ),
        (
            json!({"document_b64": b64(&jpg), "template": "driver", "file_type": "gif"}),
            422,
            "validation_failed",
        ),
        (json!({"template": 3}), 422, "validation_failed"),
        (
            json!({"document_b64": b64(&blank_png()), "template": "passport", "file_type": "jpeg"}),
            422,
            "no_text",
        ),
    ];
    for backend in BACKENDS {
        let s = start(backend).await;
        for (body, status, code) in &cases {
            let (st, v) = read(&s, &s.a.key, body.clone()).await;
            assert_eq!((st, v["code"].as_str()), (*status, Some(*code)), "{v}");
            assert!(v["translation"].is_string(), "QI error format: {v}");
        }
        // every violation at once, in the /v1 format
        let (st, v) = s
            .call(
                Method::POST,
                "/v1/documents/read",
                &bearer(&s.a.key),
                Some(&json!({"template": "x", "extra": 1})),
            )
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (422, Some("validation_failed"))
        );
        assert_eq!(v["error"]["details"].as_array().unwrap().len(), 4, "{v}");
        let (st, v) = s
            .call(
                Method::GET,
                "/ocr/image/00000000-0000-4000-8000-000000000000",
                &s.a.key,
                None,
            )
            .await;
        assert_eq!((st, v["code"].as_str()), (404, Some("not_found")));
        assert_eq!(count(&s).await, 0, "refused input stored nothing");
        s.stop().await;
    }
}
