//! Document routes (QI `/ocr/...` facade and `/v1/documents`) and their wire shapes. Documents
//! what the vendor leaves open: the result object of `GET /ocr/image/{ocr_key}`, templates,
//! limits and error codes.

use axum::http::Method;
use serde_json::{json, Map, Value};

use super::doc::{body, err, ok, path_param, uuid};
use super::Access::{ApiKey, VendorKey};
use super::{perm, Route};
use crate::http::documents as h;

use crate::app::documents::template::ALL;

const READ: &str = "Reads an identity document. `passport`, `rne` and `crnm` are read by their machine-readable \
  zone (ICAO 9303 TD1/TD2/TD3, every check digit reported); `rg`, `rg_front`, `rg_back`, `cnh`, `cnh_front`, \
  `cnh_back` and `ctps` (best effort) by full-page OCR (PP-OCRv5) and the Brazilian field extractor (an MRZ on \
  the page, e.g. a CIN's TD1 zone, is parsed too); `cnh_digital` is a PDF whose text, QR code and PAdES \
  signature are read (a page that is only an image goes through OCR); `others` is stored without reading or \
  validation. `file_type` is `jpeg` (any JPEG, PNG or WebP image) or `pdf` and must match the bytes. Limits: \
  10 MiB decoded, 40 megapixels, PDFs of at most 4 pages, 25,000 objects and 32 MiB per inflated stream. \
  Refused input stores nothing. The file and the result are encrypted at rest. Reading runs on a bounded OCR \
  pool: when it is full the answer is 503 `busy` with `Retry-After`; without installed models, 503 \
  `model_unavailable`.";

const CODES: &str = "400 invalid_base64, unsupported_image_format, corrupt_image, file_type_mismatch, invalid_pdf, \
  pdf_encrypted, invalid_json; 413 image_too_large, image_too_many_pixels, pdf_too_large, pdf_too_many_pages, \
  pdf_too_many_objects, pdf_stream_too_large, payload_too_large; 422 validation_failed (every violation listed), \
  no_text, no_mrz, invalid_document";

fn read_responses(family: &str, created: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("201".into(), created);
    m.insert("400".into(), err(family, CODES));
    m.insert("413".into(), err(family, "file or body over the limits"));
    m.insert("422".into(), err(family, "invalid fields, no text, no MRZ"));
    m.insert(
        "503".into(),
        err(family, "busy (Retry-After) or model_unavailable"),
    );
    m
}

fn get_responses(family: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("200".into(), ok("the stored result", "DocumentResult"));
    m.insert(
        "404".into(),
        err(family, "no such document for this tenant"),
    );
    m.insert("410".into(), err(family, EXPIRED));
    m
}

const EXPIRED: &str = "gone: a read made on its own (`/ocr/image`, `/v1/documents/read`) is kept \
  `documents.read_ttl_secs` (24 hours by default), then answers 410 until the sweeper deletes it (404); a \
  session's reads follow the tenant's retention instead";

fn param(name: &str) -> Value {
    json!([path_param(name, uuid())])
}

