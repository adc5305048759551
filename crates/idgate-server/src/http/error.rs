//! The HTTP error: one code from the core table, a message, and per-field details; rendered in
//! the route family's format (`/v1` shape, or the QI-style `{title, description, translation,
//! code}` on vendor routes). Causes are logged, never sent.

use std::marker::PhantomData;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use idgate_core::{Code, CoreError, FieldError};
use idgate_store::StoreError;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub details: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// Structured details that are not field errors (e.g. a failed liveness attempt's reasons);
    /// rendered as `details` on `/v1`.
    pub extra: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            extra: None,
        }
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "a valid API key is required in the Authorization header",
        )
    }
    /// The one answer to input that breaks rules: 422 `validation_failed` listing every
    /// violation, with the summary `"{field}: {message}; ..."` as the message.
    pub fn invalid_fields(details: Vec<FieldError>) -> Self {
        let summary = details
            .iter()
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            details,
            ..Self::new(Code::ValidationFailed, summary)
        }
    }
    /// [`Self::invalid_fields`] with one violation.
    pub fn invalid_field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldError::new(field, code, message.into())])
    }
    pub fn internal() -> Self {
        Self::new(
            Code::Internal,
            "internal error; the request id is in the x-request-id header",
        )
    }
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Validation(details) => Self::invalid_fields(details),
            other => Self::new(other.code(), other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Conflict(m) => Self::new(Code::Conflict, m),
            other => {
                tracing::error!(error = %other, "storage failure");
                Self::internal()
            }
        }
    }
}

/// A route family: how its errors look on the wire.
pub trait Family: Send + Sync + 'static {
    fn render(e: &ApiError) -> serde_json::Value;
}

/// idgate's own `/v1` API: `{"error": {code, message, details?}}`.
pub struct V1;
impl Family for V1 {
    fn render(e: &ApiError) -> serde_json::Value {
        let mut inner = json!({"code": e.code.as_str(), "message": e.message});
        if e.details.len() == 1 {
            inner["field"] = json!(e.details[0].field);
        }
        if !e.details.is_empty() {
            inner["details"] = json!(e.details);
        }
        if let Some(extra) = &e.extra {
            inner["details"] = extra.clone();
        }
        json!({ "error": inner })
    }
}

/// QI-style vendor routes: `{title, description, translation, code}`, plus `errors` with the
/// field details (the vendor asks clients to accept added fields).
pub struct Qi;
impl Family for Qi {
    fn render(e: &ApiError) -> serde_json::Value {
        let mut v = json!({
            "title": e.code.title(),
            "description": e.message,
            "translation": e.code.translation(),
            "code": e.code.as_str(),
        });
        if !e.details.is_empty() {
            v["errors"] = json!(e.details);
        }
        v
    }
}

/// An error on its way out through family `F`.
pub struct Fail<F: Family>(pub ApiError, PhantomData<F>);

impl<F: Family> Fail<F> {
    pub fn new(e: ApiError) -> Self {
        Self(e, PhantomData)
    }
}

impl<F: Family, E: Into<ApiError>> From<E> for Fail<F> {
    fn from(e: E) -> Self {
        Self::new(e.into())
    }
}

impl<F: Family> IntoResponse for Fail<F> {
    fn into_response(self) -> Response {
        let mut res = (self.0.status(), Json(F::render(&self.0))).into_response();
        if let Some(s) = self.0.retry_after {
            res.headers_mut()
                .insert("retry-after", HeaderValue::from(s));
        }
        res
    }
}
