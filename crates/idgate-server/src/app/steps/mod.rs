//! The hosted flow's step submissions (`POST /s/{hash}/t/{token}/steps/{step}`), authenticated by
//! the session's URL token: each step runs its capture (a selfie through the faces engine, the
//! document sides through the document reader), records its references in `step_data` (the
//! vendor's shape: `device_scan.{session_id}` plus the device fingerprint and risk signals, `face_recognition.{image_key}`,
//! `personal_document.{document_template, ocr_keys}`, each with `event_date`) and moves the
//! session to its next step. After the last step the session goes to `processing` and the
//! decision policy ([`decide`]) makes it `approved`, `rejected` or `in_manual_analysis`.
//! Steps are taken in the session's order; a step submitted twice or out of order is a
//! conflict, and two concurrent submissions cannot both win (the update expects the step read).

mod decide;
mod device;

pub use device::ClientInfo;

use idgate_core::session::{DocumentTemplate, EventType, Status, Step, StepRefusal};
use idgate_core::{Code, FieldError};
use serde_json::{json, Map, Value};

use super::documents::{self as docs, template::Template, ReadRequest};
use super::faces::input::Fields;
use super::faces::{images, validations};
use super::liveness;
use super::render::{fmt_time, SessionView};
use super::sessions::{self, by_url, save};
use super::tenant::Tenant;
use super::uqudo::sessions::liveness_attempts;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Most document sides one `personal_document` submission may carry (front and back).
pub const MAX_SIDES: usize = 2;

/// A session still `processing` this long after its last step was left half done (the node
/// stopped between the last step and the decision); the sweeper decides it.
pub const STALLED_MS: i64 = 60_000;

/// What the hosted page learns after a submission: where the flow stands, not the decision's
/// reasons (those are for the tenant).
pub fn flow_json(v: &SessionView) -> Value {
    let done = step_data(v);
    let steps: Vec<&str> = v.settings.steps.iter().map(|s| s.step.as_str()).collect();
    let completed: Vec<&str> = steps
        .iter()
        .copied()
        .filter(|s| done.contains_key(*s))
        .collect();
    json!({
        "object": "verification_flow",
        "status": v.status.as_str(),
        "step": v.row.step,
        "steps": steps,
        "completed_steps": completed,
    })
}

fn step_data(v: &SessionView) -> Map<String, Value> {
    serde_json::from_str(&v.row.step_data).unwrap_or_default()
}

/// Checks that `step` of the session behind `hash`/`token` can be submitted now (link valid,
/// session open, the step due), without reading a body or changing anything: the step route
/// runs it before it reads the body, so an unauthenticated caller never gets one read.
pub async fn admit(st: &AppState, hash: &str, token: &str, step: &str) -> Result<Step, ApiError> {
    checked(st, hash, token, step).await.map(|c| c.2)
}

/// The session's tenant and view, the step and the step after it, if `step` is due now.
async fn checked(
    st: &AppState,
    hash: &str,
    token: &str,
    step: &str,
) -> Result<(Tenant, SessionView, Step, Option<Step>), ApiError> {
    let Some((t, v)) = by_url(st, hash, token).await? else {
        return Err(ApiError::not_found("session"));
    };
    if v.status == Status::Expired || v.row.token_expires_at <= st.now() {
        return Err(ApiError::new(
            Code::SessionExpired,
            "this link has expired; ask for a new one",
        ));
    }
    if v.status.is_final() || v.status == Status::Processing {
        return Err(ApiError::new(
            Code::InvalidTransition,
            format!(
                "the session is {}; no step can be submitted",
                v.status.as_str()
            ),
        ));
    }
    let Some(step) = Step::parse(step) else {
        return Err(ApiError::not_found("step"));
    };
    let next = match v.settings.advance(v.row.step.as_deref(), step) {
        Ok(next) => next,
        Err(StepRefusal::NotInSession) => {
            return Err(ApiError::new(
                Code::NotFound,
                format!("this session has no {} step", step.as_str()),
            ))
        }
        Err(StepRefusal::OutOfOrder { expected }) => {
            return Err(ApiError::new(
                Code::StepOutOfOrder,
                match expected {
                    Some(e) => format!("the session expects the {} step now", e.as_str()),
                    None => "every step of this session is done".to_owned(),
                },
            ))
        }
    };
    Ok((t, v, step, next))
}

