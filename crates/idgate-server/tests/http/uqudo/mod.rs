//! The uqudo door over HTTP, on SQLite and PostgreSQL: client-credentials tokens, session
//! creation with every `data` rule, the phone side (one phone, 30 minutes, delete), the web
//! socket, the signed result and its images, cross-tenant refusals, two nodes.

mod attempts;
mod refusals;
mod socket;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use futures_util::StreamExt;
use idgate_server::app::admin::{self, NewClient};
use reqwest::Method;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

pub struct Uq {
    pub s: TestServer,
    /// Tenant A's client with the sessions scope, and tenant B's.
    pub a: (String, String),
    pub b: (String, String),
}

async fn client(s: &TestServer, tenant: &str, scope: &str) -> (String, String) {
    let c = admin::create_client(
        &s.running.state.store,
        T0,
        tenant,
        NewClient {
            name: "Desk".into(),
            scopes: vec![scope.into()],
            callback_urls: vec![],
            can_notify: false,
            websocket: true,
            auth_ttl: 300,
        },
    )
    .await
    .unwrap();
    (c.client_id, c.client_secret)
}

pub async fn env(b: idgate_store::Backend) -> Uq {
    let s = start(b).await;
    let a = client(&s, &s.a.id, "sessions").await;
    let bb = client(&s, &s.b.id, "sessions").await;
    Uq { s, a, b: bb }
}

/// The seed's example `data`, with the face step on and `extra` merged at the top level.
pub fn data(extra: Value) -> String {
    let mut v = json!({
        "documents": [{"documentType": "BRA_RG", "reading": {"enabled": false, "isForceReading": false},
            "faceScanMinimumMatchLevel": 2, "faceReadMinimumMatchLevel": 3}],
        "generalConfig": {"secureWindowsEnabled": true, "userIdentifier": null},
        "backgroundCheck": {"enabled": false, "checkType": "RDC"},
        "facialRecognition": {"enabled": true, "scanMinimumMatchLevel": 2, "maxAttempts": 3}
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    STANDARD.encode(v.to_string())
}

impl Uq {
    pub async fn token_of(&self, c: &(String, String)) -> String {
        let (st, v) = self
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &c.0),
                ("client_secret", &c.1),
            ])
            .await;
        assert_eq!(st, 200, "{v}");
        format!("Bearer {}", v["access_token"].as_str().unwrap())
    }

    pub async fn token_form(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let res = self
            .s
            .http
            .post(format!("{}/api/oauth/token", self.s.base))
            .form(form)
            .send()
            .await
            .unwrap();
        json_of(res).await
    }

    pub async fn create(&self, bearer: &str, data: &str) -> (u16, Value) {
        self.s
            .call(
                Method::POST,
                "/api/v1/session",
                bearer,
                Some(&json!({"data": data})),
            )
            .await
    }

    /// A session of tenant A: `(sessionId, qrCodeText, link)`.
    pub async fn session(&self, extra: Value) -> (String, String, String) {
        let t = self.token_of(&self.a).await;
        let (st, v) = self.create(&t, &data(extra)).await;
        assert_eq!(st, 200, "{v}");
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        (
            s("sessionId"),
            s("qrCodeText"),
            s("qrCodeTextWithDynamicLink"),
        )
    }

    pub async fn get(&self, path: &str, auth: &str) -> (u16, Value) {
        self.s.call(Method::GET, path, auth, None).await
    }
}

/// The flow page path (`/s/{hash}/t/{token}`) of the phone that opened `qr`.
pub async fn phone(u: &Uq, qr: &str) -> String {
    let (st, v) = u.get("/api/v1/session", qr).await;
    assert_eq!(st, 200, "{v}");
    let url = v["flowUrl"].as_str().unwrap();
    format!("/s/{}", url.split_once("/s/").unwrap().1)
}

/// The claims of `jws` after checking its RS256 signature against the JWKS at `base`.
pub async fn verified(http: &reqwest::Client, base: &str, jws: &str) -> (Value, Value) {
    verified_at(http, &format!("{base}/api/.well-known/jwks.json"), jws).await
}

