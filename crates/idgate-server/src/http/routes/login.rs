//! QR-code and push login routes (`/oauth/*`, the JWKS, the authenticator app and its API) and
//! their wire shapes. Documents what the vendor leaves open: the QR-code content, the
//! web-socket protocol and its close codes, the authenticator's signed messages, and the error
//! format of `/oauth` routes.

use axum::http::Method;
use serde_json::{json, Map, Value};

use super::doc::{body, err, ok};
use super::Access::{ApiKey, Client, Public, Token};
use super::{perm, Route};
use crate::http::{authenticator, device_ws, login_ws, oauth};

fn oauth_err(desc: &str) -> Value {
    err("OAuth", desc)
}

fn v1_err(desc: &str) -> Value {
    err("V1", desc)
}

fn asset(summary: &str, ct: &str) -> Value {
    json!({"summary": summary, "responses": {"200": {"description": "the file", "content": {ct: {"schema": {"type": "string"}}}}}})
}

const QR: &str = "`qr_code` is a URL: `<public base>/authenticator#t=<short_token>`. The token sits in the fragment, \
                  so it never reaches server logs or `Referer` headers; a phone camera opens the authenticator on it.";

const WS: &str = "Web socket for the integrating page, authenticated by `ws_token` (only issued to clients with the \
  websocket permission). After the upgrade the client's FIRST text frame must be `{\"type\":\"auth\",\"ws_token\":\"...\"}` \
  within 10 s (the token is never put in the URL). Server frames (JSON text): `{\"type\":\"status\",\"status\",\"expires_in\"}` \
  right after auth; `{\"type\":\"scanned\"}` when the authenticator opened the login; then exactly one final frame \
  `{\"type\":\"approved\"}`, `{\"type\":\"denied\",\"reason\":\"user_denied|wrong_number\"}` or `{\"type\":\"expired\"}`; \
  `{\"type\":\"heartbeat\",\"time\":<unix>}` every heartbeat period (login.ws_heartbeat_ms, default 15 s). Close codes: \
  1000 after the final frame; 1001 server stopping (reconnect); 4400 first frame malformed; 4401 unknown ws_token; \
  4408 no auth frame within 10 s. Works across nodes: changes are published with PostgreSQL NOTIFY on channel \
  `idgate_login`, and every heartbeat re-reads the login.";

const DEVICE_WS: &str = "Web socket for an open authenticator page: it receives the logins pushed to its person while \
  open, besides (or without) Web Push. The server's first frame is `{\"type\":\"challenge\",\"nonce\"}`; the device \
  answers within 10 s with `{\"type\":\"auth\",\"device_id\",\"signature\"}`, its signature (P-256 ECDSA/SHA-256, \
  base64url of raw r||s) of `{\"action\":\"listen\",\"nonce\":\"<nonce>\"}` (keys in this order, no spaces). Then \
  `{\"type\":\"ready\"}`, one `{\"type\":\"login_request\",\"short_token\",\"client_name\",\"scope\",\"url\",\"expires_in\"}` \
  per login pushed (by /oauth/start with a username or /oauth/notify) to the device's username, and \
  `{\"type\":\"heartbeat\",\"time\"}` every heartbeat period. Close codes: 1001 server stopping (reconnect); 4400 \
  malformed frame; 4401 unknown device or bad signature; 4408 no auth frame within 10 s. Works across nodes \
  (PostgreSQL NOTIFY on `idgate_login`; the short token travels sealed with the master key).";

const SIGNED: &str = "Signed by the device's enrolled P-256 key (WebCrypto ECDSA/SHA-256; `signature` is base64url of \
  raw r||s, DER also accepted). `time` is unix seconds and must be within 120 s of the server clock. The device must \
  belong to the login's tenant and, when the login names a username, be enrolled for it (otherwise 403 forbidden).";

