//! The authenticator's side: one-time enrolment links created by the tenant, device
//! registration (public key and Web Push subscription), opening a login (the QR scan or the
//! push tap) and the signed decision with number matching. Every device request is signed with
//! the device's non-extractable P-256 key; a device only acts for its own tenant and username.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::crypto::{hash_secret, random_token};
use idgate_core::jose::{verify_device_signature, DeviceKey};
use idgate_core::login::{
    hash_token, new_jti, verify_approval, ApprovalFields, Decision, LoginAction, LoginError,
    LoginEvent, LoginStatus, Username, DEFAULT_MAX_SKEW,
};
use idgate_core::webpush::Subscription;
use idgate_core::{Code, CoreError, FieldError};
use idgate_store::{DeviceRow, EnrollmentRow, LoginRow, StoreError};
use rand::rngs::OsRng;
use serde::Serialize;
use serde_json::{json, Value};

use super::{applied, client_by_id, event, expire, login_error, request_of};
use crate::app::login_runtime::publish;
use crate::app::render::fmt_time;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::jobs::login::callback_job;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct EnrollmentView {
    pub object: &'static str,
    pub id: String,
    pub username: String,
    /// Open on the phone (or encode as a QR code): the authenticator app with the one-time token.
    pub enrollment_url: String,
    pub expires_at: String,
}

fn invalid(field: &str, code: &'static str, msg: &str) -> ApiError {
    ApiError::from(CoreError::Validation(vec![FieldError::new(
        field, code, msg,
    )]))
}

fn str_field<'a>(body: &'a Value, k: &str) -> Result<&'a str, ApiError> {
    body.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(k, "required", "is required (a string)"))
}

/// `POST /v1/authenticator/enrollments {username}`.
pub async fn create_enrollment(
    st: &AppState,
    t: &Tenant,
    body: &Value,
) -> Result<EnrollmentView, ApiError> {
    if let Some(o) = body.as_object() {
        if let Some(k) = o.keys().find(|k| *k != "username") {
            return Err(invalid(k, "unknown_field", "is not a known field"));
        }
    }
    let u = Username::parse(str_field(body, "username")?, t.sandbox, "username")
        .map_err(|e| ApiError::from(CoreError::Validation(vec![e])))?;
    let token = random_token(&mut OsRng, 32);
    let now = st.now();
    let row = EnrollmentRow {
        id: format!("enr_{}", uuid::Uuid::new_v4().simple()),
        tenant_id: t.id.clone(),
        username: u.as_str().to_owned(),
        token_hash: hash_secret(&token),
        expires_at: now + st.cfg.login.enrollment_ttl_secs.saturating_mul(1000),
        used_at: None,
        created_at: now,
    };
    st.store.insert_enrollment(&row).await?;
    Ok(EnrollmentView {
        object: "authenticator_enrollment",
        enrollment_url: format!("{}/authenticator#e={token}", st.public_base),
        expires_at: fmt_time(row.expires_at, t.offset),
        id: row.id,
        username: row.username,
    })
}

