//! Hosted-flow routes (the entry page, its assets, step submissions, state, QR code) and what
//! they leave on the session: `step_data` references and the decision with its reasons.

use axum::http::Method;
use idgate_core::session::decision::REASON_CODES;
use serde_json::{json, Map, Value};

use super::Access::{Public, Token};
use super::Route;
use crate::http::{flow as h, pages};

/// The entry page's description: languages, screens, and how it reports back (iframe events,
/// link redirect).
const ENTRY_TEXT: &str = "Opens the capture flow; a pending session becomes in_progress. A wrong hash or token gets the \
same 404; an expired token or session gets 410 (a page saying so). The page is in Brazilian Portuguese unless `?lang=en` \
(the page's visible switch) or the browser's `Accept-Language` asks for English; every text, server errors included, \
comes from one catalogue per language. Screens: introduction (`show_introduction_screen`), one per step (device scan; \
selfie with liveness on the front camera; document: template, then front/back from the rear camera or a file, or the \
CNH digital PDF), the outcome (`show_success_screen`; polls `GET .../state` while `processing`), and expired, closed, \
camera denied, no camera (a QR code of this link, `GET .../qr.svg`), unsupported browser, network error with retry.\n\n\
**`open_mode: iframe`**: only the tenant's frame origins (`idgate tenant frame-origins NAME ORIGIN...`) may frame the \
page (CSP `frame-ancestors`), and the page posts `{type, session_id, status, step}` to the parent window, addressed to \
those origins only: `type` is `opened`, `step_completed` (with `completed`), `finished` or `error` (with `code`). \
Frame it with camera access:\n\n\
```html\n<iframe src=\"AUTH_SESSION_URL\" allow=\"camera\"></iframe>\n<script>\n\
addEventListener('message', (e) => {\n  if (e.origin !== 'https://idgate.example.com') return;\n\
  if (e.data.type === 'finished') console.log(e.data.session_id, e.data.status);\n});\n</script>\n```\n\n\
**`open_mode: link`**: the page ends on its success screen; when the tenant set a redirect URL \
(`idgate tenant redirect-url NAME URL`) it then sends the person to that URL with `session_id` and `status` added \
to its query (`https://app.example.com/done?session_id=...&status=in_manual_analysis`); read the outcome from the API, \
not from that query.";

