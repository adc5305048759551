//! The end of a session: gathers the evidence its steps left (each document read's typed
//! evidence, the document portrait matched with the selfie), asks the core decision policy, and
//! stores the outcome with the final status in one update. The stored decision names its
//! reasons and evidence keys, never the document's data.

use idgate_core::session::decision::{self, DocumentEvidence, Evidence, FaceEvidence};
use idgate_core::session::{EventType, Status};
use idgate_core::Code;
use serde_json::{json, Value};

use crate::app::documents::{self as docs, face_match};
use crate::app::render::{fmt_time, SessionView};
use crate::app::sessions::save;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Decides a session in `processing` and moves it to its final status.
pub(super) async fn finish(
    st: &AppState,
    t: &Tenant,
    v: SessionView,
) -> Result<SessionView, ApiError> {
    let data: Value = serde_json::from_str(&v.row.step_data).unwrap_or_default();
    let ocr_keys: Vec<String> = data["personal_document"]["ocr_keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut documents = Vec::with_capacity(ocr_keys.len());
    for key in &ocr_keys {
        let read = docs::get_document(st, t, key).await?;
        documents.push(
            read.evidence
                .unwrap_or_else(|| unread(key, &read.row.template)),
        );
    }
    let face = match data["face_recognition"]["image_key"].as_str() {
        Some(image_key) if !ocr_keys.is_empty() => Some(face(st, t, &ocr_keys, image_key).await?),
        _ => None,
    };
    let evidence = Evidence {
        session_cpf: v.row.document_number.clone(),
        documents,
        face,
        device_risks: super::device::risks(&data),
        liveness: data["face_recognition"]["liveness"]["passed"].as_bool(),
    };
    let policy = t.policy;
    let d = decision::decide(&policy, &evidence);
    let stored = json!({
        "status": d.status.as_str(),
        "reasons": d.reasons,
        "policy": policy,
        "evidence": {
            "documents": evidence.documents,
            "cpf_matches_session": evidence.cpf_matches_session(),
            "face_match": evidence.face,
            "liveness": evidence.liveness,
            "face_validation": data["face_recognition"]["face_validation"],
        },
        "decided_at": fmt_time(st.now(), t.offset),
    });
    let mut row = v.row.clone();
    row.status = d.status.as_str().into();
    row.decision = Some(stored.to_string());
    Status::Processing.transition(d.status)?;
    let change = (EventType::Completed, Some(Status::Processing), None);
    save(st, t, &v, row, &[change]).await
}

/// A read stored without typed evidence (before it was kept): every check unread, so the
/// session cannot be approved on it.
fn unread(key: &str, template: &str) -> DocumentEvidence {
    tracing::warn!("a document read without stored evidence counts as unread");
    DocumentEvidence {
        ocr_key: key.to_owned(),
        template: template.to_owned(),
        validated: template != "others",
        ..DocumentEvidence::default()
    }
}

/// The document portrait against the selfie: the first side with a face decides. A busy pool
/// is no evidence: it is returned as an error, so the session stays `processing` and is decided
/// later (by the sweeper), never `face_match_failed` for a moment's load.
async fn face(
    st: &AppState,
    t: &Tenant,
    ocr_keys: &[String],
    image_key: &str,
) -> Result<FaceEvidence, ApiError> {
    for key in ocr_keys {
        match face_match::face_match(st, t, key, image_key).await {
            Ok(m) => {
                let (face_match_key, similarity_ratio) =
                    (m.row.face_match_key.clone(), m.row.similarity);
                return Ok(if m.matched {
                    FaceEvidence::Match {
                        face_match_key,
                        similarity_ratio,
                    }
                } else {
                    FaceEvidence::Unmatch {
                        face_match_key,
                        similarity_ratio,
                    }
                });
            }
            Err(e) if e.code == Code::NoFace => continue,
            Err(e) if e.code == Code::Busy => return Err(e),
            Err(e) => {
                tracing::warn!(code = e.code.as_str(), "session face match failed");
                return Ok(FaceEvidence::Failed {
                    code: e.code.as_str().to_owned(),
                });
            }
        }
    }
    Ok(FaceEvidence::NoFaceOnDocument)
}
