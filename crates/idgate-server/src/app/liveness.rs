//! Active liveness challenges: issued with actions the server draws (a sandbox tenant may fix
//! them), verified at most once from the person's frames on a face worker, the most frontal
//! frame kept as a sealed selfie. Used by `/v1/liveness/...` and by the hosted flow's face step.

use idgate_core::liveness::{self, Action, FrameRules, Reason};
use idgate_core::{Code, FieldError};
use idgate_store::{ChallengeRow, FaceImageMeta, StoreError};
use idgate_vision::face::liveness::{LivenessFrame, FRAME_MAX_BYTES};
use idgate_vision::face::Embedding;
use idgate_vision::intake::{self, IntakeLimits};
use serde_json::{json, Value};

use super::faces::images::seal;
use super::faces::input::{invalid, Fields};
use super::render::fmt_time;
use super::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// How long a challenge may wait for its frames.
pub const CHALLENGE_TTL_MS: i64 = 120_000;

/// The public shape of a challenge.
pub fn challenge_json(c: &ChallengeRow, t: &Tenant) -> Value {
    json!({
        "object": "liveness_challenge",
        "id": c.id,
        "actions": actions_of(c),
        "status": c.status,
        "expires_at": fmt_time(c.expires_at, t.offset),
    })
}

fn actions_of(c: &ChallengeRow) -> Vec<&str> {
    c.actions.split(',').filter(|s| !s.is_empty()).collect()
}

/// Issues a challenge (`session_id`: the verification session it belongs to).
pub async fn issue(
    st: &AppState,
    t: &Tenant,
    session_id: Option<&str>,
    body: &Value,
    strict: bool,
) -> Result<ChallengeRow, ApiError> {
    let mut f = Fields::new(body, &["actions"], strict)?;
    let fixed = match body.get("actions") {
        None | Some(Value::Null) => None,
        Some(_) if !t.sandbox => {
            f.push(FieldError::new(
                "actions",
                "not_allowed",
                "only a sandbox tenant may fix the actions; a live tenant's are drawn by the server",
            ));
            None
        }
        Some(v) => parse_actions(v, &mut f),
    };
    f.finish()?;
    let actions = fixed.unwrap_or_else(|| liveness::draw_actions(&mut rand::rngs::OsRng, 2));
    let now = st.now();
    let row = ChallengeRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        session_id: session_id.map(str::to_owned),
        actions: actions
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(","),
        status: "pending".into(),
        created_at: now,
        expires_at: now + CHALLENGE_TTL_MS,
        verified_at: None,
        image_key: None,
        result: None,
    };
    st.store.insert_challenge(&row).await?;
    Ok(row)
}

fn parse_actions(v: &Value, f: &mut Fields) -> Option<Vec<Action>> {
    let Some(list) = v.as_array() else {
        f.push(FieldError::new(
            "actions",
            "invalid_type",
            "must be an array",
        ));
        return None;
    };
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        match a.as_str().and_then(Action::parse) {
            Some(a) => out.push(a),
            None => f.push(FieldError::new(
                format!("actions[{i}]"),
                "invalid_value",
                "must be one of turn_left, turn_right, blink",
            )),
        }
    }
    if let Err(m) = liveness::check_fixed_actions(&out) {
        f.push(FieldError::new("actions", "invalid_value", m));
    }
    Some(out)
}

/// A verification's outcome, as stored and answered.
pub struct Verified {
    pub row: ChallengeRow,
    pub passed: bool,
    pub reasons: Vec<Reason>,
    pub result: Value,
    /// The selfie's embedding (passed verifications).
    pub embedding: Option<Embedding>,
}

/// Verifies challenge `id` with the `frames` of `body`, once. `session_id`: the session the
/// challenge must belong to (the hosted flow), or `None` (the API: any of the tenant's).
pub async fn verify(
    st: &AppState,
    t: &Tenant,
    id: &str,
    session_id: Option<&str>,
    keep_until: i64,
    body: &Value,
    strict: bool,
) -> Result<Verified, ApiError> {
    let row = load(st, t, id, session_id).await?;
    if row.status != "pending" {
        return Err(ApiError::new(
            Code::Conflict,
            "this challenge was already verified; start a new one",
        ));
    }
    let frames = parse_frames(body, strict)?;
    let actions: Vec<Action> = actions_of(&row)
        .into_iter()
        .filter_map(Action::parse)
        .collect();
    if st.now() > row.expires_at {
        let result = json!({"passed": false, "reasons": [Reason::ChallengeExpired]});
        return finish(st, t, row, result, None).await;
    }
    let (keys, tenant_id, now) = (st.keys.clone(), t.id.clone(), st.now());
    let keep_until = Some(keep_until);
    let out = st
        .faces
        .run(&t.id, "frames", move |models| {
            let r = models.verify_liveness(&frames, &actions, &FrameRules::default())?;
            let selfie = match (&r.selfie, r.passed) {
                (Some((i, a)), true) => {
                    let bytes = &frames[*i].bytes;
                    let img = intake::load(bytes, IntakeLimits::default())?;
                    let meta = FaceImageMeta {
                        image_key: uuid::Uuid::new_v4().to_string(),
                        tenant_id,
                        format: format!("{:?}", img.format).to_ascii_lowercase(),
                        byte_size: bytes.len() as i64,
                        width: i64::from(img.width),
                        height: i64::from(img.height),
                        created_at: now,
                        expires_at: keep_until,
                    };
                    Some((seal(&keys, meta, bytes, &a.embedding), a.embedding.clone()))
                }
                _ => None,
            };
            Ok((r, selfie))
        })
        .await?;
    let (r, selfie) = out;
    let result = json!({
        "passed": r.passed,
        "reasons": r.reasons,
        "actions": actions_of(&row),
        "seen": r.seen,
        "turns": r.turns,
        "frames_used": r.frames_used,
        "identity_distance": r.identity_distance,
        "selfie_quality": r.selfie_error,
        "image_key": selfie.as_ref().map(|s| s.0.meta.image_key.clone()),
        "elapsed_ms": r.elapsed_ms,
    });
    finish(st, t, row, result, selfie).await
}

