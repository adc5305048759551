//! Settings of document reading: where the OCR models are (the workers are `[inference]`), the upload
//! and PDF limits, and the trusted roots for CNH digital signatures (ICP-Brasil is configuration).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentsConfig {
    /// Directory holding `ocr/` and `onnxruntime/` (from `scripts/setup.sh`). Empty: the
    /// `IDGATE_MODELS_DIR` environment variable, else `./models` of the work tree.
    pub models_dir: PathBuf,
    /// Load the models at start (so `/readyz` says when OCR is ready); otherwise on first use.
    pub preload: bool,
    /// Largest uploaded document after base64 decoding, in bytes.
    pub max_document_bytes: usize,
    /// Largest PDF page count accepted (a CNH digital has one page).
    pub max_pdf_pages: usize,
    /// PEM file of the root certificates a CNH digital signature chain must reach to be
    /// `trusted`. Empty: no roots (signatures are still verified, `trusted` is false).
    pub trust_roots_file: PathBuf,
    /// Similarity ratio above which a document portrait and a selfie are a `match` (QI: 95%).
    pub face_match_threshold: f32,
    /// How long a read made through `/ocr/image` or `/v1/documents/read` is kept, in seconds
    /// (then it answers 410 `gone` and the sweeper deletes it). A session's reads follow the
    /// tenant's retention instead.
    pub read_ttl_secs: u64,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        Self {
            models_dir: PathBuf::new(),
            preload: true,
            max_document_bytes: 10 * 1024 * 1024,
            max_pdf_pages: 4,
            trust_roots_file: PathBuf::new(),
            face_match_threshold: 0.95,
            read_ttl_secs: 86_400,
        }
    }
}

impl DocumentsConfig {
    pub fn models_dir(&self) -> PathBuf {
        if self.models_dir.as_os_str().is_empty() {
            idgate_vision::document::ocr::default_models_dir()
        } else {
            self.models_dir.clone()
        }
    }
}