pub fn routes() -> Vec<Route> {
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V1Error"}}}});
    let body = json!({"required": true, "content": {"application/json": {"schema": {"oneOf": [
        {"$ref": "#/components/schemas/DeviceScanStep"},
        {"$ref": "#/components/schemas/FaceRecognitionStep"},
        {"$ref": "#/components/schemas/PersonalDocumentStep"}
    ]}}}});
    let op = json!({
        "summary": "Submit a step of the hosted flow",
        "description": "Authenticated by the session URL's hash and token (the link the person was sent). Steps are taken in \
            the session's order: `device_scan` `{session_id?}`, `face_recognition` `{challenge_id, frames}` (a liveness proof: \
            a bare `{image}` is `400 liveness_required`; a failed attempt is `422 liveness_failed` with `details.reasons` and \
            `details.attempts_left` until the tenant's attempts run out, then the step completes as failed and the decision says \
            `liveness_failed`), `personal_document` `{document_template, documents: [{document_b64, file_type}]}` \
            (one of the session's `document_templates`, front and back or one PDF; each side read like `POST /ocr/image`). \
            The step's references go to `step_data` (`image_key`, `ocr_keys`, `session_id`, `event_date`). After the last \
            step the session moves to `processing` and the decision policy makes it `approved`, `rejected` or \
            `in_manual_analysis`: rejected when a check fails (check digits, expiry, the document's CPF differs from the \
            session's `document_number`, the document portrait does not match the selfie, an invalid PDF signature); \
            manual analysis when a check cannot be made (nothing read, no face on the document, template `others`). \
            The reasons are in the session's `decision` (tenant API only); this answer says only where the flow stands.",
        "parameters": [
            {"name": "hash", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "step", "in": "path", "required": true, "schema": {"type": "string", "enum": ["device_scan", "face_recognition", "personal_document"]}}
        ],
        "requestBody": body,
        "responses": {
            "200": {"description": "the step is recorded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationFlow"}}}},
            "400": err("malformed JSON, bad image or document bytes, face quality gate, `liveness_required`"),
            "404": err("unknown link (wrong hash or token) or a step the session does not have"),
            "409": err("`step_out_of_order`: another step is due, or the session is closed"),
            "410": err("`session_expired`: the link or the session has expired"),
            "413": err("body, image or PDF over its limit"),
            "415": err("the body is not `application/json`"),
            "422": err("`validation_failed` (every field that breaks a rule: a template the session does not accept, bad signals, \
                frames); no text or MRZ on the document; `liveness_failed` (details: reasons, attempts_left)"),
            "503": err("the face or OCR engine is busy or not loaded")
        }
    });
    let assets: Vec<&str> = pages::FLOW_ASSETS.iter().map(|(n, _)| *n).collect();
    let js = json!({"summary": "The hosted flow's scripts and style sheet", "description": "Loaded by the entry page \
        (`app.js` and its modules, `app.css`), embedded in the binary; no CDN.",
        "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string", "enum": assets}}],
        "responses": {"200": {"description": "JavaScript or CSS", "content": {"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}}},
            "404": {"description": "no such asset"}}});
    let link_params = json!([
        {"name": "hash", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}
    ]);
    let state = json!({"summary": "Where the hosted flow stands", "description": "Authenticated by the session URL. \
        The page polls it while the session is `processing`; any status is shown, but an expired link answers 410.",
        "parameters": link_params,
        "responses": {"200": {"description": "the flow", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationFlow"}}}},
            "404": err("unknown link"), "410": err("`session_expired`")}});
    let qr = json!({"summary": "QR code of the session's link", "description": "An SVG QR code of `auth_session_url`, \
        shown by the page on a device without a camera so the person can continue on a phone.",
        "parameters": link_params,
        "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
            "404": err("unknown link"), "410": err("`session_expired`")}});
    let html = |d: &str| json!({"description": d, "content": {"text/html": {"schema": {"type": "string"}}}});
    let entry = json!({"summary": "Hosted entry page", "description": ENTRY_TEXT, "parameters": link_params,
        "responses": {"200": html("the page"), "404": html("unknown link"), "410": html("expired or closed")}});
    let (get, post) = (Method::GET, Method::POST);
    vec![
        Route::new(
            get.clone(),
            "/s/{hash}/t/{token}",
            Public,
            pages::open_session,
            entry,
        ),
        Route::new(
            post,
            "/s/{hash}/t/{token}/steps/{step}",
            Token,
            h::submit_step,
            op,
        ),
        Route::new(
            get.clone(),
            "/s/{hash}/t/{token}/state",
            Token,
            h::get_state,
            state,
        ),
        Route::new(
            get.clone(),
            "/s/{hash}/t/{token}/qr.svg",
            Token,
            h::get_qr,
            qr,
        ),
        Route::new(get, "/flow/{file}", Public, pages::flow_asset, js),
    ]
}

