//! Documents: OCR, MRZ (ICAO 9303), Brazilian document fields and the CNH digital PDF.

pub mod brazil;
pub mod mrz;
pub mod ocr;
pub mod pdf;

pub use mrz::{parse_mrz, read_mrz, Mrz, MrzRead};
pub use ocr::{default_models_dir, read_text, OcrEngine, TextLine};
