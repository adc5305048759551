//! Retention of what sessions collect, on SQLite and PostgreSQL: a tenant's own periods
//! (`idgate tenant retention`) delete an approved session's biometrics and then its documents,
//! counted row by row before and after, while a session waiting for review, one still
//! collecting, another tenant's (server defaults) and the tenant's face registration stay; and
//! reads made on their own expire (410, then swept: 404) while a session's reads do not.
//! Needs `../shared/testdata`.

use idgate_server::app::retention::{set_retention, TenantRetention};
use idgate_server::jobs::evidence;
use idgate_store::testing::BACKENDS;
use idgate_store::{Backend, TenantSetting};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{b64, bearer, start_with, testdata, TestServer};
use crate::flow::{code, document, session_as, step};
use crate::liveness::{api_pass, face_step};

const CPF: &str = "529.982.247-25";
const DAY: i64 = 86_400_000;

/// Rows a session's evidence holds: `[selfie image, liveness challenges, face validations of
/// the selfie, document reads, portrait matches of the selfie, device scans]`.
async fn rows(s: &TestServer, backend: Backend, session_id: &str, selfie: &str) -> Vec<i64> {
    let queries = [
        (
            "SELECT COUNT(*) FROM face_images WHERE image_key = $1",
            selfie,
        ),
        (
            "SELECT COUNT(*) FROM liveness_challenges WHERE session_id = $1",
            session_id,
        ),
        (
            "SELECT COUNT(*) FROM face_validations WHERE image_key = $1",
            selfie,
        ),
        (
            "SELECT COUNT(*) FROM document_reads WHERE session_id = $1",
            session_id,
        ),
        (
            "SELECT COUNT(*) FROM document_face_matches WHERE image_key = $1",
            selfie,
        ),
        (
            "SELECT COUNT(*) FROM device_uses WHERE session_id = $1",
            session_id,
        ),
    ];
    let url = s.running.state.cfg.database_url();
    // the same counts through either backend's pool
    macro_rules! counts {
        ($pool:expr) => {{
            let pool = $pool.await.unwrap();
            let mut out = Vec::new();
            for (q, arg) in queries {
                out.push(
                    sqlx::query_scalar(q)
                        .bind(arg)
                        .fetch_one(&pool)
                        .await
                        .unwrap(),
                );
            }
            pool.close().await;
            out
        }};
    }
    match backend {
        Backend::Sqlite => counts!(sqlx::SqlitePool::connect(&url)),
        Backend::Postgres => counts!(sqlx::PgPool::connect(&url)),
    }
}

async fn get(s: &TestServer, key: &str, id: &str) -> Value {
    let path = format!("/v1/verification-sessions/{id}");
    let (st, v) = s.call(Method::GET, &path, &bearer(key), None).await;
    assert_eq!(st, 200, "{v}");
    v
}

/// A session of the tenant of `key` through its device scan, its selfie and (unless
/// `face_only`) an `others` document, which leaves it in manual analysis; returns its selfie's `image_key`.
async fn collect(s: &TestServer, key: &str, id: &str, face_only: bool) -> String {
    let steps = json!([{"step": "device_scan"}, {"step": "face_recognition"},
        {"step": "personal_document", "document_templates": ["others"]}]);
    let page = session_as(s, key, id, CPF, steps).await;
    assert_eq!(step(s, &page, "device_scan", json!({})).await.0, 200);
    let (st, v) = face_step(s, &page).await;
    assert_eq!(st, 200, "{v}");
    if !face_only {
        let doc = b64(&testdata("documents/br_synthetic/rg_synth_clean.png"));
        let side = json!([{"document_b64": doc, "file_type": "jpeg"}]);
        let (st, v) = document(s, &page, "others", &side).await;
        assert_eq!(
            (st, v["status"].as_str()),
            (200, Some("in_manual_analysis")),
            "{v}"
        );
    }
    get(s, key, id).await["step_data"]["face_recognition"]["image_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn approve(s: &TestServer, key: &str, id: &str) {
    let body = json!({"decision": "approved", "reason": "checked by hand"});
    let path = format!("/v1/verification-sessions/{id}/review");
    let (st, v) = s.call(Method::POST, &path, &bearer(key), Some(&body)).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("approved")), "{v}");
}

