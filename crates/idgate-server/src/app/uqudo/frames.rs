//! The frames a desktop page receives on `/ws/v1/session`, derived from the verification
//! session as stored (so a socket that connects late, or on another node, sees the same list):
//! one `SCAN` per document side captured (`{service, documentType, side}`), `FACE` once the
//! face step passed its liveness proof and the portrait match ran (`{service, match,
//! matchLevel}`), and `INFO` with `sessionId` once the session is decided. A socket sends the
//! frames it has not sent yet, in this order.

use idgate_core::session::Status;
use idgate_core::uqudo::DocType;
use idgate_vision::face::similarity::{distance_for_similarity, match_level};
use serde_json::{json, Value};

use crate::app::render::SessionView;

/// How a session stands for its socket.
pub enum Standing {
    /// Still running: these frames so far.
    Open(Vec<Value>),
    /// Decided: every frame, `INFO` last.
    Finished(Vec<Value>),
    /// Expired or canceled: no more frames will come.
    Ended(Status),
}

/// The 1–5 level and match of the session's portrait match, `None` before one ran.
pub fn face_of(v: &SessionView, min_level: u8) -> Option<(bool, u8)> {
    let decision: Value = serde_json::from_str(v.row.decision.as_deref()?).ok()?;
    let fm = &decision["evidence"]["face_match"];
    let level = match fm["result"].as_str()? {
        "match" | "unmatch" => {
            let sim = fm["similarity_ratio"].as_f64()? as f32;
            match_level(distance_for_similarity(sim))
        }
        _ => 0,
    };
    Some((level >= min_level && level > 0, level))
}

pub fn standing(v: &SessionView, min_level: u8) -> Standing {
    let data: Value = serde_json::from_str(&v.row.step_data).unwrap_or_default();
    let mut frames = Vec::new();
    let doc = &data["personal_document"];
    let doc_type = doc["document_template"]
        .as_str()
        .and_then(DocType::of_template)
        .map(DocType::as_str);
    if let Some(keys) = doc["ocr_keys"].as_array() {
        for (i, _) in keys.iter().enumerate() {
            let side = if i == 0 { "front" } else { "back" };
            frames.push(json!({"service": "SCAN", "documentType": doc_type, "side": side}));
        }
    }
    let liveness = data["face_recognition"]["liveness"]["passed"].as_bool() == Some(true);
    if liveness {
        if let Some((matched, level)) = face_of(v, min_level) {
            frames.push(json!({"service": "FACE", "match": matched, "matchLevel": level}));
        }
    }
    match v.status {
        Status::Approved | Status::Rejected | Status::InManualAnalysis => {
            frames.push(
                json!({"service": "INFO", "sessionId": v.row.id, "status": v.status.as_str()}),
            );
            Standing::Finished(frames)
        }
        Status::Expired | Status::Canceled => Standing::Ended(v.status),
        _ => Standing::Open(frames),
    }
}
