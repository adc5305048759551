//! The uqudo door's session `data`: a base64 JSON object telling the phone what to capture
//! (`documents[]`, `facialRecognition`, `backgroundCheck`, `generalConfig`). Parsed into what
//! idgate's hosted flow does, reporting every violation at once; options idgate cannot honour
//! (NFC forced reading, background checks) are refused with their own codes. Pure.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use serde_json::{Map, Value};

use crate::error::{Code, FieldError};
use crate::session::DocumentTemplate;

/// Longest `data` string accepted (before decoding).
pub const MAX_DATA_LEN: usize = 16 * 1024;
/// Longest `nonce` (the vendor's SDK limit).
pub const MAX_NONCE_LEN: usize = 64;
/// Match levels (1 lowest .. 5 highest) and the vendor's default minimum.
pub const LEVELS: std::ops::RangeInclusive<i64> = 1..=5;
pub const DEFAULT_MIN_LEVEL: u8 = 3;

/// A `documentType` idgate reads: the vendor's `PASSPORT` and `ID` (an identity card with an
/// ICAO 9303 machine-readable zone), and idgate's own `BRA_RG` and `BRA_CNH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocType {
    Passport,
    Id,
    BraRg,
    BraCnh,
}

impl DocType {
    pub const ALL: [DocType; 4] = [Self::Passport, Self::Id, Self::BraRg, Self::BraCnh];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passport => "PASSPORT",
            Self::Id => "ID",
            Self::BraRg => "BRA_RG",
            Self::BraCnh => "BRA_CNH",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
    /// The hosted flow's templates that capture this document.
    pub fn templates(self) -> &'static [DocumentTemplate] {
        match self {
            Self::Passport => &[DocumentTemplate::Passport],
            Self::Id => &[DocumentTemplate::Crnm, DocumentTemplate::Rne],
            Self::BraRg => &[DocumentTemplate::Rg],
            Self::BraCnh => &[DocumentTemplate::Cnh, DocumentTemplate::CnhDigital],
        }
    }
    /// The document type a hosted-flow template was captured as.
    pub fn of_template(t: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.templates().iter().any(|x| x.as_str() == t))
    }
}

/// What a session's `data` asks for, every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionData {
    pub documents: Vec<DocType>,
    /// The face step (selfie with liveness, matched with the document portrait).
    pub face: bool,
    /// The lowest match level that counts as a match (`faceScanMinimumMatchLevel` of the
    /// first document, else `facialRecognition.scanMinimumMatchLevel`, else 3).
    pub min_level: u8,
    /// Liveness attempts the face step allows (`facialRecognition.maxAttempts`, 1–3); `None`:
    /// the tenant's policy.
    pub max_attempts: Option<u8>,
    pub nonce: Option<String>,
}

/// Why `data` was refused: field violations (422 `validation_failed`), or options that are
/// well-formed but not supported (422 with their own code), each listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    Invalid(Vec<FieldError>),
    Unsupported(Code, Vec<FieldError>),
}

/// Decodes and validates `data` (standard or URL-safe base64, padding optional).
pub fn parse_data(data: &str) -> Result<SessionData, DataError> {
    let invalid =
        |f: &str, c: &'static str, m: &str| DataError::Invalid(vec![FieldError::new(f, c, m)]);
    if data.len() > MAX_DATA_LEN {
        return Err(invalid("data", "too_long", "must be at most 16 KiB"));
    }
    let text = data.trim().trim_end_matches('=');
    let bytes = STANDARD
        .decode(pad(text))
        .or_else(|_| URL_SAFE.decode(pad(text)))
        .map_err(|_| invalid("data", "invalid_base64", "must be base64 of a JSON object"))?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(
            "data",
            "invalid_json",
            &format!("is not JSON once decoded: {e}"),
        )
    })?;
    let Some(obj) = v.as_object() else {
        return Err(invalid(
            "data",
            "invalid_type",
            "must decode to a JSON object",
        ));
    };
    let mut p = Parser::default();
    let out = p.session(obj);
    if !p.errs.is_empty() {
        return Err(DataError::Invalid(p.errs));
    }
    if let Some(code) = p.unsupported.first().map(|(c, _)| *c) {
        let all = p.unsupported.into_iter().map(|(_, f)| f).collect();
        return Err(DataError::Unsupported(code, all));
    }
    Ok(out)
}

fn pad(s: &str) -> String {
    let mut t = s.to_owned();
    while !t.len().is_multiple_of(4) {
        t.push('=');
    }
    t
}

#[derive(Default)]
struct Parser {
    errs: Vec<FieldError>,
    unsupported: Vec<(Code, FieldError)>,
}

