//! The vision crate's one error type; each variant has a stable snake_case code.

/// Everything that can go wrong while reading an image or a document.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("{0}")]
    InvalidBase64(String),
    #[error("unsupported image format: {0}")]
    UnsupportedFormat(String),
    #[error("image is {bytes} bytes; the limit is {limit}")]
    ImageTooLarge { bytes: usize, limit: usize },
    #[error("image is {width}x{height} pixels; the limit is {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("image could not be decoded: {0}")]
    CorruptImage(String),
    #[error("no face was found in the image")]
    NoFace,
    #[error("more than one face was found in the image ({0})")]
    MultipleFaces(usize),
    #[error("the face is too small: {0}")]
    FaceTooSmall(String),
    #[error("the image is too blurry")]
    TooBlurry,
    #[error("the image is too dark")]
    TooDark,
    #[error("the image is too bright")]
    TooBright,
    #[error("model not available: {0}")]
    ModelUnavailable(String),
    #[error("the document could not be read: {0}")]
    InvalidDocument(String),
    #[error("no text was found in the document")]
    NoText,
    #[error("no machine-readable zone (MRZ) was found in the document")]
    NoMrz,
    #[error("internal vision error: {0}")]
    Internal(String),
    #[error("the PDF could not be read: {0}")]
    InvalidPdf(String),
    #[error("the PDF is {bytes} bytes; the limit is {limit}")]
    PdfTooLarge { bytes: usize, limit: usize },
    #[error("the PDF has {pages} pages; the limit is {limit}")]
    PdfTooManyPages { pages: usize, limit: usize },
    #[error("the PDF has {objects} objects; the limit is {limit}")]
    PdfTooManyObjects { objects: usize, limit: usize },
    #[error("a PDF stream inflates past the {limit}-byte limit")]
    PdfStreamTooLarge { limit: usize },
    #[error("the PDF is encrypted")]
    PdfEncrypted,
    /// Liveness frames that cannot be judged as a sequence (mixed sizes, too many).
    #[error("invalid frames: {0}")]
    InvalidFrames(String),
    /// Every worker is busy and the caller's queue is full: retry shortly (503 + Retry-After).
    #[error("every inference worker is busy; retry shortly")]
    Busy,
}

impl VisionError {
    /// Stable snake_case code for the error table.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidBase64(_) => "invalid_base64",
            Self::UnsupportedFormat(_) => "unsupported_image_format",
            Self::ImageTooLarge { .. } => "image_too_large",
            Self::TooManyPixels { .. } => "image_too_many_pixels",
            Self::CorruptImage(_) => "corrupt_image",
            Self::NoFace => "no_face",
            Self::MultipleFaces(_) => "multiple_faces",
            Self::FaceTooSmall(_) => "face_too_small",
            Self::TooBlurry => "too_blurry",
            Self::TooDark => "too_dark",
            Self::TooBright => "too_bright",
            Self::ModelUnavailable(_) => "model_unavailable",
            Self::InvalidDocument(_) => "invalid_document",
            Self::NoText => "no_text",
            Self::NoMrz => "no_mrz",
            Self::Internal(_) => "internal_error",
            Self::InvalidPdf(_) => "invalid_pdf",
            Self::PdfTooLarge { .. } => "pdf_too_large",
            Self::PdfTooManyPages { .. } => "pdf_too_many_pages",
            Self::PdfTooManyObjects { .. } => "pdf_too_many_objects",
            Self::PdfStreamTooLarge { .. } => "pdf_stream_too_large",
            Self::PdfEncrypted => "pdf_encrypted",
            Self::InvalidFrames(_) => "invalid_frames",
            Self::Busy => "busy",
        }
    }
}
