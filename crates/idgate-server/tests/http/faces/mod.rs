//! Face routes over HTTP on both backends with real models and real photos: image upload,
//! registration → get by key → get by CPF → validation pass (same person) → validation fail
//! (another person), comparison, erasure with audit; refused input (truncated JPEG, a PNG
//! declaring 100000×100000, non-image bytes, bad base64, `data:` prefix, both/neither image
//! fields, group photo, no face) answers 4xx and stores nothing; tenant isolation; images
//! sealed at rest. Inferences are kept few: the suite runs on 2 cores, one face worker.

use std::sync::Arc;

use idgate_server::clock::ManualClock;
use idgate_server::server;
use idgate_store::testing::{fresh_url, BACKENDS};
use idgate_store::{Backend, FaceCounts};
use reqwest::Method;
use serde_json::json;

use crate::common::*;

mod refusals;

const CPF: &str = "529.982.247-25";
const CPF_DIGITS: &str = "52998224725";

fn b64(rel: &str) -> String {
    crate::common::b64(&testdata(rel))
}

async fn counts(s: &TestServer, tenant: &str) -> FaceCounts {
    s.running.state.store.face_counts(tenant).await.unwrap()
}

#[tokio::test]
async fn faces_flow_on_both_backends() {
    for b in BACKENDS {
        flow(b).await;
    }
}

async fn flow(b: Backend) {
    let s = start(b).await;
    let (qa, va) = (s.a.key.clone(), bearer(&s.a.key));
    // upload (1 inference) and register by image_key (none)
    let (st, img) = s
        .call(
            Method::POST,
            "/face_recognition/image",
            &qa,
            Some(&json!({"image": b64("faces/obama_1.jpg")})),
        )
        .await;
    assert_eq!(st, 201, "{b:?} {img}");
    let image_key = img["image_key"].as_str().unwrap().to_owned();
    assert_eq!(img["file_size"], testdata("faces/obama_1.jpg").len());
    assert!(img["width_px"].as_u64().unwrap() > 0 && img["created_at"].is_string());
    let body = json!({"document_number": CPF, "image_key": image_key});
    let (st, reg) = s
        .call(
            Method::POST,
            "/face_recognition/registration",
            &qa,
            Some(&body),
        )
        .await;
    assert_eq!(st, 201, "{b:?} {reg}");
    assert_eq!(
        reg.as_object().unwrap().len(),
        1,
        "only the key, as the seed shows: {reg}"
    );
    let rk = reg["registration_key"].as_str().unwrap().to_owned();
    let (st, got) = s
        .call(
            Method::GET,
            &format!("/face_recognition/registration/{rk}"),
            &qa,
            None,
        )
        .await;
    assert_eq!(st, 200, "{got}");
    assert_eq!(
        (got["registration_key"].as_str(), got["status"].as_str()),
        (Some(&*rk), Some("authentic"))
    );
    assert_eq!(got["document_number"], CPF);
    assert_eq!(got["image"]["image_key"], image_key.as_str());
    for doc in [CPF, CPF_DIGITS] {
        let (st, by) = s
            .call(
                Method::GET,
                &format!("/face_recognition/registration/document_number/{doc}"),
                &qa,
                None,
            )
            .await;
        assert_eq!(
            (st, by["registration_key"].as_str()),
            (200, Some(&*rk)),
            "{doc}: {by}"
        );
    }
    // validation: same person passes (1 inference), another person fails (1 inference)
    let (st, pass) = s
        .call(
            Method::POST,
            "/face_recognition/validation",
            &qa,
            Some(&json!({"document_number": CPF_DIGITS, "image": b64("faces/obama_2.jpg")})),
        )
        .await;
    assert_eq!(st, 201, "{b:?} {pass}");
    assert_eq!(pass["validation_result"], "pass", "{pass}");
    assert!(pass["similarity_ratio"].as_f64().unwrap() >= 0.95, "{pass}");
    assert!(pass["match_level"].as_i64().unwrap() >= 3, "{pass}");
    assert_eq!(pass["registration"]["registration_key"], rk.as_str());
    let (st, fail) = s
        .call(
            Method::POST,
            "/v1/faces/validations",
            &va,
            Some(&json!({"registration_key": rk, "image": b64("faces/biden_1.jpg")})),
        )
        .await;
    assert_eq!(st, 201, "{b:?} {fail}");
    assert_eq!(
        (fail["validation_result"].as_str(), fail["object"].as_str()),
        (Some("fail"), Some("face_validation"))
    );
    assert!(
        fail["similarity_ratio"].as_f64().unwrap() < 0.95
            && fail["distance"].as_f64().unwrap() > 0.6,
        "{fail}"
    );
    let vk = pass["validation_key"].as_str().unwrap();
    let (st, again) = s
        .call(
            Method::GET,
            &format!("/face_recognition/validation/{vk}"),
            &qa,
            None,
        )
        .await;
    assert_eq!((st, &again), (200, &pass));
    // comparison by stored keys (no inference)
    let (pk, fk) = (
        pass["image"]["image_key"].as_str().unwrap(),
        fail["image"]["image_key"].as_str().unwrap(),
    );
    let (st, cmp) = s
        .call(
            Method::POST,
            "/v1/faces/compare",
            &va,
            Some(&json!({"image_key_a": image_key, "image_key_b": pk})),
        )
        .await;
    assert_eq!((st, cmp["result"].as_str()), (200, Some("pass")), "{cmp}");
    let (_, cmp) = s
        .call(
            Method::POST,
            "/v1/faces/compare",
            &va,
            Some(&json!({"image_key_a": pk, "image_key_b": fk})),
        )
        .await;
    assert_eq!(cmp["result"], "fail", "{cmp}");

    isolation(&s, &rk, vk, &image_key).await;
    at_rest(&s, &image_key).await;
    refusals::refusals(&s).await;
    erase(&s, &rk, &image_key).await;
    s.stop().await;
}

