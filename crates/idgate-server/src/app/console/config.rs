//! The `[console]` settings: the origin operators open the console at and the WebAuthn relying
//! party their passkeys are bound to, and how long invites and sign-ins live.

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// The console's origin (`https://idgate.example.com`). Empty: the public URL; without one,
    /// `http://localhost:<port>` (an IP address cannot be a WebAuthn relying party).
    pub origin: String,
    /// The WebAuthn relying party id: the origin's host or a parent domain of it. Empty: the
    /// origin's host. Passkeys are bound to it: changing it invalidates every passkey.
    pub rp_id: String,
    /// The name authenticators show for the relying party.
    pub rp_name: String,
    /// A sign-in ends after this many seconds without a request.
    pub idle_timeout_secs: i64,
    /// A sign-in ends this many seconds after it began, however active.
    pub session_lifetime_secs: i64,
    /// An invite link works once, for this many seconds.
    pub invite_ttl_secs: i64,
    /// Hours a session may wait in manual analysis before the queue marks it overdue.
    pub sla_hours: i64,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            origin: String::new(),
            rp_id: String::new(),
            rp_name: "idgate".into(),
            idle_timeout_secs: 30 * 60,
            session_lifetime_secs: 12 * 3600,
            invite_ttl_secs: 72 * 3600,
            sla_hours: 24,
        }
    }
}

impl ConsoleConfig {
    /// The origin actually used, given the server's public base URL.
    pub fn origin(&self, public_base: &str) -> String {
        if !self.origin.is_empty() {
            return self.origin.trim_end_matches('/').to_owned();
        }
        match Url::parse(public_base) {
            Ok(mut u)
                if u.host_str()
                    .is_some_and(|h| h.parse::<std::net::IpAddr>().is_ok()) =>
            {
                let _ = u.set_host(Some("localhost"));
                u.origin().ascii_serialization()
            }
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => public_base.trim_end_matches('/').to_owned(),
        }
    }

    /// Whether the console cookie can carry `Secure`: every origin but plain-`http` localhost.
    pub fn secure_cookie(&self, public_base: &str) -> bool {
        !self.origin(public_base).starts_with("http://")
    }

    /// The WebAuthn relying party of this configuration.
    pub fn webauthn(&self, public_base: &str) -> Result<Webauthn, String> {
        let origin = Url::parse(&self.origin(public_base)).map_err(|e| e.to_string())?;
        let host = origin.host_str().unwrap_or_default().to_owned();
        let rp_id = if self.rp_id.is_empty() {
            host
        } else {
            self.rp_id.clone()
        };
        WebauthnBuilder::new(&rp_id, &origin)
            .and_then(|b| b.rp_name(&self.rp_name).build())
            .map_err(|e| format!("console relying party {rp_id} / {origin}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_defaults_to_localhost_for_an_ip_base() {
        let c = ConsoleConfig::default();
        assert_eq!(c.origin("http://127.0.0.1:8080"), "http://localhost:8080");
        assert_eq!(
            c.origin("https://id.example.com/"),
            "https://id.example.com"
        );
        assert!(!c.secure_cookie("http://127.0.0.1:8080"));
        assert!(c.secure_cookie("https://id.example.com"));
        assert!(c.webauthn("http://127.0.0.1:8080").is_ok());
        let bad = ConsoleConfig {
            rp_id: "other.example".into(),
            ..ConsoleConfig::default()
        };
        assert!(bad.webauthn("https://id.example.com").is_err());
    }
}
