//! Session settings of the auth-session contract: steps, templates, clocks, open mode, and the
//! validation of a create request that reports every violation at once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{CoreError, FieldError};
use crate::validate::cpf::{Cpf, CpfError};

/// Longest accepted session `id`.
pub const MAX_ID_LEN: usize = 128;
/// `token_expiration_seconds` bounds (seed: 1..172800, default 1800).
pub const TOKEN_TTL_RANGE: (i64, i64) = (1, 172_800);
pub const DEFAULT_TOKEN_TTL: u32 = 1800;
/// `session_expiration_time_in_minutes`: default when neither request nor tenant sets it, and cap.
pub const DEFAULT_SESSION_MINUTES: u32 = 1440;
pub const MAX_SESSION_MINUTES: i64 = 43_200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    DeviceScan,
    FaceRecognition,
    PersonalDocument,
}

impl Step {
    pub const ALL: [Step; 3] = [
        Step::DeviceScan,
        Step::FaceRecognition,
        Step::PersonalDocument,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::DeviceScan => "device_scan",
            Step::FaceRecognition => "face_recognition",
            Step::PersonalDocument => "personal_document",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentTemplate {
    Rg,
    Cnh,
    CnhDigital,
    Passport,
    Rne,
    Crnm,
    Ctps,
    Others,
}

impl DocumentTemplate {
    pub const ALL: [DocumentTemplate; 8] = [
        Self::Rg,
        Self::Cnh,
        Self::CnhDigital,
        Self::Passport,
        Self::Rne,
        Self::Crnm,
        Self::Ctps,
        Self::Others,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rg => "rg",
            Self::Cnh => "cnh",
            Self::CnhDigital => "cnh_digital",
            Self::Passport => "passport",
            Self::Rne => "rne",
            Self::Crnm => "crnm",
            Self::Ctps => "ctps",
            Self::Others => "others",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenMode {
    Iframe,
    Link,
}

/// One step with its options; options are `Some` only on `personal_document`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepConfig {
    pub step: Step,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub show_success_screen: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub show_introduction_screen: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub document_templates: Option<Vec<DocumentTemplate>>,
}

impl StepConfig {
    pub fn plain(step: Step) -> Self {
        Self {
            step,
            show_success_screen: None,
            show_introduction_screen: None,
            document_templates: None,
        }
    }
}

/// Effective settings of a session, every default filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub steps: Vec<StepConfig>,
    pub session_expiration_time_in_minutes: u32,
    pub token_expiration_seconds: u32,
    pub open_mode: OpenMode,
}

impl Default for Settings {
    /// idgate's own default ("the company's default configuration" when a tenant set none):
    /// the seed's example flow, a one-day session, the seed's 1800 s token, `link` mode.
    fn default() -> Self {
        Self {
            steps: vec![
                StepConfig::plain(Step::DeviceScan),
                StepConfig::plain(Step::FaceRecognition),
                StepConfig {
                    step: Step::PersonalDocument,
                    show_success_screen: Some(true),
                    show_introduction_screen: Some(true),
                    document_templates: Some(vec![
                        DocumentTemplate::Rg,
                        DocumentTemplate::Cnh,
                        DocumentTemplate::CnhDigital,
                    ]),
                },
            ],
            session_expiration_time_in_minutes: DEFAULT_SESSION_MINUTES,
            token_expiration_seconds: DEFAULT_TOKEN_TTL,
            open_mode: OpenMode::Link,
        }
    }
}

/// A validated create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSession {
    pub id: String,
    pub document_number: Cpf,
    pub settings: Settings,
}

/// How strictly to read a request: `/v1` refuses unknown fields; vendor routes ignore them,
/// as the vendor does, so that switching is only a base-URL change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    Strict,
    Lenient,
}

/// Validates a create body against the seed's rules, collecting every violation.
/// `sandbox` tenants accept repeated-digit CPFs such as the seed's `111.111.111-11`.
pub fn parse_create(
    body: &Value,
    defaults: &Settings,
    sandbox: bool,
    strict: Strictness,
) -> Result<CreateSession, CoreError> {
    let mut errs = Vec::new();
    let Some(obj) = body.as_object() else {
        errs.push(FieldError::new(
            "",
            "invalid_type",
            "the body must be a JSON object",
        ));
        return Err(CoreError::Validation(errs));
    };
    if strict == Strictness::Strict {
        unknown_fields(obj, "", &["id", "document_number", "settings"], &mut errs);
    }
    let id = parse_id(obj.get("id"), &mut errs);
    let cpf = parse_cpf(obj.get("document_number"), sandbox, &mut errs);
    let settings = match obj.get("settings") {
        None | Some(Value::Null) => Some(defaults.clone()),
        Some(Value::Object(s)) => parse_settings(s, defaults, strict, &mut errs),
        Some(_) => {
            errs.push(type_error("settings", "an object"));
            None
        }
    };
    match (id, cpf, settings) {
        (Some(id), Some(document_number), Some(settings)) if errs.is_empty() => Ok(CreateSession {
            id,
            document_number,
            settings,
        }),
        _ => Err(CoreError::Validation(errs)),
    }
}

