//! The OpenAPI 3.1 description of every route in the route table, with the wire shapes of both
//! route families and their error formats. Served at `/openapi.json`; a test checks that it
//! lists exactly the routes of [`crate::http::routes::TABLE`].

use crate::openapi_flow::ENTRY_TEXT;
use serde_json::{json, Value};

fn err_ref(family: &str) -> Value {
    json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{family}Error")}}}})
}

fn errors(family: &str, codes: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|(code, desc)| {
            let mut r = err_ref(family);
            r["description"] = json!(desc);
            (code.to_string(), r)
        })
        .collect()
}

fn ok(desc: &str, schema: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn op(
    summary: &str,
    desc: &str,
    security: &str,
    responses: serde_json::Map<String, Value>,
) -> Value {
    let mut o = json!({"summary": summary, "description": desc, "responses": responses});
    if !security.is_empty() {
        o["security"] = json!([{ security: [] }]);
    }
    o
}

fn with(
    mut m: serde_json::Map<String, Value>,
    code: &str,
    v: Value,
) -> serde_json::Map<String, Value> {
    m.insert(code.into(), v);
    m
}

fn id_param() -> Value {
    json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}])
}

pub fn document() -> Value {
    let qi_write = errors(
        "Qi",
        &[
            ("400", "malformed JSON"),
            ("401", "missing or invalid API key"),
            ("409", "same id, different body"),
            ("413", "body over the limit"),
            (
                "422",
                "validation failed: every violation listed in `errors`",
            ),
        ],
    );
    let qi_read = errors(
        "Qi",
        &[
            ("401", "missing or invalid API key"),
            ("404", "no such session for this tenant"),
        ],
    );
    let v1_write = errors(
        "V1",
        &[
            ("400", "malformed JSON"),
            ("401", "missing or invalid API key"),
            ("409", "same id, different body"),
            ("413", "body over the limit"),
            ("415", "not application/json"),
            (
                "422",
                "validation failed: every violation listed in `error.details`",
            ),
        ],
    );
    let v1_read = errors(
        "V1",
        &[
            ("401", "missing or invalid API key"),
            ("404", "no such session for this tenant"),
        ],
    );
    let v1_change = errors(
        "V1",
        &[
            ("401", "missing or invalid API key"),
            ("404", "no such session for this tenant"),
            ("409", "not allowed in the session's status"),
        ],
    );
    let v1_change_redact = v1_change.clone();
    let v1_list = errors(
        "V1",
        &[
            ("400", "bad cursor"),
            ("401", "missing or invalid API key"),
            ("422", "bad status or limit"),
        ],
    );
    let qi_create_body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QiCreateSession"}}}});
    let v1_create_body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V1CreateSession"}}}});
    let html = |d: &str| json!({"description": d, "content": {"text/html": {"schema": {"type": "string"}}}});

    let mut qi_create = op(
        "Create an auth session (QI-compatible)",
        "Same contract as QI Tech's `POST /auth_session_manager/auth_session`. Accepts the key as \
         `Authorization: <key>` or `Bearer <key>`. Unknown fields are ignored and trailing commas tolerated, as \
         the vendor does. Same `id` with an identical body returns the existing session (200). Permission: sessions:write.",
        "rawKey",
        with(with(qi_write, "201", ok("created", "QiSessionCreated")), "200", ok("idempotent replay", "QiSessionCreated")),
    );
    qi_create["requestBody"] = qi_create_body;
    let mut qi_get = op("Get an auth session (QI-compatible)", "The session object with `step_data`. Expiry is enforced on read. Permission: sessions:read.",
        "rawKey", with(qi_read, "200", ok("the session", "QiSession")));
    qi_get["parameters"] = id_param();
    let mut v1_create = op("Create a verification session", "Validates every rule and reports all violations at once; unknown fields are refused. Permission: sessions:write.",
        "bearer", with(with(v1_write, "201", ok("created", "V1Session")), "200", ok("idempotent replay", "V1Session")));
    v1_create["requestBody"] = v1_create_body;
    let mut v1_list_op = op(
        "List verification sessions",
        "Newest first; `next_cursor` continues the list. Permission: sessions:read.",
        "bearer",
        with(v1_list, "200", ok("a page of sessions", "V1SessionList")),
    );
    v1_list_op["parameters"] = json!([
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": STATUSES}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
        {"name": "cursor", "in": "query", "schema": {"type": "string"}}
    ]);
    let mut v1_get = op(
        "Get a verification session",
        "Expiry is enforced on read. Permission: sessions:read.",
        "bearer",
        with(v1_read, "200", ok("the session", "V1Session")),
    );
    v1_get["parameters"] = id_param();
    let mut v1_cancel = op(
        "Cancel a verification session",
        "Allowed from any non-final status. Permission: sessions:write.",
        "bearer",
        with(
            v1_change.clone(),
            "200",
            ok("the canceled session", "V1Session"),
        ),
    );
    v1_cancel["parameters"] = id_param();
    let mut v1_renew = op("Renew the session's URL token", "A new token and token expiry (never past the session's expiry); the previous token stops working at once. Permission: sessions:write.",
        "bearer", with(v1_change, "200", ok("the session with its new token", "V1Session")));
    v1_renew["parameters"] = id_param();
    let mut v1_redact = op("Redact the session's data", "Deletes the selfie and the document reads (with their face matches) the session collected, \
        replaces its `step_data` values, the decision's evidence and the CPF with `[redacted]`, and records a `session.redacted` event \
        and an audit row, in one transaction. Status and decision reasons stay. A session still collecting is canceled first; one in \
        `processing` answers 409 until it is decided. Redacting again answers the redacted session. Permission: sessions:write.",
        "bearer", with(v1_change_redact, "200", ok("the redacted session", "V1Session")));
    v1_redact["parameters"] = id_param();
    let mut entry = op(
        "Hosted entry page",
        ENTRY_TEXT,
        "",
        [
            ("200".to_owned(), html("the page")),
            ("404".to_owned(), html("unknown link")),
            ("410".to_owned(), html("expired or closed")),
        ]
        .into_iter()
        .collect(),
    );
    entry["parameters"] = json!([
        {"name": "hash", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}
    ]);
    let plain = |d: &str, ct: &str| json!({"description": d, "content": {ct: {"schema": {"type": "string"}}}});
    let anyjson = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"type": "object"}}}});

    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "idgate",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Self-hosted identity verification and passwordless login. Vendor-compatible routes keep the \
                            vendor's shapes and error format `{title, description, translation, code}`; `/v1` routes use \
                            `{\"error\": {code, message, field?, details?}}`. Dates are RFC 3339 in the tenant's offset."
        },
        "paths": {
            "/auth_session_manager/auth_session": {"post": qi_create},
            "/auth_session_manager/auth_session/{id}": {"get": qi_get},
            "/v1/verification-sessions": {"post": v1_create, "get": v1_list_op},
            "/v1/verification-sessions/{id}": {"get": v1_get},
            "/v1/verification-sessions/{id}/cancel": {"post": v1_cancel},
            "/v1/verification-sessions/{id}/renew-token": {"post": v1_renew},
            "/v1/verification-sessions/{id}/redact": {"post": v1_redact},
            "/s/{hash}/t/{token}": {"get": entry},
            "/healthz": {"get": op("Liveness", "", "", [("200".to_owned(), anyjson("alive"))].into_iter().collect())},
            "/readyz": {"get": op("Readiness", "Database reachable and start-up done.", "",
                [("200".to_owned(), anyjson("ready")), ("503".to_owned(), anyjson("not ready"))].into_iter().collect())},
            "/metrics": {"get": op("Prometheus metrics", "", "", [("200".to_owned(), plain("metrics", "text/plain"))].into_iter().collect())},
            "/openapi.json": {"get": op("This document", "", "", [("200".to_owned(), anyjson("OpenAPI 3.1"))].into_iter().collect())},
            "/docs": {"get": op("API docs page", "", "", [("200".to_owned(), plain("HTML", "text/html"))].into_iter().collect())}
        },
        "components": {
            "securitySchemes": {
                "rawKey": {"type": "apiKey", "in": "header", "name": "Authorization",
                           "description": "The API key itself (`idg_...`), or `Bearer <key>`."},
                "bearer": {"type": "http", "scheme": "bearer"}
            },
            "schemas": schemas()
        }
    });
    if let Some(p) = doc["paths"].as_object_mut() {
        p.extend(crate::openapi_faces::paths());
    }
    if let Some(s) = doc["components"]["schemas"].as_object_mut() {
        s.extend(crate::openapi_faces::schemas());
    }
    if let Some(p) = doc["paths"].as_object_mut() {
        p.extend(crate::openapi_login::paths());
    }
    if let Some(s) = doc["components"]["schemas"].as_object_mut() {
        s.extend(crate::openapi_login::schemas());
    }
    if let Some(p) = doc["paths"].as_object_mut() {
        p.extend(crate::openapi_documents::paths());
        p.extend(crate::openapi_flow::paths());
        p.extend(crate::openapi_liveness::paths());
    }
    if let Some(s) = doc["components"]["schemas"].as_object_mut() {
        s.extend(crate::openapi_documents::schemas());
        s.extend(crate::openapi_flow::schemas());
        s.extend(crate::openapi_liveness::schemas());
    }
    doc
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

