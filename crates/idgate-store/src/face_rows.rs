//! Row types of the face tables (migration 3). Sealed columns hold AES-256-GCM output made by
//! the server; the store never sees plaintext images or templates. Times are unix milliseconds.

/// What is known about a stored image without its sealed bytes.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FaceImageMeta {
    pub image_key: String,
    pub tenant_id: String,
    /// `jpeg`, `png` or `webp` (sniffed from the bytes).
    pub format: String,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    pub created_at: i64,
    /// `None` while a registration keeps the image.
    pub expires_at: Option<i64>,
}

/// A new image: its metadata, the sealed file and the sealed face template computed at upload.
#[derive(Debug, Clone)]
pub struct NewFaceImage {
    pub meta: FaceImageMeta,
    pub sealed_image: Vec<u8>,
    pub sealed_template: Vec<u8>,
}

/// A face registration (1:1 enrolment of a CPF). `sealed_template` is `None` once erased.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FaceRegistrationRow {
    pub registration_key: String,
    pub tenant_id: String,
    /// The CPF's 11 digits.
    pub document_number: String,
    pub sealed_template: Option<Vec<u8>>,
    pub image_key: String,
    pub status: String,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
}

/// One 1:1 validation of an image against a registration.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FaceValidationRow {
    pub validation_key: String,
    pub tenant_id: String,
    pub registration_key: String,
    pub document_number: String,
    pub distance: f64,
    pub similarity: f64,
    /// `pass` or `fail`.
    pub result: String,
    pub match_level: i64,
    pub image_key: String,
    pub created_at: i64,
}

/// An audited action that is not a session event (e.g. `face_registration.erased`). `detail` is
/// JSON without biometric data or full CPFs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEventRow {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub created_at: i64,
}

/// Rows a tenant holds in the face tables (tests and the console).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaceCounts {
    pub images: i64,
    pub registrations: i64,
    pub validations: i64,
}