/// [`verified`] against the JWKS at `url`.
pub async fn verified_at(http: &reqwest::Client, url: &str, jws: &str) -> (Value, Value) {
    let jwks: Value = http.get(url).send().await.unwrap().json().await.unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "{jws}");
    let dec = |p: &str| URL_SAFE_NO_PAD.decode(p).unwrap();
    let header: Value = serde_json::from_slice(&dec(parts[0])).unwrap();
    assert_eq!(header["alg"], "RS256");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("kid in the JWKS");
    let n = BigUint::from_bytes_be(&dec(jwk["n"].as_str().unwrap()));
    let e = BigUint::from_bytes_be(&dec(jwk["e"].as_str().unwrap()));
    let key = VerifyingKey::<Sha256>::new(RsaPublicKey::new(n, e).unwrap());
    let sig = Signature::try_from(dec(parts[2]).as_slice()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("signature verifies");
    (header, serde_json::from_slice(&dec(parts[1])).unwrap())
}

pub fn code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .or(v["error"].as_str())
        .unwrap_or_default()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next frame that is not a heartbeat; a close as `{"close": code}`.
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        match ws.next().await {
            None => return json!({"close": null}),
            Some(Err(_)) => return json!({"close": "error"}),
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["service"] != "HEARTBEAT" {
                    return v;
                }
            }
            Some(Ok(Message::Close(c))) => return json!({"close": c.map(|c| u16::from(c.code))}),
            _ => {}
        }
    }
}

pub async fn socket(base: &str) -> Ws {
    let url = format!("{}/ws/v1/session", base.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

#[tokio::test]
async fn token_is_an_rs256_jws_and_refusals_say_why() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let (id, secret) = u.a.clone();
        let (st, v) = u
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ])
            .await;
        assert_eq!(st, 200, "{b:?} {v}");
        assert_eq!(
            (&v["token_type"], &v["expires_in"], &v["scope"]),
            (&json!("bearer"), &json!(1800), &json!("sessions"))
        );
        let (h, c) = verified(&u.s.http, &u.s.base, v["access_token"].as_str().unwrap()).await;
        assert_eq!(h["typ"], "at+jwt");
        assert_eq!((&c["client_id"], &c["jti"]), (&json!(id), &v["jti"]));
        assert_eq!(
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
            1800
        );
        // HTTP Basic works too
        let res =
            u.s.http
                .post(format!("{}/api/oauth/token", u.s.base))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
        assert_eq!(res.status(), 200);
        let (st, v) = u
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "wrong"),
            ])
            .await;
        assert_eq!((st, code(&v)), (401, "invalid_client"), "{v}");
        let (st, v) = u
            .token_form(&[
                ("grant_type", "password"),
                ("client_id", &id),
                ("client_secret", &secret),
            ])
            .await;
        assert_eq!((st, code(&v)), (400, "unsupported_grant_type"), "{v}");
        let other = client(&u.s, &u.s.a.id, "authentication_session").await;
        let (st, v) = u
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &other.0),
                ("client_secret", &other.1),
            ])
            .await;
        assert_eq!((st, code(&v)), (400, "invalid_scope"), "{v}");
        // a token ends with its lifetime
        let t = u.token_of(&u.a).await;
        assert_eq!(u.create(&t, &data(json!({}))).await.0, 200);
        u.s.clock.advance_ms(1_800_000);
        let (st, v) = u.create(&t, &data(json!({}))).await;
        assert_eq!((st, code(&v)), (401, "invalid_token"), "{v}");
        // rotation: nodes sign with the new key within a minute; the old key still verifies
        let old = u.token_of(&u.a).await;
        let st = &u.s.running.state;
        let kid = idgate_server::app::uqudo::keys::rotate(&st.store, &st.keys, st.now())
            .await
            .unwrap();
        u.s.clock.advance_ms(60_000);
        let new = u.token_of(&u.a).await;
        let (h, _) = verified(&u.s.http, &u.s.base, new.trim_start_matches("Bearer ")).await;
        assert_eq!(h["kid"], kid);
        verified(&u.s.http, &u.s.base, old.trim_start_matches("Bearer ")).await;
        assert_eq!(u.create(&old, &data(json!({}))).await.0, 200);
        // a forged token (signed by nobody we know) is refused
        let parts: Vec<&str> = t.trim_start_matches("Bearer ").split('.').collect();
        let forged = format!(
            "Bearer {}.{}.{}",
            parts[0],
            parts[1],
            URL_SAFE_NO_PAD.encode([7u8; 256])
        );
        assert_eq!(u.create(&forged, &data(json!({}))).await.0, 401);
        u.s.stop().await;
    }
}