/// `POST /authenticator/api/devices {enrollment_token, public_key, push_subscription?, name?}`.
pub async fn register_device(st: &AppState, body: &Value) -> Result<Value, ApiError> {
    let token = str_field(body, "enrollment_token")?;
    let key_text = match body.get("public_key") {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => {
            return Err(invalid(
                "public_key",
                "required",
                "is required (a P-256 JWK)",
            ))
        }
    };
    let key = DeviceKey::parse(&key_text).map_err(|_| {
        invalid(
            "public_key",
            "invalid_key",
            "must be a P-256 public key (JWK, SPKI or raw)",
        )
    })?;
    let sub = match body.get("push_subscription") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_subscription(st, v)?),
    };
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("authenticator");
    let now = st.now();
    let row = DeviceRow {
        id: format!("dev_{}", uuid::Uuid::new_v4().simple()),
        tenant_id: String::new(),
        username: String::new(),
        public_key: serde_json::to_string(&key.to_jwk()).map_err(|_| ApiError::internal())?,
        push_endpoint: sub.as_ref().map(|s| s.0.clone()),
        push_p256dh: sub.as_ref().map(|s| s.1.clone()),
        push_auth: sub.as_ref().map(|s| s.2.clone()),
        name: name.chars().take(64).collect(),
        created_at: now,
        revoked_at: None,
    };
    let d = match st.store.enroll_device(&hash_secret(token), now, &row).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => {
            return Err(ApiError::new(
                Code::InvalidToken,
                "the enrolment link is unknown, used or expired",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(json!({"device_id": d.id, "username": d.username, "push": d.push_endpoint.is_some()}))
}

fn parse_subscription(st: &AppState, v: &Value) -> Result<(String, String, String), ApiError> {
    let get = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (endpoint, p256dh, auth) = (get("/endpoint"), get("/keys/p256dh"), get("/keys/auth"));
    Subscription::parse(endpoint, p256dh, auth)
        .map_err(|e| invalid("push_subscription", "invalid_subscription", &e.to_string()))?;
    crate::outbound::check_url(endpoint, st.cfg.login.push_allow_private)
        .map_err(|e| invalid("push_subscription.endpoint", "refused_url", &e))?;
    Ok((endpoint.to_owned(), p256dh.to_owned(), auth.to_owned()))
}

/// The canonical message a device signs to open a login:
/// `{"action":"open","short_token":"<token>","time":<unix seconds>}` (keys in this order, no spaces).
pub fn open_message(short_token: &str, time: i64) -> Vec<u8> {
    format!(
        r#"{{"action":"open","short_token":{},"time":{time}}}"#,
        Value::from(short_token)
    )
    .into_bytes()
}

/// The canonical message a device signs to remove itself:
/// `{"action":"revoke","device_id":"<id>","time":<unix seconds>}` (keys in this order, no spaces).
pub fn revoke_message(device_id: &str, time: i64) -> Vec<u8> {
    format!(
        r#"{{"action":"revoke","device_id":{},"time":{time}}}"#,
        Value::from(device_id)
    )
    .into_bytes()
}

/// `POST /authenticator/api/devices/revoke {device_id, time, signature}`: the person removes
/// this device from the app. The signature is verified before anything else; the device then
/// gets no pushes, can open or approve nothing, and its open sockets (on any node) close.
pub async fn revoke_own(st: &AppState, body: &Value) -> Result<Value, ApiError> {
    let (device, key, time, signature) = signer(st, body).await?;
    let now = st.now();
    if !verify_device_signature(&key, &revoke_message(&device.id, time), &signature)
        || (now / 1000).abs_diff(time) > DEFAULT_MAX_SKEW.unsigned_abs()
    {
        return Err(login_error(LoginError::BadSignature));
    }
    st.store
        .revoke_device(&device.tenant_id, &device.id, now)
        .await?;
    crate::app::login_runtime::publish_device_revoked(&st.store, Some(&st.login.hub), &device.id)
        .await;
    Ok(json!({"device_id": device.id, "revoked": true}))
}

/// A device request: who signs, for which login (its `short_token`), and the device as stored.
/// Nothing about the login is read until the signature is verified.
struct Signed {
    device: DeviceRow,
    key: DeviceKey,
    short_token: String,
    time: i64,
    signature: Vec<u8>,
}

async fn signed(st: &AppState, body: &Value) -> Result<Signed, ApiError> {
    let short_token = str_field(body, "short_token")?.to_owned();
    let (device, key, time, signature) = signer(st, body).await?;
    Ok(Signed {
        device,
        key,
        short_token,
        time,
        signature,
    })
}

/// The signing device of a device request (`device_id`, `time`, `signature`): the device as
/// stored, its key, the signed time and the signature bytes. An unknown device is a bad
/// signature, not a 404 (nothing tells which ids exist).
async fn signer(
    st: &AppState,
    body: &Value,
) -> Result<(DeviceRow, DeviceKey, i64, Vec<u8>), ApiError> {
    let device_id = str_field(body, "device_id")?;
    let time = body
        .get("time")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("time", "required", "is required (unix seconds)"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(str_field(body, "signature")?.trim_end_matches('='))
        .map_err(|_| invalid("signature", "invalid_format", "must be base64url"))?;
    let device = match st.store.device(device_id).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => {
            return Err(ApiError::new(Code::InvalidSignature, "unknown device"))
        }
        Err(e) => return Err(e.into()),
    };
    let key = DeviceKey::parse(&device.public_key).map_err(|_| ApiError::internal())?;
    Ok((device, key, time, signature))
}

/// The login a verified device request names; then refuses a device of another tenant (as if
/// the login did not exist: nothing about another tenant's login leaks) or enrolled for another
/// username than the login's (recorded as `login.wrong_device`: the request was signed).
async fn owned_login(st: &AppState, s: &Signed, now: i64) -> Result<LoginRow, ApiError> {
    let login = st
        .store
        .login_by_short_token(&hash_token(&s.short_token))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("login"),
            e => e.into(),
        })?;
    if s.device.tenant_id != login.tenant_id {
        return Err(ApiError::not_found("login"));
    }
    let same_user = login
        .username
        .as_deref()
        .is_none_or(|u| u == s.device.username);
    if same_user {
        return Ok(login);
    }
    let ev = event(
        &login,
        "login.wrong_device",
        json!({"device_id": s.device.id}),
        now,
    );
    st.store.insert_login_event(&ev).await?;
    Err(ApiError::new(
        Code::Forbidden,
        "this device is not enrolled for the login's username",
    ))
}

