//! A software passkey for the console's HTTP tests: a P-256 key that answers the server's
//! WebAuthn options as an authenticator would (`none` attestation, user present and verified,
//! discoverable with the user handle), so the tests register and sign in through the real
//! begin/finish calls and webauthn-rs checks. The browser test does the same with Chromium's
//! virtual authenticator.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::TestServer;

/// CBOR head of major type `major` with argument `n`.
fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn int(i: i64, out: &mut Vec<u8>) {
    if i >= 0 {
        head(0, i as u64, out)
    } else {
        head(1, (-1 - i) as u64, out)
    }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    head(2, b.len() as u64, out);
    out.extend(b);
}

fn text(s: &str, out: &mut Vec<u8>) {
    head(3, s.len() as u64, out);
    out.extend(s.as_bytes());
}

pub struct SoftPasskey {
    key: SigningKey,
    pub cred_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    /// The console origin (`http://localhost:PORT`) the authenticator signs for.
    pub origin: String,
}

impl SoftPasskey {
    pub fn new(s: &TestServer) -> Self {
        let port = s.base.rsplit(':').next().unwrap();
        Self {
            key: SigningKey::random(&mut rand::rngs::OsRng),
            cred_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            origin: format!("http://localhost:{port}"),
        }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn auth_data(&mut self, attested: bool) -> Vec<u8> {
        self.counter += 1;
        let mut a = Sha256::digest(b"localhost").to_vec();
        // user present + user verified (+ attested credential data)
        a.push(if attested { 0x45 } else { 0x05 });
        a.extend(self.counter.to_be_bytes());
        if attested {
            a.extend([0u8; 16]);
            a.extend((self.cred_id.len() as u16).to_be_bytes());
            a.extend(&self.cred_id);
            let point = self.key.verifying_key().to_encoded_point(false);
            let mut cose = Vec::new();
            head(5, 5, &mut cose);
            for (k, v) in [(1, 2), (3, -7), (-1, 1)] {
                int(k, &mut cose);
                int(v, &mut cose);
            }
            int(-2, &mut cose);
            bytes(point.x().unwrap(), &mut cose);
            int(-3, &mut cose);
            bytes(point.y().unwrap(), &mut cose);
            a.extend(cose);
        }
        a
    }

    /// The answer to `navigator.credentials.create({publicKey})`.
    pub fn create(&mut self, public_key: &Value) -> Value {
        let challenge = public_key["challenge"].as_str().unwrap();
        self.user_handle = URL_SAFE_NO_PAD
            .decode(public_key["user"]["id"].as_str().unwrap())
            .unwrap();
        let cd = self.client_data("webauthn.create", challenge);
        let mut att = Vec::new();
        head(5, 3, &mut att);
        text("fmt", &mut att);
        text("none", &mut att);
        text("attStmt", &mut att);
        head(5, 0, &mut att);
        text("authData", &mut att);
        let ad = self.auth_data(true);
        bytes(&ad, &mut att);
        let id = URL_SAFE_NO_PAD.encode(&self.cred_id);
        json!({"id": id, "rawId": id, "type": "public-key", "extensions": {},
            "response": {"attestationObject": URL_SAFE_NO_PAD.encode(att),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(cd)}})
    }

    /// The answer to `navigator.credentials.get({publicKey})`.
    pub fn get(&mut self, public_key: &Value) -> Value {
        let cd = self.client_data("webauthn.get", public_key["challenge"].as_str().unwrap());
        let ad = self.auth_data(false);
        let mut msg = ad.clone();
        msg.extend(Sha256::digest(&cd));
        let sig: Signature = self.key.sign(&msg);
        let id = URL_SAFE_NO_PAD.encode(&self.cred_id);
        json!({"id": id, "rawId": id, "type": "public-key", "extensions": {},
            "response": {"authenticatorData": URL_SAFE_NO_PAD.encode(ad),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(cd),
                "signature": URL_SAFE_NO_PAD.encode(sig.to_der().as_bytes()),
                "userHandle": URL_SAFE_NO_PAD.encode(&self.user_handle)}})
    }
}

/// Registers `pk` with the invite link's token: the finish call's status and body.
pub async fn register(s: &TestServer, pk: &mut SoftPasskey, token: &str) -> (u16, Value) {
    let base = format!("/console/invite/{token}");
    let (st, begin) = s
        .call(Method::POST, &format!("{base}/begin"), "", Some(&json!({})))
        .await;
    if st != 200 {
        return (st, begin);
    }
    let cred = pk.create(&begin["publicKey"]);
    let body = json!({"ceremony": begin["ceremony"], "credential": cred});
    s.call(Method::POST, &format!("{base}/finish"), "", Some(&body))
        .await
}

/// Signs in with `pk`: the console cookie (`name=value`), or the refusal.
pub async fn sign_in(s: &TestServer, pk: &mut SoftPasskey) -> Result<String, (u16, Value)> {
    let (st, begin) = s
        .call(Method::POST, "/console/login/begin", "", Some(&json!({})))
        .await;
    assert_eq!(st, 200, "{begin}");
    let cred = pk.get(&begin["publicKey"]);
    let res = s
        .http
        .post(format!("{}/console/login/finish", s.base))
        .header("content-type", "application/json")
        .body(json!({"ceremony": begin["ceremony"], "credential": cred}).to_string())
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap().to_owned());
    let (st, v) = crate::common::json_of(res).await;
    match cookie {
        Some(c) if st == 200 => Ok(c),
        _ => Err((st, v)),
    }
}
