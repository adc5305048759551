//! Login test support: an OAuth client, a simulated authenticator device (a P-256 key signing
//! the app's canonical messages), and local receivers for callbacks and Web Push.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use idgate_core::jose::SigningKey;
use idgate_server::app::admin::{self, NewClient};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

/// A valid CPF and a second one, and a valid CNPJ.
pub const CPF_A: &str = "529.982.247-25";
pub const CPF_B: &str = "111.444.777-35";
pub const CNPJ: &str = "11.222.333/0001-81";

/// A local HTTP receiver: every POST body (with headers) goes to the channel; answers `status`.
pub struct Receiver {
    pub url: String,
    pub rx: mpsc::UnboundedReceiver<(HeaderMap, Bytes)>,
}

pub async fn receiver(status: u16) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/{*rest}",
        post(move |h: HeaderMap, b: Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((h, b));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    Receiver { url, rx }
}

pub struct LoginEnv {
    pub s: TestServer,
    pub client_id: String,
    pub secret: String,
    pub callback: Receiver,
}

pub async fn env(b: idgate_store::Backend) -> LoginEnv {
    env_with(b, |_, _| {}).await
}

/// [`env`] on a server whose configuration `change` adjusts.
pub async fn env_with(
    b: idgate_store::Backend,
    change: impl FnOnce(&mut idgate_server::config::Config, &std::path::Path),
) -> LoginEnv {
    let s = start_with(b, change).await;
    let callback = receiver(200).await;
    let c = admin::create_client(
        &s.running.state.store,
        T0,
        &s.a.id,
        NewClient {
            name: "Portal Alpha".into(),
            scopes: vec!["authentication_session".into(), "signature_session".into()],
            callback_urls: vec![callback.url.clone()],
            can_notify: true,
            websocket: true,
            auth_ttl: 300,
        },
    )
    .await
    .unwrap();
    LoginEnv {
        s,
        client_id: c.client_id,
        secret: c.client_secret,
        callback,
    }
}

pub struct Device {
    pub id: String,
    pub key: SigningKey,
}

impl LoginEnv {
    pub fn now_s(&self) -> i64 {
        self.s.running.state.now() / 1000
    }

    pub async fn start(&self, extra: Value) -> (u16, Value) {
        let mut body = json!({"client_id": self.client_id, "client_secret": self.secret,
            "scope": "authentication_session", "lifetime": 3600});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.s
            .call(Method::POST, "/oauth/start", "", Some(&body))
            .await
    }

    pub async fn notify(&self, username: &str, short: &str) -> (u16, Value) {
        let body = json!({"client_id": self.client_id, "client_secret": self.secret,
            "username": username, "short_token": short});
        self.s
            .call(Method::POST, "/oauth/notify", "", Some(&body))
            .await
    }

    /// Enrols a device for `username` of tenant A, with a push endpoint when given.
    pub async fn device(&self, username: &str, push: Option<&str>) -> Device {
        let (st, v) = self
            .s
            .call(
                Method::POST,
                "/v1/authenticator/enrollments",
                &bearer(&self.s.a.key),
                Some(&json!({"username": username})),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        let url = v["enrollment_url"].as_str().unwrap();
        let token = url.split_once("#e=").unwrap().1;
        let key = SigningKey::generate("d", &mut rand::rngs::OsRng);
        let sub = push.map(|ep| {
            let ua = SigningKey::generate("ua", &mut rand::rngs::OsRng);
            json!({"endpoint": ep, "keys": {"p256dh": URL_SAFE_NO_PAD.encode(ua.public().to_uncompressed()),
                "auth": URL_SAFE_NO_PAD.encode([7u8; 16])}})
        });
        let body = json!({"enrollment_token": token, "public_key": key.public().to_jwk(), "push_subscription": sub});
        let (st, v) = self
            .s
            .call(Method::POST, "/authenticator/api/devices", "", Some(&body))
            .await;
        assert_eq!(st, 201, "{v}");
        let (st, again) = self
            .s
            .call(Method::POST, "/authenticator/api/devices", "", Some(&body))
            .await;
        assert_eq!(
            (st, again["error"]["code"].as_str()),
            (401, Some("invalid_token")),
            "one-time link"
        );
        Device {
            id: v["device_id"].as_str().unwrap().to_owned(),
            key,
        }
    }

    pub async fn open(&self, d: &Device, short: &str) -> (u16, Value) {
        let time = self.now_s();
        let msg = format!(r#"{{"action":"open","short_token":"{short}","time":{time}}}"#);
        let sig = URL_SAFE_NO_PAD.encode(d.key.sign(msg.as_bytes()));
        let body = json!({"device_id": d.id, "short_token": short, "time": time, "signature": sig});
        self.s
            .call(
                Method::POST,
                "/authenticator/api/logins/open",
                "",
                Some(&body),
            )
            .await
    }

    pub async fn decide(&self, d: &Device, short: &str, decision: &str, n: u8) -> (u16, Value) {
        let time = self.now_s();
        let msg = format!(
            r#"{{"challenge":{n},"decision":"{decision}","short_token":"{short}","time":{time}}}"#
        );
        let sig = URL_SAFE_NO_PAD.encode(d.key.sign(msg.as_bytes()));
        let body = json!({"device_id": d.id, "short_token": short, "time": time, "signature": sig,
            "challenge": n, "decision": decision});
        self.s
            .call(
                Method::POST,
                "/authenticator/api/logins/decide",
                "",
                Some(&body),
            )
            .await
    }

    pub async fn token(&self, jwt: &str) -> (u16, Value) {
        self.s
            .call(Method::GET, "/oauth/token", &bearer(jwt), None)
            .await
    }

    /// The next callback body `{token, short_token}`.
    pub async fn next_callback(&mut self) -> Value {
        let (_, b) = self.callback.rx.recv().await.expect("callback");
        serde_json::from_slice(&b).unwrap()
    }

    pub async fn form(&self, path: &str, token: &str) -> (u16, Value) {
        let res = self
            .s
            .http
            .post(format!("{}{path}", self.s.base))
            .basic_auth(&self.client_id, Some(&self.secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"))
            .send()
            .await
            .unwrap();
        json_of(res).await
    }
}

/// A number among `choices` other than `challenge`.
pub fn wrong(choices: &Value, challenge: u8) -> u8 {
    choices
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .find(|&n| n != challenge)
        .unwrap()
}

pub fn challenge_of(v: &Value) -> u8 {
    v["challenge"].as_str().unwrap().parse().unwrap()
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next frame that is not a heartbeat, as JSON (a close frame as `{"close": code}`).
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match ws.next().await.expect("frame").expect("ok") {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] != "heartbeat" {
                    return v;
                }
            }
            Message::Close(c) => return json!({"close": c.map(|c| u16::from(c.code))}),
            _ => {}
        }
    }
}

/// Connects to the authenticator socket and answers its challenge as `d` (or with `forge`'s
/// key while claiming to be `d`).
pub async fn device_socket(e: &LoginEnv, d: &Device, forge: Option<&Device>) -> Ws {
    let url = format!("{}/authenticator/ws", e.s.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let challenge = next_json(&mut ws).await;
    assert_eq!(challenge["type"], "challenge", "{challenge}");
    let msg = json!({"action": "listen", "nonce": challenge["nonce"]}).to_string();
    let signer = forge.unwrap_or(d);
    let sig = URL_SAFE_NO_PAD.encode(signer.key.sign(msg.as_bytes()));
    ws.send(Message::text(
        json!({"type": "auth", "device_id": d.id, "signature": sig}).to_string(),
    ))
    .await
    .unwrap();
    ws
}
