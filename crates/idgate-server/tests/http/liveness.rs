//! Active liveness over HTTP on SQLite and PostgreSQL, with the real models: challenges (drawn
//! for a live tenant, fixed for a sandbox one), verification from the shared head-turn clip,
//! single use, tenant isolation, bad frames refused with nothing stored, and the hosted flow's
//! face step (a bare image refused, attempts limited, the decision says `liveness_failed`, the
//! 1:1 check against a face registration). Frames come from `../shared/testdata/video` through
//! Debian's ffmpeg (installed by `scripts/setup.sh`).

use std::io::Cursor;
use std::process::Command;
use std::sync::OnceLock;

use idgate_core::session::decision::Policy;
use idgate_server::app::admin;
use idgate_store::testing::BACKENDS;
use image::{imageops, RgbImage};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{b64, bearer, start, TestServer};
use crate::flow::{code, session, step, v1};

/// The female head-turn clip at 12.5 fps, scaled to 640×360 (what the hosted page sends).
fn clip() -> &'static Vec<RgbImage> {
    static FRAMES: OnceLock<Vec<RgbImage>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let src = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/video/head_turn_lr_female.mp4");
        assert!(
            src.is_file(),
            "\n\n*** TEST DATA MISSING: {} (shared/testdata beside the checkout) ***\n",
            src.display()
        );
        let dir = std::env::temp_dir().join(format!("idgate-http-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(&src)
            .args(["-vf", "fps=12.5,scale=640:360"])
            .arg(dir.join("f%04d.png"))
            .status()
            .unwrap_or_else(|e| {
                panic!("\n\n*** ffmpeg not found ({e}): run scripts/setup.sh ***\n")
            });
        assert!(ok.success());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let frames = files
            .iter()
            .map(|p| image::open(p).unwrap().to_rgb8())
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        frames
    })
}

pub(crate) fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88)
        .encode_image(img)
        .unwrap();
    out.into_inner()
}

/// `frames` JSON of clip frames `idx`, 80 ms apart.
fn frames_of(idx: &[usize]) -> Value {
    let f = clip();
    Value::Array(
        idx.iter()
            .enumerate()
            .map(|(k, &i)| json!({"image": b64(&jpeg(&f[i])), "t_ms": k * 80}))
            .collect(),
    )
}

/// Her left turn then her right turn (see the vision crate's liveness tests for the indices).
pub(crate) fn left_right() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        let idx: Vec<usize> = (9..=23).chain((19..=22).rev()).collect();
        frames_of(&idx)
    })
}

pub(crate) fn right_left() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        let idx: Vec<usize> = (6..=9).rev().chain(7..=19).collect();
        frames_of(&idx)
    })
}

/// Her frame facing the camera (frame 9), for a document portrait.
pub(crate) fn her_face() -> RgbImage {
    clip()[9].clone()
}

/// The frames that perform `actions` when they are two turns; `None` otherwise.
fn frames_for(actions: &Value) -> Option<&'static Value> {
    match (actions[0].as_str(), actions[1].as_str(), actions.get(2)) {
        (Some("turn_left"), Some("turn_right"), None) => Some(left_right()),
        (Some("turn_right"), Some("turn_left"), None) => Some(right_left()),
        _ => None,
    }
}

/// `POST {page}/liveness` with an empty body: a challenge for the session at `page`.
pub(crate) async fn session_challenge(s: &TestServer, page: &str) -> (u16, Value) {
    s.call(
        Method::POST,
        &format!("{page}/liveness"),
        "",
        Some(&json!({})),
    )
    .await
}

/// Passes the face step of the session at `page`: the server draws the actions at random, so
/// challenges are taken until one asks for the two turns the clip performs (each draw has a
/// one-in-three chance; unverified challenges cost no attempt).
pub(crate) async fn face_step(s: &TestServer, page: &str) -> (u16, Value) {
    for _ in 0..80 {
        let (st, c) = session_challenge(s, page).await;
        assert_eq!(st, 201, "{c}");
        if let Some(frames) = frames_for(&c["actions"]) {
            let body = json!({"challenge_id": c["id"], "frames": frames});
            return step(s, page, "face_recognition", body).await;
        }
    }
    panic!("80 challenges without a two-turn one");
}