pub fn routes() -> Vec<Route> {
    let (get, post) = (Method::GET, Method::POST);
    let (read, write) = (perm::SESSIONS_READ, perm::SESSIONS_WRITE);
    vec![
        Route::new(
            post.clone(),
            "/ocr/image",
            VendorKey(write),
            h::qi_read_document,
            json!({
            "summary": "Read a document (QI OCR)", "description": READ,
            "requestBody": body("DocumentReadRequest"),
            "responses": read_responses("Qi", ok("the key of the stored read", "OcrKey"))}),
        ),
        Route::new(
            get.clone(),
            "/ocr/image/{ocr_key}",
            VendorKey(read),
            h::qi_get_document,
            json!({
            "summary": "Result of a document read", "parameters": param("ocr_key"),
            "description": "The stored result (see DocumentResult).",
            "responses": get_responses("Qi")}),
        ),
        Route::new(
            post.clone(),
            "/v1/documents/read",
            ApiKey(write),
            h::v1_read_document,
            json!({
            "summary": "Read a document", "description": format!("{READ} Unknown fields are refused."),
            "requestBody": body("DocumentReadRequest"),
            "responses": read_responses("V1", ok("the stored result", "DocumentResult"))}),
        ),
        Route::new(
            get,
            "/v1/documents/{id}",
            ApiKey(read),
            h::v1_get_document,
            json!({
            "summary": "A document read", "parameters": param("id"),
            "description": "The stored result.",
            "responses": get_responses("V1")}),
        ),
        Route::new(
            Method::DELETE,
            "/v1/documents/{id}",
            ApiKey(write),
            h::v1_delete_document,
            json!({
            "summary": "Delete a document read",
            "description": "Deletes the read: its sealed file and result and its face matches, with an audit row \
                (`document.deleted`). A read that a session not yet final still uses answers `409 conflict` (its decision \
                needs it); redact the session instead to erase what it collected.",
            "parameters": param("id"),
            "responses": {"204": {"description": "deleted"}, "404": err("V1", "no such document for this tenant"),
                "409": err("V1", "a session that is not final yet uses this read")}}),
        ),
        Route::new(
            post.clone(),
            "/ocr/face_match",
            VendorKey(write),
            h::qi_face_match,
            json!({
            "summary": "Match the document portrait with a selfie (QI)", "description": MATCH,
            "requestBody": body("FaceMatchRequest"),
            "responses": match_responses("Qi", "FaceMatch")}),
        ),
        Route::new(
            post,
            "/v1/documents/{id}/face-match",
            ApiKey(write),
            h::v1_face_match,
            json!({
            "summary": "Match the document portrait with a selfie", "parameters": param("id"),
            "description": format!("{MATCH} Body `{{image_key}}`; unknown fields are refused."),
            "requestBody": body("V1FaceMatchRequest"),
            "responses": match_responses("V1", "V1FaceMatch")}),
        ),
    ]
}

const MATCH: &str = "Finds the portrait on the stored document (`ocr_key`; small faces are upsampled, the largest \
  face wins; for a PDF, an image-only page), embeds it on the face pool and compares it with the template of \
  the uploaded image `image_key` (from `POST /face_recognition/image`). `face_match_result` is `match` when \
  `similarity_ratio` is above 0.95 (the QI rule; `documents.face_match_threshold`), else `unmatch`. The \
  ratio is the faces engine's published mapping of the embedding distance (0.95 at distance 0.6). The match \
  is stored.";

fn match_responses(family: &str, schema: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("201".into(), ok("the stored match", schema));
    m.insert(
        "400".into(),
        err(
            family,
            "no_face: no face on the document (or the selfie); invalid_json",
        ),
    );
    m.insert(
        "404".into(),
        err(
            family,
            "no such document, or no such (unexpired) image, for this tenant",
        ),
    );
    m.insert(
        "422".into(),
        err(family, "validation_failed: every violation listed"),
    );
    m.insert(
        "503".into(),
        err(family, "busy (Retry-After) or model_unavailable"),
    );
    m
}

