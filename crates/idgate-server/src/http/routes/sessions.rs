//! Verification-session routes: the QI facade (`/auth_session_manager/...`) and `/v1`, with their
//! wire shapes.

use axum::http::Method;
use serde_json::{json, Map, Value};

use super::doc::{body, err, ok, path_param, responses};
use super::Access::{ApiKey, VendorKey};
use super::{perm, Route};
use crate::http::sessions;

fn id_param() -> Value {
    json!([path_param(
        "id",
        json!({"type": "string", "minLength": 1, "maxLength": 128})
    )])
}

fn qi_write() -> Map<String, Value> {
    responses([
        ("400", err("Qi", "malformed JSON")),
        ("409", err("Qi", "same id, different body")),
        ("413", err("Qi", "body over the limit")),
        (
            "422",
            err(
                "Qi",
                "validation failed: every violation listed in `errors`",
            ),
        ),
    ])
}

fn v1_errors(extra: &[(&str, &str)]) -> Map<String, Value> {
    extra
        .iter()
        .map(|(c, d)| (c.to_string(), err("V1", d)))
        .collect()
}

pub fn routes() -> Vec<Route> {
    let (get, post) = (Method::GET, Method::POST);
    let (read, write) = (perm::SESSIONS_READ, perm::SESSIONS_WRITE);
    let mut qi_create = qi_write();
    qi_create.insert("201".into(), ok("created", "QiSessionCreated"));
    qi_create.insert("200".into(), ok("idempotent replay", "QiSessionCreated"));
    let mut v1_create = v1_errors(&[
        ("400", "malformed JSON"),
        ("409", "same id, different body"),
        ("413", "body over the limit"),
        ("415", "not application/json"),
        (
            "422",
            "validation failed: every violation listed in `error.details`",
        ),
    ]);
    v1_create.insert("201".into(), ok("created", "V1Session"));
    v1_create.insert("200".into(), ok("idempotent replay", "V1Session"));
    let mut v1_list = v1_errors(&[(
        "422",
        "`validation_failed`: bad status, limit or cursor, or one given twice",
    )]);
    v1_list.insert("200".into(), ok("a page of sessions", "V1SessionList"));
    let v1_read = |d: &str, schema: &str| {
        let mut m = v1_errors(&[("404", "no such session for this tenant")]);
        m.insert("200".into(), ok(d, schema));
        m
    };
    let v1_change = |d: &str| {
        let mut m = v1_errors(&[
            ("404", "no such session for this tenant"),
            ("409", "not allowed in the session's status"),
        ]);
        m.insert("200".into(), ok(d, "V1Session"));
        m
    };
    vec![
        Route::new(
            post.clone(),
            "/auth_session_manager/auth_session",
            VendorKey(write),
            sessions::qi_create_session,
            json!({
            "summary": "Create an auth session (QI-compatible)",
            "description": "Same contract as QI Tech's `POST /auth_session_manager/auth_session`. Accepts the key as \
                `Authorization: <key>` or `Bearer <key>`. Unknown fields are ignored and trailing commas tolerated, as \
                the vendor does. Same `id` with an identical body returns the existing session (200).",
            "requestBody": body("QiCreateSession"), "responses": qi_create}),
        ),
        Route::new(
            get.clone(),
            "/auth_session_manager/auth_session/{id}",
            VendorKey(read),
            sessions::qi_get_session,
            json!({
            "summary": "Get an auth session (QI-compatible)",
            "description": "The session object with `step_data`. Expiry is enforced on read.",
            "parameters": id_param(),
            "responses": {"200": ok("the session", "QiSession"), "404": err("Qi", "no such session for this tenant")}}),
        ),
        Route::new(
            post.clone(),
            "/v1/verification-sessions",
            ApiKey(write),
            sessions::v1_create_session,
            json!({
            "summary": "Create a verification session",
            "description": "Validates every rule and reports all violations at once; unknown fields are refused.",
            "requestBody": body("V1CreateSession"), "responses": v1_create}),
        ),
        Route::new(
            get.clone(),
            "/v1/verification-sessions",
            ApiKey(read),
            sessions::v1_list_sessions,
            json!({
            "summary": "List verification sessions",
            "description": "Newest first; `next_cursor` continues the list.",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": STATUSES}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
                {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "`next_cursor` of the previous page"}
            ],
            "responses": v1_list}),
        ),
        Route::new(
            get,
            "/v1/verification-sessions/{id}",
            ApiKey(read),
            sessions::v1_get_session,
            json!({
            "summary": "Get a verification session",
            "description": "Expiry is enforced on read.",
            "parameters": id_param(), "responses": v1_read("the session", "V1Session")}),
        ),
        Route::new(
            post.clone(),
            "/v1/verification-sessions/{id}/cancel",
            ApiKey(write),
            sessions::v1_cancel_session,
            json!({
            "summary": "Cancel a verification session",
            "description": "Allowed from any non-final status.",
            "parameters": id_param(), "responses": v1_change("the canceled session")}),
        ),
        Route::new(
            post.clone(),
            "/v1/verification-sessions/{id}/renew-token",
            ApiKey(write),
            sessions::v1_renew_token,
            json!({
            "summary": "Renew the session's URL token",
            "description": "A new token and token expiry (never past the session's expiry); the previous token stops working at once.",
            "parameters": id_param(), "responses": v1_change("the session with its new token")}),
        ),
        Route::new(
            post,
            "/v1/verification-sessions/{id}/redact",
            ApiKey(write),
            sessions::v1_redact_session,
            json!({
            "summary": "Redact the session's data",
            "description": "Deletes the selfie and the document reads (with their face matches) the session collected, \
                replaces its `step_data` values, the decision's evidence and the CPF with `[redacted]`, and records a \
                `session.redacted` event and an audit row, in one transaction. Status and decision reasons stay. A session \
                still collecting is canceled first; one in `processing` answers 409 until it is decided. Redacting again \
                answers the redacted session.",
            "parameters": id_param(), "responses": v1_change("the redacted session")}),
        ),
    ]
}

