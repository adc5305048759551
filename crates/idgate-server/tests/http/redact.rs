//! Redacting a session over HTTP on SQLite and PostgreSQL: what it collected through the hosted
//! flow (selfie, document read) is deleted, its references, CPF and decision evidence replaced;
//! status and reasons stay; event and audit row recorded. Needs `../shared/testdata`.

use idgate_store::testing::BACKENDS;
use idgate_store::Expected;
use reqwest::Method;
use serde_json::json;

use crate::common::{b64, bearer, start, testdata};
use crate::flow::{code, document, session, step, v1};
use crate::liveness::face_step;

/// Redaction deletes what a session collected (selfie, document read) and replaces its
/// references, CPF and decision evidence, keeps status and reasons, is recorded as an event and
/// an audit row, and answers the same when repeated; a session still collecting is canceled
/// first; one being decided cannot be redacted yet.
#[tokio::test]
async fn redacting_a_session_deletes_what_it_collected() {
    let doc = b64(&testdata("documents/br_synthetic/rg_synth_clean.png"));
    for backend in BACKENDS {
        let s = start(backend).await;
        let st = &s.running.state;
        let steps = json!([{"step": "device_scan"}, {"step": "face_recognition"},
            {"step": "personal_document", "document_templates": ["others"]}]);
        let page = session(&s, "r1", "529.982.247-25", steps).await;
        let (code_, v) = step(&s, &page, "device_scan", json!({})).await;
        assert_eq!(code_, 200, "{v}");
        let row_id = st.store.session(&s.a.id, "r1").await.unwrap().id;
        assert_eq!(
            st.store.device_use_count(&s.a.id, &row_id).await.unwrap(),
            1
        );
        let (code_, v) = face_step(&s, &page).await;
        assert_eq!(code_, 200, "{v}");
        let side = json!([{"document_b64": doc, "file_type": "jpeg"}]);
        let (code_, v) = document(&s, &page, "others", &side).await;
        assert_eq!(
            (code_, &v["status"]),
            (200, &json!("in_manual_analysis")),
            "{v}"
        );
        let before = v1(&s, "r1").await;
        let ocr_key = before["step_data"]["personal_document"]["ocr_keys"][0]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(st.store.face_counts(&s.a.id).await.unwrap().images, 1);

        let path = "/v1/verification-sessions/r1/redact";
        let (code_, r) = s.call(Method::POST, path, &bearer(&s.a.key), None).await;
        assert_eq!(code_, 200, "{r}");
        assert_eq!(
            (&r["redacted"], &r["document_number"]),
            (&json!(true), &json!("[redacted]"))
        );
        assert_eq!(r["status"], "in_manual_analysis");
        let sd = &r["step_data"];
        assert_eq!(sd["face_recognition"]["image_key"], "[redacted]");
        assert_eq!(sd["personal_document"]["ocr_keys"], "[redacted]");
        assert_eq!(
            sd["face_recognition"]["event_date"],
            before["step_data"]["face_recognition"]["event_date"]
        );
        assert_eq!(r["decision"]["evidence"], json!({}));
        assert_eq!(r["decision"]["reasons"], before["decision"]["reasons"]);
        assert!(!r.to_string().contains("52998224725") && !r.to_string().contains(&ocr_key));
        let (code_, _) = s
            .call(
                Method::GET,
                &format!("/v1/documents/{ocr_key}"),
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(code_, 404, "the document read is gone");
        assert_eq!(
            st.store.face_counts(&s.a.id).await.unwrap().images,
            0,
            "the selfie is gone"
        );
        assert_eq!(
            st.store.device_use_count(&s.a.id, &row_id).await.unwrap(),
            0,
            "the device scan's fingerprint and CPF hash are gone"
        );
        assert_eq!(
            s.event_kinds("r1").await.last().unwrap(),
            "session.redacted"
        );
        let audit = st.store.audit_events(&s.a.id).await.unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|a| a.kind == "session.redacted" && a.subject == "r1")
                .count(),
            1
        );
        let (code_, again) = s.call(Method::POST, path, &bearer(&s.a.key), None).await;
        assert_eq!((code_, &again["step_data"]), (200, sd));
        let (code_, _) = s.call(Method::POST, path, &bearer(&s.b.key), None).await;
        assert_eq!(code_, 404, "another tenant's session");

        // still collecting: canceled, then redacted
        session(&s, "r2", "529.982.247-25", json!([{"step": "device_scan"}])).await;
        let (code_, r) = s
            .call(
                Method::POST,
                "/v1/verification-sessions/r2/redact",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(
            (code_, &r["status"], &r["redacted"]),
            (200, &json!("canceled"), &json!(true)),
            "{r}"
        );
        assert_eq!(
            s.event_kinds("r2").await[1..],
            ["session.canceled", "session.redacted"]
        );

        // being decided: not yet
        session(&s, "r3", "529.982.247-25", json!([{"step": "device_scan"}])).await;
        let row = st.store.session(&s.a.id, "r3").await.unwrap();
        let mut half = row.clone();
        half.status = "processing".into();
        st.store
            .update_session(&half, Expected::of(&row), &[])
            .await
            .unwrap();
        let (code_, e) = s
            .call(
                Method::POST,
                "/v1/verification-sessions/r3/redact",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!((code_, code(&e)), (409, "invalid_state_transition"), "{e}");
        s.stop().await;
    }
}