/// Stores the outcome (once) and, for a pass, the selfie.
async fn finish(
    st: &AppState,
    t: &Tenant,
    mut row: ChallengeRow,
    result: Value,
    selfie: Option<(idgate_store::NewFaceImage, Embedding)>,
) -> Result<Verified, ApiError> {
    let passed = result["passed"].as_bool().unwrap_or(false);
    let status = if passed { "passed" } else { "failed" };
    let image_key = selfie.as_ref().map(|s| s.0.meta.image_key.clone());
    let text = result.to_string();
    let now = st.now();
    st.store
        .finish_challenge(&t.id, &row.id, status, now, image_key.as_deref(), &text)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::new(
                Code::Conflict,
                "this challenge was already verified; start a new one",
            ),
            other => other.into(),
        })?;
    let mut embedding = None;
    if let Some((img, e)) = selfie {
        st.store.insert_face_image(&img).await?;
        embedding = Some(e);
    }
    row.status = status.into();
    row.verified_at = Some(now);
    row.image_key = image_key;
    row.result = Some(text);
    let reasons = serde_json::from_value(result["reasons"].clone()).unwrap_or_default();
    Ok(Verified {
        row,
        passed,
        reasons,
        result,
        embedding,
    })
}

async fn load(
    st: &AppState,
    t: &Tenant,
    id: &str,
    session_id: Option<&str>,
) -> Result<ChallengeRow, ApiError> {
    let not_found = || ApiError::not_found("liveness challenge");
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found());
    }
    let row = st.store.challenge(&t.id, id).await.map_err(|e| match e {
        StoreError::NotFound => not_found(),
        other => other.into(),
    })?;
    if session_id.is_some() && row.session_id.as_deref() != session_id {
        return Err(not_found());
    }
    Ok(row)
}

/// A challenge already verified for a session (the face step may name one).
pub async fn verified_for_session(
    st: &AppState,
    t: &Tenant,
    id: &str,
    session_id: &str,
) -> Result<ChallengeRow, ApiError> {
    load(st, t, id, Some(session_id)).await
}

/// `{frames: [{image, t_ms}, ...]}`: 1 to [`FrameRules::max_frames`] frames, each a base64
/// image of at most [`FRAME_MAX_BYTES`] and a non-negative integer time. Every violation is
/// reported at once; nothing is decoded into pixels here.
pub fn parse_frames(body: &Value, strict: bool) -> Result<Vec<LivenessFrame>, ApiError> {
    let f = Fields::new(body, &["frames", "challenge_id"], strict)?;
    f.finish()?;
    let max = FrameRules::default().max_frames;
    let Some(list) = body.get("frames").and_then(Value::as_array) else {
        return Err(field_error(
            "frames",
            "required",
            "an array of frames is required",
        ));
    };
    if list.is_empty() || list.len() > max {
        return Err(field_error(
            "frames",
            "invalid_value",
            &format!("{} frames; 1 to {max} are accepted", list.len()),
        ));
    }
    let mut errs = Vec::new();
    let mut frames = Vec::with_capacity(list.len());
    for (i, fr) in list.iter().enumerate() {
        let image = fr.get("image").and_then(Value::as_str);
        let t_ms = fr.get("t_ms").and_then(Value::as_u64);
        if t_ms.is_none() {
            errs.push(FieldError::new(
                format!("frames[{i}].t_ms"),
                "invalid_value",
                "must be a non-negative integer (ms since the first frame)",
            ));
        }
        let bytes = match image.map(|s| intake::decode_base64(s, FRAME_MAX_BYTES)) {
            None => {
                errs.push(FieldError::new(
                    format!("frames[{i}].image"),
                    "required",
                    "must be a base64 JPEG, PNG or WebP",
                ));
                continue;
            }
            Some(Err(e)) => {
                errs.push(FieldError::new(
                    format!("frames[{i}].image"),
                    e.code(),
                    e.to_string(),
                ));
                continue;
            }
            Some(Ok(b)) => b,
        };
        frames.push(LivenessFrame {
            bytes,
            t_ms: t_ms.unwrap_or(0),
        });
    }
    invalid(errs)?;
    Ok(frames)
}

pub(crate) fn field_error(field: &str, code: &'static str, message: &str) -> ApiError {
    ApiError::invalid_field(field, code, message)
}
