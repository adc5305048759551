//! The authenticator's signed decision: the canonical message a device signs (sorted-key,
//! space-free JSON) and its verification against the enrolled device key and the clock.

use crate::jose::{verify_device_signature, DeviceKey};

use super::LoginError;

/// How far a device's `time` may be from the server's clock by default, in seconds.
pub const DEFAULT_MAX_SKEW: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Self::Approve),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// What the device signs. `challenge` is the number the person picked (0 on a plain deny).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalFields<'a> {
    pub challenge: u8,
    pub decision: Decision,
    pub short_token: &'a str,
    /// The device's unix time when signing.
    pub time: i64,
}

/// The bytes the device signs: UTF-8 of
/// `{"challenge":<int>,"decision":"approve|deny","short_token":"<token>","time":<int>}`
/// with keys in this (sorted) order and no spaces. Built by hand so that no serializer
/// setting can change it; the device's JavaScript must produce the same bytes
/// (`JSON.stringify` with the keys in this order does).
pub fn approval_message(f: &ApprovalFields<'_>) -> Vec<u8> {
    let token = serde_json::Value::from(f.short_token).to_string();
    format!(
        r#"{{"challenge":{},"decision":"{}","short_token":{token},"time":{}}}"#,
        f.challenge,
        f.decision.as_str(),
        f.time
    )
    .into_bytes()
}

/// Verifies the device's signature (raw r||s as WebCrypto makes, or DER) over
/// [`approval_message`] and that its `time` is within `max_skew` seconds of `now`.
/// Whether the picked number matches is the state machine's job ([`super::LoginRequest::apply`]).
pub fn verify_approval(
    device_key: &DeviceKey,
    fields: &ApprovalFields<'_>,
    signature: &[u8],
    now: i64,
    max_skew: i64,
) -> Result<(), LoginError> {
    if !verify_device_signature(device_key, &approval_message(fields), signature) {
        return Err(LoginError::BadSignature);
    }
    if now.abs_diff(fields.time) > max_skew.unsigned_abs() {
        return Err(LoginError::StaleApproval);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningKey;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const NOW: i64 = 1_700_000_000;

    fn fields(token: &str) -> ApprovalFields<'_> {
        ApprovalFields {
            challenge: 42,
            decision: Decision::Approve,
            short_token: token,
            time: NOW,
        }
    }

    #[test]
    fn canonical_message_is_sorted_and_compact() {
        let m = approval_message(&fields("abc_-1"));
        assert_eq!(
            String::from_utf8(m).unwrap(),
            r#"{"challenge":42,"decision":"approve","short_token":"abc_-1","time":1700000000}"#
        );
        let odd = approval_message(&fields("a\"b"));
        assert!(String::from_utf8(odd)
            .unwrap()
            .contains(r#""short_token":"a\"b""#));
        let deny = ApprovalFields {
            decision: Decision::Deny,
            challenge: 0,
            ..fields("t")
        };
        assert_eq!(
            approval_message(&deny),
            br#"{"challenge":0,"decision":"deny","short_token":"t","time":1700000000}"#
        );
    }

    #[test]
    fn verifies_signature_and_clock() {
        let device = SigningKey::generate("d", &mut StdRng::seed_from_u64(4));
        let jwk = serde_json::to_string(&device.public().to_jwk()).unwrap();
        let key = DeviceKey::parse(&jwk).unwrap();
        let f = fields("tok");
        let sig = device.sign(&approval_message(&f));
        assert_eq!(verify_approval(&key, &f, &sig, NOW + 100, 120), Ok(()));
        assert_eq!(verify_approval(&key, &f, &sig, NOW - 120, 120), Ok(()));
        assert_eq!(
            verify_approval(&key, &f, &sig, NOW + 121, 120),
            Err(LoginError::StaleApproval)
        );
        let other = ApprovalFields { challenge: 43, ..f };
        assert_eq!(
            verify_approval(&key, &other, &sig, NOW, 120),
            Err(LoginError::BadSignature)
        );
        let deny = ApprovalFields {
            decision: Decision::Deny,
            ..f
        };
        assert_eq!(
            verify_approval(&key, &deny, &sig, NOW, 120),
            Err(LoginError::BadSignature)
        );
        let swapped = ApprovalFields {
            short_token: "other",
            ..f
        };
        assert_eq!(
            verify_approval(&key, &swapped, &sig, NOW, 120),
            Err(LoginError::BadSignature)
        );
        assert_eq!(
            verify_approval(&key, &f, b"junk", NOW, 120),
            Err(LoginError::BadSignature)
        );
        assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
        assert_eq!(Decision::parse("APPROVE"), None);
    }
}
