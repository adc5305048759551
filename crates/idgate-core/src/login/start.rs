//! Validation of `/oauth/start` and `/oauth/notify` bodies against the client's registration:
//! username (CPF or CNPJ), lifetime limits, scopes, callback URL. Every violation is reported.

use serde_json::{Map, Value};

use crate::error::{CoreError, FieldError};
use crate::session::Strictness;
use crate::validate::cnpj::{Cnpj, CnpjError};
use crate::validate::cpf::{Cpf, CpfError};

/// Longest token lifetime for a person (PF): 7 days, also the cap when no username is given.
pub const MAX_LIFETIME_PF: i64 = 604_800;
/// Longest token lifetime for a company (PJ): 30 days.
pub const MAX_LIFETIME_PJ: i64 = 2_592_000;

/// Who is logging in: a person by CPF or a company by CNPJ (numeric or alphanumeric).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Username {
    Pf(Cpf),
    Pj(Cnpj),
}

impl Username {
    /// The normalised form stored and put in `sub`: 11 CPF digits or 14 CNPJ characters.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pf(c) => c.digits(),
            Self::Pj(c) => c.as_str(),
        }
    }

    pub fn max_lifetime(&self) -> i64 {
        match self {
            Self::Pf(_) => MAX_LIFETIME_PF,
            Self::Pj(_) => MAX_LIFETIME_PJ,
        }
    }

    /// The form allowed in logs: masked CPF, CNPJ as is (a company number is public).
    pub fn for_log(&self) -> String {
        match self {
            Self::Pf(c) => c.masked(),
            Self::Pj(c) => c.formatted(),
        }
    }

    /// Parses a CPF or a CNPJ; on failure, the field error to report (`field` is its path).
    pub fn parse(s: &str, sandbox: bool, field: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let err = |code, msg: &str| FieldError::new(field, code, msg);
        match Cpf::parse(s, sandbox) {
            Ok(c) => return Ok(Self::Pf(c)),
            Err(CpfError::CheckDigits) => {
                return Err(err("invalid_check_digits", "CPF check digits do not match"))
            }
            Err(CpfError::RepeatedDigits) => {
                return Err(err(
                    "repeated_digits",
                    "CPFs with all digits equal are not issued",
                ))
            }
            Err(CpfError::Format) => {}
        }
        match Cnpj::parse(s) {
            Ok(c) => Ok(Self::Pj(c)),
            Err(CnpjError::CheckDigits) => Err(err(
                "invalid_check_digits",
                "CNPJ check digits do not match",
            )),
            Err(CnpjError::RepeatedDigits) => Err(err(
                "repeated_digits",
                "CNPJs with all characters equal are not issued",
            )),
            Err(CnpjError::Format) => Err(err(
                "invalid_format",
                "must be a CPF (11 digits) or a CNPJ (14 characters), bare or formatted",
            )),
        }
    }
}

/// What the client registered: the scopes it may ask for and its callback URLs (first = default).
#[derive(Debug, Clone, Copy)]
pub struct ClientRules<'a> {
    pub scopes: &'a [String],
    pub callback_urls: &'a [String],
}

/// A validated `/oauth/start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartLogin {
    pub username: Option<Username>,
    /// Requested scopes, de-duplicated, in request order.
    pub scope: Vec<String>,
    /// Seconds the access token will live.
    pub lifetime: u32,
    pub callback_url: String,
}

impl StartLogin {
    /// The space-separated scope string echoed in responses and tokens.
    pub fn scope_string(&self) -> String {
        self.scope.join(" ")
    }
}

fn type_error(field: &str, want: &str) -> FieldError {
    FieldError::new(field, "invalid_type", format!("must be {want}"))
}

fn required(field: &str) -> FieldError {
    FieldError::new(field, "required", "is required")
}

fn unknown_fields(obj: &Map<String, Value>, known: &[&str], errs: &mut Vec<FieldError>) {
    for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        errs.push(FieldError::new(
            k.clone(),
            "unknown_field",
            "is not a known field",
        ));
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, CoreError> {
    body.as_object().ok_or_else(|| {
        let e = FieldError::new("", "invalid_type", "the body must be a JSON object");
        CoreError::Validation(vec![e])
    })
}

/// Validates a `/oauth/start` body. `client_id`/`client_secret` are authenticated by the caller
/// and only tolerated here. `sandbox` tenants accept repeated-digit CPFs.
pub fn parse_start(
    body: &Value,
    client: &ClientRules<'_>,
    sandbox: bool,
    strict: Strictness,
) -> Result<StartLogin, CoreError> {
    let obj = object(body)?;
    let mut errs = Vec::new();
    if strict == Strictness::Strict {
        let known = [
            "client_id",
            "client_secret",
            "username",
            "scope",
            "lifetime",
            "callback_url",
        ];
        unknown_fields(obj, &known, &mut errs);
    }
    let username = match obj.get("username") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Username::parse(s, sandbox, "username").map(Some),
        Some(_) => Err(type_error("username", "a string")),
    };
    if let Err(e) = &username {
        errs.push(e.clone());
    }
    let lifetime = parse_lifetime(obj.get("lifetime"), username.as_ref().ok(), &mut errs);
    let username = username.ok();
    let scope = parse_scope(obj.get("scope"), client.scopes, &mut errs);
    let callback_url = parse_callback(obj.get("callback_url"), client.callback_urls, &mut errs);
    match (username, lifetime, scope, callback_url) {
        (Some(username), Some(lifetime), Some(scope), Some(callback_url)) if errs.is_empty() => {
            Ok(StartLogin {
                username,
                scope,
                lifetime,
                callback_url,
            })
        }
        _ => Err(CoreError::Validation(errs)),
    }
}

