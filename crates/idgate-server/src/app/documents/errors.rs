//! Vision errors as API errors: each `VisionError` code maps to one code of the core table
//! (4xx for what the caller sent, 503 for busy or missing models). Causes stay in the log.

use idgate_core::Code;
use idgate_vision::VisionError;

use crate::http::error::ApiError;

/// Seconds a client should wait after `busy`.
pub const RETRY_AFTER_SECS: u64 = 2;

pub fn vision_error(e: VisionError) -> ApiError {
    let code = match &e {
        VisionError::InvalidBase64(_) => Code::InvalidBase64,
        VisionError::InvalidFrames(_) => Code::InvalidFrames,
        VisionError::UnsupportedFormat(_) => Code::UnsupportedImageFormat,
        VisionError::ImageTooLarge { .. } => Code::ImageTooLarge,
        VisionError::TooManyPixels { .. } => Code::ImageTooManyPixels,
        VisionError::CorruptImage(_) => Code::CorruptImage,
        VisionError::NoFace => Code::NoFace,
        VisionError::ModelUnavailable(m) => {
            tracing::error!(error = %m, "model unavailable");
            let mut a = ApiError::new(
                Code::ModelUnavailable,
                "the recognition models are not installed on this server (run scripts/setup.sh)",
            );
            a.retry_after = Some(60);
            return a;
        }
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
            let mut a = ApiError::new(Code::Busy, "every OCR worker is busy; retry shortly");
            a.retry_after = Some(RETRY_AFTER_SECS);
            return a;
        }
        // Selfie quality errors do not arise on documents; anything else is ours.
        VisionError::MultipleFaces(_)
        | VisionError::FaceTooSmall(_)
        | VisionError::TooBlurry
        | VisionError::TooDark
        | VisionError::TooBright
        | VisionError::Internal(_) => {
            tracing::error!(error = %e, "vision failure");
            return ApiError::internal();
        }
    };
    ApiError::new(code, e.to_string())
}
