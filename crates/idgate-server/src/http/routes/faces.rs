//! Face routes (QI `/face_recognition/...` facade and `/v1/faces/...`) and their wire shapes.
//! Documents what the vendor leaves open: the pass threshold, the distance → similarity
//! mapping, the match levels, limits and error codes.

use axum::http::Method;
use serde_json::{json, Map, Value};

use super::doc::{body, err, ok, path_param};
use super::Access::{ApiKey, VendorKey};
use super::{perm, Route};
use crate::http::faces as h;

/// How similarity, pass/fail and match levels are computed (shared by every face route).
pub const MATCHING: &str = "Faces are compared by the Euclidean distance `d` between dlib ResNet \
  embeddings (128-D). **Pass** when `d <= 0.60` (dlib's operating point, 99.38% on LFW). \
  **similarity_ratio** = `1 / (1 + exp(15 * (d - 0.796)))`: 0.95 exactly at the threshold, so pass \
  ⇔ similarity ≥ 0.95 as QI documents (\"match when similarity > 95%\"); d 0.40 → 0.997, 0.70 → \
  0.81, 0.90 → 0.17. **match_level** (uqudo-style, 5 strongest): 5 d ≤ 0.40 (targets FAR ≤ \
  0.001%), 4 d ≤ 0.50 (≤ 0.01%), 3 d ≤ 0.60 = pass (≤ 0.1%), 2 d ≤ 0.65 (≤ 1%), 1 d ≤ 0.70 (≤ 5%), \
  0 beyond (no match). On the project's labelled test photos (68 genuine, 1060 impostor pairs) \
  genuine distances were 0.26–0.58 and impostor 0.655–1.09; run `idgate faces eval DIR` on your \
  own population before relying on levels 4–5.";

const IMAGE: &str = "Images: base64 of a JPEG, PNG or WebP file (strict standard alphabet, no \
  `data:` prefix), at most 10 MiB decoded and 40 megapixels (checked from the header before \
  decoding), EXIF orientation applied. Quality gate (400, QI `title` `image_quality`, specific \
  `code`): `no_face`, `multiple_faces`, `face_too_small` (narrower than 15% of the image or 80 \
  px), `too_blurry`, `too_dark`, `too_bright`. Inference runs on a bounded pool: a full queue \
  answers 503 `busy` with `Retry-After`; without installed models 503 `model_unavailable`. \
  Images and templates are encrypted at rest (AES-256-GCM); refused input stores nothing.";

const CODES_400: &str = "invalid_json, invalid_base64, unsupported_image_format, corrupt_image, \
  and the quality codes no_face, multiple_faces, face_too_small, too_blurry, too_dark, too_bright";

const CODES_422: &str =
    "validation_failed: every violation in `errors` / `error.details` (missing \
  or both image fields, bad CPF, bad key, unknown field on /v1)";

fn responses(family: &str, ok_code: &str, okv: Value, post: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(ok_code.into(), okv);
    m.insert(
        "404".into(),
        err(
            family,
            "no such registration, validation or image for this tenant",
        ),
    );
    m.insert("400".into(), err(family, CODES_400));
    m.insert("422".into(), err(family, CODES_422));
    if post {
        m.insert(
            "413".into(),
            err(
                family,
                "image_too_large, image_too_many_pixels or payload_too_large",
            ),
        );
        m.insert(
            "503".into(),
            err(family, "busy (Retry-After) or model_unavailable"),
        );
        if family == "V1" {
            m.insert("415".into(), err(family, "not application/json"));
        }
    }
    m
}

fn op(summary: &str, desc: String, resp: Map<String, Value>) -> Value {
    json!({"summary": summary, "description": desc, "responses": resp})
}

fn post(family: &str, summary: &str, desc: &str, req: &str, code: &str, res: &str) -> Value {
    let mut o = op(
        summary,
        format!("{desc}\n\n{IMAGE}"),
        responses(family, code, ok("done", res), true),
    );
    o["requestBody"] = body(req);
    o
}

fn get(family: &str, summary: &str, desc: &str, name: &str, schema: Value, res: &str) -> Value {
    let mut o = op(
        summary,
        desc.to_owned(),
        responses(family, "200", ok("found", res), false),
    );
    o["parameters"] = json!([path_param(name, schema)]);
    o
}

