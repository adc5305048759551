//! The uqudo door's routes (cross-device QR sessions; handlers in [`crate::http::uqudo`]) and
//! their OpenAPI text: the token, session and phone routes, the web-socket protocol with its
//! frames and close codes, the signed result and its keys. The routes taking the door's Bearer
//! access token, and those taking a `qrCodeText`, are `Token` routes (the handler checks the
//! credential); the Bearer ones name the `bearer` security scheme themselves.

use axum::http::Method;
use serde_json::{json, Map, Value};

use super::doc::{err as family_err, ok};
use super::Access::{Client, Public, Token};
use super::Route;
use crate::http::uqudo::{self as h, sdk, ws};

fn v1(desc: &str) -> Value {
    family_err("V1", desc)
}

fn oauth(desc: &str) -> Value {
    family_err("OAuth", desc)
}

const DATA: &str = "`data` is base64 (standard or URL-safe, padding optional) of the vendor's JSON object: \
  `documents[]` (1–4, each `documentType` one of `PASSPORT`, `ID` (a card with an ICAO 9303 MRZ), `BRA_RG`, `BRA_CNH` \
  (idgate's values for the Brazilian RG and CNH/CNH-e); `faceScanMinimumMatchLevel`, `faceReadMinimumMatchLevel` 1–5; \
  `reading`), `facialRecognition` (`enabled` adds the face step: a selfie with an active liveness proof matched with \
  the document portrait; `scanMinimumMatchLevel`, `readMinimumMatchLevel` 1–5; `maxAttempts` 1–3), `backgroundCheck`, \
  `generalConfig`, and idgate's optional `nonce` (≤ 64 characters, echoed in the result). Unknown fields are ignored. \
  Every violation is reported at once (422 `validation_failed`, `details[].field` under `data.`). Options idgate cannot \
  honour are refused: `reading.isForceReading: true` → 422 `nfc_unsupported`; `backgroundCheck.enabled: true` → 422 \
  `background_check_unsupported`. The session is a verification session (its `sessionId` is its id on \
  `/v1/verification-sessions/{id}`) with the steps `personal_document` (the listed document types) and, when \
  `facialRecognition.enabled`, `face_recognition`; it and its `qrCodeText` (256 random bits, stored hashed) live 30 \
  minutes. `qrCodeTextWithDynamicLink` is `<public base>/q/<qrCodeText>`: opened on a phone it starts the hosted flow.";

const WS: &str = "Web socket of the desktop page. The client's FIRST text frame is the raw `qrCodeText` (≤ 256 bytes, \
  within 10 s). Server frames (JSON text, `service` names the kind): `{\"service\":\"QR\",\"svg\",\"link\",\"expiresIn\"}` \
  first (an SVG QR code of `qrCodeTextWithDynamicLink`); then, as the phone progresses, \
  `{\"service\":\"SCAN\",\"documentType\",\"side\":\"front|back\"}` per document side captured, \
  `{\"service\":\"FACE\",\"match\",\"matchLevel\"}` once the selfie passed its liveness proof and was matched with the \
  document portrait (levels 1–5; `match` = level ≥ the session's minimum), and `{\"service\":\"INFO\",\"sessionId\",\"status\"}` \
  once the session is decided (then fetch `GET /api/v1/info/{sessionId}` from the backend); \
  `{\"service\":\"HEARTBEAT\",\"time\":<unix>}` every heartbeat period (login.ws_heartbeat_ms, default 15 s). `READ` (NFC) \
  and `BACKGROUND_CHECK` are never sent (both options are refused at creation). A socket opened late gets every frame \
  so far, in order. Close codes: 1000 after INFO; 1001 server stopping (reconnect); 1011 server error; 1013 the tenant \
  holds its most sockets; 4400 first frame not a qrCodeText (binary, empty, too long); 4401 unknown or deleted \
  qrCodeText; 4408 no first frame within 10 s; 4410 session expired (30 minutes) or canceled. A frame sent because \
  the session changed carries `at`: the unix time in ms of that change's commit (absent on frames sent at connect \
  or on a periodic re-read). Works across nodes: session changes are published with PostgreSQL NOTIFY \
  (`idgate_login`, payload `session:<id>:<commit ms>:<node>`); every fourth heartbeat also re-reads the session.";

