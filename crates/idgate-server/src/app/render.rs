//! Wire shapes of a session: the QI auth-session object and idgate's `/v1` object. Both are
//! renderings of the same [`SessionView`].

use idgate_core::session::{Settings, Status};
use idgate_core::validate::cpf::Cpf;
use idgate_store::SessionRow;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A session as read, with what it takes to render it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub row: SessionRow,
    pub status: Status,
    pub settings: Settings,
    /// The current URL token (derived, never stored).
    pub token: String,
    pub url: String,
    pub offset: UtcOffset,
}

/// RFC 3339 in the tenant's offset, e.g. `2025-12-11T11:37:15.12-03:00`.
pub fn fmt_time(ms: i64, offset: UtcOffset) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl SessionView {
    fn step_data(&self) -> Value {
        serde_json::from_str(&self.row.step_data).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// The seed's response object. `with_step_data` is false on create (the seed's exact fields).
    pub fn qi(&self, with_step_data: bool) -> Value {
        let mut v = json!({
            "id": self.row.id,
            "status": self.status.as_str(),
            "expiration_date": fmt_time(self.row.expires_at, self.offset),
            "settings": self.settings,
            "auth_session_hash": self.row.hash,
            "step": self.row.step,
            "auth_session_url": self.url,
            "token": self.token,
            "token_expiration_date": fmt_time(self.row.token_expires_at, self.offset),
        });
        if with_step_data {
            v["step_data"] = self.step_data();
        }
        v
    }

    /// idgate's `/v1` object: the seed's fields plus `object`, `document_number`, times and the decision.
    pub fn v1(&self) -> Value {
        let mut v = self.qi(true);
        v["object"] = json!("verification_session");
        v["document_number"] = json!(Cpf::parse(&self.row.document_number, true)
            .map(|c| c.formatted())
            .unwrap_or_else(|_| self.row.document_number.clone()));
        v["redacted"] = json!(self.row.document_number == super::redact::REDACTED);
        v["created_at"] = json!(fmt_time(self.row.created_at, self.offset));
        v["updated_at"] = json!(fmt_time(self.row.updated_at, self.offset));
        let at = |ms: Option<i64>| ms.map_or(Value::Null, |ms| json!(fmt_time(ms, self.offset)));
        v["biometrics_purged_at"] = at(self.row.biometrics_purged_at);
        v["documents_purged_at"] = at(self.row.documents_purged_at);
        v["decision"] = self
            .row
            .decision
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        v
    }

    /// What events and webhooks carry: the `/v1` object without the URL token and without the
    /// CPF (the caller adds its keyed hash, see [`crate::app::personal`]).
    pub fn event_data(&self) -> Value {
        let mut v = self.v1();
        if let Some(o) = v.as_object_mut() {
            o.remove("token");
            o.remove("auth_session_url");
            o.remove("document_number");
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format_matches_seed_style() {
        let off = UtcOffset::from_hms(-3, 0, 0).unwrap();
        // 2025-12-11T14:37:15.120Z
        assert_eq!(
            fmt_time(1_765_463_835_120, off),
            "2025-12-11T11:37:15.12-03:00"
        );
        assert_eq!(
            fmt_time(1_765_463_835_000, off),
            "2025-12-11T11:37:15-03:00"
        );
    }
}