#[tokio::test]
async fn retention_deletes_exactly_what_is_past_the_tenants_periods() {
    for backend in BACKENDS {
        // the server's own sweeper passes once at start, then not during the test
        let s = start_with(backend, |c, _| c.sweep_interval_secs = 3_600).await;
        let st = &s.running.state;
        st.metrics.sweeps.reached(1).await; // (its first pass is over before the clock moves)
        let (a, b) = (s.a.key.clone(), s.b.key.clone());
        // tenant A registered the CPF's face: its sessions' selfies get a 1:1 validation
        let reg_image = api_pass(&s, &a).await;
        let body = json!({"document_number": CPF, "image_key": reg_image});
        let path = "/face_recognition/registration";
        let (code_, r) = s.call(Method::POST, path, &a, Some(&body)).await;
        assert_eq!(code_, 201, "{r}");
        let r = TenantRetention {
            biometrics_days: 10,
            documents_days: 20,
        };
        set_retention(&st.store, "alpha", r).await.unwrap();
        // a setting that does not parse: that tenant is reported and skipped, not the others
        st.store
            .set_tenant_setting(&s.sandbox.id, TenantSetting::Retention, Some("not json"))
            .await
            .unwrap();

        let done = collect(&s, &a, "a-done", false).await;
        approve(&s, &a, "a-done").await;
        // a session that collected nothing: marked by the purge, nothing to audit
        session_as(&s, &a, "a-empty", CPF, json!([{"step": "device_scan"}])).await;
        let cancel = "/v1/verification-sessions/a-empty/cancel";
        assert_eq!(s.call(Method::POST, cancel, &bearer(&a), None).await.0, 200);
        let waiting = collect(&s, &a, "a-waiting", false).await;
        let collecting = collect(&s, &a, "a-collecting", true).await;
        let other = collect(&s, &b, "b-done", false).await;
        approve(&s, &b, "b-done").await;
        let before_done = rows(&s, backend, "a-done", &done).await;
        // one selfie, its challenges (drawn until one asked for two turns), one validation, one read
        let [selfie, challenges, validations, reads, _, devices] = before_done[..] else {
            panic!("{before_done:?}")
        };
        assert_eq!(
            (selfie, validations, reads, devices),
            (1, 1, 1, 1),
            "{before_done:?}"
        );
        assert!(challenges >= 1, "{before_done:?}");
        let kept = [
            ("a-waiting", waiting),
            ("a-collecting", collecting),
            ("b-done", other),
        ];
        let mut before_kept = Vec::new();
        for (id, selfie) in &kept {
            before_kept.push(rows(&s, backend, id, selfie).await);
        }
        let before = get(&s, &a, "a-done").await;
        let ocr_key = before["step_data"]["personal_document"]["ocr_keys"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let doc_path = format!("/v1/documents/{ocr_key}");

        // day 9: nothing is past its period yet
        s.clock.advance_ms(9 * DAY);
        assert_eq!(evidence::purge(st, 100).await.unwrap(), Default::default());
        // day 11: A's biometrics period (10 days) has passed, its documents' (20) has not
        s.clock.advance_ms(2 * DAY);
        let p = evidence::purge(st, 100).await.unwrap();
        assert_eq!(
            (p.biometrics_sessions, p.documents_sessions),
            (2, 0),
            "{p:?}"
        );
        let mut expect = before_done.clone();
        for (i, n) in expect.iter_mut().enumerate() {
            if i != 3 {
                *n = 0;
            }
        }
        assert_eq!(rows(&s, backend, "a-done", &done).await, expect);
        let after = get(&s, &a, "a-done").await;
        assert_eq!(
            (&after["status"], &after["decision"], &after["step_data"]),
            (&before["status"], &before["decision"], &before["step_data"]),
            "status, decision and reasons stay"
        );
        assert!(after["biometrics_purged_at"].is_string(), "{after}");
        assert!(after["documents_purged_at"].is_null(), "{after}");
        assert_eq!(
            s.call(Method::GET, &doc_path, &bearer(&a), None).await.0,
            200
        );
        // day 21: the documents go too
        s.clock.advance_ms(10 * DAY);
        let p = evidence::purge(st, 100).await.unwrap();
        assert_eq!(
            (
                p.biometrics_sessions,
                p.documents_sessions,
                p.rows.document_reads
            ),
            (0, 2, 1),
            "{p:?}"
        );
        assert_eq!(rows(&s, backend, "a-done", &done).await, [0; 6]);
        let after = get(&s, &a, "a-done").await;
        assert!(after["documents_purged_at"].is_string(), "{after}");
        assert_eq!(after["decision"], before["decision"]);
        let (code_, e) = s.call(Method::GET, &doc_path, &bearer(&a), None).await;
        assert_eq!((code_, code(&e)), (404, "not_found"), "{e}");
        // what must stay stayed: waiting for review, still collecting, tenant B (90/180 days)
        for ((id, selfie), was) in kept.iter().zip(&before_kept) {
            assert_eq!(&rows(&s, backend, id, selfie).await, was, "{id}");
            let key = if id.starts_with("b-") { &b } else { &a };
            assert!(get(&s, key, id).await["biometrics_purged_at"].is_null());
        }
        // the tenant's face registration and its image are not the session's
        let faces = st.store.face_counts(&s.a.id).await.unwrap();
        assert_eq!(faces.registrations, 1);
        assert!(st
            .store
            .face_image_meta(&s.a.id, reg_image.as_str().unwrap())
            .await
            .unwrap()
            .is_some());
        let audit = st.store.audit_events(&s.a.id).await.unwrap();
        let purges: Vec<&str> = audit
            .iter()
            .filter(|a| a.kind == "session.evidence_purged" && a.subject == "a-done")
            .map(|a| a.detail.as_str())
            .collect();
        assert_eq!(purges.len(), 2, "{purges:?}");
        assert!(!audit
            .iter()
            .any(|a| a.subject == "a-empty" && a.kind == "session.evidence_purged"));
        assert!(get(&s, &a, "a-empty").await["documents_purged_at"].is_string());
        assert!(purges[0].contains("\"biometrics\""), "{}", purges[0]);
        // once
        assert_eq!(evidence::purge(st, 100).await.unwrap(), Default::default());
        s.stop().await;
    }
}

#[tokio::test]
async fn reads_made_on_their_own_expire_and_are_swept() {
    let pdf = b64(&testdata(
        "documents/cnh_digital_synthetic/cnh_digital_synth_signed.pdf",
    ));
    for backend in BACKENDS {
        let s = start_with(backend, |c, _| c.sweep_interval_secs = 3_600).await;
        let st = &s.running.state;
        st.metrics.sweeps.reached(1).await; // (its first pass is over before the clock moves)
        let auth = bearer(&s.a.key);
        let body = json!({"document_b64": pdf, "template": "cnh_digital", "file_type": "pdf"});
        let (code_, v) = s
            .call(Method::POST, "/v1/documents/read", &auth, Some(&body))
            .await;
        assert_eq!(code_, 201, "{v}");
        let key = v["ocr_key"].as_str().unwrap().to_owned();
        let (code_, q) = s
            .call(Method::POST, "/ocr/image", &s.a.key, Some(&body))
            .await;
        assert_eq!(code_, 201, "{q}");
        let qi_key = q["ocr_key"].as_str().unwrap().to_owned();
        // a session's read follows the session's retention, not the read TTL
        let steps = json!([{"step": "personal_document", "document_templates": ["cnh_digital"]},
            {"step": "face_recognition"}]);
        let page = crate::flow::session(&s, "keeps", CPF, steps).await;
        let side = json!([{"document_b64": pdf, "file_type": "pdf"}]);
        assert_eq!(document(&s, &page, "cnh_digital", &side).await.0, 200);
        let sd = get(&s, &s.a.key, "keeps").await["step_data"].clone();
        let session_key = sd["personal_document"]["ocr_keys"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let path = |k: &str| format!("/v1/documents/{k}");

        s.clock.advance_ms(DAY - 1);
        assert_eq!(s.call(Method::GET, &path(&key), &auth, None).await.0, 200);
        s.clock.advance_ms(1);
        let (code_, e) = s.call(Method::GET, &path(&key), &auth, None).await;
        assert_eq!((code_, code(&e)), (410, "gone"), "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("24 hours"),
            "{e}"
        );
        let qi = format!("/ocr/image/{qi_key}");
        assert_eq!(s.call(Method::GET, &qi, &s.a.key, None).await.0, 410);
        assert_eq!(
            s.call(Method::GET, &path(&session_key), &auth, None)
                .await
                .0,
            200
        );

        assert_eq!(
            st.store
                .purge_expired_documents(st.now(), 100)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            st.store.document_count(&s.a.id).await.unwrap(),
            1,
            "the session's stays"
        );
        let (code_, e) = s.call(Method::GET, &path(&key), &auth, None).await;
        assert_eq!((code_, code(&e)), (404, "not_found"), "{e}");
        assert_eq!(
            s.call(Method::GET, &path(&session_key), &auth, None)
                .await
                .0,
            200
        );
        s.stop().await;
    }
}

/// `idgate tenant retention` stores the tenant's periods (those the sweeper applies) and
/// refuses periods out of range, naming each.
#[tokio::test]
async fn the_cli_sets_a_tenants_retention() {
    use crate::webhooks::{idgate, json_out};
    for backend in BACKENDS {
        let url = idgate_store::testing::fresh_url(backend).await;
        let dir =
            std::env::temp_dir().join(format!("idgate-ret-{}", uuid::Uuid::new_v4().simple()));
        let env = vec![
            ("IDGATE_DATA_DIR", dir.display().to_string()),
            ("DATABASE_URL", url.clone()),
            ("IDGATE_MASTER_KEY", crate::common::MASTER_KEY.to_owned()),
        ];
        json_out(&["tenant", "create", "acme"], &env);
        let set = ["tenant", "retention", "acme", "--biometrics-days", "7"];
        let out = json_out(&[&set[..], &["--documents-days", "30"]].concat(), &env);
        let want = TenantRetention {
            biometrics_days: 7,
            documents_days: 30,
        };
        assert_eq!(out, json!({"tenant": "acme", "retention": want}));
        let bad = ["tenant", "retention", "acme", "--biometrics-days", "0"];
        let bad = idgate(&[&bad[..], &["--documents-days", "40000"]].concat(), &env)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(!bad.status.success());
        assert!(
            err.contains("biometrics_days") && err.contains("documents_days"),
            "{err}"
        );
        let store = idgate_store::Store::connect(&url).await.unwrap();
        let id = store.tenant_by_name("acme").await.unwrap().id;
        let all = store.tenant_retentions().await.unwrap();
        let setting = all.into_iter().find(|(t, _)| *t == id).unwrap().1;
        let defaults = Default::default();
        let got = TenantRetention::resolve(setting.as_deref(), &defaults).unwrap();
        assert_eq!(got, want, "the later refusal changed nothing");
    }
}
