//! Web Push interop: what idgate encrypts and signs must be readable by an independent
//! implementation. A subscription key pair is made here, messages are built with idgate's
//! code, and `tests/interop/decrypt.py` decrypts them with PyPI `http_ece` and verifies the
//! VAPID JWT with `py_vapid`, from the venv that `scripts/setup.sh` installs.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::jose::SigningKey;
use idgate_core::webpush::{build_message, PushOptions, Subscription, Urgency, MAX_PLAINTEXT};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::{json, Value};

fn venv_python() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME is set");
    let py = PathBuf::from(home).join(".cache/idgate-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh (its 40-python.sh installs http-ece, py-vapid, \
         cryptography) before this test",
        py.display()
    );
    py
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

#[test]
fn python_http_ece_decrypts_and_py_vapid_verifies() {
    let python = venv_python();
    let mut rng = StdRng::seed_from_u64(8291);
    let vapid = SigningKey::generate("vapid", &mut rng);
    let now = 1_750_000_000;
    let plaintexts: Vec<Vec<u8>> = vec![
        br#"{"type":"login","short_token":"abc","choices":[12,57,83]}"#.to_vec(),
        Vec::new(),
        "Autenticação solicitada — confirme o número"
            .as_bytes()
            .to_vec(),
        vec![b'z'; MAX_PLAINTEXT],
    ];
    let endpoints = [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://push.example:8443/p/1?x=y",
        "http://127.0.0.1:9000/push",
    ];
    let subject = "mailto:ops@idgate.test";
    let mut cases = Vec::new();
    for (plain, endpoint) in plaintexts.iter().zip(endpoints) {
        // The browser side: a fresh P-256 key pair and auth secret per subscription.
        let ua = SigningKey::generate("ua", &mut rng);
        let mut auth = [0u8; 16];
        rng.fill_bytes(&mut auth);
        let sub = Subscription::parse(endpoint, &b64(&ua.public().to_uncompressed()), &b64(&auth))
            .expect("valid subscription");
        let opts = PushOptions {
            subject,
            ttl_seconds: 120,
            urgency: Urgency::High,
            topic: None,
        };
        let msg = build_message(&sub, plain, &vapid, &opts, now, &mut rng).expect("encrypts");
        let header = |n: &str| {
            msg.headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
        };
        cases.push(json!({
            "private_key": b64(&ua.to_scalar()),
            "auth": b64(&auth),
            "body": b64(&msg.body),
            "endpoint": endpoint,
            "vapid": header("Authorization").expect("VAPID header"),
            "subject": subject,
        }));
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/decrypt.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs the venv's python");
    let input = json!({"now": now, "cases": cases}).to_string();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes the cases");
    let out = child.wait_with_output().expect("python finishes");
    assert!(
        out.status.success(),
        "decrypt.py failed (if a module is missing, run scripts/setup.sh):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).expect("JSON from decrypt.py");
    let got: Vec<Vec<u8>> = got["plaintexts"]
        .as_array()
        .expect("plaintexts")
        .iter()
        .map(|v| {
            URL_SAFE_NO_PAD
                .decode(v.as_str().expect("string"))
                .expect("base64url")
        })
        .collect();
    assert_eq!(got, plaintexts);
}