pub fn routes() -> Vec<Route> {
    let (get_m, post_m) = (Method::GET, Method::POST);
    let (read, write) = (perm::FACES_READ, perm::FACES_WRITE);
    let uuid = json!({"type": "string", "format": "uuid"});
    let cpf = json!({"type": "string", "pattern": "^(\\d{3}\\.\\d{3}\\.\\d{3}-\\d{2}|\\d{11})$", "description": "CPF as ddd.ddd.ddd-dd or 11 digits, valid check digits"});
    let reg_get = "The registration (404 once erased).";
    let doc_get = "The latest registration of this CPF (older ones are kept as history).";
    let val_get = "A stored validation.";
    let reg_post =
        "Registers the face of a CPF from `image` (base64) or `image_key` (from the image \
      upload) — exactly one. The latest registration of a CPF wins; older ones are kept.";
    let val_post = "1:1 validation of `image` or `image_key` against the registration given by \
      `registration_key` or the latest of `document_number`.";
    let mut erase = op(
        "Erase a face registration",
        "Deletes the template and the image (unless another live registration uses it); the row's \
         key and dates stay as history and the erasure is audited."
            .into(),
        responses("V1", "200", ok("erased", "V1FaceErasure"), false),
    );
    erase["parameters"] = json!([path_param("registration_key", uuid.clone())]);
    let val_desc = format!("{val_post}\n\n{MATCHING}");
    vec![
        Route::new(post_m.clone(), "/face_recognition/image", VendorKey(write), h::qi_upload_image,
            post("Qi", "Upload a face image (QI-compatible)", "Stores the image (short-lived unless a registration uses it) after the quality gate.", "QiFaceImageRequest", "201", "FaceImage")),
        Route::new(post_m.clone(), "/face_recognition/registration", VendorKey(write), h::qi_create_registration,
            post("Qi", "Create a face registration (QI-compatible)", &format!("{reg_post} Answers only `registration_key`, as the seed shows."), "QiFaceRegistrationRequest", "201", "QiFaceRegistrationCreated")),
        Route::new(get_m.clone(), "/face_recognition/registration/{registration_key}", VendorKey(read), h::qi_get_registration,
            get("Qi", "Get a face registration (QI-compatible)", reg_get, "registration_key", uuid.clone(), "FaceRegistration")),
        Route::new(get_m.clone(), "/face_recognition/registration/document_number/{document_number}", VendorKey(read), h::qi_get_registration_by_document,
            get("Qi", "Get the latest face registration of a CPF (QI-compatible)", doc_get, "document_number", cpf.clone(), "FaceRegistration")),
        Route::new(post_m.clone(), "/face_recognition/validation", VendorKey(write), h::qi_create_validation,
            post("Qi", "Validate a face against a registration (QI-compatible)", &val_desc, "QiFaceValidationRequest", "201", "FaceValidation")),
        Route::new(get_m.clone(), "/face_recognition/validation/{validation_key}", VendorKey(read), h::qi_get_validation,
            get("Qi", "Get a face validation (QI-compatible)", val_get, "validation_key", uuid.clone(), "FaceValidation")),
        Route::new(post_m.clone(), "/v1/faces/images", ApiKey(write), h::v1_upload_image,
            post("V1", "Upload a face image", "As `POST /face_recognition/image`.", "V1FaceImageRequest", "201", "V1FaceImage")),
        Route::new(post_m.clone(), "/v1/faces/registrations", ApiKey(write), h::v1_create_registration,
            post("V1", "Create a face registration", reg_post, "V1FaceRegistrationRequest", "201", "V1FaceRegistration")),
        Route::new(get_m.clone(), "/v1/faces/registrations/{registration_key}", ApiKey(read), h::v1_get_registration,
            get("V1", "Get a face registration", reg_get, "registration_key", uuid.clone(), "V1FaceRegistration")),
        Route::new(Method::DELETE, "/v1/faces/registrations/{registration_key}", ApiKey(write), h::v1_erase_registration, erase),
        Route::new(get_m.clone(), "/v1/faces/registrations/by-document/{document_number}", ApiKey(read), h::v1_get_registration_by_document,
            get("V1", "Get the latest face registration of a CPF", doc_get, "document_number", cpf, "V1FaceRegistration")),
        Route::new(post_m.clone(), "/v1/faces/validations", ApiKey(write), h::v1_create_validation,
            post("V1", "Validate a face against a registration", &val_desc, "V1FaceValidationRequest", "201", "V1FaceValidation")),
        Route::new(get_m, "/v1/faces/validations/{validation_key}", ApiKey(read), h::v1_get_validation,
            get("V1", "Get a face validation", val_get, "validation_key", uuid, "V1FaceValidation")),
        Route::new(post_m, "/v1/faces/compare", ApiKey(write), h::v1_compare,
            post("V1", "Compare two face images", &format!("Compares `image_a | image_key_a` with `image_b | image_key_b` (exactly one per side); stores nothing.\n\n{MATCHING}"), "V1FaceCompareRequest", "200", "V1FaceComparison")),
    ]
}

