//! Document-reading use cases shared by the QI facade (`/ocr/...`) and `/v1/documents`: read a
//! document (decode, OCR/MRZ/PDF on the OCR pool, validate, store sealed), fetch a stored read,
//! and match the document portrait with an uploaded selfie (see [`face_match`]). Refused input
//! stores nothing. Document data is sealed at rest and never logged.

pub mod config;
pub mod evidence;
pub mod face_match;
mod read;
mod report;
pub mod template;

use std::sync::Arc;

use idgate_core::session::decision::DocumentEvidence;
use idgate_core::FieldError;
use idgate_store::{DocumentRow, StoreError};
use idgate_vision::document::pdf::{PdfLimits, TrustRoots};
use idgate_vision::intake::{self, IntakeLimits};
use serde_json::Value;

use self::config::DocumentsConfig;
use self::evidence::StoredEvidence;
use self::read::ReadInput;
use self::template::{FileType, Template};
use super::render::fmt_time;
use super::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

use idgate_vision::pool::InferencePool;
use idgate_vision::VisionError;

/// A vision error of a document read (no request field to name).
pub(crate) fn vision_error(e: VisionError) -> ApiError {
    crate::app::inference::vision_error(e, None)
}

/// The document engine as the server holds it: the shared inference pool and the signature
/// trust roots.
pub struct DocRuntime {
    pub pool: Arc<InferencePool>,
    pub roots: Arc<TrustRoots>,
    pub cfg: DocumentsConfig,
}

impl DocRuntime {
    /// Reads documents on `pool`. A missing model directory does not fail the start: `/readyz`
    /// and the document routes report it. An unreadable trust-roots file does, since it is
    /// explicit configuration.
    pub fn start(cfg: &DocumentsConfig, pool: Arc<InferencePool>) -> Result<Self, String> {
        let roots = if cfg.trust_roots_file.as_os_str().is_empty() {
            TrustRoots::none()
        } else {
            let pem = std::fs::read(&cfg.trust_roots_file)
                .map_err(|e| format!("{}: {e}", cfg.trust_roots_file.display()))?;
            TrustRoots::from_pem(&pem)
                .map_err(|e| format!("{}: {e}", cfg.trust_roots_file.display()))?
        };
        Ok(Self {
            pool,
            roots: Arc::new(roots),
            cfg: cfg.clone(),
        })
    }

    /// `ready`, `loading`, `unavailable`, or `idle` (`preload` off, nothing read yet).
    pub fn status(&self) -> &'static str {
        crate::app::inference::status_name(&self.pool.ocr_status())
    }
}

/// A validated read request.
pub struct ReadRequest {
    pub document_b64: String,
    pub template: Template,
    pub file_type: FileType,
}

/// Parses `{document_b64, template, file_type}`, reporting every violation at once. `strict`
/// (the `/v1` family) refuses unknown fields.
pub fn parse_read(body: &Value, strict: bool) -> Result<ReadRequest, ApiError> {
    let mut errs = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(invalid(vec![FieldError::new(
            "",
            "invalid_type",
            "the body must be a JSON object",
        )]));
    };
    if strict {
        for k in obj.keys() {
            if !["document_b64", "template", "file_type"].contains(&k.as_str()) {
                errs.push(FieldError::new(k, "unknown_field", "is not a known field"));
            }
        }
    }
    let text = |k: &str, errs: &mut Vec<FieldError>| match obj.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        None | Some(Value::Null) => {
            errs.push(FieldError::new(k, "required", "is required"));
            None
        }
        _ => {
            errs.push(FieldError::new(
                k,
                "invalid_type",
                "must be a non-empty string",
            ));
            None
        }
    };
    let document_b64 = text("document_b64", &mut errs);
    let template = text("template", &mut errs).and_then(|s| {
        let t = Template::parse(&s);
        if t.is_none() {
            let names: Vec<&str> = template::ALL.iter().map(|(n, _)| *n).collect();
            errs.push(FieldError::new(
                "template",
                "invalid_value",
                format!("must be one of {}", names.join(", ")),
            ));
        }
        t
    });
    let file_type = text("file_type", &mut errs).and_then(|s| {
        let f = FileType::parse(&s);
        if f.is_none() {
            errs.push(FieldError::new(
                "file_type",
                "invalid_value",
                "must be jpeg or pdf",
            ));
        }
        f
    });
    match (document_b64, template, file_type) {
        (Some(document_b64), Some(template), Some(file_type)) if errs.is_empty() => {
            Ok(ReadRequest {
                document_b64,
                template,
                file_type,
            })
        }
        _ => Err(invalid(errs)),
    }
}