pub fn routes() -> Vec<Route> {
    let oauth = |pairs: &[(&str, &str)]| -> Map<String, Value> {
        pairs
            .iter()
            .map(|(c, d)| (c.to_string(), oauth_err(d)))
            .collect()
    };
    let mut start = oauth(&[
        ("400", "invalid_request (bad username, lifetime over the PF/PJ limit, unregistered callback_url; every violation in `errors`) or invalid_scope"),
        ("401", "invalid_client: unknown client_id or wrong client_secret"),
    ]);
    start.insert("200".into(), ok("the login", "LoginStarted"));
    let mut notify = oauth(&[
        ("400", "invalid_request: bad username or short_token, or another username than at start"),
        ("401", "invalid_client"),
        ("403", "forbidden: the client lacks the can_notify permission"),
        ("404", "not_found: no login with this short_token for this client"),
        ("409", "invalid_state_transition: the login was already opened or approved"),
        ("410", "login_expired"),
        ("429", "rate_limited: anti push-bombing (details: too_many_pending, push_rate_limited, cooldown_after_denials); Retry-After when known"),
    ]);
    notify.insert("200".into(), ok("pushed (see `notified`)", "LoginStarted"));
    let mut token = oauth(&[
        (
            "400",
            "invalid_grant: the callback JWT was already used (replay) or has expired",
        ),
        (
            "401",
            "invalid_token: missing, malformed, foreign or badly signed JWT",
        ),
    ]);
    token.insert("200".into(), ok("the access token", "TokenResponse"));
    let client_auth = "Client authentication: `client_id`/`client_secret` in the body (form or JSON) or HTTP Basic.";
    let mut intro = oauth(&[("400", "invalid_request"), ("401", "invalid_client")]);
    intro.insert("200".into(), ok("RFC 7662 answer", "Introspection"));
    let mut revoke = oauth(&[("400", "invalid_request"), ("401", "invalid_client")]);
    revoke.insert(
        "200".into(),
        json!({"description": "revoked, or unknown (RFC 7009 answers 200 either way)"}),
    );
    let form = json!({"required": true, "content": {
        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/TokenForm"}},
        "application/json": {"schema": {"$ref": "#/components/schemas/TokenForm"}}}});
    let device_errs = |extra: &[(&str, &str)]| -> Map<String, Value> {
        let mut m: Map<String, Value> = [
            ("400", "malformed JSON"),
            (
                "401",
                "invalid_signature: unknown device, bad signature or stale time",
            ),
            ("403", "forbidden: device of another tenant or username"),
            ("404", "no such login"),
            ("409", "invalid_state_transition"),
            ("410", "login_expired"),
            ("422", "validation_failed"),
        ]
        .iter()
        .map(|(c, d)| (c.to_string(), v1_err(d)))
        .collect();
        for (c, d) in extra {
            m.insert(c.to_string(), v1_err(d));
        }
        m
    };
    let mut open = device_errs(&[]);
    open.insert("200".into(), ok("what to show", "LoginOpened"));
    let mut decide = device_errs(&[(
        "403",
        "forbidden (wrong device) or login_denied (already denied: final)",
    )]);
    decide.insert("200".into(), ok("the outcome", "LoginDecided"));
    let mut device_revoke = device_errs(&[]);
    device_revoke.retain(|k, _| ["400", "401", "422"].contains(&k.as_str()));
    device_revoke.insert("200".into(), ok("the device is revoked", "DeviceRevoked"));
    let mut enroll = device_errs(&[]);
    enroll.retain(|k, _| k == "400" || k == "422");
    enroll.insert("201".into(), ok("the one-time link", "Enrollment"));
    let mut device = device_errs(&[]);
    device.retain(|k, _| k == "400" || k == "422");
    device.insert(
        "401".into(),
        v1_err("invalid_token: the enrolment link is unknown, used or expired"),
    );
    device.insert("201".into(), ok("enrolled", "DeviceEnrolled"));
    let mut routes = Vec::new();
    routes.push(Route::new(Method::POST, "/oauth/start", Client, oauth::start_login, json!({"summary": "Start a QR-code/push login (Soluti-compatible)",
        "description": format!("Authenticates the client (`client_id`/`client_secret` in the body), validates username (CPF for PF, \
          CNPJ incl. alphanumeric for PJ), lifetime (1..604800 s PF or without username, 1..2592000 s PJ), scope (within the \
          client's) and callback_url (exact match of a registered one; default the first). `challenge` is the two-digit number \
          the person must pick among three on the authenticator (NIST SP 800-63B number matching). {QR} `ws_token` is null \
          without the websocket permission. `notified` is true only when a username was given, the client may notify, and a \
          push service accepted a push for at least one enrolled device. `auth_ttl` is how long the login stays open (seconds). \
          Errors: `{{error, error_description, errors?}}`."),
        "requestBody": body("LoginStart"), "responses": start})));
    routes.push(Route::new(Method::POST, "/oauth/notify", Client, oauth::notify_login, json!({"summary": "Push a started login to the person's devices",
        "description": "Authenticated like /oauth/start. Anti push-bombing: at most N live pushed logins per username, a rate \
          per client and username, and a cooldown after repeated denials (login.* settings); each refusal is an audit event \
          `login.push_refused`. Pushes are Web Push (RFC 8030, aes128gcm RFC 8291, VAPID RFC 8292) from a durable job with retries.",
        "requestBody": body("LoginNotify"), "responses": notify})));
    routes.push(Route::new(Method::GET, "/oauth/token", Token, oauth::exchange_token, json!({"summary": "Exchange the callback JWT for an access token",
        "description": "`Authorization: Bearer <callback JWT>` (the `token` POSTed to callback_url: ES256, typ \
          `login-callback+jwt`, `aud` = client_id, `sub` = username, `jti`, exp ≤ 120 s). Works once. The access token is an \
          ES256 JWT (typ `at+jwt`, RFC 9068) verifiable with /.well-known/jwks.json; `expires_in` = the login's lifetime.",
        "security": [{"bearer": []}], "responses": token})));
    routes.push(Route::new(Method::POST, "/oauth/introspect", Client, oauth::introspect, json!({"summary": "Token introspection (RFC 7662)",
        "description": format!("{client_auth} Answers `{{active: false}}` for tokens that are unknown, expired, revoked or issued to another client."),
        "requestBody": form.clone(), "responses": intro})));
    routes.push(Route::new(
        Method::POST,
        "/oauth/revoke",
        Client,
        oauth::revoke,
        json!({"summary": "Token revocation (RFC 7009)",
        "description": client_auth, "requestBody": form, "responses": revoke}),
    ));
    routes.push(Route::new(Method::GET, "/oauth/ws", Token, login_ws::login_socket, json!({"summary": "Login web socket", "description": WS,
        "responses": {"101": {"description": "switching protocols"}, "400": {"description": "not a web-socket upgrade"}}})));
    routes.push(Route::new(Method::GET, "/authenticator/ws", Public, device_ws::device_socket, json!({"summary": "Authenticator web socket", "description": DEVICE_WS,
        "responses": {"101": {"description": "switching protocols"}, "400": {"description": "not a web-socket upgrade"}}})));
    routes.push(Route::new(
        Method::GET,
        "/.well-known/jwks.json",
        Public,
        oauth::jwks,
        json!({"summary": "Signing keys (JWKS)", "description": super::uqudo::JWKS,
        "responses": {"200": ok("the key set", "Jwks")}}),
    ));
    routes.push(Route::new(Method::POST, "/v1/authenticator/enrollments", ApiKey(perm::SESSIONS_WRITE), authenticator::create_enrollment, json!({"summary": "Create a one-time authenticator enrolment link",
        "description": "For a username (CPF or CNPJ). Open `enrollment_url` on the phone (or show it as a QR code): the \
          authenticator makes a non-extractable P-256 key with WebCrypto and registers it with its Web Push subscription. \
          The link works once, until `expires_at` (login.enrollment_ttl_secs).",
        "requestBody": body("EnrollmentCreate"), "responses": enroll})));
    routes.push(Route::new(
        Method::GET,
        "/authenticator",
        Public,
        authenticator::page,
        asset("The authenticator web app (installable PWA)", "text/html"),
    ));
    routes.push(Route::new(
        Method::GET,
        "/authenticator/app.js",
        Public,
        authenticator::app_js,
        asset("Authenticator script", "text/javascript"),
    ));
    routes.push(Route::new(
        Method::GET,
        "/authenticator/sw.js",
        Public,
        authenticator::service_worker,
        asset("Authenticator service worker (push)", "text/javascript"),
    ));
    routes.push(Route::new(
        Method::GET,
        "/authenticator/manifest.webmanifest",
        Public,
        authenticator::manifest,
        json!({"summary": "Web app manifest", "responses": {"200": {"description": "the file",
            "content": {"application/manifest+json": {"schema": {"type": "object"}}}}}}),
    ));
    routes.push(Route::new(
        Method::GET,
        "/authenticator/icon.svg",
        Public,
        authenticator::icon,
        asset("App icon", "image/svg+xml"),
    ));
    routes.push(Route::new(Method::POST, "/authenticator/api/devices", Token, authenticator::register_device, json!({"summary": "Register an authenticator device",
        "description": "Consumes the one-time `enrollment_token` (from the enrolment URL's `#e=` fragment).",
        "requestBody": body("DeviceRegister"), "responses": device})));
    routes.push(Route::new(Method::POST, "/authenticator/api/devices/revoke", Token, authenticator::revoke_device, json!({"summary": "Remove this device (by the person, from the app)",
        "description": format!("Signed message: `{{\"action\":\"revoke\",\"device_id\":\"<id>\",\"time\":<unix>}}` (keys in this order, no spaces). \
          The signature is verified before anything else. The device then gets no pushes, can open or approve no login, and its open \
          `/authenticator/ws` sockets close with 4401. {SIGNED}"),
        "requestBody": body("DeviceRevoke"), "responses": device_revoke})));
    routes.push(Route::new(Method::POST, "/authenticator/api/logins/open", Token, authenticator::open_login, json!({"summary": "Open a login on the device (scan or push tap)",
        "description": format!("Signed message: `{{\"action\":\"open\",\"short_token\":\"<t>\",\"time\":<unix>}}` (keys in this order, no spaces). \
          Moves the login to scanned (the integrator's socket gets `scanned`) and binds it to this device. {SIGNED}"),
        "requestBody": body("LoginOpen"), "responses": open})));
    routes.push(Route::new(Method::POST, "/authenticator/api/logins/decide", Token, authenticator::decide_login, json!({"summary": "Approve (with the picked number) or deny",
        "description": format!("Signed message: `{{\"challenge\":<picked>,\"decision\":\"approve|deny\",\"short_token\":\"<t>\",\"time\":<unix>}}` \
          (keys in this order, no spaces; challenge 0 on deny). A wrong number denies the login for good; so does deny. \
          Approval queues the callback POST `{{token, short_token}}` to the login's callback_url (durable, retried). {SIGNED}"),
        "requestBody": body("LoginDecide"), "responses": decide})));
    routes
}

