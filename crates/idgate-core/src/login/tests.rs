//! Login tests: the state machine (every status × action) and `/oauth/start` validation.

use serde_json::json;

use super::*;
use crate::error::CoreError;
use crate::session::Strictness;

const NOW: i64 = 1_700_000_000;
const TTL: i64 = 300;

fn scan(d: &str) -> LoginAction {
    LoginAction::Scan {
        device_id: d.into(),
    }
}
fn approve(d: &str, chosen: u8) -> LoginAction {
    LoginAction::Approve {
        device_id: d.into(),
        chosen,
    }
}
fn deny(d: &str) -> LoginAction {
    LoginAction::Deny {
        device_id: d.into(),
    }
}

fn req() -> LoginRequest {
    LoginRequest::new(42, NOW, TTL)
}

#[test]
fn happy_paths() {
    let t = req().apply(&scan("d1"), NOW + 1).unwrap();
    assert_eq!(
        (t.request.status, t.event),
        (LoginStatus::Scanned, LoginEvent::Scanned)
    );
    assert_eq!(t.request.device_id.as_deref(), Some("d1"));
    let t = t.request.apply(&approve("d1", 42), NOW + 2).unwrap();
    assert_eq!(
        (t.request.status, t.event),
        (LoginStatus::Approved, LoginEvent::Approved)
    );
    assert_eq!(t.request.finished_at, Some(NOW + 2));
    // Push: approve straight from pending.
    let t = req().apply(&approve("d9", 42), NOW + 2).unwrap();
    assert_eq!(t.request.status, LoginStatus::Approved);
    assert_eq!(t.request.device_id.as_deref(), Some("d9"));
}

#[test]
fn wrong_number_and_denial_are_final() {
    let t = req().apply(&approve("d1", 41), NOW).unwrap();
    assert_eq!(
        (t.request.status, t.event),
        (LoginStatus::Denied, LoginEvent::Denied)
    );
    assert_eq!(t.request.deny_reason, Some(DenyReason::WrongNumber));
    assert_eq!(
        t.request.apply(&approve("d1", 42), NOW),
        Err(LoginError::Denied)
    );
    let t = req().apply(&deny("d1"), NOW).unwrap();
    assert_eq!(t.request.deny_reason, Some(DenyReason::UserDenied));
    for a in [
        scan("d1"),
        approve("d1", 42),
        deny("d1"),
        LoginAction::Expire,
    ] {
        assert_eq!(t.request.apply(&a, NOW + TTL * 2), Err(LoginError::Denied));
    }
}

#[test]
fn expiry_on_action_on_read_and_by_sweeper() {
    let r = req();
    assert_eq!(r.status_at(NOW + TTL - 1), LoginStatus::Pending);
    assert_eq!(r.status_at(NOW + TTL), LoginStatus::Expired);
    assert_eq!(r.remaining(NOW + 100), TTL - 100);
    assert_eq!(r.remaining(NOW + TTL + 5), 0);
    let late = r.apply(&approve("d1", 42), NOW + TTL).unwrap();
    assert_eq!(
        (late.request.status, late.event),
        (LoginStatus::Expired, LoginEvent::Expired)
    );
    assert_eq!(
        late.request.apply(&approve("d1", 42), NOW),
        Err(LoginError::Expired)
    );
    assert_eq!(
        r.apply(&LoginAction::Expire, NOW + 10),
        Err(LoginError::NotYetExpired)
    );
    let swept = r.apply(&LoginAction::Expire, NOW + TTL).unwrap();
    assert_eq!(swept.event, LoginEvent::Expired);
    assert_eq!(swept.request.finished_at, Some(NOW + TTL));
}