/// The key set of both JWKS paths (built by one function, [`crate::app::login::token::jwks`]).
pub const JWKS: &str = "Every signing key idgate publishes, one set at `/.well-known/jwks.json` and \
  `/api/.well-known/jwks.json`: the RS256 keys (`kty: RSA`, `alg: RS256`, `use: sig`) of the uqudo door's access \
  tokens and results, and the ES256 keys (`kty: EC`, `crv: P-256`, `alg: ES256`) of the login callback JWTs and \
  access tokens; pick a key by `kid`. `idgate keys rotate` adds a key of each kind; nodes sign with the newest within \
  a minute (RS256) or `login.key_refresh_ms` (ES256); superseded RS256 keys stay here for 7 days, ES256 keys for the \
  longest login token lifetime. Cache it; refresh on an unknown `kid`.";

const RESULT: &str = "Compact JWS (`application/jwt`), header `{alg: RS256, kid, typ: JWT}`, keys at \
  `/api/.well-known/jwks.json` (or `/.well-known/jwks.json`). Claims: `iss`, `aud` (the client id that created the session), `jti` and `sessionId` \
  (the session id), `sub`, `iat`, `nonce` (if `data` had one), `status` (approved, rejected, in_manual_analysis), and \
  `data.documents[0]`: `documentType`, `scan.front` / `scan.back` (every field read, camelCase: `documentNumber`, \
  `firstName`, `lastName`, `fullName`, `dateOfBirth`, `dateOfExpiry`, `nationality`, `issuingCountry`, `sex`, Brazilian \
  fields such as `cpf`; with an MRZ also `mrzVerified` (every check digit valid) and `mrzText`), `scan.frontImageId`, \
  `scan.backImageId`, `scan.faceImageId`, and `face {match, matchLevel, auditTrailImageId}`. Answers 409 until the \
  session is decided and 404 after `DELETE`.";

fn jwt_ok() -> Value {
    json!({"description": "the signed result", "content": {"application/jwt": {"schema": {"type": "string"}}}})
}

fn phone(method: &str) -> Value {
    let mut r = json!({
        "404": v1("unknown or deleted qrCodeText"),
        "410": v1("the qrCodeText expired (30 minutes): session_expired"),
        "429": v1("rate limited per address"),
    });
    if method == "get" {
        r["200"] = ok("what the phone needs", "UqudoPhoneSession");
        r["409"] = v1("another phone already opened this qrCodeText");
    } else {
        r["204"] = json!({"description": "deleted"});
    }
    r
}

fn param(name: &str, desc: &str) -> Value {
    json!([{"name": name, "in": "path", "required": true, "schema": {"type": "string"}, "description": desc}])
}

fn bearer() -> Value {
    json!([{"bearer": []}])
}

fn unauth() -> Value {
    v1("no valid access token: invalid_token")
}

/// `GET` of the signed result, by path or by header (`params`).
fn info_get(summary: &str, params: Value) -> Value {
    json!({"summary": summary, "description": RESULT, "security": bearer(), "parameters": params,
        "responses": {"200": jwt_ok(), "401": unauth(), "404": v1("no such session for this tenant, or deleted"),
            "409": v1("the session is not decided yet: invalid_state_transition"), "429": v1("rate limited")}})
}

/// What a phone (or a second phone) gets from the dynamic link, as a short HTML page.
fn html(desc: &str) -> Value {
    json!({"description": desc, "content": {"text/html": {"schema": {"type": "string"}}}})
}

