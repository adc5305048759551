//! A tenant's retention of what its sessions collect (`idgate tenant retention NAME
//! --biometrics-days N --documents-days N`), resolved against the server's `[retention]`
//! defaults, and the keys a session's `step_data` names for each kind of evidence. The sweep
//! that applies it is [`crate::jobs::evidence`].

use idgate_store::{Evidence, Store, TenantSetting};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::http::error::ApiError;
use crate::jobs::retention::RetentionConfig;

/// Longest period accepted, in days (100 years).
pub const MAX_DAYS: i64 = 36_500;

/// A tenant's own retention (`tenants.retention`), in days after a session became final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRetention {
    pub biometrics_days: i64,
    pub documents_days: i64,
}

impl TenantRetention {
    /// The tenant's setting (JSON) or, without one, the server's defaults; `Err` for a setting
    /// that does not parse.
    pub fn resolve(setting: Option<&str>, defaults: &RetentionConfig) -> Result<Self, String> {
        match setting {
            None => Ok(Self {
                biometrics_days: defaults.biometrics_days,
                documents_days: defaults.documents_days,
            }),
            Some(s) => serde_json::from_str(s).map_err(|e| e.to_string()),
        }
    }

    pub fn days(&self, kind: Evidence) -> i64 {
        match kind {
            Evidence::Biometrics => self.biometrics_days,
            Evidence::Documents => self.documents_days,
        }
    }
}

/// Sets tenant `name`'s retention (each 1 to [`MAX_DAYS`] days).
pub async fn set_retention(
    store: &Store,
    name: &str,
    r: TenantRetention,
) -> Result<Value, ApiError> {
    let mut errs = Vec::new();
    for (field, days) in [
        ("biometrics_days", r.biometrics_days),
        ("documents_days", r.documents_days),
    ] {
        if !(1..=MAX_DAYS).contains(&days) {
            errs.push(idgate_core::FieldError::new(
                field,
                "out_of_range",
                format!("must be 1 to {MAX_DAYS} days"),
            ));
        }
    }
    if !errs.is_empty() {
        return Err(ApiError::invalid_fields(errs));
    }
    let value = serde_json::to_string(&r).map_err(|_| ApiError::internal())?;
    super::admin::set_setting(store, name, TenantSetting::Retention, Some(&value)).await?;
    Ok(json!({"tenant": name, "retention": r}))
}

/// The keys a session's `step_data` names for `kind`: the selfie's `image_key`, or the
/// `ocr_keys` of its document step. (What a step made but does not name is found by session id.)
pub fn collected_keys(step_data: &str, kind: Evidence) -> Vec<String> {
    let data: Value = serde_json::from_str(step_data).unwrap_or_default();
    let found = match kind {
        Evidence::Biometrics => vec![data["face_recognition"]["image_key"].clone()],
        Evidence::Documents => data["personal_document"]["ocr_keys"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    found
        .iter()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect()
}
