//! Uqudo sessions: create one from the vendor's `{"data": base64 JSON}` (a verification
//! session whose steps the data asks for, captured in the hosted flow), open it on one phone
//! with its `qrCodeText` (a 256-bit bearer secret living 30 minutes, stored as a hash), delete
//! its info. Expiry is enforced on every read.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::crypto::hash_secret;
use idgate_core::session::{DocumentTemplate, OpenMode, Settings, Step, StepConfig};
use idgate_core::uqudo::{parse_data, DataError, SessionData};
use idgate_core::{Code, FieldError};
use idgate_store::{StoreError, UqudoRow};
use rand::RngCore;
use serde_json::{json, Value};

use crate::app::login::Client;
use crate::app::render::SessionView;
use crate::app::sessions::{self as core_sessions, Outcome};
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// How long a `qrCodeText` (and the session) lives: the vendor's 30 minutes.
pub const TTL_MS: i64 = 30 * 60_000;

/// `POST /api/v1/session`: `{"data": "<base64 JSON>"}` → `{sessionId, qrCodeText,
/// qrCodeTextWithDynamicLink}`.
pub async fn create(st: &AppState, client: &Client, body: &Value) -> Result<Value, ApiError> {
    let data_text = match body.get("data") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(field("data", "required", "is required")),
        Some(_) => return Err(field("data", "invalid_type", "must be a string")),
    };
    let data = parse_data(&data_text).map_err(data_error)?;
    let t = &client.tenant;
    let id = uuid::Uuid::new_v4().to_string();
    let settings = settings_of(&data);
    let fingerprint = hash_secret(&id);
    let v =
        match core_sessions::create_parsed(st, t, id.clone(), String::new(), settings, fingerprint)
            .await?
        {
            Outcome::Created(v) | Outcome::Existing(v) => v,
        };
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let qr = URL_SAFE_NO_PAD.encode(raw);
    let now = st.now();
    let row = UqudoRow {
        session_id: id.clone(),
        tenant_id: t.id.clone(),
        client_id: client.row.client_id.clone(),
        qr_hash: hash_secret(&qr),
        data: data_text,
        nonce: data.nonce.clone(),
        min_level: i64::from(data.min_level),
        created_at: now,
        expires_at: v.row.expires_at.min(now + TTL_MS),
        phone_at: None,
        deleted_at: None,
        info_deleted_at: None,
    };
    st.store.insert_uqudo(&row).await?;
    Ok(json!({
        "sessionId": id,
        "qrCodeText": qr,
        "qrCodeTextWithDynamicLink": format!("{}/q/{qr}", st.public_base),
    }))
}

fn field(f: &str, code: &'static str, msg: &str) -> ApiError {
    ApiError::from(idgate_core::CoreError::Validation(vec![FieldError::new(
        f, code, msg,
    )]))
}

/// Violations are reported under `data.` (the decoded object's paths); unsupported options
/// with their own code, every one listed.
fn data_error(e: DataError) -> ApiError {
    let under = |fs: Vec<FieldError>| -> Vec<FieldError> {
        fs.into_iter()
            .map(|f| FieldError {
                field: if f.field == "data" {
                    f.field
                } else {
                    format!("data.{}", f.field)
                },
                ..f
            })
            .collect()
    };
    match e {
        DataError::Invalid(fs) => ApiError::from(idgate_core::CoreError::Validation(under(fs))),
        DataError::Unsupported(code, fs) => {
            let fs = under(fs);
            let msg = fs
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>();
            ApiError {
                details: fs,
                ..ApiError::new(code, msg.join("; "))
            }
        }
    }
}

/// The hosted-flow steps `data` asks for: the document (any of the listed types), then the
/// face (selfie with liveness, matched with the document portrait) when
/// `facialRecognition.enabled`.
fn settings_of(d: &SessionData) -> Settings {
    let mut templates: Vec<DocumentTemplate> = Vec::new();
    for t in d.documents.iter().flat_map(|d| d.templates()) {
        if !templates.contains(t) {
            templates.push(*t);
        }
    }
    let mut steps = vec![StepConfig {
        step: Step::PersonalDocument,
        show_success_screen: Some(false),
        show_introduction_screen: Some(false),
        document_templates: Some(templates),
    }];
    if d.face {
        steps.push(StepConfig::plain(Step::FaceRecognition));
    }
    Settings {
        steps,
        session_expiration_time_in_minutes: (TTL_MS / 60_000) as u32,
        token_expiration_seconds: (TTL_MS / 1000) as u32,
        open_mode: OpenMode::Link,
    }
}

/// The live row behind `qr` (`not_found` when unknown or deleted, `session_expired` after 30
/// minutes).
pub async fn by_qr(st: &AppState, qr: &str) -> Result<UqudoRow, ApiError> {
    if qr.is_empty() || qr.len() > 256 {
        return Err(ApiError::not_found("session"));
    }
    let row = match st.store.uqudo_by_qr(&hash_secret(qr)).await {
        Ok(r) if r.deleted_at.is_none() => r,
        Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::not_found("session")),
        Err(e) => return Err(e.into()),
    };
    if row.expires_at <= st.now() {
        return Err(ApiError::new(
            Code::SessionExpired,
            "this QR code has expired (30 minutes)",
        ));
    }
    Ok(row)
}

/// The tenant of a uqudo row.
pub async fn tenant_of(st: &AppState, row: &UqudoRow) -> Result<Tenant, ApiError> {
    let t = st.store.tenant_by_id(&row.tenant_id).await?;
    Tenant::from_row(t).map_err(|_| ApiError::internal())
}

/// The tenant and verification session of a uqudo row (expiry applied).
pub async fn session_of(st: &AppState, row: &UqudoRow) -> Result<(Tenant, SessionView), ApiError> {
    let t = tenant_of(st, row).await?;
    let v = core_sessions::get(st, &t, &row.session_id).await?;
    Ok((t, v))
}

/// Liveness attempts the face step of session `id` allows: its uqudo
/// `facialRecognition.maxAttempts` when the data sets one, else the tenant's policy.
pub async fn liveness_attempts(st: &AppState, t: &Tenant, id: &str) -> Result<i64, ApiError> {
    let own = match st.store.uqudo_session(&t.id, id).await {
        Ok(row) => parse_data(&row.data).ok().and_then(|d| d.max_attempts),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(i64::from(own.unwrap_or(t.policy.liveness_attempts)))
}

/// The phone opens the session (`GET /api/v1/session`, the dynamic link): once. A second
/// phone gets `409 conflict`.
pub async fn open(st: &AppState, qr: &str) -> Result<(UqudoRow, SessionView), ApiError> {
    let row = by_qr(st, qr).await?;
    if !st.store.claim_uqudo_phone(&row.qr_hash, st.now()).await? {
        return Err(ApiError::new(
            Code::Conflict,
            "this QR code was already opened on another phone; ask for a new one",
        ));
    }
    let (_, v) = session_of(st, &row).await?;
    Ok((row, v))
}

/// `{sessionId, token, data}` for the phone, plus idgate's `flowUrl` (the hosted flow).
pub fn phone_json(row: &UqudoRow, v: &SessionView) -> Value {
    json!({"sessionId": row.session_id, "token": v.token, "data": row.data, "flowUrl": v.url})
}

/// `DELETE /api/v1/session/{qrCodeText}`: the info is gone for phones and sockets.
pub async fn delete(st: &AppState, qr: &str) -> Result<(), ApiError> {
    let row = by_qr(st, qr).await?;
    st.store.delete_uqudo(&row.qr_hash, st.now()).await?;
    super::hub::changed(st, &row.session_id, None).await;
    Ok(())
}