pub fn routes() -> Vec<Route> {
    use Method as M;
    let qr = || param("qr", "the qrCodeText");
    vec![
        Route::new(
            M::POST,
            "/api/oauth/token",
            Client,
            h::issue_token,
            json!({"summary": "Access token (client credentials)",
            "description": "Form-encoded (or JSON) `grant_type=client_credentials`, `client_id`, `client_secret` (or HTTP Basic) of a client made by `idgate client create --scope sessions`. The access token is an RS256 JWS (`typ: at+jwt`) verifiable with `/api/.well-known/jwks.json`; it lives 1800 s. Errors in the OAuth format.",
            "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/UqudoTokenRequest"}}}},
            "responses": {"200": ok("the access token", "UqudoToken"),
                "400": oauth("unsupported_grant_type, invalid_request, invalid_scope, invalid_json"),
                "401": oauth("invalid_client"), "413": oauth("body too large"),
                "429": oauth("rate limited")}}),
        ),
        Route::new(
            M::POST,
            "/api/v1/session",
            Token,
            h::create_session,
            json!({
            "summary": "Create a cross-device QR session", "description": DATA, "security": bearer(),
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UqudoSessionCreate"}}}},
            "responses": {"200": ok("the session", "UqudoSession"), "400": v1("malformed JSON"), "401": unauth(),
                "403": v1("the client has no sessions scope"), "413": v1("body too large"),
                "422": v1("validation_failed, nfc_unsupported, background_check_unsupported"), "429": v1("rate limited")}}),
        ),
        Route::new(
            M::GET,
            "/api/v1/session",
            Token,
            h::phone_session,
            json!({"summary": "The phone opens the session",
            "description": "`Authorization: <qrCodeText>` (no scheme). Works once: a second phone gets 409. `token` is the hosted flow's URL token and `flowUrl` the flow page.",
            "responses": phone("get")}),
        ),
        Route::new(
            M::GET,
            "/api/v1/session/{qr}",
            Token,
            h::phone_session_path,
            json!({
            "summary": "The phone opens the session (path form)", "parameters": qr(), "responses": phone("get")}),
        ),
        Route::new(
            M::DELETE,
            "/api/v1/session/{qr}",
            Token,
            h::delete_session,
            json!({"summary": "Delete the session info",
            "description": "Phones and sockets can no longer use the qrCodeText (open sockets close with 4401). The verification session itself stays.",
            "parameters": qr(), "responses": phone("delete")}),
        ),
        Route::new(
            M::GET,
            "/q/{qr}",
            Token,
            h::open_link,
            json!({"summary": "Dynamic link: open the hosted flow on this phone",
            "parameters": qr(),
            "description": "Claims the session for this phone (once) and redirects (303) to the hosted flow page; a second phone, an expired or unknown code get a short HTML page with 409, 410 or 404.",
            "responses": {"303": {"description": "to the hosted flow"}, "404": html("unknown code"),
                "409": html("opened on another phone"), "410": html("expired"), "429": v1("rate limited")}}),
        ),
        Route::new(
            M::GET,
            "/api/v1/info",
            Token,
            h::info_by_header,
            info_get(
                "The signed result (session id in UQ-Session-ID)",
                json!([{"name": "UQ-Session-ID", "in": "header", "required": false, "schema": {"type": "string"}}]),
            ),
        ),
        Route::new(
            M::GET,
            "/api/v1/info/{id}",
            Token,
            h::info,
            info_get(
                "The signed result",
                param("id", "the sessionId (the JWS jti)"),
            ),
        ),
        Route::new(
            M::DELETE,
            "/api/v1/info/{id}",
            Token,
            h::delete_info,
            json!({"summary": "Stop serving the result",
            "security": bearer(), "parameters": param("id", "the sessionId (the JWS jti)"),
            "responses": {"204": {"description": "deleted"}, "401": unauth(), "404": v1("no such result"), "429": v1("rate limited")}}),
        ),
        Route::new(
            M::GET,
            "/api/v1/info/img/{id}",
            Token,
            h::image,
            json!({"summary": "An image of a result",
            "description": "`frontImageId`, `backImageId` or `faceImageId` of a result of the client's tenant; every read is audited (`uqudo.image_read`).",
            "security": bearer(), "parameters": param("id", "the image id"),
            "responses": {"200": {"description": "the image bytes", "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
                "401": unauth(), "404": v1("no such image for this tenant"), "429": v1("rate limited")}}),
        ),
        Route::new(
            M::POST,
            "/api/v1/face/match",
            Token,
            h::face_match,
            json!({"summary": "Compare two face images",
            "description": "`sourceImage`, `targetImage`: base64 JPEG/PNG/WebP; `minimumMatchLevel` 1–5 (default 3). `matchLevel` 5/4/3/2/1 at face distance ≤ 0.40/0.50/0.60/0.65/0.70, 0 beyond; `match` = level ≥ minimum. Stores nothing.",
            "security": bearer(),
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UqudoFaceMatch"}}}},
            "responses": {"200": ok("the comparison", "UqudoFaceMatchResult"), "400": v1("bad image or JSON; image_quality codes"),
                "401": unauth(), "413": v1("too large"), "422": v1("validation_failed"), "429": v1("rate limited"),
                "503": v1("face engine busy or unavailable")}}),
        ),
        Route::new(
            M::GET,
            "/api/.well-known/jwks.json",
            Public,
            h::uqudo_jwks,
            json!({"summary": "Signing keys (JWKS), uqudo path",
            "description": JWKS, "responses": {"200": ok("the key set", "Jwks"), "429": v1("rate limited")}}),
        ),
        Route::new(
            M::GET,
            "/ws/v1/session",
            Token,
            ws::session_socket,
            json!({"summary": "QR session web socket", "description": WS,
            "responses": {"101": {"description": "switching protocols"}, "400": {"description": "not a web-socket upgrade"},
                "426": {"description": "upgrade required"}, "429": v1("too many open sockets from this address")}}),
        ),
        Route::new(
            M::GET,
            "/sdk/idgate-qr.js",
            Public,
            sdk::script,
            json!({"summary": "The desktop QR component",
            "description": "One `<script>` tag: elements with `data-idgate-qr=\"<qrCodeText>\"` (or `IdgateQr.mount(el, {qrCodeText})`) show the QR code and receive DOM events `idgate:qr`, `idgate:scan`, `idgate:face`, `idgate:info` (detail = the frame), `idgate:frame` for each frame and `idgate:close {code, reason}`.",
            "responses": {"200": {"description": "the script", "content": {"text/javascript": {"schema": {"type": "string"}}}}}}),
        ),
    ]
}