/// Passes a `/v1` challenge of the tenant of `key` (drawn until it asks for two turns); returns
/// the selfie's `image_key`.
pub(crate) async fn api_pass(s: &TestServer, key: &str) -> Value {
    for _ in 0..80 {
        let (_, c) = challenge(s, key, json!({})).await;
        if let Some(frames) = frames_for(&c["actions"]) {
            let (st, r) = verify(s, key, &c["id"], frames).await;
            assert_eq!((st, &r["passed"]), (200, &json!(true)), "{r}");
            return r["image_key"].clone();
        }
    }
    panic!("80 challenges without a two-turn one");
}

async fn challenge(s: &TestServer, key: &str, body: Value) -> (u16, Value) {
    s.call(
        Method::POST,
        "/v1/liveness/challenges",
        &bearer(key),
        Some(&body),
    )
    .await
}

async fn verify(s: &TestServer, key: &str, id: &Value, frames: &Value) -> (u16, Value) {
    let path = format!("/v1/liveness/challenges/{}/verify", id.as_str().unwrap());
    s.call(
        Method::POST,
        &path,
        &bearer(key),
        Some(&json!({"frames": frames})),
    )
    .await
}

#[tokio::test]
async fn challenges_are_drawn_fixed_only_in_sandbox_and_verify_once() {
    for backend in BACKENDS {
        let s = start(backend).await;
        // A live tenant: two distinct actions, at least one a turn, in random order.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..30 {
            let (st, c) = challenge(&s, &s.a.key, json!({})).await;
            assert_eq!(st, 201, "{c}");
            let a: Vec<&str> = c["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert_eq!(a.len(), 2);
            assert_ne!(a[0], a[1]);
            assert!(a.iter().any(|x| x.starts_with("turn_")), "{a:?}");
            seen.insert(a.join(","));
        }
        assert!(seen.len() >= 3, "orders vary: {seen:?}");
        let (st, v) = challenge(&s, &s.a.key, json!({"actions": ["turn_left"]})).await;
        assert_eq!(
            (st, v["error"]["field"].as_str()),
            (422, Some("actions")),
            "{v}"
        );
        // A sandbox tenant fixes them; the clip passes them once.
        let (st, c) = challenge(
            &s,
            &s.sandbox.key,
            json!({"actions": ["turn_left", "turn_right"]}),
        )
        .await;
        assert_eq!(
            (st, &c["actions"]),
            (201, &json!(["turn_left", "turn_right"])),
            "{c}"
        );
        let (st, bad) = challenge(
            &s,
            &s.sandbox.key,
            json!({"actions": ["blink", "blink", "wink"]}),
        )
        .await;
        assert_eq!((st, code(&bad)), (422, "validation_failed"), "{bad}");
        let details = bad["error"]["details"].as_array().unwrap();
        assert_eq!(details.len(), 2, "every violation at once: {bad}");
        // another tenant cannot verify it
        let (st, _) = verify(&s, &s.a.key, &c["id"], left_right()).await;
        assert_eq!(st, 404);
        let (st, r) = verify(&s, &s.sandbox.key, &c["id"], left_right()).await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(
            (&r["passed"], &r["reasons"]),
            (&json!(true), &json!([])),
            "{r}"
        );
        assert!(r["image_key"].is_string(), "{r}");
        assert_eq!(r["seen"], json!(["turn_left", "turn_right"]));
        let (st, again) = verify(&s, &s.sandbox.key, &c["id"], left_right()).await;
        assert_eq!((st, code(&again)), (409, "conflict"), "a replay: {again}");
        // The wrong order fails with its reason (an answer, not an error).
        let (_, c) = challenge(
            &s,
            &s.sandbox.key,
            json!({"actions": ["turn_right", "turn_left"]}),
        )
        .await;
        let (st, r) = verify(&s, &s.sandbox.key, &c["id"], left_right()).await;
        assert_eq!(
            (st, &r["passed"], &r["reasons"]),
            (200, &json!(false), &json!(["wrong_order"])),
            "{r}"
        );
        assert!(r["image_key"].is_null());
        // An expired challenge fails as such.
        let (_, c) = challenge(
            &s,
            &s.sandbox.key,
            json!({"actions": ["turn_left", "turn_right"]}),
        )
        .await;
        s.clock.advance_ms(121_000);
        let (st, r) = verify(&s, &s.sandbox.key, &c["id"], left_right()).await;
        assert_eq!(
            (st, &r["reasons"]),
            (200, &json!(["challenge_expired"])),
            "{r}"
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn bad_frames_are_refused_and_store_nothing() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let key = &s.sandbox.key;
        let (_, c) = challenge(&s, key, json!({"actions": ["turn_left", "turn_right"]})).await;
        let good = left_right().as_array().unwrap().clone();
        let with = |i: usize, image: String| {
            let mut f = good.clone();
            f[i]["image"] = json!(image);
            Value::Array(f)
        };
        let mut huge = vec![0u8; 0];
        huge.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        huge.extend_from_slice(&100_000u32.to_be_bytes());
        huge.extend_from_slice(&100_000u32.to_be_bytes());
        huge.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        let small = jpeg(&imageops::resize(
            &clip()[3],
            320,
            180,
            imageops::FilterType::Nearest,
        ));
        let tiny = b64(&jpeg(&imageops::resize(
            &clip()[3],
            16,
            9,
            imageops::FilterType::Nearest,
        )));
        let many: Vec<Value> = (0..500)
            .map(|i| json!({"image": tiny, "t_ms": i * 40}))
            .collect();
        let heavy: Vec<Value> = (0..500)
            .map(|i| json!({"image": good[0]["image"], "t_ms": i * 40}))
            .collect();
        let cases: Vec<(&str, Value, u16, &str)> = vec![
            (
                "not an image",
                with(2, b64(b"GIF89a not really")),
                400,
                "invalid_frames",
            ),
            (
                "bad base64",
                with(2, "%%%not base64%%%".into()),
                422,
                "validation_failed",
            ),
            (
                "100000x100000 png header",
                with(2, b64(&huge)),
                400,
                "invalid_frames",
            ),
            ("mixed sizes", with(3, b64(&small)), 400, "invalid_frames"),
            (
                "500 small frames",
                Value::Array(many),
                422,
                "validation_failed",
            ),
            ("no frames", json!([]), 422, "validation_failed"),
        ];
        let before = s
            .running
            .state
            .store
            .face_counts(&s.sandbox.id)
            .await
            .unwrap();
        for (what, frames, status, want) in cases {
            let (st, v) = verify(&s, key, &c["id"], &frames).await;
            assert_eq!((st, code(&v)), (status, want), "{what}: {v}");
        }
        // 500 real frames are over the body limit before any is looked at
        let (st, v) = verify(&s, key, &c["id"], &Value::Array(heavy)).await;
        assert_eq!((st, code(&v)), (413, "payload_too_large"), "{v}");
        let after = s
            .running
            .state
            .store
            .face_counts(&s.sandbox.id)
            .await
            .unwrap();
        assert_eq!(after.images, before.images, "nothing stored");
        // the challenge is still pending and the worker free: the real frames pass
        let (st, r) = verify(&s, key, &c["id"], left_right()).await;
        assert_eq!((st, &r["passed"]), (200, &json!(true)), "{r}");
        s.stop().await;
    }
}

#[tokio::test]
async fn the_face_step_needs_a_passed_challenge_and_limits_attempts() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let steps = json!([{"step": "face_recognition"}]);
        let page = session(&s, "live1", "529.982.247-25", steps.clone()).await;
        let selfie = b64(&jpeg(&clip()[9]));
        let (st, v) = step(&s, &page, "face_recognition", json!({"image": selfie})).await;
        assert_eq!((st, code(&v)), (400, "liveness_required"), "{v}");
        let (st, v) = face_step(&s, &page).await;
        assert_eq!((st, &v["status"]), (200, &json!("approved")), "{v}");
        let got = v1(&s, "live1").await;
        let sd = &got["step_data"]["face_recognition"];
        assert!(sd["image_key"].is_string(), "{sd}");
        assert_eq!(sd["liveness"]["passed"], true, "{sd}");
        assert_eq!(got["decision"]["evidence"]["liveness"], true, "{got}");
        // a closed session issues no challenge
        let (st, c) = session_challenge(&s, &page).await;
        assert_eq!((st, code(&c)), (409, "invalid_state_transition"), "{c}");
        // a challenge of another session is not this session's
        let page2 = session(&s, "live2", "529.982.247-25", steps.clone()).await;
        let other = session(&s, "live2b", "529.982.247-25", steps.clone()).await;
        let (_, c) = session_challenge(&s, &other).await;
        assert_eq!(c["status"], "pending", "{c}");
        let body = json!({"challenge_id": c["id"], "frames": left_right()});
        let (st, v) = step(&s, &page2, "face_recognition", body).await;
        assert_eq!((st, code(&v)), (404, "not_found"), "{v}");

        // Two attempts allowed: the first failure says so, the second ends the step.
        let policy = Policy {
            liveness_attempts: 2,
            ..Policy::default()
        };
        admin::set_decision_policy(&s.running.state.store, "alpha", policy)
            .await
            .unwrap();
        let page = session(&s, "live3", "529.982.247-25", steps.clone()).await;
        for attempt in 1..=2 {
            let (st, c) = session_challenge(&s, &page).await;
            assert_eq!((st, &c["attempts_left"]), (201, &json!(3 - attempt)), "{c}");
            // a still photo repeated: fails whatever the actions
            let still: Vec<Value> = (0..12)
                .map(|i| json!({"image": selfie, "t_ms": i * 100}))
                .collect();
            let body = json!({"challenge_id": c["id"], "frames": still});
            let (st, v) = step(&s, &page, "face_recognition", body).await;
            if attempt == 1 {
                assert_eq!((st, code(&v)), (422, "liveness_failed"), "{v}");
                assert_eq!(v["error"]["details"]["attempts_left"], 1, "{v}");
                let reasons = v["error"]["details"]["reasons"].as_array().unwrap();
                assert!(reasons.contains(&json!("static_scene")), "{v}");
            } else {
                assert_eq!((st, &v["status"]), (200, &json!("rejected")), "{v}");
            }
        }
        let got = v1(&s, "live3").await;
        let codes: Vec<&str> = got["decision"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["liveness_failed"], "{got}");
        assert!(got["step_data"]["face_recognition"]["image_key"].is_null());
        s.stop().await;
    }
}

