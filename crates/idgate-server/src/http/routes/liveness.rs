//! Active-liveness routes: challenges, their verification, the hosted flow's session challenge,
//! and what each reason code means.

use axum::http::Method;
use idgate_core::liveness::Reason;
use serde_json::{json, Map, Value};

use super::Access::{ApiKey, Token};
use super::{perm, Route};
use crate::http::liveness as h;

/// How the actions are named, with a picture (the camera's unmirrored view).
const ACTIONS_TEXT: &str = "Actions are named from the person's point of view. `turn_left`: the person turns their head to \
their own left, so in an **unmirrored** camera frame the nose points toward the image's right:\n\n\
```\n  turn_left (person's left)        turn_right (person's right)\n   camera frame, unmirrored          camera frame, unmirrored\n   +-----------------+               +-----------------+\n   |     ( o o >     |  nose ->      |  <- < o o )     |\n   |      \\_-_/      |  image right  |      \\_-_/      |\n   +-----------------+               +-----------------+\n```\n\n\
`blink`: both eyes close fully and open again. A live tenant's challenge has two distinct actions drawn at random \
(so always at least one head turn) in random order; a sandbox tenant may fix them with `actions` (1-6, no action twice \
in a row). Challenges expire 120 s after they are issued and verify at most once (a second verify: `409`).";

const VERIFY_TEXT: &str = "Send the frames the person's camera captured while performing the actions, in order: \
8 to 120 frames (`t_ms` = ms since the first frame, starting at 0 and strictly increasing, gaps of at most 500 ms, at \
most 20 s in all), each a base64 JPEG, PNG or WebP of at most 2 MiB and 1920x1920 px, all the same size (frames are \
judged at 640 px on the long side; ~10 fps at 640x480 is what the hosted page sends). The server finds the face, follows \
it with a 468-point face mesh, and checks: one face; each turn reaches a clear angle (yaw proxy >= 0.5) and comes back; \
during each turn the face's texture moves like a head, not a plane (a photo or screen tilted in front of the camera \
fails with `not_live`); blinks close and reopen both eyes; the same person throughout (face embeddings, including the \
frame kept as the selfie); plausible timing; a scene that changes. A pass stores the most frontal frame as a selfie \
(`image_key`, usable wherever an `image_key` is accepted). What it does not defend against: a 3D mask, or a deepfake \
injected as the camera stream.";

pub fn routes() -> Vec<Route> {
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V1Error"}}}});
    let challenge = json!({"description": "the challenge", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LivenessChallenge"}}}});
    let create_body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LivenessChallengeRequest"},
        "example": {}}}});
    let create = json!({
        "summary": "Start a liveness challenge", "description": ACTIONS_TEXT,
        "requestBody": create_body,
        "responses": {"201": challenge, "400": err("`invalid_json`: the body is not JSON"), "422": err("`validation_failed`: `actions` from a live tenant, or invalid actions"), "415": err("not JSON")}
    });
    let verify = json!({
        "summary": "Verify a liveness challenge from frames", "description": VERIFY_TEXT,
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LivenessFrames"}}}},
        "responses": {
            "200": {"description": "the verdict (`passed: false` with `reasons` is an answer, not an error)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LivenessVerification"}}}},
            "400": err("`invalid_frames`: not an image, frames of mixed sizes, a header declaring too many pixels"),
            "422": err("`validation_failed`: no or too many frames, bad `t_ms`, bad base64 (each listed with its field)"),
            "404": err("no such challenge for this tenant"),
            "409": err("the challenge was already verified"), "413": err("body over its limit"), "415": err("not JSON"),
            "503": err("the face engine is busy or not loaded")
        }
    });
    let session = json!({
        "summary": "Start a liveness challenge for the hosted flow's face step",
        "description": format!("Authenticated by the session URL's hash and token. The challenge belongs to the session; send its \
            frames to `POST /s/{{hash}}/t/{{token}}/steps/face_recognition` as `{{challenge_id, frames}}`. `attempts_left` counts \
            the session's failed attempts against the tenant's policy (default 3). {ACTIONS_TEXT}"),
        "parameters": [
            {"name": "hash", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}
        ],
        "requestBody": create_body,
        "responses": {"201": challenge, "400": err("`invalid_json`: the body is not JSON"), "422": err("`validation_failed`: invalid actions"), "404": err("unknown link"),
            "409": err("the session is closed or its link expired"), "415": err("not JSON")}
    });
    let hint = json!({
        "summary": "A live framing hint for the hosted selfie screen",
        "description": "Authenticated by the session URL's hash and token (an open session only). The page sends a small \
            preview frame (base64 JPEG/PNG/WebP, at most 320x320 px and 64 KiB) about once a second while the person frames \
            their face; the answer is one hint: `light` (centre too dark), `no_face`, `one_face` (more than one face), \
            `closer` (the face is narrower than a quarter of the frame's shorter side), or `ok`. Nothing is stored.",
        "parameters": [
            {"name": "hash", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["image"],
            "additionalProperties": false, "properties": {"image": {"type": "string", "description": "base64 image, <= 320x320 px"}}}}}},
        "responses": {
            "200": {"description": "the hint", "content": {"application/json": {"schema": {"type": "object",
                "required": ["hint", "faces", "brightness"], "properties": {
                "hint": {"type": "string", "enum": ["light", "no_face", "one_face", "closer", "ok"]},
                "faces": {"type": "integer", "minimum": 0}, "brightness": {"type": "integer", "minimum": 0, "maximum": 255}}}}}},
            "400": err("`invalid_base64`, `unsupported_image_format`, `corrupt_image`"),
            "422": err("`validation_failed`: `image` missing or not a string, an unknown field"), "404": err("unknown link"),
            "409": err("the session is closed or its link expired"), "413": err("body over its limit, or a frame over 320x320 px (`image_too_many_pixels`)"), "415": err("not JSON"),
            "503": err("the face engine is busy or not loaded")
        }
    });
    let post = Method::POST;
    vec![
        Route::new(
            post.clone(),
            "/s/{hash}/t/{token}/face-hint",
            Token,
            h::session_face_hint,
            hint,
        ),
        Route::new(
            post.clone(),
            "/v1/liveness/challenges",
            ApiKey(perm::FACES_WRITE),
            h::create_challenge,
            create,
        ),
        Route::new(
            post.clone(),
            "/v1/liveness/challenges/{id}/verify",
            ApiKey(perm::FACES_WRITE),
            h::verify_challenge,
            verify,
        ),
        Route::new(
            post,
            "/s/{hash}/t/{token}/liveness",
            Token,
            h::session_challenge,
            session,
        ),
    ]
}

