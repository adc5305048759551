//! Reading face request bodies: exactly one image field (base64 or a key), CPFs (repeated-digit
//! test CPFs on sandbox tenants only), unknown fields refused on `/v1`. Every violation of a
//! request is collected and answered at once as 422 `validation_failed`.

use idgate_core::validate::cpf::{Cpf, CpfError};
use idgate_core::FieldError;
use serde_json::{Map, Value};

use crate::http::error::ApiError;

/// Where the image of a request comes from.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// Base64 of the file, decoded on a face worker.
    Inline(String),
    /// An `image_key` from `POST /face_recognition/image`.
    Key(String),
}

/// Collects the violations of one request body.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    errs: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// The body must be an object; with `strict`, fields outside `allowed` are violations.
    pub fn new(body: &'a Value, allowed: &[&str], strict: bool) -> Result<Self, ApiError> {
        let obj = body.as_object().ok_or_else(|| {
            ApiError::invalid_field("", "invalid_type", "the body must be a JSON object")
        })?;
        let mut errs = Vec::new();
        if strict {
            for k in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
                errs.push(FieldError::new(
                    k.clone(),
                    "unknown_field",
                    "is not a field of this request",
                ));
            }
        }
        Ok(Self { obj, errs })
    }

    /// A string field; `None` when absent or null.
    pub fn opt_str(&mut self, key: &str) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.errs
                    .push(FieldError::new(key, "invalid_type", "must be a string"));
                None
            }
        }
    }

    /// A CPF field; `None` when absent (recorded as missing if `required`).
    pub fn cpf(&mut self, key: &str, required: bool, sandbox: bool) -> Option<Cpf> {
        let s = self.opt_str(key);
        match s {
            Some(s) => match parse_cpf(&s, sandbox) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.errs.push(e.with_field(key));
                    None
                }
            },
            None if required && !self.has(key) => {
                self.errs
                    .push(FieldError::new(key, "required", "is required"));
                None
            }
            None => None,
        }
    }

    /// A key field (UUID); `None` when absent.
    pub fn key(&mut self, key: &str) -> Option<String> {
        let s = self.opt_str(key)?;
        if uuid::Uuid::try_parse(&s).is_err() {
            self.errs
                .push(FieldError::new(key, "invalid_format", "must be a UUID"));
            return None;
        }
        Some(s.to_ascii_lowercase())
    }

    /// Exactly one of `image` (base64) and `image_key`.
    pub fn image(&mut self, image: &str, image_key: &str) -> Option<ImageSource> {
        let inline = self.opt_str(image);
        let had_key = self.has(image_key);
        let key = self.key(image_key);
        match (inline, key, had_key) {
            (Some(_), _, true) => {
                self.errs.push(FieldError::new(
                    image,
                    "conflict",
                    format!("send either {image} or {image_key}, not both"),
                ));
                None
            }
            (Some(b64), None, false) => Some(ImageSource::Inline(b64)),
            (None, Some(k), _) => Some(ImageSource::Key(k)),
            (None, None, false) if !self.has(image) => {
                self.errs.push(FieldError::new(
                    image,
                    "required",
                    format!("send one of {image} (base64 of a JPEG, PNG or WebP) or {image_key}"),
                ));
                None
            }
            _ => None,
        }
    }

    /// Records a violation found by the caller.
    pub fn push(&mut self, e: FieldError) {
        self.errs.push(e);
    }

    fn has(&self, key: &str) -> bool {
        !matches!(self.obj.get(key), None | Some(Value::Null))
    }

    /// `Ok` when nothing was violated, else one 422 listing everything.
    pub fn finish(self) -> Result<(), ApiError> {
        invalid(self.errs)
    }
}

/// 422 `validation_failed` listing `errs`; `Ok` when empty.
pub fn invalid(errs: Vec<FieldError>) -> Result<(), ApiError> {
    if errs.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid_fields(errs))
}

/// A violation without its field yet.
pub struct Violation(&'static str, &'static str);

impl Violation {
    pub fn with_field(self, field: &str) -> FieldError {
        FieldError::new(field, self.0, self.1)
    }
}

/// `ddd.ddd.ddd-dd` or 11 digits with valid check digits; repeated digits on sandbox only.
pub fn parse_cpf(s: &str, sandbox: bool) -> Result<Cpf, Violation> {
    Cpf::parse(s, sandbox).map_err(|e| match e {
        CpfError::Format => Violation(
            "invalid_format",
            "must be a CPF as ddd.ddd.ddd-dd or 11 digits",
        ),
        CpfError::CheckDigits => Violation("invalid_check_digits", "CPF check digits do not match"),
        CpfError::RepeatedDigits => Violation(
            "repeated_digits",
            "CPFs with all digits equal are accepted only on sandbox tenants",
        ),
    })
}
