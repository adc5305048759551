//! The hosted flow over HTTP on SQLite and PostgreSQL, with the real face and OCR models: steps
//! submitted with the session URL's token, in order, their references in `step_data`
//! (`session_id`, `image_key`, `ocr_keys`), and the decision after the last step — approved
//! (the document's CPF is the session's, not expired, its portrait matches the selfie),
//! rejected (another CPF, another face), manual analysis (template `others`, unvalidated).
//! Refusals: out-of-order and repeated steps, a template the session does not allow, a wrong
//! token, an expired link, a closed session. Needs `../shared/testdata` and the models.

use idgate_core::session::decision::{Policy, Unverifiable};
use idgate_server::app::admin;
use idgate_server::app::sessions::expire_due;
use idgate_server::app::steps::{decide_stalled, STALLED_MS};
use idgate_store::testing::BACKENDS;
use idgate_store::Expected;
use image::{imageops, RgbImage};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{b64, bearer, start, testdata, TestServer};
use crate::liveness::{face_step, her_face};

/// A shared face photo.
fn photo(name: &str) -> RgbImage {
    image::load_from_memory(&testdata(&format!("faces/{name}")))
        .expect("the portrait decodes")
        .to_rgb8()
}

/// The synthetic RG (CPF 529.982.247-25; an RG has no expiry date) with a portrait printed
/// beside its fields, as a real card carries one.
pub(crate) fn rg_with_portrait(face: RgbImage) -> Vec<u8> {
    let card = image::load_from_memory(&testdata("documents/br_synthetic/rg_synth_clean.png"))
        .expect("the synthetic RG decodes")
        .to_rgb8();
    let face = imageops::resize(
        &face,
        300,
        300 * face.height() / face.width(),
        imageops::FilterType::Triangle,
    );
    let bg = *card.get_pixel(card.width() - 5, card.height() - 5);
    let (w, h) = (card.width() + 340, card.height().max(face.height() + 80));
    let mut out = RgbImage::from_pixel(w, h, bg);
    imageops::replace(&mut out, &card, 0, 0);
    imageops::replace(&mut out, &face, i64::from(card.width()) + 20, 60);
    let mut png = std::io::Cursor::new(Vec::new());
    out.write_to(&mut png, image::ImageFormat::Png).unwrap();
    png.into_inner()
}

/// Creates a session of tenant A and returns `(id, "/s/{hash}/t/{token}")`.
pub(crate) async fn session(s: &TestServer, id: &str, cpf: &str, steps: Value) -> String {
    session_as(s, &s.a.key, id, cpf, steps).await
}

