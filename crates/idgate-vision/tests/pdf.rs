//! CNH digital PDF: fields, QR payload and signature on the synthetic CNH PDFs, and the
//! limits on hostile PDFs (a stream bomb, 10,000 pages) built here with lopdf.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use idgate_vision::document::brazil::{Check, FieldKind};
use idgate_vision::document::pdf::{read_cnh_pdf, PdfLimits, SignatureStatus, TrustRoots};
use idgate_vision::VisionError;
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

#[path = "support/signed_pdf.rs"]
mod signed_pdf;

fn testdata(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/documents/cnh_digital_synthetic");
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "TEST DATA MISSING: {} ({e}); shared/testdata must sit beside the repo",
            path.display()
        )
    })
}

fn cert_root() -> TrustRoots {
    TrustRoots::from_pem(&testdata("cert.pem")).expect("cert.pem parses")
}

#[test]
fn signed_pdf_fields_qr_and_trusted_signature() {
    let pdf = testdata("cnh_digital_synth_signed.pdf");
    let read = read_cnh_pdf(&pdf, &cert_root(), &PdfLimits::default()).expect("reads");
    let f = &read.fields;
    assert_eq!(f.value(FieldKind::Name), Some("JOÃO DA SILVA SAURO"));
    assert_eq!(f.value(FieldKind::Cpf), Some("52998224725"));
    assert_eq!(f.get(FieldKind::Cpf).map(|c| &c.check), Some(&Check::Valid));
    assert_eq!(f.value(FieldKind::BirthDate), Some("1985-03-07"));
    assert_eq!(f.value(FieldKind::DocumentNumber), Some("01234567890"));
    assert_eq!(f.value(FieldKind::ExpiryDate), Some("2031-08-15"));
    assert_eq!(f.value(FieldKind::FirstLicenseDate), Some("2004-01-20"));
    assert_eq!(f.value(FieldKind::CnhCategory), Some("AB"));
    assert_eq!(f.value(FieldKind::RgNumber), Some("123456789"));
    assert_eq!(f.value(FieldKind::IssuingBody), Some("SSP"));
    assert_eq!(f.value(FieldKind::IssuingState), Some("SP"));
    assert!(!read.needs_ocr);
    let qr = read.qr_payload.as_deref().expect("QR payload");
    assert!(!qr.is_empty());
    match &read.signature {
        SignatureStatus::Valid {
            signer,
            chain,
            trusted,
            covers_whole_file,
            signer_not_before,
            signer_not_after,
        } => {
            assert!(signer_not_before < signer_not_after);
            assert!(signer.contains("SPIKE TEST SIGNER"), "{signer}");
            assert_eq!(chain.len(), 1);
            assert!(*trusted);
            assert!(*covers_whole_file);
        }
        other => panic!("expected a valid signature, got {other:?}"),
    }
    let untrusted = read_cnh_pdf(&pdf, &TrustRoots::none(), &PdfLimits::default()).expect("reads");
    assert!(matches!(
        untrusted.signature,
        SignatureStatus::Valid { trusted: false, .. }
    ));
    eprintln!("QR payload: {qr}");
}

#[test]
fn unsigned_pdf_reads_and_reports_unsigned() {
    let pdf = testdata("cnh_digital_synth_unsigned.pdf");
    let read = read_cnh_pdf(&pdf, &cert_root(), &PdfLimits::default()).expect("reads");
    assert_eq!(read.signature, SignatureStatus::Unsigned);
    assert_eq!(read.fields.value(FieldKind::Cpf), Some("52998224725"));
    assert!(read.qr_payload.is_some());
}

