//! Redacting a verification session (`POST /v1/verification-sessions/{id}/redact`, as Stripe
//! Identity does): the selfie and the document reads it collected (also those its steps made but
//! do not name: other liveness images, reads of an interrupted step) are deleted with their face
//! validations, liveness results and face matches, its `step_data` values, the decision's evidence, the CPF and the request fingerprint
//! are replaced, the session's earlier events (and their pending webhook deliveries) keep only
//! the redacted snapshot, and the redaction is recorded as a `session.redacted` event and an
//! audit row, all in one transaction. Status and decision reasons stay. A session still collecting is
//! canceled first; one being decided cannot be redacted until it is. Redacting twice answers the
//! redacted session.

use idgate_core::session::{EventType, Status};
use idgate_core::Code;
use idgate_store::{AuditEventRow, Evidence, Expected, Redacted};
use serde_json::{json, Map, Value};

use super::render::SessionView;
use super::retention::collected_keys;
use super::sessions::{self, new_event, view};
use super::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// What replaces redacted values.
pub const REDACTED: &str = idgate_store::REDACTED;

pub async fn redact(st: &AppState, t: &Tenant, id: &str) -> Result<SessionView, ApiError> {
    let mut v = sessions::get(st, t, id).await?;
    if v.row.document_number == REDACTED {
        return Ok(v);
    }
    match v.status {
        Status::Processing => {
            return Err(ApiError::new(
                Code::InvalidTransition,
                "the session is being decided; redact it once it is final",
            ))
        }
        Status::Pending | Status::InProgress => {
            v = sessions::transition(st, t, v, Status::Canceled).await?;
        }
        _ => {}
    }
    let image_keys = collected_keys(&v.row.step_data, Evidence::Biometrics);
    let ocr_keys = collected_keys(&v.row.step_data, Evidence::Documents);
    let data: Map<String, Value> = serde_json::from_str(&v.row.step_data).unwrap_or_default();
    let mut row = v.row.clone();
    row.document_number = REDACTED.into();
    row.fingerprint = REDACTED.into();
    row.step_data =
        Value::Object(data.into_iter().map(|(k, s)| (k, redact_step(s))).collect()).to_string();
    row.decision = row.decision.as_deref().map(|d| {
        let mut d: Value = serde_json::from_str(d).unwrap_or_default();
        d["evidence"] = json!({});
        d.to_string()
    });
    row.updated_at = st.now();
    let nv = view(st, t, row)?;
    let event = new_event(st, &nv, EventType::Redacted, None, None);
    let audit = AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        kind: EventType::Redacted.as_str().into(),
        subject: id.to_owned(),
        detail: json!({"face_images": image_keys.len(), "document_reads": ocr_keys.len(),
            "erased": ["document_number", "step_data", "decision.evidence", "images", "documents"]})
        .to_string(),
        created_at: nv.row.updated_at,
    };
    let event_payloads = redacted_events(st, t, &nv).await?;
    let refs = Redacted {
        image_keys: &image_keys,
        ocr_keys: &ocr_keys,
        event_payloads: &event_payloads,
    };
    st.store
        .redact_session(&nv.row, Expected::of(&v.row), refs, &event, &audit)
        .await
        .map_err(sessions::changed_meanwhile)?;
    Ok(nv)
}

/// The session's earlier events with its snapshot (`data.session`) replaced by the redacted
/// one: type, time and previous status stay, the CPF and step data go.
async fn redacted_events(
    st: &AppState,
    t: &Tenant,
    nv: &SessionView,
) -> Result<Vec<(String, String)>, ApiError> {
    let snapshot = sessions::event_snapshot(st, nv);
    let events = st.store.session_events(&t.id, &nv.row.id).await?;
    Ok(events
        .into_iter()
        .map(|e| {
            let mut p: Value = serde_json::from_str(&e.payload).unwrap_or_else(|_| json!({}));
            p["data"]["session"] = snapshot.clone();
            (e.id, p.to_string())
        })
        .collect())
}

/// A step's references replaced, its `event_date` kept.
fn redact_step(step: Value) -> Value {
    let Value::Object(o) = step else {
        return json!(REDACTED);
    };
    Value::Object(
        o.into_iter()
            .map(|(k, val)| {
                let keep = k == "event_date";
                (k, if keep { val } else { json!(REDACTED) })
            })
            .collect(),
    )
}