const STATUSES: [&str; 8] = [
    "pending",
    "in_progress",
    "processing",
    "approved",
    "rejected",
    "in_manual_analysis",
    "expired",
    "canceled",
];
const TEMPLATES: [&str; 8] = [
    "rg",
    "cnh",
    "cnh_digital",
    "passport",
    "rne",
    "crnm",
    "ctps",
    "others",
];

pub fn schemas() -> Map<String, Value> {
    let step_in = |strict: bool| {
        json!({"type": "object", "required": ["step"], "additionalProperties": !strict, "properties": {
            "step": {"type": "string", "enum": ["device_scan", "face_recognition", "personal_document"]},
            "show_success_screen": {"type": "boolean", "default": true},
            "show_introduction_screen": {"type": "boolean", "default": true},
            "document_templates": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string", "enum": TEMPLATES}}
        }})
    };
    let settings_in = |strict: bool| {
        json!({"type": "object", "additionalProperties": !strict, "properties": {
            "steps": {"type": "array", "minItems": 1, "items": step_in(strict)},
            "session_expiration_time_in_minutes": {"type": "integer", "minimum": 1, "maximum": 43200, "default": 1440},
            "token_expiration_seconds": {"type": "integer", "minimum": 1, "maximum": 172800, "default": 1800},
            "open_mode": {"type": "string", "enum": ["iframe", "link"], "default": "link"}
        }})
    };
    let create = |strict: bool| {
        json!({"type": "object", "required": ["id", "document_number"], "additionalProperties": !strict, "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Unique per tenant; replays with an identical body are idempotent."},
            "document_number": {"type": "string", "pattern": "^(\\d{3}\\.\\d{3}\\.\\d{3}-\\d{2}|\\d{11})$", "description": "CPF with valid check digits."},
            "settings": settings_in(strict)
        }})
    };
    let step_out = json!({"type": "object", "required": ["step"], "properties": {
        "step": {"type": "string"}, "show_success_screen": {"type": "boolean"}, "show_introduction_screen": {"type": "boolean"},
        "document_templates": {"type": "array", "items": {"type": "string", "enum": TEMPLATES}}}});
    let settings_out = json!({"type": "object", "required": ["steps", "session_expiration_time_in_minutes", "token_expiration_seconds", "open_mode"],
        "properties": {"steps": {"type": "array", "items": step_out}, "session_expiration_time_in_minutes": {"type": "integer"},
        "token_expiration_seconds": {"type": "integer"}, "open_mode": {"type": "string", "enum": ["iframe", "link"]}}});
    let created_fields = [
        "id",
        "status",
        "expiration_date",
        "settings",
        "auth_session_hash",
        "step",
        "auth_session_url",
        "token",
        "token_expiration_date",
    ];
    let base_props = json!({
        "id": {"type": "string"}, "status": {"type": "string", "enum": STATUSES},
        "expiration_date": {"type": "string", "format": "date-time"}, "settings": settings_out,
        "auth_session_hash": {"type": "string"}, "step": {"type": ["string", "null"]},
        "auth_session_url": {"type": "string", "format": "uri"}, "token": {"type": "string", "format": "uuid"},
        "token_expiration_date": {"type": "string", "format": "date-time"}
    });
    let mut with_data = base_props.clone();
    with_data["step_data"] = json!({"$ref": "#/components/schemas/StepData"});
    let mut v1_props = with_data.clone();
    v1_props["object"] = json!({"type": "string", "const": "verification_session"});
    v1_props["document_number"] = json!({"type": "string"});
    v1_props["created_at"] = json!({"type": "string", "format": "date-time"});
    v1_props["updated_at"] = json!({"type": "string", "format": "date-time"});
    v1_props["redacted"] = json!({"type": "boolean"});
    for (k, what) in [
        (
            "biometrics_purged_at",
            "selfie, liveness results and face validations",
        ),
        ("documents_purged_at", "document reads"),
    ] {
        v1_props[k] = json!({"type": ["string", "null"], "format": "date-time",
            "description": format!("when the tenant's retention deleted the session's {what} (null: not yet); \
                status, decision and reasons stay")});
    }
    v1_props["decision"] =
        json!({"oneOf": [{"$ref": "#/components/schemas/Decision"}, {"type": "null"}]});
    let mut qi_required: Vec<&str> = created_fields.to_vec();
    qi_required.push("step_data");
    let all = json!({
        "QiCreateSession": create(false),
        "V1CreateSession": create(true),
        "QiSessionCreated": {"type": "object", "required": created_fields, "properties": base_props},
        "QiSession": {"type": "object", "required": qi_required, "properties": with_data},
        "V1Session": {"type": "object", "required": ["object", "id", "status", "document_number", "settings", "created_at"], "properties": v1_props},
        "V1SessionList": {"type": "object", "required": ["object", "data", "has_more", "next_cursor"], "properties": {
            "object": {"const": "list"}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/V1Session"}},
            "has_more": {"type": "boolean"}, "next_cursor": {"type": ["string", "null"]}}},
    });
    all.as_object().cloned().unwrap_or_default()
}