pub(super) fn type_error(field: &str, want: &str) -> FieldError {
    FieldError::new(field, "invalid_type", format!("must be {want}"))
}

fn required(field: &str) -> FieldError {
    FieldError::new(field, "required", "is required")
}

pub(super) fn unknown_fields(
    obj: &Map<String, Value>,
    prefix: &str,
    known: &[&str],
    errs: &mut Vec<FieldError>,
) {
    for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        errs.push(FieldError::new(
            path,
            "unknown_field",
            "is not a known field",
        ));
    }
}

fn parse_id(v: Option<&Value>, errs: &mut Vec<FieldError>) -> Option<String> {
    match v {
        None | Some(Value::Null) => errs.push(required("id")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            errs.push(FieldError::new("id", "empty", "must not be empty"))
        }
        Some(Value::String(s)) if s.chars().count() > MAX_ID_LEN => errs.push(FieldError::new(
            "id",
            "too_long",
            format!("must be at most {MAX_ID_LEN} characters"),
        )),
        Some(Value::String(s)) if s.chars().any(char::is_control) => errs.push(FieldError::new(
            "id",
            "invalid_format",
            "must not contain control characters",
        )),
        Some(Value::String(s)) => return Some(s.clone()),
        Some(_) => errs.push(type_error("id", "a string")),
    }
    None
}

fn parse_cpf(v: Option<&Value>, sandbox: bool, errs: &mut Vec<FieldError>) -> Option<Cpf> {
    const F: &str = "document_number";
    match v {
        None | Some(Value::Null) => errs.push(required(F)),
        Some(Value::String(s)) => match Cpf::parse(s, sandbox) {
            Ok(c) => return Some(c),
            Err(CpfError::Format) => errs.push(FieldError::new(
                F,
                "invalid_format",
                "must be a CPF as ddd.ddd.ddd-dd or 11 digits",
            )),
            Err(CpfError::CheckDigits) => errs.push(FieldError::new(
                F,
                "invalid_check_digits",
                "CPF check digits do not match",
            )),
            Err(CpfError::RepeatedDigits) => errs.push(FieldError::new(
                F,
                "repeated_digits",
                "CPFs with all digits equal are accepted only on sandbox tenants",
            )),
        },
        Some(_) => errs.push(type_error(F, "a string")),
    }
    None
}

/// An integer field within `lo..=hi`; `None` when absent.
fn int_in(
    obj: &Map<String, Value>,
    key: &str,
    (lo, hi): (i64, i64),
    errs: &mut Vec<FieldError>,
) -> Option<Option<u32>> {
    let path = format!("settings.{key}");
    match obj.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) if (lo..=hi).contains(&i) => Some(Some(i as u32)),
            Some(_) => {
                errs.push(FieldError::new(
                    path,
                    "out_of_range",
                    format!("must be between {lo} and {hi}"),
                ));
                None
            }
            None => {
                errs.push(type_error(&path, "an integer"));
                None
            }
        },
        Some(_) => {
            errs.push(type_error(&path, "an integer"));
            None
        }
    }
}

fn parse_settings(
    obj: &Map<String, Value>,
    defaults: &Settings,
    strict: Strictness,
    errs: &mut Vec<FieldError>,
) -> Option<Settings> {
    let before = errs.len();
    if strict == Strictness::Strict {
        let known = [
            "steps",
            "session_expiration_time_in_minutes",
            "token_expiration_seconds",
            "open_mode",
        ];
        unknown_fields(obj, "settings", &known, errs);
    }
    let steps = match obj.get("steps") {
        None | Some(Value::Null) => Some(defaults.steps.clone()),
        Some(Value::Array(a)) => super::steps::parse_steps(a, strict, errs),
        Some(_) => {
            errs.push(type_error("settings.steps", "an array"));
            None
        }
    };
    let minutes = int_in(
        obj,
        "session_expiration_time_in_minutes",
        (1, MAX_SESSION_MINUTES),
        errs,
    );
    let ttl = int_in(obj, "token_expiration_seconds", TOKEN_TTL_RANGE, errs);
    let open_mode = match obj.get("open_mode") {
        None | Some(Value::Null) => Some(defaults.open_mode),
        Some(Value::String(s)) if s == "iframe" => Some(OpenMode::Iframe),
        Some(Value::String(s)) if s == "link" => Some(OpenMode::Link),
        Some(_) => {
            errs.push(FieldError::new(
                "settings.open_mode",
                "invalid_value",
                "must be \"iframe\" or \"link\"",
            ));
            None
        }
    };
    if errs.len() > before {
        return None;
    }
    Some(Settings {
        steps: steps?,
        session_expiration_time_in_minutes: minutes?
            .unwrap_or(defaults.session_expiration_time_in_minutes),
        token_expiration_seconds: ttl?.unwrap_or(defaults.token_expiration_seconds),
        open_mode: open_mode?,
    })
}

pub(super) fn parse_step_name(s: &str) -> Option<Step> {
    Step::parse(s)
}

pub(super) fn parse_template(s: &str) -> Option<DocumentTemplate> {
    DocumentTemplate::parse(s)
}