impl Parser {
    fn session(&mut self, o: &Map<String, Value>) -> SessionData {
        let mut documents = Vec::new();
        let mut first_level = None;
        match o.get("documents") {
            Some(Value::Array(a)) if !a.is_empty() && a.len() <= 4 => {
                for (i, d) in a.iter().enumerate() {
                    let path = format!("documents[{i}]");
                    let Some(d) = d.as_object() else {
                        self.err(&path, "invalid_type", "must be an object");
                        continue;
                    };
                    if let Some(t) = self.doc_type(d, &path) {
                        documents.push(t);
                    }
                    let lvl = self.level(d, &path, "faceScanMinimumMatchLevel");
                    self.level(d, &path, "faceReadMinimumMatchLevel");
                    first_level = first_level.or(lvl);
                    self.reading(d, &path);
                }
            }
            None | Some(Value::Null) => self.err("documents", "required", "is required"),
            Some(_) => self.err(
                "documents",
                "invalid_value",
                "must be an array of 1 to 4 documents",
            ),
        }
        let (face, face_level, max_attempts) = self.facial(o.get("facialRecognition"));
        self.background(o.get("backgroundCheck"));
        let nonce = match o.get("nonce") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_NONCE_LEN => Some(s.clone()),
            Some(_) => {
                self.err(
                    "nonce",
                    "invalid_value",
                    "must be a string of 1 to 64 characters",
                );
                None
            }
        };
        SessionData {
            documents,
            face,
            min_level: first_level.or(face_level).unwrap_or(DEFAULT_MIN_LEVEL),
            max_attempts,
            nonce,
        }
    }

    fn err(&mut self, field: &str, code: &'static str, msg: &str) {
        self.errs.push(FieldError::new(field, code, msg));
    }

    fn doc_type(&mut self, d: &Map<String, Value>, path: &str) -> Option<DocType> {
        let f = format!("{path}.documentType");
        match d.get("documentType") {
            Some(Value::String(s)) => match DocType::parse(s) {
                Some(t) => return Some(t),
                None => {
                    let names: Vec<&str> = DocType::ALL.iter().map(|d| d.as_str()).collect();
                    self.err(
                        &f,
                        "invalid_value",
                        &format!("must be one of {}", names.join(", ")),
                    );
                }
            },
            None | Some(Value::Null) => self.err(&f, "required", "is required"),
            Some(_) => self.err(&f, "invalid_type", "must be a string"),
        }
        None
    }

    /// An integer field within `range`, if present.
    fn int(
        &mut self,
        o: &Map<String, Value>,
        path: &str,
        key: &str,
        lo: i64,
        hi: i64,
    ) -> Option<i64> {
        let f = if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        };
        match o.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) if (lo..=hi).contains(&n) => Some(n),
                _ => {
                    self.err(
                        &f,
                        "out_of_range",
                        &format!("must be an integer from {lo} to {hi}"),
                    );
                    None
                }
            },
        }
    }

    fn level(&mut self, o: &Map<String, Value>, path: &str, key: &str) -> Option<u8> {
        self.int(o, path, key, *LEVELS.start(), *LEVELS.end())
            .map(|n| n as u8)
    }

    fn flag(&mut self, o: &Map<String, Value>, path: &str, key: &str) -> bool {
        match o.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.err(
                    &format!("{path}.{key}"),
                    "invalid_type",
                    "must be a boolean",
                );
                false
            }
        }
    }

    fn reading(&mut self, d: &Map<String, Value>, path: &str) {
        let path = format!("{path}.reading");
        match d.get("reading") {
            None | Some(Value::Null) => {}
            Some(Value::Object(r)) => {
                if self.flag(r, &path, "isForceReading") {
                    let f = FieldError::new(
                        format!("{path}.isForceReading"),
                        "nfc_unsupported",
                        "idgate does not read document chips (NFC); leave isForceReading false",
                    );
                    self.unsupported.push((Code::NfcUnsupported, f));
                }
                self.flag(r, &path, "enabled");
                self.flag(r, &path, "isForceReadingIfSupported");
            }
            Some(_) => self.err(&path, "invalid_type", "must be an object"),
        }
    }

    fn facial(&mut self, v: Option<&Value>) -> (bool, Option<u8>, Option<u8>) {
        const P: &str = "facialRecognition";
        match v {
            None | Some(Value::Null) => (false, None, None),
            Some(Value::Object(o)) => {
                let enabled = self.flag(o, P, "enabled");
                let lvl = self.level(o, P, "scanMinimumMatchLevel");
                self.level(o, P, "readMinimumMatchLevel");
                let attempts = self.int(o, P, "maxAttempts", 1, 3).map(|n| n as u8);
                (enabled, lvl, attempts)
            }
            Some(_) => {
                self.err(P, "invalid_type", "must be an object");
                (false, None, None)
            }
        }
    }

    fn background(&mut self, v: Option<&Value>) {
        const P: &str = "backgroundCheck";
        match v {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) => {
                if self.flag(o, P, "enabled") {
                    let f = FieldError::new(
                        format!("{P}.enabled"),
                        "background_check_unsupported",
                        "idgate has no background screening yet; leave backgroundCheck.enabled false",
                    );
                    self.unsupported.push((Code::BackgroundCheckUnsupported, f));
                }
            }
            Some(_) => self.err(P, "invalid_type", "must be an object"),
        }
    }
}

#[cfg(test)]
mod tests;