#[test]
fn a_flipped_byte_in_the_signed_range_is_invalid() {
    let mut pdf = testdata("cnh_digital_synth_signed.pdf");
    // a byte of the page text ("SAURO" in the content stream is compressed, so flip a byte in
    // the Info dictionary's title, which is inside the first signed range)
    let at = find(&pdf, b"SINTETICA").expect("title in the file");
    pdf[at] = b'X';
    let read = read_cnh_pdf(&pdf, &cert_root(), &PdfLimits::default()).expect("still parses");
    match read.signature {
        SignatureStatus::Invalid { reason } => assert!(reason.contains("digest"), "{reason}"),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn a_changed_signature_value_is_invalid() {
    let mut pdf = testdata("cnh_digital_synth_signed.pdf");
    // the RSA signature is the last thing in the CMS, just before the zero padding of /Contents
    let start = find(&pdf, b"/Contents <").expect("signature contents") + 11;
    let end = start
        + pdf[start..]
            .iter()
            .position(|&b| b == b'>')
            .expect("end of hex");
    let last = start
        + pdf[start..end]
            .iter()
            .rposition(|&b| b != b'0')
            .expect("signature");
    let at = last - 20;
    pdf[at] = if pdf[at] == b'0' { b'1' } else { b'0' };
    let read = read_cnh_pdf(&pdf, &cert_root(), &PdfLimits::default()).expect("still parses");
    match read.signature {
        SignatureStatus::Invalid { reason } => {
            assert!(reason.contains("does not verify"), "{reason}")
        }
        other => panic!("expected invalid, got {other:?}"),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A PDF whose pages all draw `content`.
fn build(pages: usize, content: Stream) -> Vec<u8> {
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

fn text_stream() -> Stream {
    let ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
        Operation::new("Td", vec![60.into(), 700.into()]),
        Operation::new("Tj", vec![Object::string_literal("NOME")]),
        Operation::new("ET", vec![]),
    ];
    Stream::new(
        dictionary! {},
        Content { operations: ops }.encode().expect("encodes"),
    )
}

#[test]
fn a_stream_bomb_is_refused_quickly() {
    // 64 MiB of zeros deflate to ~64 KiB; the default limit is 32 MiB per stream
    let mut bomb = Stream::new(dictionary! {}, vec![0u8; 64 * 1024 * 1024]);
    bomb.compress().expect("compresses");
    let pdf = build(1, bomb);
    assert!(pdf.len() < 1024 * 1024, "bomb file is small: {}", pdf.len());
    let t = Instant::now();
    let err = read_cnh_pdf(&pdf, &TrustRoots::none(), &PdfLimits::default()).expect_err("refused");
    assert!(
        matches!(err, VisionError::PdfStreamTooLarge { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "pdf_stream_too_large");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn ten_thousand_pages_are_refused_quickly() {
    let pdf = build(10_000, text_stream());
    let t = Instant::now();
    let err = read_cnh_pdf(&pdf, &TrustRoots::none(), &PdfLimits::default()).expect_err("refused");
    assert!(
        matches!(err, VisionError::PdfTooManyPages { pages: 10_000, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "pdf_too_many_pages");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // a tighter object limit stops the same file before it is parsed at all
    let limits = PdfLimits {
        max_objects: 1_000,
        ..PdfLimits::default()
    };
    let err = read_cnh_pdf(&pdf, &TrustRoots::none(), &limits).expect_err("refused");
    assert!(
        matches!(err, VisionError::PdfTooManyObjects { .. }),
        "{err:?}"
    );
}

#[test]
fn size_and_header_are_checked_first() {
    let limits = PdfLimits {
        max_bytes: 100,
        ..PdfLimits::default()
    };
    let err = read_cnh_pdf(&[b' '; 101], &TrustRoots::none(), &limits).expect_err("too large");
    assert!(matches!(
        err,
        VisionError::PdfTooLarge {
            bytes: 101,
            limit: 100
        }
    ));
    let err =
        read_cnh_pdf(b"GIF89a", &TrustRoots::none(), &PdfLimits::default()).expect_err("no header");
    assert_eq!(err.code(), "invalid_pdf");
}

#[test]
fn an_image_only_page_asks_for_ocr_and_exposes_the_image() {
    let mut doc = Document::with_version("1.5");
    let pixels: Vec<u8> = (0..64 * 32).map(|i| (i % 256) as u8).collect();
    let img = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 64, "Height" => 32,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        pixels,
    ));
    let ops = "q 400 0 0 200 0 0 cm /Im0 Do Q".as_bytes().to_vec();
    let content = doc.add_object(Stream::new(dictionary! {}, ops));
    let pages_id = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => img } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).expect("saves");
    let read = read_cnh_pdf(&pdf, &TrustRoots::none(), &PdfLimits::default()).expect("reads");
    assert!(read.needs_ocr);
    let image = read.page_image.expect("the page image");
    assert_eq!((image.width, image.height), (64, 32));
    let portrait = read.portrait.expect("the page image holds the portrait");
    assert_eq!((portrait.width, portrait.height), (64, 32));
    assert_eq!(read.signature, SignatureStatus::Unsigned);
}

/// An image XObject of `w`×`h` gray pixels (a smooth pattern, not a QR code).
fn gray_image(doc: &mut Document, w: i64, h: i64) -> lopdf::ObjectId {
    let pixels: Vec<u8> = (0..w * h).map(|i| ((i % w) * 255 / w) as u8).collect();
    doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => w, "Height" => h,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        pixels,
    ))
}

#[test]
fn the_portrait_of_a_cnh_e_is_the_largest_image_that_is_not_the_qr_code() {
    // the synthetic CNH-e's QR code image is 450×450; a 300×400 photo and a 20×20 logo join it
    let mut doc = Document::load_mem(&testdata("cnh_digital_synth_unsigned.pdf")).expect("loads");
    let photo = gray_image(&mut doc, 300, 400);
    let logo = gray_image(&mut doc, 20, 20);
    let page = *doc.get_pages().get(&1).expect("a page");
    let resources = doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Resources")
        .unwrap()
        .clone();
    let xobjects = match resources {
        Object::Reference(id) => doc.get_dictionary_mut(id).unwrap(),
        _ => doc
            .get_dictionary_mut(page)
            .unwrap()
            .get_mut(b"Resources")
            .unwrap()
            .as_dict_mut()
            .unwrap(),
    }
    .get_mut(b"XObject")
    .unwrap()
    .as_dict_mut()
    .unwrap();
    xobjects.set("Photo", photo);
    xobjects.set("Logo", logo);
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).expect("saves");
    let read = read_cnh_pdf(&pdf, &TrustRoots::none(), &PdfLimits::default()).expect("reads");
    assert!(!read.needs_ocr);
    assert!(read.qr_payload.is_some(), "the QR code is still read");
    let portrait = read.portrait.expect("a portrait image");
    assert_eq!((portrait.width, portrait.height), (300, 400));
}

fn trusted(status: &SignatureStatus) -> Option<bool> {
    match status {
        SignatureStatus::Valid {
            trusted,
            covers_whole_file: true,
            ..
        } => Some(*trusted),
        other => panic!("expected a valid signature, got {other:?}"),
    }
}

#[test]
fn a_signer_chaining_through_a_ca_to_a_configured_root_is_trusted() {
    let unsigned = testdata("cnh_digital_synth_unsigned.pdf");
    let root = signed_pdf::root("Test Root", 11);
    let ca = signed_pdf::issue(&root, "Test Issuing CA", 12, true);
    let signer = signed_pdf::issue(&ca, "Test DETRAN signer", 13, false);
    let pdf = signed_pdf::sign(&unsigned, &signer, &[&signer.cert, &ca.cert]);
    let roots = TrustRoots::from_pem(root.pem().as_bytes()).expect("the root parses");
    let read = read_cnh_pdf(&pdf, &roots, &PdfLimits::default()).expect("reads");
    assert_eq!(trusted(&read.signature), Some(true));
    assert_eq!(read.fields.value(FieldKind::Cpf), Some("52998224725"));
    // the same file against no root, or another root, is valid but not trusted
    let other = signed_pdf::root("Another Root", 14);
    for roots in [
        TrustRoots::none(),
        TrustRoots::from_pem(other.pem().as_bytes()).unwrap(),
    ] {
        let read = read_cnh_pdf(&pdf, &roots, &PdfLimits::default()).expect("reads");
        assert_eq!(trusted(&read.signature), Some(false));
    }
}

#[test]
fn a_signer_issued_by_an_end_entity_certificate_is_not_trusted() {
    // anyone holding a certificate under the root (not a CA) makes a "signer" of their own
    let root = signed_pdf::root("Test Root", 21);
    let person = signed_pdf::issue(&root, "Someone's e-CPF", 22, false);
    let forged = signed_pdf::issue(&person, "DETRAN (forged)", 23, false);
    let unsigned = testdata("cnh_digital_synth_unsigned.pdf");
    let pdf = signed_pdf::sign(&unsigned, &forged, &[&forged.cert, &person.cert]);
    let roots = TrustRoots::from_pem(root.pem().as_bytes()).unwrap();
    let read = read_cnh_pdf(&pdf, &roots, &PdfLimits::default()).expect("reads");
    assert_eq!(trusted(&read.signature), Some(false));
}