/// Submits `step` of the session behind `hash`/`token` with its capture in `body`.
pub async fn submit(
    st: &AppState,
    hash: &str,
    token: &str,
    step: &str,
    body: &Value,
    client: &ClientInfo,
) -> Result<SessionView, ApiError> {
    let (t, mut v, step, next) = checked(st, hash, token, step).await?;
    if v.status == Status::Pending {
        v = sessions::transition(st, &t, v, Status::InProgress).await?;
    }
    let mut data = match step {
        Step::DeviceScan => device::device_scan(st, &t, &v, body, client).await?,
        Step::FaceRecognition => face_recognition(st, &t, &v, body).await?,
        Step::PersonalDocument => personal_document(st, &t, &v, body).await?,
    };
    data.insert("event_date".into(), json!(fmt_time(st.now(), t.offset)));
    let mut all = step_data(&v);
    all.insert(step.as_str().into(), Value::Object(data));
    let mut row = v.row.clone();
    row.step_data = Value::Object(all).to_string();
    row.step = next.map(|s| s.as_str().to_owned());
    let done = (EventType::StepCompleted, None, Some(step.as_str()));
    if next.is_some() {
        return save(st, &t, &v, row, &[done]).await;
    }
    row.status = Status::Processing.as_str().into();
    let processing = (EventType::Processing, Some(v.status), None);
    let v = save(st, &t, &v, row, &[done, processing]).await?;
    match decide::finish(st, &t, v.clone()).await {
        // the inference pool is full for now: the session stays `processing` and the sweeper
        // decides it (see `decide_stalled`); the person's step is done either way
        Err(e) if e.code == Code::Busy => {
            tracing::warn!(session = %v.row.id, "decision postponed: inference busy");
            Ok(v)
        }
        r => r,
    }
}

/// The session behind `hash`/`token` as its page may see it: any status (the page polls a
/// `processing` session to its outcome), but never through an expired link.
pub async fn current(st: &AppState, hash: &str, token: &str) -> Result<SessionView, ApiError> {
    let Some((_, v)) = by_url(st, hash, token).await? else {
        return Err(ApiError::not_found("session"));
    };
    if v.status == Status::Expired || (!v.status.is_final() && v.row.token_expires_at <= st.now()) {
        return Err(ApiError::new(
            Code::SessionExpired,
            "this link has expired; ask for a new one",
        ));
    }
    Ok(v)
}

/// Decides up to `limit` sessions left in `processing` for [`STALLED_MS`]; returns how many.
pub async fn decide_stalled(st: &AppState, limit: i64) -> Result<usize, ApiError> {
    let before = st.now() - STALLED_MS;
    let rows = st
        .store
        .sessions_stalled(Status::Processing.as_str(), before, limit)
        .await?;
    let mut n = 0;
    for row in rows {
        let id = row.id.clone();
        match decide_one(st, row).await {
            Ok(()) => n += 1,
            // another node decided it first
            Err(e) if e.code == Code::Conflict => {}
            // reported and skipped: one failing row must not stop the pass
            Err(e) => {
                tracing::warn!(session = %id, code = e.code.as_str(), "could not decide stalled session; skipped")
            }
        }
    }
    Ok(n)
}

async fn decide_one(st: &AppState, row: idgate_store::SessionRow) -> Result<(), ApiError> {
    let tenant = st.store.tenant_by_id(&row.tenant_id).await?;
    let t = Tenant::from_row(tenant).map_err(|_| ApiError::internal())?;
    let v = sessions::view(st, &t, row)?;
    decide::finish(st, &t, v).await.map(|_| ())
}

/// `face_recognition`: `{challenge_id, frames}` — a liveness challenge issued for this session
/// (`POST /s/{hash}/t/{token}/liveness`) and the frames of the person performing it, or
/// `{challenge_id}` of one already verified for it. A bare `{image}` is refused
/// (`liveness_required`). The most frontal frame becomes the selfie (`image_key`), kept until
/// the tenant's biometrics retention of the session ends (or it is redacted); if the CPF has a
/// face registration, a 1:1 validation runs and is recorded. A failed attempt answers 422
/// `liveness_failed` while attempts remain (a uqudo session's `maxAttempts`, else the tenant
/// policy, default 3); the last one completes the step as failed, for the decision.
async fn face_recognition(
    st: &AppState,
    t: &Tenant,
    v: &SessionView,
    body: &Value,
) -> Result<Map<String, Value>, ApiError> {
    let Some(id) = body.get("challenge_id").and_then(Value::as_str) else {
        if body.get("image").is_some() {
            return Err(ApiError::new(
                Code::LivenessRequired,
                "the face step needs a liveness proof: start a challenge (POST .../liveness) and send its frames",
            ));
        }
        return Err(liveness::field_error(
            "challenge_id",
            "required",
            "the id of a liveness challenge of this session is required",
        ));
    };
    let row = liveness::verified_for_session(st, t, id, &v.row.id).await?;
    let keep_until = images::upload_expiry(st).max(v.row.expires_at);
    let verified = match row.status.as_str() {
        "pending" => liveness::verify(st, t, id, Some(&v.row.id), keep_until, body, true).await?,
        "passed" => liveness::Verified {
            passed: true,
            reasons: Vec::new(),
            result: serde_json::from_str(row.result.as_deref().unwrap_or("{}")).unwrap_or_default(),
            embedding: None,
            row,
        },
        _ => {
            return Err(ApiError::new(
                Code::Conflict,
                "this challenge failed; start a new one",
            ))
        }
    };
    let mut liveness_data = json!({
        "challenge_id": verified.row.id,
        "passed": verified.passed,
        "reasons": verified.reasons,
        "actions": verified.result["actions"],
    });
    if !verified.passed {
        let failed = st.store.failed_challenges(&t.id, &v.row.id).await?;
        let left = liveness_attempts(st, t, &v.row.id).await? - failed;
        if left > 0 {
            let mut e = ApiError::new(
                Code::LivenessFailed,
                format!("the liveness proof did not pass; {left} attempt(s) left"),
            );
            e.extra = Some(json!({"reasons": verified.reasons, "attempts_left": left}));
            return Err(e);
        }
        return Ok(Map::from_iter([("liveness".into(), liveness_data)]));
    }
    let image_key = verified.row.image_key.clone().unwrap_or_default();
    // the session keeps its selfie (for the decision and a reviewer) until its retention ends
    st.store.keep_face_image(&t.id, &image_key).await?;
    let mut data = Map::new();
    let embedding = match verified.embedding {
        Some(e) => Some(e),
        None => images::stored_template(st, t, &image_key, "challenge_id")
            .await
            .ok()
            .map(|(_, e)| e),
    };
    if let Some(e) = embedding {
        let cpf = v.row.document_number.clone();
        if let Some(val) = validations::against_latest(st, t, &cpf, &image_key, &e).await? {
            data.insert(
                "face_validation".into(),
                json!({
                    "validation_key": val.validation_key,
                    "registration_key": val.registration_key,
                    "similarity_ratio": val.similarity,
                    "validation_result": val.result,
                    "match_level": val.match_level,
                }),
            );
        }
    }
    liveness_data["passed"] = json!(true);
    data.insert("image_key".into(), json!(image_key));
    data.insert("liveness".into(), liveness_data);
    Ok(data)
}