async fn isolation(s: &TestServer, rk: &str, vk: &str, image_key: &str) {
    let qb = s.b.key.clone();
    for path in [
        format!("/face_recognition/registration/{rk}"),
        format!("/face_recognition/registration/document_number/{CPF}"),
        format!("/face_recognition/validation/{vk}"),
        format!("/v1/faces/registrations/{rk}"),
    ] {
        let auth = if path.starts_with("/v1") {
            bearer(&qb)
        } else {
            qb.clone()
        };
        let (st, v) = s.call(Method::GET, &path, &auth, None).await;
        assert_eq!(st, 404, "{path}: {v}");
    }
    let (st, _) = s
        .call(
            Method::DELETE,
            &format!("/v1/faces/registrations/{rk}"),
            &bearer(&qb),
            None,
        )
        .await;
    assert_eq!(st, 404);
    let body = json!({"document_number": CPF, "image_key": image_key});
    let (st, v) = s
        .call(
            Method::POST,
            "/face_recognition/registration",
            &qb,
            Some(&body),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (404, Some("not_found")), "{v}");
    assert_eq!(counts(s, &s.b.id).await, FaceCounts::default());
}

async fn at_rest(s: &TestServer, image_key: &str) {
    let sealed = s
        .running
        .state
        .store
        .face_image_sealed(&s.a.id, image_key)
        .await
        .unwrap();
    let jpeg = testdata("faces/obama_1.jpg");
    assert!(sealed.len() >= jpeg.len(), "the whole file is stored");
    for at in [0, jpeg.len() / 3, jpeg.len() / 2, jpeg.len() - 64] {
        let probe = &jpeg[at..at + 32];
        assert!(
            !sealed.windows(32).any(|w| w == probe),
            "plaintext bytes at {at} found in the row"
        );
    }
    assert!(sealed.starts_with(b"k1."), "sealed with key id k1");
}

async fn erase(s: &TestServer, rk: &str, image_key: &str) {
    let va = bearer(&s.a.key);
    let (st, v) = s
        .call(
            Method::DELETE,
            &format!("/v1/faces/registrations/{rk}"),
            &va,
            None,
        )
        .await;
    assert_eq!((st, v["erased"].as_bool()), (200, Some(true)), "{v}");
    let (st, _) = s
        .call(
            Method::GET,
            &format!("/v1/faces/registrations/{rk}"),
            &va,
            None,
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = s
        .call(
            Method::GET,
            &format!("/v1/faces/registrations/by-document/{CPF}"),
            &va,
            None,
        )
        .await;
    assert_eq!(st, 404);
    let store = &s.running.state.store;
    assert!(
        store
            .face_image_meta(&s.a.id, image_key)
            .await
            .unwrap()
            .is_none(),
        "image erased"
    );
    let audit = store.audit_events(&s.a.id).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].kind.as_str(), audit[0].subject.as_str()),
        ("face_registration.erased", rk)
    );
    assert!(
        !audit[0].detail.contains(CPF_DIGITS) && !audit[0].detail.contains(CPF),
        "CPF masked"
    );
    let (st, _) = s
        .call(
            Method::DELETE,
            &format!("/v1/faces/registrations/{rk}"),
            &va,
            None,
        )
        .await;
    assert_eq!(st, 404, "erasing twice");
}

/// Without model files the server still starts; face routes answer a documented 503.
#[tokio::test]
async fn faces_without_models_answer_503() {
    let dir =
        std::env::temp_dir().join(format!("idgate-nomodels-{}", uuid::Uuid::new_v4().simple()));
    let mut cfg = config(fresh_url(Backend::Sqlite).await, &dir);
    cfg.faces.models_dir = dir.join("empty");
    cfg.faces.preload = true;
    let running = server::start(cfg, Arc::new(ManualClock::new(T0)))
        .await
        .expect("starts");
    let store = &running.state.store;
    let t = idgate_server::app::admin::create_tenant(store, T0, "nomodels", false, "UTC")
        .await
        .unwrap();
    let k = idgate_server::app::admin::create_api_key(store, T0, &t.tenant_id)
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let res = reqwest::Client::new()
        .post(format!("{base}/v1/faces/images"))
        .header("authorization", bearer(&k.api_key))
        .json(&json!({"image": b64("faces/obama_1.jpg")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let (_, v) = json_of(res).await;
    assert_eq!(v["error"]["code"], "model_unavailable", "{v}");
    let (_, ready) = json_of(reqwest::get(format!("{base}/readyz")).await.unwrap()).await;
    assert_eq!(ready["faces"], "unavailable", "{ready}");
    running.stop().await;
}