/// `username` is `Ok(None)` when absent and `None` when invalid (then only the PJ cap applies).
fn parse_lifetime(
    v: Option<&Value>,
    username: Option<&Option<Username>>,
    errs: &mut Vec<FieldError>,
) -> Option<u32> {
    const F: &str = "lifetime";
    let n = match v {
        None | Some(Value::Null) => {
            errs.push(required(F));
            return None;
        }
        Some(Value::Number(n)) => n.as_i64(),
        Some(_) => None,
    };
    let Some(n) = n else {
        errs.push(type_error(F, "a positive integer (seconds)"));
        return None;
    };
    let (max, who) = match username {
        Some(Some(u @ Username::Pj(_))) => (u.max_lifetime(), "for a CNPJ"),
        Some(Some(Username::Pf(_))) => (MAX_LIFETIME_PF, "for a CPF"),
        Some(None) => (MAX_LIFETIME_PF, "without a username"),
        None => (MAX_LIFETIME_PJ, "for any username"),
    };
    if (1..=max).contains(&n) {
        u32::try_from(n).ok()
    } else {
        let msg = format!("must be between 1 and {max} seconds {who}");
        errs.push(FieldError::new(F, "out_of_range", msg));
        None
    }
}

fn parse_scope(
    v: Option<&Value>,
    allowed: &[String],
    errs: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    const F: &str = "scope";
    let s = match v {
        None | Some(Value::Null) => {
            errs.push(required(F));
            return None;
        }
        Some(Value::String(s)) => s,
        Some(_) => {
            errs.push(type_error(F, "a space-separated string"));
            return None;
        }
    };
    let mut scope: Vec<String> = Vec::new();
    for part in s.split_ascii_whitespace() {
        if !scope.iter().any(|x| x == part) {
            scope.push(part.to_owned());
        }
    }
    if scope.is_empty() {
        errs.push(FieldError::new(F, "empty", "must name at least one scope"));
        return None;
    }
    let refused: Vec<&str> = scope
        .iter()
        .filter(|s| !allowed.contains(s))
        .map(String::as_str)
        .collect();
    if !refused.is_empty() {
        let msg = format!("not allowed for this client: {}", refused.join(" "));
        errs.push(FieldError::new(F, "invalid_scope", msg));
        return None;
    }
    Some(scope)
}

fn parse_callback(
    v: Option<&Value>,
    registered: &[String],
    errs: &mut Vec<FieldError>,
) -> Option<String> {
    const F: &str = "callback_url";
    match v {
        None | Some(Value::Null) => match registered.first() {
            Some(url) => return Some(url.clone()),
            None => errs.push(FieldError::new(
                F,
                "required",
                "is required: the client has no registered callback URL",
            )),
        },
        Some(Value::String(s)) if registered.contains(s) => return Some(s.clone()),
        Some(Value::String(_)) => errs.push(FieldError::new(
            F,
            "not_registered",
            "must be exactly one of the client's registered callback URLs",
        )),
        Some(_) => errs.push(type_error(F, "a string")),
    }
    None
}

/// A validated `/oauth/notify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyLogin {
    pub username: Username,
    pub short_token: String,
}

/// Validates a `/oauth/notify` body: `{username, short_token}`.
pub fn parse_notify(
    body: &Value,
    sandbox: bool,
    strict: Strictness,
) -> Result<NotifyLogin, CoreError> {
    let obj = object(body)?;
    let mut errs = Vec::new();
    if strict == Strictness::Strict {
        let known = ["client_id", "client_secret", "username", "short_token"];
        unknown_fields(obj, &known, &mut errs);
    }
    let username = match obj.get("username") {
        None | Some(Value::Null) => Err(required("username")),
        Some(Value::String(s)) => Username::parse(s, sandbox, "username"),
        Some(_) => Err(type_error("username", "a string")),
    }
    .map_err(|e| errs.push(e))
    .ok();
    let short_token = match obj.get("short_token") {
        None | Some(Value::Null) => Err(required("short_token")),
        Some(Value::String(s)) => super::tokens::short_token_from_qr(s)
            .filter(|t| t.len() == s.len())
            .map(str::to_owned)
            .ok_or_else(|| {
                FieldError::new("short_token", "invalid_format", "is not a short_token")
            }),
        Some(_) => Err(type_error("short_token", "a string")),
    }
    .map_err(|e| errs.push(e))
    .ok();
    match (username, short_token) {
        (Some(username), Some(short_token)) if errs.is_empty() => Ok(NotifyLogin {
            username,
            short_token,
        }),
        _ => Err(CoreError::Validation(errs)),
    }
}