#[test]
fn device_binding_and_replays() {
    let scanned = req().apply(&scan("d1"), NOW).unwrap().request;
    assert_eq!(
        scanned.apply(&scan("d1"), NOW),
        Err(LoginError::AlreadyScanned)
    );
    assert_eq!(
        scanned.apply(&approve("d2", 42), NOW),
        Err(LoginError::WrongDevice)
    );
    assert_eq!(
        scanned.apply(&deny("d2"), NOW),
        Err(LoginError::WrongDevice)
    );
    let approved = scanned.apply(&approve("d1", 42), NOW).unwrap().request;
    for a in [
        scan("d1"),
        approve("d1", 42),
        deny("d1"),
        LoginAction::Expire,
    ] {
        assert_eq!(approved.apply(&a, NOW), Err(LoginError::AlreadyApproved));
    }
    assert_eq!(approved.status_at(NOW + TTL * 10), LoginStatus::Approved);
}

#[test]
fn statuses_and_errors_have_names_and_codes() {
    for s in LoginStatus::ALL {
        assert_eq!(LoginStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(
        serde_json::to_value(LoginEvent::Denied).unwrap(),
        "login.denied"
    );
    assert_eq!(
        DenyReason::parse("wrong_number"),
        Some(DenyReason::WrongNumber)
    );
    assert_eq!(LoginError::Expired.code().as_str(), "login_expired");
    assert_eq!(LoginError::Denied.code().status(), 403);
    assert_eq!(
        LoginError::BadSignature.code().as_str(),
        "invalid_signature"
    );
}

fn rules() -> (Vec<String>, Vec<String>) {
    let scopes = ["authentication_session", "signature_session"]
        .map(String::from)
        .to_vec();
    let urls = ["https://app.example/cb", "https://app.example/cb2"]
        .map(String::from)
        .to_vec();
    (scopes, urls)
}

fn start(body: serde_json::Value) -> Result<StartLogin, Vec<(String, &'static str)>> {
    let (scopes, urls) = rules();
    let client = ClientRules {
        scopes: &scopes,
        callback_urls: &urls,
    };
    parse_start(&body, &client, false, Strictness::Strict).map_err(|e| match e {
        CoreError::Validation(v) => v.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("unexpected {other:?}"),
    })
}

#[test]
fn start_accepts_pf_pj_and_anonymous() {
    let s = start(
        json!({"client_id": "c", "client_secret": "s", "username": "529.982.247-25",
        "scope": "authentication_session authentication_session", "lifetime": 604800}),
    )
    .unwrap();
    assert_eq!(
        s.username.as_ref().map(Username::as_str),
        Some("52998224725")
    );
    assert_eq!(s.scope_string(), "authentication_session");
    assert_eq!(s.callback_url, "https://app.example/cb");
    let s = start(
        json!({"username": "12.ABC.345/01DE-35", "scope": "signature_session",
        "lifetime": 2592000, "callback_url": "https://app.example/cb2"}),
    )
    .unwrap();
    assert!(matches!(s.username, Some(Username::Pj(_))));
    assert_eq!(
        s.username.as_ref().map(Username::as_str),
        Some("12ABC34501DE35")
    );
    assert_eq!(s.callback_url, "https://app.example/cb2");
    let s = start(
        json!({"username": "11222333000181", "scope": "signature_session",
        "lifetime": 1}),
    )
    .unwrap();
    assert_eq!(s.username.map(|u| u.max_lifetime()), Some(MAX_LIFETIME_PJ));
    let s =
        start(json!({"scope": "signature_session", "lifetime": 3600, "username": null})).unwrap();
    assert_eq!(s.username, None);
}

#[test]
fn start_reports_every_violation() {
    let got = start(
        json!({"username": "529.982.247-24", "scope": "authentication_session admin root",
        "lifetime": 0, "callback_url": "https://evil.example/cb", "extra": 1}),
    )
    .unwrap_err();
    assert_eq!(
        got,
        vec![
            ("extra".into(), "unknown_field"),
            ("username".into(), "invalid_check_digits"),
            ("lifetime".into(), "out_of_range"),
            ("scope".into(), "invalid_scope"),
            ("callback_url".into(), "not_registered"),
        ]
    );
    let cases = [
        (
            json!({"scope": "signature_session", "lifetime": 604801}),
            "lifetime",
            "out_of_range",
        ),
        (
            json!({"username": "52998224725", "scope": "signature_session", "lifetime": 604801}),
            "lifetime",
            "out_of_range",
        ),
        (
            json!({"username": "11222333000181", "scope": "signature_session", "lifetime": 2592001}),
            "lifetime",
            "out_of_range",
        ),
        (
            json!({"scope": "signature_session", "lifetime": "60"}),
            "lifetime",
            "invalid_type",
        ),
        (
            json!({"scope": "signature_session", "lifetime": 1.5}),
            "lifetime",
            "invalid_type",
        ),
        (
            json!({"scope": "signature_session"}),
            "lifetime",
            "required",
        ),
        (json!({"scope": "  ", "lifetime": 60}), "scope", "empty"),
        (json!({"lifetime": 60}), "scope", "required"),
        (
            json!({"scope": ["a"], "lifetime": 60}),
            "scope",
            "invalid_type",
        ),
        (
            json!({"username": "111.111.111-11", "scope": "signature_session", "lifetime": 60}),
            "username",
            "repeated_digits",
        ),
        (
            json!({"username": "abc", "scope": "signature_session", "lifetime": 60}),
            "username",
            "invalid_format",
        ),
        (
            json!({"username": "11222333000182", "scope": "signature_session", "lifetime": 60}),
            "username",
            "invalid_check_digits",
        ),
        (
            json!({"username": 52998224725u64, "scope": "signature_session", "lifetime": 60}),
            "username",
            "invalid_type",
        ),
        (
            json!({"scope": "signature_session", "lifetime": 60, "callback_url": 5}),
            "callback_url",
            "invalid_type",
        ),
    ];
    for (body, field, code) in cases {
        assert_eq!(
            start(body.clone()),
            Err(vec![(field.into(), code)]),
            "{body}"
        );
    }
    assert_eq!(start(json!([])), Err(vec![("".into(), "invalid_type")]));
    // Invalid username: the widest (PJ) cap still applies to lifetime.
    let got = start(json!({"username": "abc", "scope": "signature_session", "lifetime": 2592001}));
    assert_eq!(
        got,
        Err(vec![
            ("username".into(), "invalid_format"),
            ("lifetime".into(), "out_of_range"),
        ])
    );
}

#[test]
fn start_without_registered_callback_and_lenient_mode() {
    let scopes = rules().0;
    let client = ClientRules {
        scopes: &scopes,
        callback_urls: &[],
    };
    let body = json!({"scope": "signature_session", "lifetime": 60, "unknown": true});
    let e = parse_start(&body, &client, false, Strictness::Lenient).unwrap_err();
    let CoreError::Validation(v) = e else {
        panic!("validation error expected")
    };
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].field.as_str(), v[0].code),
        ("callback_url", "required")
    );
    let sandbox = parse_start(
        &json!({"username": "111.111.111-11", "scope": "signature_session", "lifetime": 60,
                "callback_url": null}),
        &ClientRules {
            scopes: &scopes,
            callback_urls: &rules().1,
        },
        true,
        Strictness::Lenient,
    );
    assert!(sandbox.is_ok());
}

#[test]
fn notify_validation() {
    let ok = parse_notify(
        &json!({"username": "52998224725", "short_token": "abc_DEF-1"}),
        false,
        Strictness::Strict,
    )
    .unwrap();
    assert_eq!(ok.short_token, "abc_DEF-1");
    let e = parse_notify(
        &json!({"short_token": "a b", "x": 1}),
        false,
        Strictness::Strict,
    )
    .unwrap_err();
    let CoreError::Validation(v) = e else {
        panic!("validation error expected")
    };
    let got: Vec<_> = v.iter().map(|f| (f.field.as_str(), f.code)).collect();
    assert_eq!(
        got,
        vec![
            ("x", "unknown_field"),
            ("username", "required"),
            ("short_token", "invalid_format")
        ]
    );
    let qr = parse_notify(
        &json!({"username": "52998224725", "short_token": "https://x/authenticator#t=abc"}),
        false,
        Strictness::Strict,
    );
    assert!(qr.is_err(), "a QR text is not a short_token");
}