#[tokio::test]
async fn a_registered_cpf_gets_a_one_to_one_check_on_the_liveness_selfie() {
    for backend in BACKENDS {
        let s = start(backend).await;
        // the liveness selfie (an image_key) registers the CPF
        let image_key = api_pass(&s, &s.a.key).await;
        let (st, r) = s
            .call(
                Method::POST,
                "/face_recognition/registration",
                &s.a.key,
                Some(&json!({"document_number": "529.982.247-25", "image_key": image_key})),
            )
            .await;
        assert_eq!(st, 201, "{r}");
        let page = session(
            &s,
            "reg",
            "529.982.247-25",
            json!([{"step": "face_recognition"}]),
        )
        .await;
        let (st, v) = face_step(&s, &page).await;
        assert_eq!(st, 200, "{v}");
        let fv = &v1(&s, "reg").await["step_data"]["face_recognition"]["face_validation"];
        assert_eq!(fv["validation_result"], "pass", "{fv}");
        assert_eq!(fv["registration_key"], r["registration_key"]);
        // another CPF has no registration: no validation recorded
        let page = session(
            &s,
            "noreg",
            "111.444.777-35",
            json!([{"step": "face_recognition"}]),
        )
        .await;
        face_step(&s, &page).await;
        let sd = &v1(&s, "noreg").await["step_data"]["face_recognition"];
        assert!(sd["face_validation"].is_null(), "{sd}");
        s.stop().await;
    }
}
