//! What a redacted session leaves in the database, on SQLite and PostgreSQL: after a whole
//! session (device scan, selfie with liveness validated against the CPF's face registration, a
//! document read and another the session made that no step names, a webhook endpoint
//! listening), events and deliveries hold no CPF in clear; redaction and the erasure of the
//! registration leave the CPF in no text or blob column of any table, and no slice of the
//! document image's bytes (raw or base64). Needs `../shared/testdata`.

use idgate_store::testing::BACKENDS;
use idgate_store::Backend;
use reqwest::Method;
use serde_json::json;
use sqlx::{Column, Row};

use crate::common::{b64, bearer, start, testdata};
use crate::flow::{document, session, step};
use crate::liveness::{api_pass, face_step};
use crate::webhooks::Receiver;
use idgate_server::app::documents as docs;
use idgate_server::app::tenant::Tenant;

/// Every text and blob value of every table, as `(table, column, bytes)`.
async fn every_value(backend: Backend, url: &str) -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for t in tables {
                for row in sqlx::query(&format!("SELECT * FROM \"{t}\""))
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                {
                    for (i, c) in row.columns().iter().enumerate() {
                        let v = row
                            .try_get::<Option<String>, _>(i)
                            .map(|s| s.map(String::into_bytes))
                            .or_else(|_| row.try_get::<Option<Vec<u8>>, _>(i));
                        if let Ok(Some(bytes)) = v {
                            out.push((t.clone(), c.name().to_owned(), bytes));
                        }
                    }
                }
            }
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let cols: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('text', 'bytea', 'character varying', 'jsonb', 'json')",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for (t, c, ty) in cols {
                let sql = format!("SELECT \"{c}\" FROM \"{t}\" WHERE \"{c}\" IS NOT NULL");
                if ty == "bytea" {
                    let vals: Vec<Vec<u8>> =
                        sqlx::query_scalar(&sql).fetch_all(&pool).await.unwrap();
                    out.extend(vals.into_iter().map(|v| (t.clone(), c.clone(), v)));
                } else {
                    let sql =
                        format!("SELECT \"{c}\"::text FROM \"{t}\" WHERE \"{c}\" IS NOT NULL");
                    let vals: Vec<String> =
                        sqlx::query_scalar(&sql).fetch_all(&pool).await.unwrap();
                    out.extend(
                        vals.into_iter()
                            .map(|v| (t.clone(), c.clone(), v.into_bytes())),
                    );
                }
            }
            pool.close().await;
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn redaction_leaves_no_cpf_or_image_bytes_anywhere_in_the_database() {
    let png = testdata("documents/br_synthetic/rg_synth_clean.png");
    let doc = b64(&png);
    // needles: the CPF in both spellings, a slice of the image and of its base64
    let mid = png.len() / 2;
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("cpf digits", b"52998224725".to_vec()),
        ("cpf formatted", b"529.982.247-25".to_vec()),
        ("image bytes", png[mid..mid + 48].to_vec()),
        (
            "image base64",
            doc.as_bytes()[doc.len() / 2..doc.len() / 2 + 64].to_vec(),
        ),
    ];
    for backend in BACKENDS {
        let s = start(backend).await;
        let rx = Receiver::default();
        let addr = rx.serve("127.0.0.1:0".parse().unwrap()).await;
        let st = &s.running.state;
        idgate_server::app::admin::add_webhook(
            &st.store,
            &st.keys,
            st.now(),
            &s.a.id,
            &format!("http://{addr}/hook"),
            &[],
            true,
        )
        .await
        .unwrap();
        // the CPF has a face registration: the session's selfie gets a 1:1 validation
        let image_key = api_pass(&s, &s.a.key).await;
        let body = json!({"document_number": "529.982.247-25", "image_key": image_key});
        let reg_path = "/face_recognition/registration";
        let (code, reg) = s.call(Method::POST, reg_path, &s.a.key, Some(&body)).await;
        assert_eq!(code, 201, "{reg}");
        let steps = json!([{"step": "device_scan"}, {"step": "face_recognition"},
            {"step": "personal_document", "document_templates": ["others"]}]);
        let page = session(&s, "scan", "529.982.247-25", steps).await;
        assert_eq!(step(&s, &page, "device_scan", json!({})).await.0, 200);
        assert_eq!(face_step(&s, &page).await.0, 200);
        let side = json!([{"document_b64": doc, "file_type": "jpeg"}]);
        assert_eq!(document(&s, &page, "others", &side).await.0, 200);
        // a read made for the session that no step names (what a document step interrupted
        // between storing its reads and saving the step leaves)
        let t = Tenant::from_row(st.store.tenant_by_id(&s.a.id).await.unwrap()).unwrap();
        let req = json!({"document_b64": doc, "template": "others", "file_type": "jpeg"});
        let req = docs::parse_read(&req, true).unwrap();
        let read = docs::read_sealed(st, &t, req).await.unwrap();
        docs::store_read(st, read.for_session("scan"))
            .await
            .unwrap();
        // before: the CPF is there (the test can see what it looks for)
        let url = st.cfg.database_url();
        let before = every_value(backend, &url).await;
        assert!(
            before.iter().any(|(_, _, v)| contains(v, b"52998224725")),
            "the scan finds the CPF before redaction"
        );
        assert!(
            before
                .iter()
                .any(|(t, c, _)| t == "face_validations" && c == "document_number"),
            "the selfie was validated against the registration"
        );
        // events and webhook deliveries written as the session went carry a keyed hash, no CPF
        let payloads: Vec<&Vec<u8>> = before
            .iter()
            .filter(|(t, _, _)| ["events", "outbox", "device_uses"].contains(&t.as_str()))
            .map(|(_, _, v)| v)
            .collect();
        assert!(payloads
            .iter()
            .any(|v| contains(v, b"document_number_hash")));
        assert!(payloads.iter().any(|v| contains(v, b"session.completed")));
        for (name, needle) in &needles[..2] {
            assert!(
                !payloads.iter().any(|v| contains(v, needle)),
                "{backend:?}: {name} in an event, delivery or device scan"
            );
        }
        let (code, r) = s
            .call(
                Method::POST,
                "/v1/verification-sessions/scan/redact",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(code, 200, "{r}");
        // the registration is the tenant's, not the session's: erasing it removes its CPF
        let reg_key = reg["registration_key"].as_str().unwrap();
        let erase = format!("/v1/faces/registrations/{reg_key}");
        let (code, e) = s
            .call(Method::DELETE, &erase, &bearer(&s.a.key), None)
            .await;
        assert_eq!(code, 200, "{e}");
        let after = every_value(backend, &url).await;
        let mut found = Vec::new();
        for (name, needle) in &needles {
            for (t, c, v) in &after {
                if contains(v, needle) {
                    found.push(format!("{name} in {t}.{c}"));
                }
            }
        }
        found.sort();
        found.dedup();
        assert!(found.is_empty(), "{backend:?}: {found:#?}");
        // sealed rows hide their bytes from the scan: count them
        assert_eq!(
            st.store.document_count(&s.a.id).await.unwrap(),
            0,
            "every read the session made is gone, named by a step or not"
        );
        let faces = st.store.face_counts(&s.a.id).await.unwrap();
        assert_eq!((faces.images, faces.validations), (0, 0), "{backend:?}");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_document_read_can_be_deleted_unless_a_session_still_needs_it() {
    let pdf = b64(&testdata(
        "documents/cnh_digital_synthetic/cnh_digital_synth_signed.pdf",
    ));
    for backend in BACKENDS {
        let s = start(backend).await;
        let auth = bearer(&s.a.key);
        let body = json!({"document_b64": pdf, "template": "cnh_digital", "file_type": "pdf"});
        let (st, v) = s
            .call(Method::POST, "/v1/documents/read", &auth, Some(&body))
            .await;
        assert_eq!(st, 201, "{v}");
        let key = v["id"]
            .as_str()
            .or(v["ocr_key"].as_str())
            .unwrap()
            .to_owned();
        let path = format!("/v1/documents/{key}");
        // another tenant cannot delete it
        let (st, _) = s.call(Method::DELETE, &path, &bearer(&s.b.key), None).await;
        assert_eq!(st, 404);
        let (st, _) = s.call(Method::DELETE, &path, &auth, None).await;
        assert_eq!(st, 204);
        assert_eq!(s.call(Method::GET, &path, &auth, None).await.0, 404);
        assert_eq!(s.call(Method::DELETE, &path, &auth, None).await.0, 404);
        let audit = s.running.state.store.audit_events(&s.a.id).await.unwrap();
        assert!(audit
            .iter()
            .any(|a| a.kind == "document.deleted" && a.subject == key));

        // a read the session still collecting will decide on: 409, kept
        let steps = json!([{"step": "personal_document", "document_templates": ["cnh_digital"]},
            {"step": "face_recognition"}]);
        let page = session(&s, "keeps", "529.982.247-25", steps).await;
        let side = json!([{"document_b64": pdf, "file_type": "pdf"}]);
        let (st, v) = document(&s, &page, "cnh_digital", &side).await;
        assert_eq!(st, 200, "{v}");
        let row = s
            .running
            .state
            .store
            .session(&s.a.id, "keeps")
            .await
            .unwrap();
        assert_eq!(row.status, "in_progress");
        let sd: serde_json::Value = serde_json::from_str(&row.step_data).unwrap();
        let used = sd["personal_document"]["ocr_keys"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let (st, v) = s
            .call(
                Method::DELETE,
                &format!("/v1/documents/{used}"),
                &auth,
                None,
            )
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (409, Some("conflict")),
            "{v}"
        );
        assert_eq!(
            s.call(Method::GET, &format!("/v1/documents/{used}"), &auth, None)
                .await
                .0,
            200
        );
        s.stop().await;
    }
}
