//! What people and tests decide about a session: a reviewer's verdict on a session the policy
//! left `in_manual_analysis` (`POST /v1/verification-sessions/{id}/review`), and sandbox outcomes
//! (`POST /v1/verification-sessions/{id}/simulate`, Stripe test mode's idea) that complete a
//! sandbox session without captures through the same transitions, events and webhooks as a real
//! one. Each writes its status, decision, events and audit row in one transaction.

use idgate_core::session::decision::REASON_CODES;
use idgate_core::session::{EventType, Status};
use idgate_core::{Code, FieldError};
use idgate_store::AuditEventRow;
use serde_json::{json, Value};

use super::faces::input::Fields;
use super::render::{fmt_time, SessionView};
use super::sessions::{self, Change};
use super::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Longest review `reason` and `note`, in characters.
const MAX_REASON: usize = 200;
const MAX_NOTE: usize = 2000;

/// A verdict: `approved` or `rejected` (the only ways out of manual analysis).
fn verdict(f: &mut Fields, key: &str, allowed: &[Status]) -> Option<Status> {
    let s = f.opt_str(key);
    match s.as_deref().and_then(Status::parse) {
        Some(st) if allowed.contains(&st) => Some(st),
        _ => {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            let code = if s.is_none() {
                "required"
            } else {
                "invalid_value"
            };
            f.push(FieldError::new(
                key,
                code,
                format!("must be one of {}", names.join(", ")),
            ));
            None
        }
    }
}

/// A bounded, non-blank text field.
fn text(f: &mut Fields, key: &str, max: usize, required: bool) -> Option<String> {
    let s = f.opt_str(key);
    match s {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= max => Some(s),
        Some(_) => {
            f.push(FieldError::new(
                key,
                "invalid_length",
                format!("must be 1 to {max} characters, not blank"),
            ));
            None
        }
        None if required => {
            f.push(FieldError::new(key, "required", "is required"));
            None
        }
        None => None,
    }
}

/// `{decision, reason, note?}` by `reviewer` on a session in manual analysis: its final status,
/// the review on its decision, `session.reviewed` + `session.completed` and an audit row.
/// `409 invalid_state_transition` from any other status.
pub async fn review(
    st: &AppState,
    t: &Tenant,
    id: &str,
    body: &Value,
    reviewer: &str,
) -> Result<SessionView, ApiError> {
    let mut f = Fields::new(body, &["decision", "reason", "note"], true)?;
    let to = verdict(&mut f, "decision", &[Status::Approved, Status::Rejected]);
    let reason = text(&mut f, "reason", MAX_REASON, true);
    let note = text(&mut f, "note", MAX_NOTE, false);
    f.finish()?;
    let (Some(to), Some(reason)) = (to, reason) else {
        return Err(ApiError::internal());
    };
    let v = sessions::get(st, t, id).await?;
    if v.status != Status::InManualAnalysis {
        return Err(ApiError::new(
            Code::InvalidTransition,
            format!(
                "only a session in_manual_analysis can be reviewed; this one is {}",
                v.status.as_str()
            ),
        ));
    }
    v.status.transition(to)?;
    let now = st.now();
    let review = json!({"decision": to.as_str(), "reason": reason, "note": note,
        "reviewer": reviewer, "reviewed_at": fmt_time(now, t.offset)});
    let mut decision: Value = v
        .row
        .decision
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_else(|| json!({}));
    decision["status"] = json!(to.as_str());
    decision["review"] = review.clone();
    let mut row = v.row.clone();
    row.status = to.as_str().into();
    row.decision = Some(decision.to_string());
    let from = Some(v.status);
    let changes: [Change; 2] = [
        (EventType::Reviewed, from, None),
        (EventType::Completed, from, None),
    ];
    let audit = audit_row(t, id, EventType::Reviewed, &review, now);
    sessions::save_audited(st, t, &v, row, &changes, Some(&audit)).await
}