fn invalid(details: Vec<FieldError>) -> ApiError {
    ApiError::invalid_fields(details)
}

/// A stored read, opened.
pub struct DocumentView {
    pub row: DocumentRow,
    /// The rendered report (what the document routes answer).
    pub result: Value,
    /// What the decision consumes, with its `ocr_key` (`None` for a read stored before
    /// evidence was stored with it).
    pub evidence: Option<DocumentEvidence>,
    pub created_at: String,
}

impl DocumentView {
    /// The result object with its key and creation time.
    pub fn json(&self) -> Value {
        let mut v = self.result.clone();
        v["ocr_key"] = Value::String(self.row.ocr_key.clone());
        v["file_type"] = Value::String(self.row.file_type.clone());
        v["created_at"] = Value::String(self.created_at.clone());
        v
    }
}

/// The key of the typed evidence in a sealed result (taken out when the result is opened).
const EVIDENCE: &str = "evidence";

fn aad(tenant: &str, key: &str, what: &str) -> Vec<u8> {
    format!("document:{what}:{tenant}:{key}").into_bytes()
}

/// Reads a document and stores it (sealed) with its result. Nothing is stored on any error.
pub async fn read_document(
    st: &AppState,
    t: &Tenant,
    req: ReadRequest,
) -> Result<DocumentView, ApiError> {
    let read = read_sealed(st, t, req).await?;
    store_read(st, read).await
}

/// Reads a document on the OCR pool and seals the file and its result, storing nothing yet
/// (so that a request with several documents stores none when one fails).
pub async fn read_sealed(
    st: &AppState,
    t: &Tenant,
    req: ReadRequest,
) -> Result<DocumentView, ApiError> {
    let docs = &st.documents;
    let max = docs.cfg.max_document_bytes;
    let input = ReadInput {
        template: req.template,
        file_type: req.file_type,
        bytes: Arc::new(Vec::new()),
        roots: docs.roots.clone(),
        pdf_limits: PdfLimits {
            max_bytes: max,
            max_pages: docs.cfg.max_pdf_pages,
            ..PdfLimits::default()
        },
        intake_limits: IntakeLimits {
            max_bytes: max,
            ..IntakeLimits::default()
        },
    };
    let now = st.now();
    let today = fmt_time(now, time::UtcOffset::UTC)
        .get(..10)
        .unwrap_or("")
        .to_owned();
    let ocr_key = uuid::Uuid::new_v4().to_string();
    let (tenant_id, key, keys) = (t.id.clone(), ocr_key.clone(), st.clone());
    let b64 = req.document_b64;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = move |engines: &mut idgate_vision::pool::Engines| -> Result<(Vec<u8>, Vec<u8>, Value, DocumentEvidence), ApiError> {
                let bytes = intake::decode_base64(&b64, max).map_err(vision_error)?;
                let input = ReadInput {
                    bytes: Arc::new(bytes),
                    ..input
                };
                let read = read::run(engines, &input)?;
                let evidence = DocumentEvidence {
                    ocr_key: key.clone(),
                    ..evidence::of_read(&read, &today)
                };
                let result = report::render(&read, &evidence);
                let mut stored = result.clone();
                stored[EVIDENCE] = serde_json::to_value(StoredEvidence::new(evidence.clone()))
                    .map_err(|_| ApiError::internal())?;
                let mut rng = rand::rngs::OsRng;
                let file = keys
                    .keys
                    .seal(&input.bytes, &aad(&tenant_id, &key, "file"), &mut rng);
                let res = keys.keys.seal(
                    stored.to_string().as_bytes(),
                    &aad(&tenant_id, &key, "result"),
                    &mut rng,
                );
                Ok((file, res, result, evidence))
            };
    docs.pool
        .try_submit(&t.id, job, move |r| {
            let _ = tx.send(r);
        })
        .map_err(vision_error)?;
    let sealed = rx.await.map_err(|_| {
        tracing::error!("a document job ended without an answer (panic)");
        ApiError::internal()
    })??;
    let (file_sealed, result_sealed, result, evidence) = sealed;
    let row = DocumentRow {
        ocr_key,
        tenant_id: t.id.clone(),
        template: req.template.as_str().into(),
        file_type: req.file_type.as_str().into(),
        status: result["status"].as_str().unwrap_or("processed").into(),
        file_sealed,
        result_sealed,
        created_at: now,
        session_id: None,
        expires_at: Some(now.saturating_add(read_ttl_ms(st))),
    };
    Ok(DocumentView {
        created_at: fmt_time(now, t.offset),
        row,
        result,
        evidence: Some(evidence),
    })
}