pub fn schemas() -> Map<String, Value> {
    let b64 = json!({"type": "string", "description": "base64 of a JPEG, PNG or WebP file (no data: prefix)"});
    let key = json!({"type": "string", "format": "uuid"});
    let cpf = json!({"type": "string", "pattern": "^(\\d{3}\\.\\d{3}\\.\\d{3}-\\d{2}|\\d{11})$", "description": "CPF as ddd.ddd.ddd-dd or 11 digits, valid check digits"});
    let date = json!({"type": "string", "format": "date-time"});
    let req = |strict: bool, props: Value, required: &[&str]| json!({"type": "object", "additionalProperties": !strict, "required": required, "properties": props});
    let reg_props = json!({"document_number": cpf, "image": b64, "image_key": key});
    let val_props =
        json!({"document_number": cpf, "registration_key": key, "image": b64, "image_key": key});
    let cmp_props = json!({"image_a": b64, "image_key_a": key, "image_b": b64, "image_key_b": key});
    let image_props = json!({"image_key": key, "file_size": {"type": "integer"}, "width_px": {"type": "integer"},
        "height_px": {"type": "integer"}, "created_at": date});
    let mut v1_image_props = image_props.clone();
    v1_image_props["object"] = json!({"const": "face_image"});
    v1_image_props["format"] = json!({"type": "string", "enum": ["jpeg", "png", "webp"]});
    v1_image_props["expires_at"] = json!({"type": ["string", "null"], "format": "date-time"});
    let image_ref =
        json!({"anyOf": [{"$ref": "#/components/schemas/FaceImage"}, {"type": "null"}]});
    let reg_out = json!({"registration_key": key, "document_number": {"type": "string"},
        "status": {"type": "string", "enum": ["authentic", "undefined", "fraud"]}, "registration_date": date, "image": image_ref});
    let mut v1_reg_out = reg_out.clone();
    v1_reg_out["object"] = json!({"const": "face_registration"});
    let val_out = json!({"validation_key": key, "document_number": {"type": "string"},
        "similarity_ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "validation_result": {"type": "string", "enum": ["pass", "fail"]},
        "match_level": {"type": "integer", "minimum": 0, "maximum": 5},
        "registration": {"type": "object", "required": ["registration_key"], "properties": {
            "registration_key": key, "registration_status": {"type": "string"}, "registration_date": date}},
        "image": image_ref, "validation_date": date});
    let mut v1_val_out = val_out.clone();
    v1_val_out["object"] = json!({"const": "face_validation"});
    v1_val_out["distance"] = json!({"type": "number", "minimum": 0});
    v1_val_out["threshold"] = json!({"type": "number"});
    let reg_req = [
        "registration_key",
        "document_number",
        "status",
        "registration_date",
        "image",
    ];
    let val_req = [
        "validation_key",
        "document_number",
        "similarity_ratio",
        "validation_result",
        "match_level",
        "registration",
        "validation_date",
    ];
    let obj = |props: Value, required: &[&str]| json!({"type": "object", "required": required, "properties": props});
    let pairs = vec![
        (
            "QiFaceImageRequest",
            req(false, json!({"image": b64}), &["image"]),
        ),
        (
            "V1FaceImageRequest",
            req(true, json!({"image": b64}), &["image"]),
        ),
        (
            "QiFaceRegistrationRequest",
            req(false, reg_props.clone(), &["document_number"]),
        ),
        (
            "V1FaceRegistrationRequest",
            req(true, reg_props, &["document_number"]),
        ),
        (
            "QiFaceValidationRequest",
            req(false, val_props.clone(), &[]),
        ),
        ("V1FaceValidationRequest", req(true, val_props, &[])),
        ("V1FaceCompareRequest", req(true, cmp_props, &[])),
        (
            "FaceImage",
            obj(
                image_props,
                &[
                    "image_key",
                    "file_size",
                    "width_px",
                    "height_px",
                    "created_at",
                ],
            ),
        ),
        (
            "V1FaceImage",
            obj(
                v1_image_props,
                &[
                    "object",
                    "image_key",
                    "file_size",
                    "width_px",
                    "height_px",
                    "created_at",
                    "format",
                ],
            ),
        ),
        (
            "QiFaceRegistrationCreated",
            obj(json!({"registration_key": key}), &["registration_key"]),
        ),
        ("FaceRegistration", obj(reg_out, &reg_req)),
        ("V1FaceRegistration", obj(v1_reg_out, &reg_req)),
        ("FaceValidation", obj(val_out, &val_req)),
        ("V1FaceValidation", obj(v1_val_out, &val_req)),
        (
            "V1FaceErasure",
            obj(
                json!({"object": {"const": "face_registration"}, "registration_key": key,
            "erased": {"const": true}, "erased_at": date}),
                &["object", "registration_key", "erased", "erased_at"],
            ),
        ),
        (
            "V1FaceComparison",
            obj(
                json!({"object": {"const": "face_comparison"}, "distance": {"type": "number", "minimum": 0},
            "similarity_ratio": {"type": "number", "minimum": 0, "maximum": 1}, "result": {"type": "string", "enum": ["pass", "fail"]},
            "match_level": {"type": "integer", "minimum": 0, "maximum": 5}, "threshold": {"type": "number"}}),
                &[
                    "object",
                    "distance",
                    "similarity_ratio",
                    "result",
                    "match_level",
                    "threshold",
                ],
            ),
        ),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