fn schemas() -> Value {
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
    v1_props["decision"] =
        json!({"oneOf": [{"$ref": "#/components/schemas/Decision"}, {"type": "null"}]});
    let mut qi_required: Vec<&str> = created_fields.to_vec();
    qi_required.push("step_data");
    let field_error = json!({"type": "object", "required": ["field", "code", "message"], "properties": {
        "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}});
    json!({
        "QiCreateSession": create(false),
        "V1CreateSession": create(true),
        "QiSessionCreated": {"type": "object", "required": created_fields, "properties": base_props},
        "QiSession": {"type": "object", "required": qi_required, "properties": with_data},
        "V1Session": {"type": "object", "required": ["object", "id", "status", "document_number", "settings", "created_at"], "properties": v1_props},
        "V1SessionList": {"type": "object", "required": ["object", "data", "has_more", "next_cursor"], "properties": {
            "object": {"const": "list"}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/V1Session"}},
            "has_more": {"type": "boolean"}, "next_cursor": {"type": ["string", "null"]}}},
        "QiError": {"type": "object", "required": ["title", "description", "translation", "code"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "translation": {"type": "string"},
            "code": {"type": "string"}, "errors": {"type": "array", "items": field_error.clone()}}},
        "V1Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
            "details": {"type": "array", "items": field_error}}}}}
    })
}

#[cfg(test)]
mod tests {
    use super::document;
    use crate::http::routes::TABLE;

    #[test]
    fn documents_exactly_the_route_table() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut documented: Vec<String> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| format!("{} {p}", m.to_uppercase()))
            })
            .collect();
        let mut table: Vec<String> = TABLE
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        documented.sort();
        table.sort();
        assert_eq!(documented, table);
    }

    #[test]
    fn every_reference_resolves() {
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(o) => {
                    if let Some(serde_json::Value::String(r)) = o.get("$ref") {
                        out.push(r.clone());
                    }
                    o.values().for_each(|x| refs(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let doc = document();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .expect("a local schema");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is not defined"
            );
        }
    }
}