pub fn schemas() -> Map<String, Value> {
    let side = json!({"type": "object", "required": ["document_b64", "file_type"], "additionalProperties": false, "properties": {
        "document_b64": {"type": "string", "minLength": 1}, "file_type": {"type": "string", "enum": ["jpeg", "pdf"]}}});
    let reason = json!({"type": "object", "required": ["code", "severity", "message"], "properties": {
        "code": {"type": "string", "enum": REASON_CODES},
        "severity": {"type": "string", "enum": ["reject", "review"]}, "message": {"type": "string"}}});
    Map::from_iter([
        (
            "DeviceScanStep".to_owned(),
            json!({"type": "object", "additionalProperties": false, "properties": {
            "session_id": {"type": "string", "format": "uuid"},
            "signals": {"type": "object", "description": "What the page read of the device (all optional; unknown keys dropped, \
                strings cut to 512): `user_agent`, `client_hints`, `platform`, `screen` `{width, height, pixel_ratio, color_depth}`, \
                `time_zone`, `time_zone_offset_min`, `languages`, `hardware_concurrency`, `device_memory`, `touch_points`, \
                `webdriver`, `webgl_vendor`, `webgl_renderer`, `canvas_hash`, `storage`. The server adds the IP and headers, a \
                tenant-scoped `fingerprint` and `risk_signals` (`automation`, `user_agent_mismatch`, `timezone_language_mismatch`, \
                `timezone_offset_mismatch`, `timezone_ip_mismatch` (time zone not used in the IP's country; IP geolocation by \
                DB-IP, https://db-ip.com, CC BY 4.0), `language_header_mismatch`, `device_many_cpfs`); a tenant policy with \
                `risky_device: manual_analysis` sends an otherwise approved session with any of them to manual analysis \
                (reason `device_risky`)."}}}),
        ),
        (
            "FaceRecognitionStep".to_owned(),
            json!({"type": "object", "required": ["challenge_id"], "additionalProperties": false, "properties": {
            "challenge_id": {"type": "string", "format": "uuid", "description": "a challenge from POST /s/{hash}/t/{token}/liveness"},
            "frames": {"type": "array", "maxItems": 120, "items": {"type": "object", "required": ["image", "t_ms"], "properties": {
                "image": {"type": "string"}, "t_ms": {"type": "integer", "minimum": 0}}},
                "description": "the frames of the challenge (see POST /v1/liveness/challenges/{id}/verify); omitted when the challenge was already verified"}}}),
        ),
        (
            "PersonalDocumentStep".to_owned(),
            json!({"type": "object", "required": ["document_template", "documents"], "additionalProperties": false, "properties": {
            "document_template": {"type": "string", "enum": ["rg", "cnh", "cnh_digital", "passport", "rne", "crnm", "ctps", "others"]},
            "documents": {"type": "array", "minItems": 1, "maxItems": 2, "items": side}}}),
        ),
        (
            "StepData".to_owned(),
            json!({"type": "object", "description": "References to what each completed step captured (the vendor's shape: keys, not results).",
                "properties": {
                    "device_scan": {"type": "object", "properties": {"session_id": {"type": "string"}, "event_date": {"type": "string", "format": "date-time"},
                        "fingerprint": {"type": "string"}, "risk_signals": {"type": "array", "items": {"type": "string"}},
                        "cpfs_on_device_24h": {"type": "integer"}, "signals": {"type": ["object", "null"]}, "network": {"type": "object"}}},
                    "face_recognition": {"type": "object", "properties": {"image_key": {"type": "string"}, "event_date": {"type": "string", "format": "date-time"}}},
                    "personal_document": {"type": "object", "properties": {"document_template": {"type": "string"},
                        "ocr_keys": {"type": "array", "items": {"type": "string"}}, "event_date": {"type": "string", "format": "date-time"}}}}}),
        ),
        (
            "VerificationFlow".to_owned(),
            json!({"type": "object", "required": ["object", "status", "step", "steps", "completed_steps"], "properties": {
            "object": {"type": "string", "const": "verification_flow"},
            "status": {"type": "string"}, "step": {"type": ["string", "null"]},
            "steps": {"type": "array", "items": {"type": "string"}},
            "completed_steps": {"type": "array", "items": {"type": "string"}}}}),
        ),
        (
            "Decision".to_owned(),
            json!({"type": "object", "required": ["status", "reasons", "evidence", "decided_at"], "properties": {
            "status": {"type": "string", "enum": ["approved", "rejected", "in_manual_analysis"]},
            "reasons": {"type": "array", "items": reason},
            "policy": {"type": "object"},
            "evidence": {"type": "object", "description": "per document side: `ocr_key`, `template`, `check_digits_valid`, \
                `not_expired`, `signature` (`trusted|untrusted|unsigned|invalid`, null when none is needed); `cpf_matches_session`; `face_match` `{result: match|unmatch|no_face_on_document|failed, face_match_key?, similarity_ratio?}`"},
            "decided_at": {"type": "string", "format": "date-time"}}}),
        ),
    ])
}
