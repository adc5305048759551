//! Refusals of the uqudo door: every `data` rule (reported at once), the options idgate cannot
//! honour, missing credentials, and another tenant's token.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use super::*;

fn fields(v: &Value) -> Vec<(String, String)> {
    v["error"]["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["field"].as_str().unwrap().to_owned(),
                        d["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// `data`, the status and code wanted, and the field errors wanted.
type Case = (String, u16, &'static str, Vec<(String, String)>);

#[tokio::test]
async fn every_data_rule_is_checked_and_reported_at_once() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let t = u.token_of(&u.a).await;
        let cases: Vec<Case> = vec![
            (
                "@@not base64@@".into(),
                422,
                "validation_failed",
                pairs(&[("data", "invalid_base64")]),
            ),
            (
                STANDARD.encode("{\"documents\": ["),
                422,
                "validation_failed",
                pairs(&[("data", "invalid_json")]),
            ),
            (
                STANDARD.encode("\"text\""),
                422,
                "validation_failed",
                pairs(&[("data", "invalid_type")]),
            ),
            (
                data(
                    json!({"documents": [{"documentType": "DRIVING_LICENSE_XX", "faceScanMinimumMatchLevel": 6,
                    "faceReadMinimumMatchLevel": 0}],
                    "facialRecognition": {"enabled": true, "scanMinimumMatchLevel": 0, "readMinimumMatchLevel": 9, "maxAttempts": 4}}),
                ),
                422,
                "validation_failed",
                pairs(&[
                    ("data.documents[0].documentType", "invalid_value"),
                    (
                        "data.documents[0].faceScanMinimumMatchLevel",
                        "out_of_range",
                    ),
                    (
                        "data.documents[0].faceReadMinimumMatchLevel",
                        "out_of_range",
                    ),
                    (
                        "data.facialRecognition.scanMinimumMatchLevel",
                        "out_of_range",
                    ),
                    (
                        "data.facialRecognition.readMinimumMatchLevel",
                        "out_of_range",
                    ),
                    ("data.facialRecognition.maxAttempts", "out_of_range"),
                ]),
            ),
            (
                data(json!({"documents": []})),
                422,
                "validation_failed",
                pairs(&[("data.documents", "invalid_value")]),
            ),
            (
                data(
                    json!({"documents": [{"documentType": "PASSPORT", "reading": {"enabled": true, "isForceReading": true}}]}),
                ),
                422,
                "nfc_unsupported",
                pairs(&[(
                    "data.documents[0].reading.isForceReading",
                    "nfc_unsupported",
                )]),
            ),
            (
                data(json!({"backgroundCheck": {"enabled": true, "checkType": "RDC"}})),
                422,
                "background_check_unsupported",
                pairs(&[(
                    "data.backgroundCheck.enabled",
                    "background_check_unsupported",
                )]),
            ),
        ];
        for (d, status, want, want_fields) in cases {
            let (st, v) = u.create(&t, &d).await;
            assert_eq!((st, code(&v)), (status, want), "{b:?} {d}: {v}");
            assert_eq!(fields(&v), want_fields, "{v}");
        }
        for body in [json!({}), json!({"data": 5})] {
            let (st, v) =
                u.s.call(Method::POST, "/api/v1/session", &t, Some(&body))
                    .await;
            assert_eq!((st, code(&v)), (422, "validation_failed"), "{v}");
        }
        // every supported document type is accepted
        for d in ["PASSPORT", "ID", "BRA_RG", "BRA_CNH"] {
            let (st, v) = u
                .create(&t, &data(json!({"documents": [{"documentType": d}]})))
                .await;
            assert_eq!(st, 200, "{d}: {v}");
        }
        // nothing was stored by a refused request: only the four sessions above exist
        let (_, list) = u
            .get("/v1/verification-sessions", &bearer(&u.s.a.key))
            .await;
        assert_eq!(list["data"].as_array().map(Vec::len), Some(4), "{list}");
        u.s.stop().await;
    }
}

#[tokio::test]
async fn credentials_are_checked_before_anything_and_tenants_stay_apart() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let d = data(json!({}));
        for auth in ["", "Bearer ", "Bearer nope", &bearer(&u.s.a.key)] {
            let (st, v) = u.create(auth, &d).await;
            assert_eq!((st, code(&v)), (401, "invalid_token"), "{auth}: {v}");
        }
        let (id, _, _) = u.session(json!({})).await;
        let tb = u.token_of(&u.b).await;
        let ta = u.token_of(&u.a).await;
        // B cannot read A's session, result or images; nor delete its result
        assert_eq!(u.get(&format!("/api/v1/info/{id}"), &tb).await.0, 404);
        assert_eq!(
            u.s.call(Method::DELETE, &format!("/api/v1/info/{id}"), &tb, None)
                .await
                .0,
            404
        );
        // A's own result exists once the session is decided
        let (st, v) = u.get(&format!("/api/v1/info/{id}"), &ta).await;
        assert_eq!((st, code(&v)), (409, "invalid_state_transition"), "{v}");
        assert_eq!(u.get(&format!("/api/v1/info/{id}"), "").await.0, 401);
        assert_eq!(
            u.get(&format!("/api/v1/info/img/{}", uuid::Uuid::new_v4()), &ta)
                .await
                .0,
            404
        );
        assert_eq!(u.get("/api/v1/info/img/not-a-uuid", &ta).await.0, 404);
        // face match validation, every violation at once
        let (st, v) =
            u.s.call(
                Method::POST,
                "/api/v1/face/match",
                &ta,
                Some(&json!({"minimumMatchLevel": 7})),
            )
            .await;
        assert_eq!((st, code(&v)), (422, "validation_failed"), "{v}");
        assert_eq!(
            fields(&v),
            pairs(&[
                ("sourceImage", "required"),
                ("targetImage", "required"),
                ("minimumMatchLevel", "out_of_range")
            ])
        );
        u.s.stop().await;
    }
}

#[tokio::test]
async fn face_match_answers_a_level_and_a_match() {
    let u = env(idgate_store::Backend::Sqlite).await;
    let t = u.token_of(&u.a).await;
    let img = |n: &str| b64(&testdata(&format!("faces/{n}")));
    let same = json!({"sourceImage": img("obama_1.jpg"), "targetImage": img("obama_2.jpg")});
    let (st, v) =
        u.s.call(Method::POST, "/api/v1/face/match", &t, Some(&same))
            .await;
    assert_eq!((st, &v["match"]), (200, &json!(true)), "{v}");
    assert!((3..=5).contains(&v["matchLevel"].as_i64().unwrap()), "{v}");
    let other = json!({"sourceImage": img("obama_1.jpg"), "targetImage": img("angelina_1.jpg"), "minimumMatchLevel": 3});
    let (st, v) =
        u.s.call(Method::POST, "/api/v1/face/match", &t, Some(&other))
            .await;
    assert_eq!((st, &v["match"]), (200, &json!(false)), "{v}");
    u.s.stop().await;
}
