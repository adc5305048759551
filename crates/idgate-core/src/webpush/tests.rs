//! Web Push tests: the RFC 8291 Appendix A known answer, input checks, VAPID header shape.

use super::*;
use crate::jose::PublicKey;
use rand::rngs::StdRng;
use rand::SeedableRng;

// RFC 8291 Appendix A (published test data, not credentials).
const PLAINTEXT: &[u8] = b"When I grow up, I want to be a watermelon";
const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const BODY: &str = concat!(
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml",
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT",
    "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
);

fn d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

#[test]
fn reproduces_rfc_8291_appendix_a() {
    let keys = PushKeys::parse(UA_PUBLIC, AUTH).unwrap();
    let secret: [u8; 32] = d(AS_PRIVATE).try_into().unwrap();
    let salt: [u8; 16] = d(SALT).try_into().unwrap();
    let body = encrypt_with(&keys, PLAINTEXT, &secret, &salt).unwrap();
    assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
}

#[test]
fn random_encryption_has_the_rfc_8188_header() {
    let keys = PushKeys::parse(UA_PUBLIC, AUTH).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let a = encrypt(&keys, b"hi", &mut rng).unwrap();
    let b = encrypt(&keys, b"hi", &mut rng).unwrap();
    assert_ne!(a[..16], b[..16], "fresh salt each time");
    assert_ne!(a[21..86], b[21..86], "fresh ephemeral key each time");
    assert_eq!(a[16..20], 4096u32.to_be_bytes());
    assert_eq!(a[20], 65);
    assert_eq!(a[21], 4);
    assert!(EcPublicKey::from_sec1_bytes(&a[21..86]).is_ok());
    assert_eq!(a.len(), HEADER_LEN + 2 + 1 + 16);
    let max = vec![b'x'; MAX_PLAINTEXT];
    assert_eq!(encrypt(&keys, &max, &mut rng).unwrap().len(), 4096);
    assert_eq!(
        encrypt(&keys, &[0; MAX_PLAINTEXT + 1], &mut rng),
        Err(WebPushError::TooLarge)
    );
}

#[test]
fn refuses_bad_subscriptions() {
    assert_eq!(PushKeys::parse("AAAA", AUTH), Err(WebPushError::BadP256dh));
    let compressed = {
        let mut p = d(UA_PUBLIC);
        p.truncate(33);
        p[0] = 2;
        URL_SAFE_NO_PAD.encode(p)
    };
    assert_eq!(
        PushKeys::parse(&compressed, AUTH),
        Err(WebPushError::BadP256dh)
    );
    let mut off_curve = d(UA_PUBLIC);
    off_curve[64] ^= 1;
    let off = URL_SAFE_NO_PAD.encode(off_curve);
    assert_eq!(PushKeys::parse(&off, AUTH), Err(WebPushError::BadP256dh));
    assert_eq!(
        PushKeys::parse(UA_PUBLIC, "AAAA"),
        Err(WebPushError::BadAuth)
    );
    assert!(PushKeys::parse(UA_PUBLIC, "BTBZMqHH6r4Tts7J_aSIgg==").is_ok());
    assert_eq!(
        format!("{:?}", PushKeys::parse(UA_PUBLIC, AUTH).unwrap()),
        "PushKeys(<redacted>)"
    );
    let sub = json!({"endpoint": "https://push.example/p/1", "expirationTime": null,
                     "keys": {"p256dh": UA_PUBLIC, "auth": AUTH}});
    assert_eq!(
        Subscription::from_json(&sub).unwrap().endpoint,
        "https://push.example/p/1"
    );
    let no_keys = json!({"endpoint": "https://push.example/p/1"});
    assert_eq!(
        Subscription::from_json(&no_keys),
        Err(WebPushError::BadP256dh)
    );
}

#[test]
fn vapid_audience_is_the_endpoint_origin() {
    let cases = [
        (
            "https://fcm.googleapis.com/fcm/send/abc?x=1",
            Ok("https://fcm.googleapis.com"),
        ),
        (
            "https://push.example:8443/p",
            Ok("https://push.example:8443"),
        ),
        ("https://push.example:443/p", Ok("https://push.example")),
        ("http://127.0.0.1:9000/p", Ok("http://127.0.0.1:9000")),
        ("http://localhost/p", Ok("http://localhost")),
        ("http://push.example/p", Err(WebPushError::BadEndpoint)),
        ("http://10.0.0.1/p", Err(WebPushError::BadEndpoint)),
        ("ftp://push.example/p", Err(WebPushError::BadEndpoint)),
        ("not a url", Err(WebPushError::BadEndpoint)),
    ];
    for (endpoint, want) in cases {
        assert_eq!(
            vapid_audience(endpoint),
            want.map(str::to_owned),
            "{endpoint}"
        );
    }
}

#[test]
fn vapid_header_is_a_signed_es256_jwt() {
    let key = SigningKey::generate("vapid", &mut StdRng::seed_from_u64(3));
    let now = 1_700_000_000;
    let h = vapid_header(
        &key,
        "https://push.example/p/1",
        "mailto:ops@idgate.test",
        now,
    )
    .unwrap();
    let rest = h.strip_prefix("vapid t=").unwrap();
    let (jwt, k) = rest.split_once(", k=").unwrap();
    let public = PublicKey::from_sec1("", &d(k)).unwrap();
    assert_eq!(
        public,
        PublicKey::from_sec1("", &key.public().to_uncompressed()).unwrap()
    );
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    assert!(public.verify(signed.as_bytes(), &d(sig)));
    let (h64, p64) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&d(h64)).unwrap();
    assert_eq!(header, json!({"typ": "JWT", "alg": "ES256"}));
    let claims: Value = serde_json::from_slice(&d(p64)).unwrap();
    assert_eq!(
        claims,
        json!({"aud": "https://push.example", "exp": now + VAPID_TTL_SECONDS, "sub": "mailto:ops@idgate.test"})
    );
    for bad in [
        "ops@idgate.test",
        "mailto:",
        "http://idgate.test",
        "https://",
    ] {
        let got = vapid_header(&key, "https://push.example/p/1", bad, now);
        assert_eq!(got, Err(WebPushError::BadSubject), "{bad}");
    }
}

#[test]
fn build_message_sets_push_headers() {
    let key = SigningKey::generate("vapid", &mut StdRng::seed_from_u64(3));
    let sub = Subscription::parse("https://push.example/p/1", UA_PUBLIC, AUTH).unwrap();
    let opts = PushOptions {
        subject: "https://idgate.test",
        ttl_seconds: 300,
        urgency: Urgency::High,
        topic: Some("login-abc"),
    };
    let mut rng = StdRng::seed_from_u64(9);
    let m = build_message(&sub, b"{}", &key, &opts, 1_700_000_000, &mut rng).unwrap();
    let get = |n: &str| {
        m.headers
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("Content-Encoding"), Some("aes128gcm"));
    assert_eq!(get("TTL"), Some("300"));
    assert_eq!(get("Urgency"), Some("high"));
    assert_eq!(get("Topic"), Some("login-abc"));
    assert!(get("Authorization").unwrap().starts_with("vapid t="));
    let bad_topic = PushOptions {
        topic: Some("has space"),
        ..opts
    };
    let m = build_message(&sub, b"{}", &key, &bad_topic, 1_700_000_000, &mut rng).unwrap();
    assert!(m.headers.iter().all(|(k, _)| *k != "Topic"));
}