pub fn schemas() -> Map<String, Value> {
    let s = |t: &str| json!({"type": t});
    let signed = |extra: Value| {
        let mut props = json!({"device_id": s("string"), "short_token": s("string"), "time": s("integer"),
            "signature": {"type": "string", "description": "base64url raw r||s"}});
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        json!({"type": "object", "required": ["device_id", "short_token", "time", "signature"], "properties": props})
    };
    let pairs = [
        (
            "LoginStart",
            json!({"type": "object", "required": ["client_id", "client_secret", "scope", "lifetime"], "properties": {
            "client_id": s("string"), "client_secret": s("string"),
            "username": {"type": "string", "description": "CPF (PF) or CNPJ (PJ), bare or formatted"},
            "scope": {"type": "string", "description": "space-separated, within the client's scopes"},
            "lifetime": {"type": "integer", "minimum": 1, "maximum": 2592000}, "callback_url": {"type": "string", "format": "uri"}}}),
        ),
        (
            "LoginNotify",
            json!({"type": "object", "required": ["client_id", "client_secret", "username", "short_token"], "properties": {
            "client_id": s("string"), "client_secret": s("string"), "username": s("string"), "short_token": s("string")}}),
        ),
        (
            "LoginStarted",
            json!({"type": "object", "required": ["challenge", "client_name", "short_token", "ws_token", "can_notify",
            "notified", "qr_code", "environment", "auth_ttl"], "properties": {
            "challenge": {"type": "string", "pattern": "^[1-9][0-9]$"}, "client_name": s("string"), "short_token": s("string"),
            "ws_token": {"type": ["string", "null"]}, "can_notify": s("boolean"), "notified": s("boolean"),
            "qr_code": {"type": "string", "format": "uri", "description": QR}, "environment": s("string"),
            "auth_ttl": s("integer"), "callback_url": s("string")}}),
        ),
        (
            "TokenResponse",
            json!({"type": "object", "required": ["access_token", "expires_in", "token_type", "scope", "username"],
            "properties": {"access_token": s("string"), "expires_in": s("integer"), "token_type": {"const": "Bearer"},
            "scope": s("string"), "username": s("string")}}),
        ),
        (
            "TokenForm",
            json!({"type": "object", "required": ["token"], "properties": {"token": s("string"),
            "token_type_hint": s("string"), "client_id": s("string"), "client_secret": s("string")}}),
        ),
        (
            "Introspection",
            json!({"type": "object", "required": ["active"], "properties": {"active": s("boolean"),
            "scope": s("string"), "client_id": s("string"), "username": s("string"), "token_type": s("string"),
            "exp": s("integer"), "iat": s("integer"), "sub": s("string"), "aud": s("string"), "iss": s("string"), "jti": s("string")}}),
        ),
        (
            "Jwks",
            json!({"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "items": {"type": "object"}}}}),
        ),
        (
            "EnrollmentCreate",
            json!({"type": "object", "required": ["username"], "additionalProperties": false,
            "properties": {"username": s("string")}}),
        ),
        (
            "Enrollment",
            json!({"type": "object", "required": ["object", "id", "username", "enrollment_url", "expires_at"], "properties": {
            "object": {"const": "authenticator_enrollment"}, "id": s("string"), "username": s("string"),
            "enrollment_url": {"type": "string", "format": "uri"}, "expires_at": {"type": "string", "format": "date-time"}}}),
        ),
        (
            "DeviceRegister",
            json!({"type": "object", "required": ["enrollment_token", "public_key"], "properties": {
            "enrollment_token": s("string"), "public_key": {"type": "object", "description": "P-256 public JWK {kty, crv, x, y}"},
            "push_subscription": {"type": ["object", "null"], "description": "PushSubscription.toJSON(): {endpoint, keys: {p256dh, auth}}"},
            "name": s("string")}}),
        ),
        (
            "DeviceEnrolled",
            json!({"type": "object", "required": ["device_id", "username", "push"], "properties": {
            "device_id": s("string"), "username": s("string"), "push": s("boolean")}}),
        ),
        ("LoginOpen", signed(json!({}))),
        (
            "DeviceRevoke",
            json!({"type": "object", "required": ["device_id", "time", "signature"], "properties": {
            "device_id": s("string"), "time": s("integer"), "signature": s("string")}}),
        ),
        (
            "DeviceRevoked",
            json!({"type": "object", "required": ["device_id", "revoked"], "properties": {
            "device_id": s("string"), "revoked": {"const": true}}}),
        ),
        (
            "LoginDecide",
            signed(
                json!({"challenge": {"type": "integer", "minimum": 0, "maximum": 255},
            "decision": {"type": "string", "enum": ["approve", "deny"]}}),
            ),
        ),
        (
            "LoginOpened",
            json!({"type": "object", "required": ["client_name", "scope", "choices", "expires_in", "status"], "properties": {
            "client_name": s("string"), "scope": s("string"), "username": s("string"),
            "choices": {"type": "array", "items": s("integer"), "minItems": 3, "maxItems": 3},
            "expires_in": s("integer"), "status": s("string")}}),
        ),
        (
            "LoginDecided",
            json!({"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": ["approved", "denied"]}, "deny_reason": {"type": ["string", "null"]}}}),
        ),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