/// `personal_document`: `{document_template, documents: [{document_b64, file_type}, …]}` — one
/// template the session allows and its sides (front and back; one PDF for `cnh_digital`), each
/// read and stored like `POST /ocr/image`.
async fn personal_document(
    st: &AppState,
    t: &Tenant,
    v: &SessionView,
    body: &Value,
) -> Result<Map<String, Value>, ApiError> {
    let (template, sides) = parse_document(v, body)?;
    // every side is read before any is stored: a side that fails stores nothing
    let mut reads = Vec::with_capacity(sides.len());
    for (i, req) in sides.into_iter().enumerate() {
        let read = docs::read_sealed(st, t, req).await.map_err(|mut e| {
            e.message = format!("documents[{i}]: {}", e.message);
            e
        })?;
        reads.push(read);
    }
    let mut keys = Vec::with_capacity(reads.len());
    for read in reads {
        let read = docs::store_read(st, read.for_session(&v.row.id)).await?;
        keys.push(json!(read.row.ocr_key));
    }
    Ok(Map::from_iter([
        ("document_template".into(), json!(template.as_str())),
        ("ocr_keys".into(), Value::Array(keys)),
    ]))
}

fn parse_document(
    v: &SessionView,
    body: &Value,
) -> Result<(DocumentTemplate, Vec<ReadRequest>), ApiError> {
    let mut f = Fields::new(body, &["document_template", "documents"], true)?;
    let allowed: &[DocumentTemplate] = v
        .settings
        .document_step()
        .and_then(|c| c.document_templates.as_deref())
        .unwrap_or(&[]);
    let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
    let template = match f.opt_str("document_template") {
        None => {
            f.push(FieldError::new(
                "document_template",
                "required",
                "is required",
            ));
            None
        }
        Some(s) => match DocumentTemplate::parse(&s).filter(|t| allowed.contains(t)) {
            Some(t) => Some(t),
            None => {
                f.push(FieldError::new(
                    "document_template",
                    "invalid_value",
                    format!("this session accepts {}", names.join(", ")),
                ));
                None
            }
        },
    };
    let mut sides = Vec::new();
    match body.get("documents") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_SIDES => {
            for (i, side) in a.iter().enumerate() {
                let Some(tpl) = template.and_then(|t| Template::parse(t.as_str())) else {
                    break;
                };
                let mut one = side.clone();
                if let Some(o) = one.as_object_mut() {
                    o.insert("template".into(), json!(tpl.as_str()));
                }
                match docs::parse_read(&one, true) {
                    Ok(r) => sides.push(r),
                    Err(e) => {
                        for d in e.details {
                            f.push(FieldError::new(
                                format!("documents[{i}].{}", d.field),
                                d.code,
                                d.message,
                            ));
                        }
                    }
                }
            }
        }
        None | Some(Value::Null) => f.push(FieldError::new("documents", "required", "is required")),
        Some(_) => f.push(FieldError::new(
            "documents",
            "invalid_value",
            format!("must be an array of 1 to {MAX_SIDES} sides"),
        )),
    }
    if template == Some(DocumentTemplate::CnhDigital) && sides.len() > 1 {
        f.push(FieldError::new(
            "documents",
            "invalid_value",
            "cnh_digital is one PDF",
        ));
    }
    f.finish()?;
    Ok((template.unwrap_or(DocumentTemplate::Others), sides))
}
