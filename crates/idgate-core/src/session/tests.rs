//! Table-driven tests of create-request validation.

use serde_json::{json, Value};

use super::*;
use crate::error::CoreError;

const CPF: &str = "529.982.247-25";

fn fields(body: Value, sandbox: bool, strict: Strictness) -> Vec<(String, &'static str)> {
    match parse_create(&body, &Settings::default(), sandbox, strict) {
        Ok(_) => vec![],
        Err(CoreError::Validation(v)) => v.into_iter().map(|e| (e.field, e.code)).collect(),
        Err(e) => panic!("unexpected {e:?}"),
    }
}

fn one(body: Value) -> Vec<(String, &'static str)> {
    fields(body, false, Strictness::Strict)
}

fn f(field: &str, code: &'static str) -> (String, &'static str) {
    (field.to_owned(), code)
}

#[test]
fn seed_body_is_accepted_on_sandbox_only() {
    let seed = json!({
        "id": "12345678",
        "document_number": "111.111.111-11",
        "settings": {
            "steps": [
                {"step": "device_scan"},
                {"step": "face_recognition"},
                {"step": "personal_document", "show_success_screen": true,
                 "show_introduction_screen": true, "document_templates": ["rg", "cnh", "cnh_digital"]}
            ],
            "session_expiration_time_in_minutes": 120,
            "token_expiration_seconds": 3600,
            "open_mode": "iframe"
        }
    });
    let ok = parse_create(&seed, &Settings::default(), true, Strictness::Lenient).unwrap();
    assert_eq!(ok.document_number.digits(), "11111111111");
    assert_eq!(ok.settings.token_expiration_seconds, 3600);
    assert_eq!(ok.settings.session_expiration_time_in_minutes, 120);
    assert_eq!(ok.settings.open_mode, OpenMode::Iframe);
    assert_eq!(ok.settings.steps.len(), 3);
    assert_eq!(
        fields(seed, false, Strictness::Lenient),
        vec![f("document_number", "repeated_digits")]
    );
}

#[test]
fn defaults_fill_in() {
    let s = parse_create(
        &json!({"id": "a", "document_number": CPF}),
        &Settings::default(),
        false,
        Strictness::Strict,
    )
    .unwrap()
    .settings;
    assert_eq!(s, Settings::default());
    let body = json!({"id": "a", "document_number": CPF,
        "settings": {"steps": [{"step": "personal_document", "document_templates": ["passport"]}]}});
    let s = parse_create(&body, &Settings::default(), false, Strictness::Strict)
        .unwrap()
        .settings;
    assert_eq!(s.steps[0].show_success_screen, Some(true));
    assert_eq!(s.steps[0].show_introduction_screen, Some(true));
    assert_eq!(s.token_expiration_seconds, 1800);
    assert_eq!(s.session_expiration_time_in_minutes, 1440);
}

#[test]
fn every_rule() {
    let long = "x".repeat(129);
    let cases: Vec<(Value, Vec<(String, &'static str)>)> = vec![
        (
            json!({}),
            vec![f("id", "required"), f("document_number", "required")],
        ),
        (json!([]), vec![f("", "invalid_type")]),
        (
            json!({"id": "", "document_number": CPF}),
            vec![f("id", "empty")],
        ),
        (
            json!({"id": long, "document_number": CPF}),
            vec![f("id", "too_long")],
        ),
        (
            json!({"id": 5, "document_number": CPF}),
            vec![f("id", "invalid_type")],
        ),
        (
            json!({"id": "a\u{0}", "document_number": CPF}),
            vec![f("id", "invalid_format")],
        ),
        (
            json!({"id": "a", "document_number": "529.982.247-26"}),
            vec![f("document_number", "invalid_check_digits")],
        ),
        (
            json!({"id": "a", "document_number": "5299822"}),
            vec![f("document_number", "invalid_format")],
        ),
        (
            json!({"id": "a", "document_number": 52998224725u64}),
            vec![f("document_number", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": 1}),
            vec![f("settings", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": []}}),
            vec![f("settings.steps", "empty")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": {}}}),
            vec![f("settings.steps", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "selfie"}]}}),
            vec![f("settings.steps[0].step", "invalid_value")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{}]}}),
            vec![f("settings.steps[0].step", "required")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "device_scan"}, {"step": "device_scan"}]}}),
            vec![f("settings.steps[1].step", "duplicate")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document"}]}}),
            vec![f("settings.steps[0].document_templates", "required")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document", "document_templates": []}]}}),
            vec![f("settings.steps[0].document_templates", "empty")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document", "document_templates": ["rg", "rg", "cpf", 3]}]}}),
            vec![
                f("settings.steps[0].document_templates[1]", "duplicate"),
                f("settings.steps[0].document_templates[2]", "invalid_value"),
                f("settings.steps[0].document_templates[3]", "invalid_type"),
            ],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"steps": [{"step": "personal_document", "document_templates": ["rg"], "show_success_screen": "yes"}]}}),
            vec![f("settings.steps[0].show_success_screen", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": 0}}),
            vec![f("settings.token_expiration_seconds", "out_of_range")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": 172801}}),
            vec![f("settings.token_expiration_seconds", "out_of_range")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": 1.5}}),
            vec![f("settings.token_expiration_seconds", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"token_expiration_seconds": "60"}}),
            vec![f("settings.token_expiration_seconds", "invalid_type")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"session_expiration_time_in_minutes": 0}}),
            vec![f(
                "settings.session_expiration_time_in_minutes",
                "out_of_range",
            )],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"session_expiration_time_in_minutes": 43201}}),
            vec![f(
                "settings.session_expiration_time_in_minutes",
                "out_of_range",
            )],
        ),
        (
            json!({"id": "a", "document_number": CPF, "settings": {"open_mode": "popup"}}),
            vec![f("settings.open_mode", "invalid_value")],
        ),
        (
            json!({"id": "a", "document_number": CPF, "extra": 1, "settings": {"steps": [{"step": "device_scan", "x": 1}], "y": 2}}),
            vec![
                f("extra", "unknown_field"),
                f("settings.y", "unknown_field"),
                f("settings.steps[0].x", "unknown_field"),
            ],
        ),
        // everything at once
        (
            json!({"id": "", "document_number": "1", "settings": {"steps": [], "token_expiration_seconds": -1, "open_mode": 1}}),
            vec![
                f("id", "empty"),
                f("document_number", "invalid_format"),
                f("settings.steps", "empty"),
                f("settings.token_expiration_seconds", "out_of_range"),
                f("settings.open_mode", "invalid_value"),
            ],
        ),
    ];
    for (body, want) in cases {
        let mut got = one(body.clone());
        let mut want = want;
        got.sort();
        want.sort();
        assert_eq!(got, want, "body {body}");
    }
}

#[test]
fn lenient_ignores_unknown_fields() {
    let body = json!({"id": "a", "document_number": CPF, "extra": 1});
    assert!(fields(body, false, Strictness::Lenient).is_empty());
}