/// How long a read made on its own is kept (`documents.read_ttl_secs`).
fn read_ttl_ms(st: &AppState) -> i64 {
    i64::try_from(st.documents.cfg.read_ttl_secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000)
}

impl DocumentView {
    /// The read as one of session `session_id`'s steps keeps it: it does not expire by itself;
    /// the tenant's retention (and redaction) of the session deletes it.
    pub fn for_session(mut self, session_id: &str) -> Self {
        self.row.session_id = Some(session_id.to_owned());
        self.row.expires_at = None;
        self
    }
}

/// Stores a read from [`read_sealed`].
pub async fn store_read(st: &AppState, read: DocumentView) -> Result<DocumentView, ApiError> {
    st.store.insert_document(&read.row).await?;
    Ok(read)
}

/// A stored read of this tenant; another tenant's key is `not_found`.
pub async fn get_document(st: &AppState, t: &Tenant, key: &str) -> Result<DocumentView, ApiError> {
    let row = stored(st, t, key).await?;
    let plain = st
        .keys
        .open(&row.result_sealed, &aad(&t.id, key, "result"))
        .map_err(|e| {
            tracing::error!(error = %e, "document result cannot be opened");
            ApiError::internal()
        })?;
    let mut result: Value = serde_json::from_slice(&plain).map_err(|_| ApiError::internal())?;
    let evidence = match result.as_object_mut().and_then(|o| o.remove(EVIDENCE)) {
        Some(v) => Some(
            serde_json::from_value::<StoredEvidence>(v)
                .map_err(|e| {
                    tracing::error!(error = %e, "stored document evidence does not parse");
                    ApiError::internal()
                })?
                .into_evidence(),
        ),
        None => None,
    };
    Ok(DocumentView {
        created_at: fmt_time(row.created_at, t.offset),
        row,
        result,
        evidence,
    })
}

pub(crate) async fn stored(st: &AppState, t: &Tenant, key: &str) -> Result<DocumentRow, ApiError> {
    if uuid::Uuid::parse_str(key).is_err() {
        return Err(ApiError::not_found("document"));
    }
    let row = st.store.document(&t.id, key).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("document"),
        other => other.into(),
    })?;
    match row.expires_at {
        // expiry is enforced on read; the sweeper deletes the row later (then: 404)
        Some(at) if at <= st.now() => Err(ApiError::new(
            idgate_core::Code::Gone,
            format!(
                "this document read expired at {}: reads made on their own are kept {} hours",
                fmt_time(at, t.offset),
                st.documents.cfg.read_ttl_secs / 3600
            ),
        )),
        _ => Ok(row),
    }
}

/// The uploaded file of a stored read, opened (for the face match).
pub(crate) fn open_file(st: &AppState, row: &DocumentRow) -> Result<Vec<u8>, ApiError> {
    st.keys
        .open(&row.file_sealed, &aad(&row.tenant_id, &row.ocr_key, "file"))
        .map_err(|e| {
            tracing::error!(error = %e, "document file cannot be opened");
            ApiError::internal()
        })
}

/// `DELETE /v1/documents/{id}`: the read, its sealed file and result and its face matches are
/// deleted, with an audit row (`document.deleted`). `404` for an unknown key, `409` while a
/// session that is not final yet uses it.
pub async fn delete_document(st: &AppState, t: &Tenant, key: &str) -> Result<(), ApiError> {
    let audit = idgate_store::AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        kind: "document.deleted".into(),
        subject: key.to_owned(),
        detail: "{}".into(),
        created_at: st.now(),
    };
    st.store
        .delete_document(&t.id, key, &audit)
        .await
        .map_err(|e| match e {
            idgate_store::StoreError::NotFound => ApiError::not_found("document"),
            idgate_store::StoreError::Conflict(m) => ApiError::new(idgate_core::Code::Conflict, m),
            other => other.into(),
        })
}