/// `{outcome, reasons?}` on a **sandbox** session still `pending` or `in_progress`: completes it
/// without captures through `in_progress` and `processing` to `outcome`, with the events a real
/// session records. A live tenant gets `403 forbidden`; any other status `409`.
pub async fn simulate(
    st: &AppState,
    t: &Tenant,
    id: &str,
    body: &Value,
    caller: &str,
) -> Result<SessionView, ApiError> {
    if !t.sandbox {
        return Err(ApiError::new(
            Code::Forbidden,
            "simulated outcomes are for sandbox tenants only",
        ));
    }
    let mut f = Fields::new(body, &["outcome", "reasons"], true)?;
    let outcome = verdict(
        &mut f,
        "outcome",
        &[Status::Approved, Status::Rejected, Status::InManualAnalysis],
    );
    let reasons = reason_codes(body.get("reasons"), outcome).unwrap_or_else(|e| {
        f.push(e);
        Vec::new()
    });
    f.finish()?;
    let Some(outcome) = outcome else {
        return Err(ApiError::internal());
    };
    let v = sessions::get(st, t, id).await?;
    let mut path = Vec::new();
    let mut from = v.status;
    for to in [Status::InProgress, Status::Processing, outcome] {
        if from == to {
            continue;
        }
        from.transition(to)?;
        path.push((to.event_type(), Some(from), None));
        from = to;
    }
    let now = st.now();
    let severity = if outcome == Status::Rejected {
        "reject"
    } else {
        "review"
    };
    let reasons: Vec<Value> = reasons
        .iter()
        .map(|c| json!({"code": c, "severity": severity, "message": "simulated"}))
        .collect();
    let decision = json!({"status": outcome.as_str(), "reasons": reasons, "simulated": true,
        "evidence": {}, "decided_at": fmt_time(now, t.offset)});
    let mut row = v.row.clone();
    row.status = outcome.as_str().into();
    row.step = None;
    row.decision = Some(decision.to_string());
    let detail = json!({"outcome": outcome.as_str(), "reasons": decision["reasons"], "by": caller});
    let audit = audit_row(t, id, EventType::Completed, &detail, now);
    sessions::save_audited(st, t, &v, row, &path, Some(&audit)).await
}

/// The reason codes of a simulation: known codes only, none for `approved`.
fn reason_codes(v: Option<&Value>, outcome: Option<Status>) -> Result<Vec<String>, FieldError> {
    let bad = |m: &str| FieldError::new("reasons", "invalid_value", m);
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) if a.len() <= REASON_CODES.len() => a,
        Some(_) => return Err(bad("must be an array of reason codes")),
    };
    let mut out = Vec::new();
    for item in list {
        match item.as_str() {
            Some(c) if REASON_CODES.contains(&c) => out.push(c.to_owned()),
            _ => {
                return Err(bad(&format!(
                    "each reason must be one of {}",
                    REASON_CODES.join(", ")
                )))
            }
        }
    }
    if outcome == Some(Status::Approved) && !out.is_empty() {
        return Err(bad("an approved outcome has no reasons"));
    }
    Ok(out)
}

fn audit_row(t: &Tenant, id: &str, kind: EventType, detail: &Value, now: i64) -> AuditEventRow {
    AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        kind: kind.as_str().into(),
        subject: id.to_owned(),
        detail: detail.to_string(),
        created_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_reasons_are_known_codes_and_approved_has_none() {
        let r = |v: Value, o| reason_codes(Some(&v), Some(o));
        assert_eq!(
            r(json!(["face_mismatch"]), Status::Rejected).unwrap(),
            ["face_mismatch"]
        );
        assert!(r(json!(["nope"]), Status::Rejected).is_err());
        assert!(r(json!("face_mismatch"), Status::Rejected).is_err());
        assert!(r(json!(["face_mismatch"]), Status::Approved).is_err());
        assert!(reason_codes(None, Some(Status::Approved))
            .unwrap()
            .is_empty());
    }
}