pub fn schemas() -> Map<String, Value> {
    let reasons: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    let actions = json!({"type": "string", "enum": ["turn_left", "turn_right", "blink"]});
    Map::from_iter([
        (
            "LivenessChallengeRequest".to_owned(),
            json!({"type": "object", "additionalProperties": false, "properties": {
            "actions": {"type": "array", "items": actions, "minItems": 1, "maxItems": 6,
                "description": "sandbox tenants only: fixes the actions (no action twice in a row)"}}}),
        ),
        (
            "LivenessChallenge".to_owned(),
            json!({"type": "object", "required": ["id", "actions", "expires_at", "status"], "properties": {
            "object": {"type": "string"}, "id": {"type": "string", "format": "uuid"},
            "actions": {"type": "array", "items": actions}, "status": {"type": "string", "enum": ["pending", "passed", "failed"]},
            "expires_at": {"type": "string"}, "attempts_left": {"type": "integer"}}}),
        ),
        (
            "LivenessFrames".to_owned(),
            json!({"type": "object", "required": ["frames"], "additionalProperties": false, "properties": {
            "frames": {"type": "array", "minItems": 1, "maxItems": 120, "items": {"type": "object", "required": ["image", "t_ms"], "properties": {
                "image": {"type": "string", "description": "base64 JPEG, PNG or WebP"},
                "t_ms": {"type": "integer", "minimum": 0}}}}}}),
        ),
        (
            "LivenessVerification".to_owned(),
            json!({"type": "object", "required": ["passed", "reasons"], "properties": {
            "id": {"type": "string"}, "passed": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"type": "string", "enum": reasons},
                "description": "action_not_performed, wrong_order (or an extra turn), face_changed, no_face, multiple_faces, \
                    not_enough_frames (< 8), frames_too_sparse (a gap > 500 ms), frames_too_long (> 20 s), frames_out_of_order, \
                    challenge_expired, static_scene (a still image), not_live (a turn that moved like a flat surface), \
                    poor_quality (the selfie frame fails the selfie gate; blur alone is reported in selfie_quality, not failed)"},
            "actions": {"type": "array", "items": actions}, "seen": {"type": "array", "items": actions},
            "turns": {"type": "array", "items": {"type": "object"}}, "frames_used": {"type": "integer"},
            "identity_distance": {"type": ["number", "null"]}, "selfie_quality": {"type": ["string", "null"]},
            "image_key": {"type": ["string", "null"]}, "elapsed_ms": {"type": "integer"}}}),
        ),
    ])
}