/// `POST /authenticator/api/logins/open`: the device opened the login (scan or push tap).
pub async fn open(st: &AppState, body: &Value) -> Result<Value, ApiError> {
    let s = signed(st, body).await?;
    let now = st.now();
    if !verify_device_signature(&s.key, &open_message(&s.short_token, s.time), &s.signature)
        || (now / 1000).abs_diff(s.time) > DEFAULT_MAX_SKEW.unsigned_abs()
    {
        return Err(login_error(LoginError::BadSignature));
    }
    let login = owned_login(st, &s, now).await?;
    let r = request_of(&login);
    let action = LoginAction::Scan {
        device_id: s.device.id.clone(),
    };
    match r.apply(&action, now) {
        Ok(t) if t.event == LoginEvent::Expired => {
            expire(st, &login, &t, now).await;
            return Err(login_error(LoginError::Expired));
        }
        Ok(t) => {
            let next = applied(&login, &t, now);
            let ev = event(
                &login,
                LoginEvent::Scanned.as_str(),
                json!({"device_id": s.device.id}),
                now,
            );
            st.store.update_login(&next, &[ev], &[]).await?;
            publish(st, &login.id).await;
        }
        // Re-opening on the same device (a reload) shows the same choices.
        Err(LoginError::AlreadyScanned) if login.device_id.as_deref() == Some(&s.device.id) => {}
        Err(e) => return Err(login_error(e)),
    }
    let client = client_by_id(st, &login.client_id).await?;
    let choices: Vec<u8> = login
        .choices
        .split(',')
        .filter_map(|n| n.parse().ok())
        .collect();
    Ok(json!({
        "client_name": client.row.name,
        "scope": login.scope,
        "username": s.device.username,
        "choices": choices,
        "expires_in": (login.expires_at - now).max(0) / 1000,
        "status": LoginStatus::Scanned.as_str(),
    }))
}

/// `POST /authenticator/api/logins/decide`: the signed `{short_token, challenge, decision,
/// time}`. A wrong number or a denial is final; an approval queues the callback.
pub async fn decide(st: &AppState, body: &Value) -> Result<Value, ApiError> {
    let s = signed(st, body).await?;
    let decision = body
        .get("decision")
        .and_then(Value::as_str)
        .and_then(Decision::parse)
        .ok_or_else(|| invalid("decision", "invalid_value", "must be approve or deny"))?;
    let chosen = body
        .get("challenge")
        .and_then(Value::as_u64)
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| {
            invalid(
                "challenge",
                "invalid_value",
                "must be the number picked (0..255)",
            )
        })?;
    let now = st.now();
    let fields = ApprovalFields {
        challenge: chosen,
        decision,
        short_token: &s.short_token,
        time: s.time,
    };
    verify_approval(&s.key, &fields, &s.signature, now / 1000, DEFAULT_MAX_SKEW)
        .map_err(login_error)?;
    let login = owned_login(st, &s, now).await?;
    let device_id = s.device.id.clone();
    let action = match decision {
        Decision::Approve => LoginAction::Approve { device_id, chosen },
        Decision::Deny => LoginAction::Deny { device_id },
    };
    let t = request_of(&login)
        .apply(&action, now)
        .map_err(login_error)?;
    if t.event == LoginEvent::Expired {
        expire(st, &login, &t, now).await;
        return Err(login_error(LoginError::Expired));
    }
    let mut next = applied(&login, &t, now);
    let mut jobs = Vec::new();
    let detail = json!({"device_id": s.device.id, "deny_reason": next.deny_reason});
    if t.event == LoginEvent::Approved {
        next.subject = Some(s.device.username.clone());
        next.jti = Some(new_jti(&mut OsRng));
        jobs.push(callback_job(st, &next, &s.short_token, now));
    }
    let ev = event(&login, t.event.as_str(), detail, now);
    st.store.update_login(&next, &[ev], &jobs).await?;
    publish(st, &login.id).await;
    st.login.wake.notify_one();
    Ok(json!({"status": next.status, "deny_reason": next.deny_reason}))
}