#[tokio::test]
async fn a_session_is_a_verification_session_opened_by_one_phone() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let (id, qr, link) = u.session(json!({})).await;
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert!(
            URL_SAFE_NO_PAD.decode(&qr).unwrap().len() >= 16,
            "≥128-bit qrCodeText"
        );
        assert_eq!(link, format!("{}/q/{qr}", u.s.base));
        // the same session on /v1, for the tenant only
        let (st, v) = u
            .get(
                &format!("/v1/verification-sessions/{id}"),
                &bearer(&u.s.a.key),
            )
            .await;
        assert_eq!((st, &v["status"]), (200, &json!("pending")), "{v}");
        let steps: Vec<&str> = v["settings"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["personal_document", "face_recognition"], "{v}");
        assert_eq!(
            u.get(
                &format!("/v1/verification-sessions/{id}"),
                &bearer(&u.s.b.key)
            )
            .await
            .0,
            404
        );
        // the phone opens it once
        let (st, v) = u.get("/api/v1/session", &qr).await;
        assert_eq!((st, &v["sessionId"]), (200, &json!(id)), "{v}");
        assert_eq!(v["data"], data(json!({})));
        assert!(
            v["token"].is_string() && v["flowUrl"].as_str().unwrap().contains("/s/"),
            "{v}"
        );
        let (st, v) = u.get("/api/v1/session", &qr).await;
        assert_eq!((st, code(&v)), (409, "conflict"), "a second phone: {v}");
        let (st, _) = u.get(&format!("/api/v1/session/{qr}"), "").await;
        assert_eq!(st, 409);
        // the path form and the dynamic link on fresh sessions
        let (id2, qr2, _) = u.session(json!({})).await;
        let (st, v) = u.get(&format!("/api/v1/session/{qr2}"), "").await;
        assert_eq!((st, &v["sessionId"]), (200, &json!(id2)), "{v}");
        let (_, qr3, link3) = u.session(json!({})).await;
        let nofollow = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = nofollow.get(&link3).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with(&format!("{}/s/", u.s.base)), "{to}");
        let res = nofollow.get(&link3).send().await.unwrap();
        assert_eq!(res.status(), 409);
        assert!(res.text().await.unwrap().contains("another phone"));
        assert_eq!(u.get("/api/v1/session", &qr3).await.0, 409);
        // delete: the info is gone for everyone
        let (_, qr4, _) = u.session(json!({})).await;
        let (st, _) =
            u.s.call(Method::DELETE, &format!("/api/v1/session/{qr4}"), "", None)
                .await;
        assert_eq!(st, 204);
        assert_eq!(u.get("/api/v1/session", &qr4).await.0, 404);
        assert_eq!(
            u.s.call(Method::DELETE, &format!("/api/v1/session/{qr4}"), "", None)
                .await
                .0,
            404
        );
        assert_eq!(u.get("/api/v1/session", "not-a-code").await.0, 404);
        u.s.stop().await;
    }
}

#[tokio::test]
async fn a_qr_code_lives_thirty_minutes() {
    for b in idgate_store::testing::BACKENDS {
        let u = env(b).await;
        let (id, qr, link) = u.session(json!({})).await;
        let (_, qr2, _) = u.session(json!({})).await;
        u.s.clock.advance_ms(30 * 60_000 - 1);
        assert_eq!(u.get(&format!("/api/v1/session/{qr2}"), "").await.0, 200);
        u.s.clock.advance_ms(1);
        let (st, v) = u.get("/api/v1/session", &qr).await;
        assert_eq!((st, code(&v)), (410, "session_expired"), "{v}");
        assert_eq!(u.s.http.get(&link).send().await.unwrap().status(), 410);
        let (_, v) = u
            .get(
                &format!("/v1/verification-sessions/{id}"),
                &bearer(&u.s.a.key),
            )
            .await;
        assert_eq!(v["status"], "expired", "{v}");
        let mut ws = socket(&u.s.base).await;
        futures_util::SinkExt::send(&mut ws, Message::text(qr))
            .await
            .unwrap();
        assert_eq!(next(&mut ws).await, json!({"close": 4410}));
        u.s.stop().await;
    }
}
