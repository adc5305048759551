//! The process's one inference pool (faces and OCR share its workers; see
//! [`idgate_vision::pool`]): its settings, its start, and the one mapping of a `VisionError` to
//! an API error (4xx for what the caller sent, 503 + `Retry-After` for busy or missing models).

use std::sync::Arc;

use idgate_core::{Code, FieldError};
use idgate_vision::pool::{InferencePool, ModelDirs, ModelStatus, PoolConfig};
use idgate_vision::VisionError;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::http::error::ApiError;

/// Seconds a client should wait after `busy`.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;
/// Seconds a client should wait after `model_unavailable`.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 60;

/// `[inference]`: the worker threads faces and OCR share, and how many jobs may wait.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InferenceConfig {
    /// Worker threads; 0 means one per core. Each holds its own face models (~40 MB) and OCR
    /// models (~60 MB), each loaded at start (`faces.preload`, `documents.preload`) or on first use.
    pub workers: usize,
    /// Jobs one tenant may have waiting beyond those running; 0 means 2 per worker. Beyond it:
    /// 503 `busy` + Retry-After for that tenant only. Tenants' queues are served round-robin.
    pub queue_per_tenant: usize,
    /// Jobs all tenants together may have waiting; 0 means 16 per worker.
    pub queue_total: usize,
}

impl InferenceConfig {
    pub fn workers(&self) -> usize {
        crate::config::pool_workers(self.workers)
    }
}

/// Starts the pool (preloaded models load in the background).
pub fn start(cfg: &Config) -> Result<Arc<InferencePool>, String> {
    let inf = &cfg.inference;
    let workers = inf.workers();
    let per_tenant = crate::config::pool_queue(inf.queue_per_tenant, workers);
    let total = match inf.queue_total {
        0 => workers * 16,
        n => n,
    };
    InferencePool::start(PoolConfig {
        workers,
        queue_per_tenant: per_tenant,
        queue_total: total.max(per_tenant),
        models: ModelDirs {
            faces: cfg.faces.faces_dir(),
            ocr: cfg.documents.models_dir(),
            preload_faces: cfg.faces.preload,
            preload_ocr: cfg.documents.preload,
        },
    })
    .map(Arc::new)
    .map_err(|e| e.to_string())
}

/// `ready`, `loading`, `unavailable`, or `idle` (not preloaded, not used yet).
pub fn status_name(s: &ModelStatus) -> &'static str {
    match s {
        ModelStatus::Ready => "ready",
        ModelStatus::Loading => "loading",
        ModelStatus::Idle => "idle",
        ModelStatus::Unavailable(_) => "unavailable",
    }
}

/// A vision error as an API error. With `field`, a caller's error names the request field in
/// its message and `details`. Causes of 5xx stay in the log.
pub fn vision_error(e: VisionError, field: Option<&str>) -> ApiError {
    let code = match &e {
        VisionError::InvalidBase64(_) => Code::InvalidBase64,
        VisionError::UnsupportedFormat(_) => Code::UnsupportedImageFormat,
        VisionError::ImageTooLarge { .. } => Code::ImageTooLarge,
        VisionError::TooManyPixels { .. } => Code::ImageTooManyPixels,
        VisionError::CorruptImage(_) => Code::CorruptImage,
        VisionError::NoFace => Code::NoFace,
        VisionError::MultipleFaces(_) => Code::MultipleFaces,
        VisionError::FaceTooSmall(_) => Code::FaceTooSmall,
        VisionError::TooBlurry => Code::TooBlurry,
        VisionError::TooDark => Code::TooDark,
        VisionError::TooBright => Code::TooBright,
        VisionError::InvalidFrames(_) => Code::InvalidFrames,
        VisionError::InvalidDocument(_) => Code::InvalidDocument,
        VisionError::NoText => Code::NoText,
        VisionError::NoMrz => Code::NoMrz,
        VisionError::InvalidPdf(_) => Code::InvalidPdf,
        VisionError::PdfTooLarge { .. } => Code::PdfTooLarge,
        VisionError::PdfTooManyPages { .. } => Code::PdfTooManyPages,
        VisionError::PdfTooManyObjects { .. } => Code::PdfTooManyObjects,
        VisionError::PdfStreamTooLarge { .. } => Code::PdfStreamTooLarge,
        VisionError::PdfEncrypted => Code::PdfEncrypted,
        VisionError::Busy => {
            let mut a = ApiError::new(Code::Busy, e.to_string());
            a.retry_after = Some(BUSY_RETRY_AFTER_SECS);
            return a;
        }
        VisionError::ModelUnavailable(m) => {
            tracing::error!(error = %m, "model unavailable");
            let mut a = ApiError::new(
                Code::ModelUnavailable,
                "the recognition models are not installed on this server (run scripts/setup.sh)",
            );
            a.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
            return a;
        }
        VisionError::Internal(_) => {
            tracing::error!(error = %e, "inference failure");
            return ApiError::internal();
        }
    };
    let message = e.to_string();
    let Some(field) = field else {
        return ApiError::new(code, message);
    };
    let mut a = ApiError::new(code, format!("{field}: {message}"));
    a.details
        .push(FieldError::new(field, code.as_str(), message));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_503_with_retry_after_and_caller_errors_are_4xx() {
        let busy = vision_error(VisionError::Busy, Some("image"));
        assert_eq!(busy.code, Code::Busy);
        assert_eq!(busy.code.status(), 503);
        assert_eq!(busy.retry_after, Some(BUSY_RETRY_AFTER_SECS));
        let gone = vision_error(VisionError::ModelUnavailable("x".into()), None);
        assert_eq!((gone.code.status(), gone.retry_after), (503, Some(60)));
        let blurry = vision_error(VisionError::TooBlurry, Some("image"));
        assert_eq!((blurry.code.status(), blurry.details.len()), (400, 1));
        let no_mrz = vision_error(VisionError::NoMrz, None);
        assert!(no_mrz.code.status() / 100 == 4 && no_mrz.details.is_empty());
    }
}