pub fn schemas() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("UqudoTokenRequest".into(), json!({"type": "object", "required": ["grant_type"], "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]}, "client_id": {"type": "string"},
        "client_secret": {"type": "string"}, "scope": {"type": "string"}}}));
    m.insert("UqudoToken".into(), json!({"type": "object", "required": ["access_token", "token_type", "expires_in", "scope", "jti"], "properties": {
        "access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["bearer"]},
        "expires_in": {"type": "integer"}, "scope": {"type": "string"}, "jti": {"type": "string"}}}));
    m.insert("UqudoSessionCreate".into(), json!({"type": "object", "required": ["data"], "properties": {
        "data": {"type": "string", "description": "base64 of the JSON object described on the route"}}}));
    m.insert("UqudoSession".into(), json!({"type": "object", "required": ["sessionId", "qrCodeText", "qrCodeTextWithDynamicLink"], "properties": {
        "sessionId": {"type": "string", "format": "uuid"}, "qrCodeText": {"type": "string"},
        "qrCodeTextWithDynamicLink": {"type": "string", "format": "uri"}}}));
    m.insert("UqudoPhoneSession".into(), json!({"type": "object", "required": ["sessionId", "token", "data", "flowUrl"], "properties": {
        "sessionId": {"type": "string"}, "token": {"type": "string"}, "data": {"type": "string"},
        "flowUrl": {"type": "string", "format": "uri"}}}));
    m.insert(
        "UqudoFaceMatch".into(),
        json!({"type": "object", "required": ["sourceImage", "targetImage"], "properties": {
        "sourceImage": {"type": "string"}, "targetImage": {"type": "string"},
        "minimumMatchLevel": {"type": "integer", "minimum": 1, "maximum": 5}}}),
    );
    m.insert("UqudoFaceMatchResult".into(), json!({"type": "object", "required": ["match", "matchLevel"], "properties": {
        "match": {"type": "boolean"}, "matchLevel": {"type": "integer", "minimum": 0, "maximum": 5}}}));
    m
}
