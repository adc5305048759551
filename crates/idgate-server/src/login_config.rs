//! Settings of the QR-code and push login: the `environment` label, Web Push (VAPID subject),
//! the integrator web socket's heartbeat, job retries and the anti push-bombing limits.

use idgate_core::login::PushPolicy;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginConfig {
    /// Label answered as `environment` by `/oauth/start` (e.g. `production`, `homologation`).
    pub environment: String,
    /// VAPID `sub` (RFC 8292): a `mailto:` or `https:` contact for push services.
    pub vapid_subject: String,
    /// Heartbeat (and state re-check) period of the login web sockets, in milliseconds.
    pub ws_heartbeat_ms: u64,
    /// Attempts before a callback or push job is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubles each attempt, with jitter.
    pub base_delay_ms: u64,
    /// How often the job worker looks for due jobs when nothing woke it.
    pub poll_ms: u64,
    /// How often a node re-reads the JWT signing keys, so `idgate keys rotate` takes effect on
    /// every node within this time (no restart).
    pub key_refresh_ms: u64,
    /// Seconds an enrolment link stays valid.
    pub enrollment_ttl_secs: i64,
    /// Live push logins one username may have at once.
    pub max_pending_per_user: u32,
    /// Pushes one client may send one username per `rate_window_secs`.
    pub max_pushes_per_client_user: u32,
    pub rate_window_secs: i64,
    /// Denials within `denial_window_secs` that start a cooldown of `cooldown_secs`.
    pub denials_before_cooldown: u32,
    pub denial_window_secs: i64,
    pub cooldown_secs: i64,
    /// Push to `http://` and private or reserved addresses (tests, an on-premises push
    /// service). Off: push endpoints must be `https` on public addresses.
    pub push_allow_private: bool,
}

impl Default for LoginConfig {
    fn default() -> Self {
        let p = PushPolicy::default();
        Self {
            environment: "production".into(),
            vapid_subject: "mailto:admin@idgate.invalid".into(),
            ws_heartbeat_ms: 15_000,
            max_attempts: 8,
            base_delay_ms: 2_000,
            poll_ms: 1_000,
            key_refresh_ms: 10_000,
            enrollment_ttl_secs: 86_400,
            max_pending_per_user: p.max_pending_per_user,
            max_pushes_per_client_user: p.max_per_client_user,
            rate_window_secs: p.rate_window,
            denials_before_cooldown: p.denials_before_cooldown,
            denial_window_secs: p.denial_window,
            cooldown_secs: p.cooldown,
            push_allow_private: false,
        }
    }
}

impl LoginConfig {
    pub fn push_policy(&self) -> PushPolicy {
        PushPolicy {
            max_pending_per_user: self.max_pending_per_user,
            max_per_client_user: self.max_pushes_per_client_user,
            rate_window: self.rate_window_secs,
            denials_before_cooldown: self.denials_before_cooldown,
            denial_window: self.denial_window_secs,
            cooldown: self.cooldown_secs,
        }
    }
}
