//! Routes that decide sessions by hand: a reviewer's verdict on a session in manual analysis,
//! and sandbox outcomes.

use axum::http::Method;
use idgate_core::session::decision::REASON_CODES;
use serde_json::json;

use super::Access::ApiKey;
use super::{perm, Route};
use crate::http::review as h;

pub fn routes() -> Vec<Route> {
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V1Error"}}}});
    let session = json!({"description": "the session, final", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V1Session"}}}});
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 255}}]);
    let review = json!({
        "summary": "Review a session in manual analysis",
        "description": "A person's verdict on a session the decision policy left `in_manual_analysis`: the session becomes \
            `approved` or `rejected`; its `decision` keeps the automatic reasons and gains `review` `{decision, reason, note, \
            reviewer, reviewed_at}` (the reviewer is the API key's public prefix, `api_key:idg_...`); `session.reviewed` then \
            `session.completed` are sent to webhooks, and an audit row is written, in the same transaction as the status. \
            Any other status answers `409 invalid_state_transition`.",
        "parameters": id,
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
            "required": ["decision", "reason"], "additionalProperties": false, "properties": {
            "decision": {"type": "string", "enum": ["approved", "rejected"]},
            "reason": {"type": "string", "minLength": 1, "maxLength": 200, "description": "why, in a few words (shown with the decision)"},
            "note": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "free text for the audit trail"}}},
            "example": {"decision": "approved", "reason": "document checked by hand", "note": "CNH photo blurred; details legible"}}}},
        "responses": {"200": session, "400": err("`invalid_json`: the body is not JSON"), "422": err("a field is missing or invalid (all listed in `details`)"),
            "404": err("no such session for this tenant"),
            "409": err("the session is not in manual analysis"), "415": err("not JSON")}
    });
    let simulate = json!({
        "summary": "Simulate a sandbox session's outcome",
        "description": format!("Sandbox tenants only (a live tenant gets `403 forbidden`): completes a `pending` or \
            `in_progress` session without captures, through the same transitions, events and webhooks as a real one \
            (`session.in_progress`, `session.processing`, `session.completed`), so an integrator can test its webhook \
            handling for each outcome. The decision carries `simulated: true` and the given reason codes (none for \
            `approved`; one of: {}). Other statuses answer `409`.", REASON_CODES.join(", ")),
        "parameters": id,
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
            "required": ["outcome"], "additionalProperties": false, "properties": {
            "outcome": {"type": "string", "enum": ["approved", "rejected", "in_manual_analysis"]},
            "reasons": {"type": "array", "maxItems": REASON_CODES.len(), "items": {"type": "string", "enum": REASON_CODES}}}},
            "example": {"outcome": "rejected", "reasons": ["face_mismatch"]}}}},
        "responses": {"200": session, "400": err("`invalid_json`: the body is not JSON"), "422": err("a field is missing or invalid (all listed in `details`)"),
            "404": err("no such session for this tenant"),
            "409": err("the session is past collecting"), "415": err("not JSON")}
    });
    vec![
        Route::new(
            Method::POST,
            "/v1/verification-sessions/{id}/review",
            ApiKey(perm::SESSIONS_REVIEW),
            h::v1_review_session,
            review,
        ),
        Route::new(
            Method::POST,
            "/v1/verification-sessions/{id}/simulate",
            ApiKey(perm::SESSIONS_REVIEW),
            h::v1_simulate_session,
            simulate,
        ),
    ]
}
