//! Documents: OCR, MRZ (ICAO 9303), Brazilian document fields and the CNH digital PDF.
