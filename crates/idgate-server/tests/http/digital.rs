//! The decision on a CNH digital (PDF) over HTTP, on SQLite and PostgreSQL: a signature whose
//! signer chains to the configured root (a test PKI generated here) is approved when the rest
//! holds; the same file with no root configured, and an unsigned file, are never approved.

use idgate_store::testing::BACKENDS;
use serde_json::{json, Value};

use crate::common::{b64, start, start_with, testdata, TestServer};
use crate::flow::{document, session, v1};

#[path = "../../../idgate-vision/tests/support/signed_pdf.rs"]
mod signed_pdf;

const CPF: &str = "529.982.247-25";

/// The synthetic CNH digital (CPF 529.982.247-25, valid until 2031) with a CNH number whose
/// check digits hold (the file's own, 01234567890, fails them), unsigned.
fn cnh_digital() -> Vec<u8> {
    let pdf = testdata("documents/cnh_digital_synthetic/cnh_digital_synth_unsigned.pdf");
    let mut doc = lopdf::Document::load_mem(&pdf).expect("the PDF loads");
    let mut replaced = 0;
    for obj in doc.objects.values_mut() {
        let Ok(stream) = obj.as_stream_mut() else {
            continue;
        };
        let Ok(plain) = stream.decompressed_content() else {
            continue;
        };
        let Some(at) = plain.windows(11).position(|w| w == b"01234567890") else {
            continue;
        };
        let mut plain = plain;
        plain[at..at + 11].copy_from_slice(b"09770304734");
        stream.dict.remove(b"Filter");
        stream.set_plain_content(plain);
        replaced += 1;
    }
    assert_eq!(replaced, 1, "the CNH number is drawn once");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    out
}

/// [`cnh_digital`] signed by a signer that a generated root issued through an intermediate
/// CA; returns the PDF and the root's PEM.
fn signed_cnh_digital() -> (Vec<u8>, String) {
    let unsigned = cnh_digital();
    let root = signed_pdf::root("Test Root", 31);
    let ca = signed_pdf::issue(&root, "Test Issuing CA", 32, true);
    let signer = signed_pdf::issue(&ca, "Test DETRAN signer", 33, false);
    let pdf = signed_pdf::sign(&unsigned, &signer, &[&signer.cert, &ca.cert]);
    (pdf, root.pem())
}

/// Runs a session whose only step is a `cnh_digital` PDF; returns the final session.
async fn decide(s: &TestServer, id: &str, pdf: &[u8]) -> Value {
    let steps = json!([{"step": "personal_document", "document_templates": ["cnh_digital"]}]);
    let page = session(s, id, CPF, steps).await;
    let side = json!([{"document_b64": b64(pdf), "file_type": "pdf"}]);
    let (st, v) = document(s, &page, "cnh_digital", &side).await;
    assert_eq!(st, 200, "{v}");
    v1(s, id).await
}

fn outcome(v: &Value) -> (String, Vec<String>) {
    let d = &v["decision"];
    let codes = d["reasons"].as_array().expect("reasons");
    (
        d["status"].as_str().unwrap_or_default().to_owned(),
        codes
            .iter()
            .map(|r| r["code"].as_str().unwrap_or_default().to_owned())
            .collect(),
    )
}

#[tokio::test]
async fn a_cnh_digital_is_approved_only_when_signed_under_a_configured_root() {
    let (signed, root_pem) = signed_cnh_digital();
    let unsigned = cnh_digital();
    for backend in BACKENDS {
        let pem = root_pem.clone();
        let s = start_with(backend, move |cfg, dir| {
            std::fs::create_dir_all(dir).unwrap();
            let path = dir.join("roots.pem");
            std::fs::write(&path, pem).unwrap();
            cfg.documents.trust_roots_file = path;
        })
        .await;
        let got = decide(&s, "trusted", &signed).await;
        assert_eq!(outcome(&got), ("approved".into(), vec![]), "{got}");
        assert_eq!(
            got["decision"]["evidence"]["documents"][0]["signature"],
            "trusted"
        );
        let got = decide(&s, "unsigned", &unsigned).await;
        let want = (
            "in_manual_analysis".into(),
            vec!["document_unsigned".into()],
        );
        assert_eq!(outcome(&got), want, "{got}");
        s.stop().await;

        // the same signed file on a server that trusts no root
        let s = start(backend).await;
        let got = decide(&s, "untrusted", &signed).await;
        let want = (
            "in_manual_analysis".into(),
            vec!["document_signature_untrusted".into()],
        );
        assert_eq!(outcome(&got), want, "{got}");
        s.stop().await;
    }
}