pub fn schemas() -> Map<String, Value> {
    let templates: Vec<&str> = ALL.iter().map(|(n, _)| *n).collect();
    let check = json!({"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["valid", "invalid", "unchecked"]},
        "reason": {"type": "string"}}});
    let field = json!({"type": "object", "required": ["value", "confidence", "check"], "properties": {
        "value": {"type": "string", "description": "dates as YYYY-MM-DD; CPF, CNH and RG numbers as bare digits"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1}, "check": check}});
    let digit = json!({"type": "object", "properties": {"valid": {"type": "boolean"},
        "found": {"type": "string"}, "computed": {"type": "string"}}});
    let tri = json!({"type": ["boolean", "null"]});
    let mut s = Map::new();
    s.insert("DocumentReadRequest".into(), json!({"type": "object",
        "required": ["document_b64", "template", "file_type"], "properties": {
        "document_b64": {"type": "string", "description": "standard padded base64 of the file (no data: URL)"},
        "template": {"type": "string", "enum": templates},
        "file_type": {"type": "string", "enum": ["jpeg", "pdf"]}}}));
    let key = json!({"type": "string", "format": "uuid"});
    s.insert(
        "FaceMatchRequest".into(),
        json!({"type": "object", "required": ["ocr_key", "image_key"],
        "properties": {"ocr_key": key, "image_key": key}}),
    );
    s.insert(
        "V1FaceMatchRequest".into(),
        json!({"type": "object", "required": ["image_key"],
        "additionalProperties": false, "properties": {"image_key": key}}),
    );
    let fm = json!({"face_match_key": key, "face_match_result": {"type": "string", "enum": ["match", "unmatch"]},
        "similarity_ratio": {"type": "number", "minimum": 0, "maximum": 1}});
    s.insert(
        "FaceMatch".into(),
        json!({"type": "object",
        "required": ["face_match_key", "face_match_result", "similarity_ratio"], "properties": fm}),
    );
    let mut v1 = fm.clone();
    for (k, v) in [
        ("ocr_key", key.clone()),
        ("image_key", key.clone()),
        ("threshold", json!({"type": "number"})),
        (
            "created_at",
            json!({"type": "string", "format": "date-time"}),
        ),
    ] {
        v1[k] = v;
    }
    s.insert("V1FaceMatch".into(), json!({"type": "object",
        "required": ["face_match_key", "face_match_result", "similarity_ratio", "ocr_key", "image_key"], "properties": v1}));
    s.insert(
        "OcrKey".into(),
        json!({"type": "object", "required": ["ocr_key"],
        "properties": {"ocr_key": {"type": "string", "format": "uuid"}}}),
    );
    s.insert("DocumentResult".into(), json!({"type": "object",
        "required": ["ocr_key", "template", "status", "file_type", "fields", "validation", "created_at"],
        "properties": {
        "ocr_key": {"type": "string", "format": "uuid"},
        "template": {"type": "string", "enum": templates},
        "file_type": {"type": "string", "enum": ["jpeg", "pdf"]},
        "status": {"type": "string", "enum": ["processed", "stored"],
                   "description": "`stored`: kept without reading (`others`)"},
        "created_at": {"type": "string", "format": "date-time"},
        "fields": {"type": "object", "additionalProperties": field,
            "description": "name, cpf, birth_date, document_number, rg_number, issuing_body, issuing_state, issue_date, \
                            expiry_date, first_license_date, cnh_category, filiation, father_name, mother_name, \
                            place_of_birth, series; from an MRZ also surname, given_names, nationality, issuing_country, sex"},
        "text_lines": {"type": "integer"},
        "processing_ms": {"type": "number"},
        "mrz": {"type": "object", "properties": {
            "format": {"type": "string", "enum": ["td1", "td2", "td3"]},
            "lines": {"type": "array", "items": {"type": "string"}, "description": "the zone as read, after position-aware repair"},
            "raw_lines": {"type": "array", "items": {"type": "string"}, "description": "as recognised, before repair"},
            "confidence": {"type": "number"}, "upside_down": {"type": "boolean"}, "corrections": {"type": "integer", "description": "characters repaired (look-alikes, fillers, line lengths, a filler read as a letter after a passport's `P`)"},
            "doubts": {"type": "array", "items": {"type": "string", "enum": ["document_code", "document_code_filler", "issuing_country", "nationality", "birth_date", "expiry_date", "names", "document_number"]},
                "description": "ICAO 9303 rules beyond the check digits that the zone breaks (empty: plausible)"},
            "fields": {"type": "object", "description": "as printed (dates YYMMDD)"},
            "check_digits": {"type": "object", "additionalProperties": digit,
                "description": "document_number, birth_date, expiry_date, personal_number (TD3), composite"},
            "valid": {"type": "boolean"}}},
        "pdf": {"type": "object", "properties": {
            "signature": {"type": "object", "required": ["status", "trusted"], "properties": {
                "status": {"type": "string", "enum": ["valid", "invalid", "unsigned"]},
                "signer": {"type": ["string", "null"]}, "chain": {"type": "array", "items": {"type": "string"}},
                "trusted": {"type": "boolean", "description": "the chain reaches a configured root (documents.trust_roots_file)"},
                "covers_whole_file": {"type": "boolean"}, "reason": {"type": "string"}}},
            "qr_payload": {"type": ["string", "null"]}, "pages": {"type": "integer"},
            "ocr": {"type": "boolean", "description": "the page was an image and went through OCR"}}},
        "validation": {"type": "object", "description": "null: nothing to check", "properties": {
            "performed": {"type": "boolean"}, "check_digits_valid": tri, "not_expired": tri,
            "expiry_date": {"type": ["string", "null"]}, "cpf_valid": tri, "signature_valid": tri,
            "signature": {"type": ["string", "null"], "enum": ["trusted", "untrusted", "unsigned", "invalid", null],
                "description": "the signature a digital document needs (cnh_digital, or a PDF whose text was read from the file): trusted only when valid, covering the whole file and chaining through CA certificates to a configured root; null when none is needed"},
            "valid": {"type": ["boolean", "null"], "description": "no performed check failed and any signature needed is trusted"}}}}}));
    s
}
