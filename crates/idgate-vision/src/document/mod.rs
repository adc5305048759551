//! Documents: OCR, MRZ (ICAO 9303), Brazilian document fields and the CNH digital PDF.

pub mod brazil;
pub mod mrz;
pub mod ocr;
pub mod pdf;
