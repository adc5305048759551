//! What the console's screens show and do, for a signed-in [`Operator`] and only within its
//! tenant: the manual-analysis queue, a session's detail (decision, device signals, document
//! reads), its images (decrypted on view, each view audited), the review (through
//! [`crate::app::review`], the operator as reviewer), search by session id or CPF, the audit log,
//! and an admin's credential lists and revocations.

use idgate_core::session::Status;
use idgate_core::validate::cpf::Cpf;
use idgate_store::{AuditEventRow, ListFilter, SessionRow};
use serde_json::{json, Value};

use super::passkeys::audit;
use super::Operator;
use crate::app::render::SessionView;
use crate::app::uqudo::result::{media_type, open_image};
use crate::app::{credentials, documents, review, sessions};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Rows a list screen shows at most.
const LIST_LIMIT: i64 = 200;

/// A session waiting in the queue.
pub struct QueueItem {
    pub id: String,
    pub reasons: Vec<String>,
    /// Since it entered manual analysis (its last change), in milliseconds.
    pub waiting_ms: i64,
    /// Waiting longer than `console.sla_hours`.
    pub overdue: bool,
}

fn reason_codes(decision: Option<&str>) -> Vec<String> {
    let d: Value = decision
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    d["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The tenant's sessions in manual analysis, longest waiting first.
pub async fn queue(st: &AppState, op: &Operator) -> Result<Vec<QueueItem>, ApiError> {
    let f = ListFilter {
        status: Some(Status::InManualAnalysis.as_str().into()),
        after: None,
        limit: LIST_LIMIT,
    };
    let now = st.now();
    let sla = st.cfg.console.sla_hours * 3_600_000;
    let mut items: Vec<QueueItem> = st
        .store
        .list_sessions(&op.tenant.id, &f)
        .await?
        .into_iter()
        .map(|r| QueueItem {
            reasons: reason_codes(r.decision.as_deref()),
            waiting_ms: now - r.updated_at,
            overdue: now - r.updated_at > sla,
            id: r.id,
        })
        .collect();
    items.sort_by_key(|i| -i.waiting_ms);
    Ok(items)
}

/// A document read a session made, with its stored result.
pub struct DocumentPart {
    pub ocr_key: String,
    pub result: Value,
}

/// Everything the detail screen shows of a session.
pub struct Detail {
    pub view: SessionView,
    /// The `/v1` object (decision, step data).
    pub v1: Value,
    /// The selfie (the most frontal liveness frame), if the session took one.
    pub selfie: Option<String>,
    pub documents: Vec<DocumentPart>,
}

/// Image keys a session references: its selfie and its document reads.
fn image_keys(step_data: &Value) -> (Option<String>, Vec<String>) {
    let selfie = step_data["face_recognition"]["image_key"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let docs = step_data["personal_document"]["ocr_keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (selfie, docs)
}

/// A session of the operator's tenant (another tenant's id is `404`).
pub async fn detail(st: &AppState, op: &Operator, id: &str) -> Result<Detail, ApiError> {
    let view = sessions::get(st, &op.tenant, id).await?;
    let v1 = view.v1();
    let (selfie, keys) = image_keys(&v1["step_data"]);
    let mut docs = Vec::with_capacity(keys.len());
    for key in keys {
        // a read deleted by retention or redaction is simply not shown
        if let Ok(d) = documents::get_document(st, &op.tenant, &key).await {
            docs.push(DocumentPart {
                ocr_key: key,
                result: d.result,
            });
        }
    }
    Ok(Detail {
        view,
        v1,
        selfie,
        documents: docs,
    })
}

/// The bytes of image `key` of session `id` (its selfie or a document it read), decrypted for
/// this view, which is audited (`console.image_viewed`). A key the session does not reference
/// is `404`.
pub async fn image(
    st: &AppState,
    op: &Operator,
    id: &str,
    key: &str,
) -> Result<(Vec<u8>, &'static str), ApiError> {
    let view = sessions::get(st, &op.tenant, id).await?;
    let data: Value = serde_json::from_str(&view.row.step_data).unwrap_or(Value::Null);
    let (selfie, docs) = image_keys(&data);
    if selfie.as_deref() != Some(key) && !docs.iter().any(|d| d == key) {
        return Err(ApiError::not_found("image"));
    }
    let bytes = open_image(st, &op.tenant, key).await?;
    let detail = json!({"session_id": id, "image_key": key, "operator": op.row.email});
    let a = audit(&op.tenant.id, "console.image_viewed", key, detail, st.now());
    st.store.insert_audit_event(&a).await?;
    let media = media_type(&bytes);
    Ok((bytes, media))
}

/// The operator's verdict on a session in manual analysis (`409` from any other status).
pub async fn decide(
    st: &AppState,
    op: &Operator,
    id: &str,
    body: &Value,
) -> Result<SessionView, ApiError> {
    review::review(st, &op.tenant, id, body, &op.actor()).await
}

/// Sessions matching `q`: a CPF (any formatting) finds that person's sessions; anything else
/// is taken as a session id.
pub async fn search(st: &AppState, op: &Operator, q: &str) -> Result<Vec<SessionRow>, ApiError> {
    let q = q.trim();
    if q.is_empty() || q.len() > 255 {
        return Ok(Vec::new());
    }
    if let Ok(cpf) = Cpf::parse(q, op.tenant.sandbox) {
        let rows = st
            .store
            .sessions_by_document(&op.tenant.id, cpf.digits(), LIST_LIMIT)
            .await?;
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    match sessions::get(st, &op.tenant, q).await {
        Ok(v) => Ok(vec![v.row]),
        Err(e) if e.code == idgate_core::Code::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The tenant's latest audit rows.
pub async fn audit_log(st: &AppState, op: &Operator) -> Result<Vec<AuditEventRow>, ApiError> {
    Ok(st.store.audit_events_of(&op.tenant.id, LIST_LIMIT).await?)
}

/// An admin's view of the tenant: API keys, OAuth clients, webhooks (no secrets) and settings.
pub async fn admin_overview(st: &AppState, op: &Operator) -> Result<Value, ApiError> {
    op.require_admin()?;
    let (store, t) = (&st.store, &op.tenant.id);
    let operators: Vec<Value> = store
        .operators_of(t)
        .await?
        .into_iter()
        .filter(|o| o.removed_at.is_none())
        .map(|o| json!({"email": o.email, "role": o.role}))
        .collect();
    Ok(json!({
        "api_keys": credentials::list_api_keys(store, t).await?,
        "clients": credentials::list_clients(store, t).await?,
        "webhooks": credentials::list_webhooks(store, t).await?,
        "operators": operators,
        "settings": {
            "name": op.tenant.name, "mode": if op.tenant.sandbox { "sandbox" } else { "live" },
            "time_zone_offset": op.tenant.offset.to_string(),
            "decision_policy": op.tenant.policy,
            "frame_origins": op.tenant.frame_origins,
            "redirect_url": op.tenant.redirect_url,
            "default_settings": op.tenant.defaults,
        },
    }))
}

/// What an admin can revoke from the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocable {
    ApiKey,
    Client,
    Webhook,
}

/// Revokes an API key or client, or removes a webhook endpoint, with an audit row.
pub async fn revoke(
    st: &AppState,
    op: &Operator,
    what: Revocable,
    id: &str,
) -> Result<(), ApiError> {
    op.require_admin()?;
    let (store, t, now) = (&st.store, &op.tenant.id, st.now());
    let kind = match what {
        Revocable::ApiKey => {
            credentials::revoke_api_key(store, now, t, id).await?;
            "api_key.revoked"
        }
        Revocable::Client => {
            credentials::revoke_client(store, now, t, id).await?;
            "client.revoked"
        }
        Revocable::Webhook => {
            credentials::remove_webhook(store, t, id).await?;
            "webhook.removed"
        }
    };
    let a = audit(t, kind, id, json!({"by": op.actor()}), now);
    Ok(st.store.insert_audit_event(&a).await?)
}