/// [`session`] for the tenant of API key `key`.
pub(crate) async fn session_as(
    s: &TestServer,
    key: &str,
    id: &str,
    cpf: &str,
    steps: Value,
) -> String {
    let body = json!({"id": id, "document_number": cpf, "settings": {"steps": steps}});
    let (st, v) = s
        .call(
            Method::POST,
            "/auth_session_manager/auth_session",
            key,
            Some(&body),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let url = v["auth_session_url"].as_str().unwrap();
    format!("/s/{}", url.split_once("/s/").unwrap().1)
}

pub(crate) async fn step(s: &TestServer, page: &str, name: &str, body: Value) -> (u16, Value) {
    s.call(
        Method::POST,
        &format!("{page}/steps/{name}"),
        "",
        Some(&body),
    )
    .await
}

/// Submits the `personal_document` step: `template` and its `sides` (the `documents` array).
pub(crate) async fn document(
    s: &TestServer,
    page: &str,
    template: &str,
    sides: &Value,
) -> (u16, Value) {
    let body = json!({"document_template": template, "documents": sides});
    step(s, page, "personal_document", body).await
}

/// One image side, as `documents` takes it.
pub(crate) fn image_side(bytes: &[u8]) -> Value {
    json!([{"document_b64": b64(bytes), "file_type": "jpeg"}])
}

pub(crate) async fn v1(s: &TestServer, id: &str) -> Value {
    let (st, v) = s
        .call(
            Method::GET,
            &format!("/v1/verification-sessions/{id}"),
            &bearer(&s.a.key),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

fn reasons(v: &Value) -> Vec<&str> {
    v["decision"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

pub(crate) fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn hosted_flow_steps_and_decisions() {
    // the selfie comes from the liveness frames of the shared head-turn clip: her face
    let matching = rg_with_portrait(her_face());
    let someone_else = rg_with_portrait(photo("obama_4.jpg"));
    let selfie = b64(&testdata("faces/obama_1.jpg"));
    for backend in BACKENDS {
        let s = start(backend).await;

        // Approved: every check holds.
        let steps = json!([{"step": "device_scan"}, {"step": "face_recognition"},
            {"step": "personal_document", "document_templates": ["cnh", "rg"]}]);
        let page = session(&s, "ok", "529.982.247-25", steps).await;
        let (st, v) = step(&s, &page, "face_recognition", json!({"image": selfie})).await;
        assert_eq!((st, code(&v)), (409, "step_out_of_order"), "{v}");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("device_scan"));
        let (st, v) = step(&s, &page, "device_scan", json!({})).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            (&v["status"], &v["step"], &v["completed_steps"]),
            (
                &json!("in_progress"),
                &json!("face_recognition"),
                &json!(["device_scan"])
            )
        );
        let (st, v) = step(&s, &page, "device_scan", json!({})).await;
        assert_eq!((st, code(&v)), (409, "step_out_of_order"), "{v}");
        let (st, v) = face_step(&s, &page).await;
        assert_eq!((st, &v["step"]), (200, &json!("personal_document")), "{v}");
        let side = image_side(&matching);
        let (st, v) = document(&s, &page, "passport", &side).await;
        assert_eq!((st, code(&v)), (422, "validation_failed"), "{v}");
        assert_eq!(v["error"]["field"], "document_template");
        let (st, v) = document(&s, &page, "rg", &side).await;
        assert_eq!(st, 200, "{v}");
        let got = v1(&s, "ok").await;
        assert_eq!(
            (&v["status"], &v["step"]),
            (&json!("approved"), &Value::Null),
            "{got}"
        );
        assert_eq!(got["status"], "approved");
        assert_eq!(reasons(&got), Vec::<&str>::new(), "{got}");
        let d = &got["decision"];
        assert_eq!(d["evidence"]["face_match"]["result"], "match", "{d}");
        assert_eq!(d["evidence"]["cpf_matches_session"], true);
        assert_eq!(
            d["evidence"]["documents"][0]["check_digits_valid"], true,
            "{d}"
        );
        assert_eq!(d["evidence"]["documents"][0]["not_expired"], Value::Null);
        assert!(
            !d.to_string().contains("52998224725"),
            "the decision stores no CPF"
        );
        let sd = &got["step_data"];
        assert!(uuid::Uuid::parse_str(sd["device_scan"]["session_id"].as_str().unwrap()).is_ok());
        assert!(sd["face_recognition"]["image_key"].is_string(), "{sd}");
        assert!(sd["face_recognition"]["event_date"].is_string());
        assert_eq!(sd["personal_document"]["document_template"], "rg");
        let ocr_key = sd["personal_document"]["ocr_keys"][0].as_str().unwrap();
        // the read behind the key is the tenant's, through the document routes
        let (st, r) = s
            .call(
                Method::GET,
                &format!("/ocr/image/{ocr_key}"),
                &s.a.key,
                None,
            )
            .await;
        assert_eq!(
            (st, &r["fields"]["cpf"]["value"]),
            (200, &json!("52998224725")),
            "{r}"
        );
        let (st, _) = s
            .call(
                Method::GET,
                &format!("/ocr/image/{ocr_key}"),
                &s.b.key,
                None,
            )
            .await;
        assert_eq!(st, 404);
        // the QI object carries the same references
        let (st, qi) = s
            .call(
                Method::GET,
                "/auth_session_manager/auth_session/ok",
                &s.a.key,
                None,
            )
            .await;
        assert_eq!((st, &qi["step_data"]), (200, sd));
        assert_eq!(
            s.event_kinds("ok").await,
            [
                "session.created",
                "session.in_progress",
                "session.step_completed",
                "session.step_completed",
                "session.step_completed",
                "session.processing",
                "session.completed"
            ]
        );
        let (st, v) = step(&s, &page, "device_scan", json!({})).await;
        assert_eq!((st, code(&v)), (409, "invalid_state_transition"), "{v}");

        // Rejected: the document's CPF is not the session's, and its portrait is someone else.
        let steps = json!([{"step": "personal_document", "document_templates": ["rg"]},
            {"step": "face_recognition"}]);
        let page = session(&s, "bad", "111.444.777-35", steps).await;
        // a back side that is not an image: nothing of the submission is stored, the step waits
        let stored = s.running.state.store.document_count(&s.a.id).await.unwrap();
        let two = json!([side[0], {"document_b64": b64(b"not an image"), "file_type": "jpeg"}]);
        let (st, v) = document(&s, &page, "rg", &two).await;
        assert_eq!(st, 400, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("documents[1]"),
            "{v}"
        );
        let after = s.running.state.store.document_count(&s.a.id).await.unwrap();
        assert_eq!(after, stored, "the front read was not stored");
        assert_eq!(v1(&s, "bad").await["step"], "personal_document");
        let (st, v) = document(&s, &page, "rg", &image_side(&someone_else)).await;
        assert_eq!((st, &v["step"]), (200, &json!("face_recognition")), "{v}");
        let (st, v) = face_step(&s, &page).await;
        assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
        let got = v1(&s, "bad").await;
        assert_eq!(
            reasons(&got),
            ["document_cpf_mismatch", "face_mismatch"],
            "{got}"
        );
        assert_eq!(
            got["decision"]["evidence"]["face_match"]["result"],
            "unmatch"
        );

        // Rejected on the document alone: an expired passport (its MRZ says 2012; no CPF on it),
        // and the synthetic CNH, whose registration number fails its check digits.
        let steps =
            json!([{"step": "personal_document", "document_templates": ["passport", "cnh"]}]);
        let page = session(&s, "passport", "529.982.247-25", steps.clone()).await;
        let passport = testdata("documents/passport/icao_utopia_td3_passport.jpg");
        let (st, v) = document(&s, &page, "passport", &image_side(&passport)).await;
        assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
        let got = v1(&s, "passport").await;
        assert_eq!(
            reasons(&got),
            ["document_expired", "document_cpf_unread"],
            "{got}"
        );
        let page = session(&s, "cnh", "529.982.247-25", steps).await;
        let cnh = testdata("documents/br_synthetic/cnh_synth_clean.png");
        let (st, v) = document(&s, &page, "cnh", &image_side(&cnh)).await;
        assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
        let got = v1(&s, "cnh").await;
        assert_eq!(reasons(&got), ["document_check_digits_invalid"], "{got}");
        assert_eq!(got["decision"]["evidence"]["cpf_matches_session"], true);

        // Manual analysis: a template stored without validation; no face step to compare.
        let steps = json!([{"step": "personal_document", "document_templates": ["others"]}]);
        let page = session(&s, "manual", "529.982.247-25", steps).await;
        let (st, v) = s
            .call(
                Method::POST,
                &format!("{page}x/steps/personal_document"),
                "",
                Some(&json!({})),
            )
            .await;
        assert_eq!((st, code(&v)), (404, "not_found"), "a wrong token: {v}");
        let (st, v) = step(&s, &page, "face_recognition", json!({"image": selfie})).await;
        assert_eq!(
            (st, code(&v)),
            (404, "not_found"),
            "a step it does not have: {v}"
        );
        let (st, v) = document(&s, &page, "others", &json!([])).await;
        assert_eq!((st, code(&v)), (422, "validation_failed"), "{v}");
        let (st, v) = document(&s, &page, "others", &side).await;
        assert_eq!(
            (st, &v["status"]),
            (200, &json!("in_manual_analysis")),
            "{v}"
        );
        assert_eq!(reasons(&v1(&s, "manual").await), ["document_not_validated"]);
        // the same with a tenant policy that rejects what cannot be verified
        let strict = Policy {
            unverifiable: Unverifiable::Reject,
            ..Policy::default()
        };
        admin::set_decision_policy(&s.running.state.store, "alpha", strict)
            .await
            .unwrap();
        let steps = json!([{"step": "personal_document", "document_templates": ["others"]}]);
        let page = session(&s, "strict", "529.982.247-25", steps).await;
        let (st, v) = document(&s, &page, "others", &side).await;
        assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
        let got = v1(&s, "strict").await;
        assert_eq!(got["decision"]["policy"]["unverifiable"], "reject", "{got}");

        // An expired link takes no step.
        let page = session(
            &s,
            "late",
            "529.982.247-25",
            json!([{"step": "device_scan"}]),
        )
        .await;
        s.clock.advance_ms(1_801_000);
        let (st, v) = step(&s, &page, "device_scan", json!({})).await;
        assert_eq!((st, code(&v)), (410, "session_expired"), "{v}");
        s.stop().await;
    }
}

/// A device-scan session left `processing` with its step done, as a node that stopped between
/// a session's last step and its decision leaves it.
async fn processing_session(s: &TestServer, id: &str) {
    let st = &s.running.state;
    session(s, id, "529.982.247-25", json!([{"step": "device_scan"}])).await;
    let row = st.store.session(&s.a.id, id).await.unwrap();
    let mut half = row.clone();
    half.status = "processing".into();
    half.step = None;
    half.step_data =
        json!({"device_scan": {"session_id": "0b8f1c1e-0000-4000-8000-000000000000"}}).to_string();
    st.store
        .update_session(&half, Expected::of(&row), &[])
        .await
        .unwrap();
}

/// A node that stopped between a session's last step and its decision leaves it `processing`;
/// the sweeper decides it once it has been so for `STALLED_MS`, and leaves younger ones alone.
#[tokio::test]
async fn stalled_processing_sessions_are_decided_by_the_sweeper() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let st = &s.running.state;
        processing_session(&s, "stalled").await;
        assert_eq!(decide_stalled(st, 10).await.unwrap(), 0, "too young");
        s.clock.advance_ms(STALLED_MS + 1);
        // (the server's own sweeper may get there first: either way it is decided once)
        assert!(decide_stalled(st, 10).await.unwrap() <= 1);
        let got = v1(&s, "stalled").await;
        // (a device scan alone is never approved: it checked no identity)
        assert_eq!(
            (&got["status"], &got["decision"]["status"]),
            (&json!("in_manual_analysis"), &json!("in_manual_analysis"))
        );
        assert_eq!(
            s.event_kinds("stalled").await.last().unwrap(),
            "session.completed"
        );
        assert_eq!(decide_stalled(st, 10).await.unwrap(), 0, "decided once");
        s.stop().await;
    }
}

/// A session in `processing` has all its steps: past its expiry it is decided, never expired
/// (neither by the sweeper nor by a read) before the sweeper decides it.
#[tokio::test]
async fn a_processing_session_is_decided_not_expired() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let st = &s.running.state;
        processing_session(&s, "late").await;
        s.clock.advance_ms(40 * 24 * 3600 * 1000);
        assert_eq!(expire_due(st, 10).await.unwrap(), 0);
        let read = v1(&s, "late").await;
        assert_ne!(read["status"], "expired", "{read}");
        assert!(decide_stalled(st, 10).await.unwrap() <= 1);
        assert_eq!(v1(&s, "late").await["status"], "in_manual_analysis");
        let kinds = s.event_kinds("late").await;
        assert!(!kinds.iter().any(|k| k == "session.expired"), "{kinds:?}");
        s.stop().await;
    }
}
