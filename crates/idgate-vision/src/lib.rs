//! idgate-vision: faces (detect, landmarks, embed, compare, quality) and documents (OCR, MRZ,
//! Brazilian documents, PDF). Pure computation on bytes and pixels: no HTTP, no SQL, no async.

pub mod document;
pub mod error;
pub mod face;
pub mod intake;
pub mod pool;

pub use error::VisionError;
