//! The login-request state machine: `pending → scanned → approved | denied | expired`, the only
//! place that says which status may follow which, with one event per transition.

use serde::{Deserialize, Serialize};

use super::LoginError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStatus {
    Pending,
    Scanned,
    Approved,
    Denied,
    Expired,
}

impl LoginStatus {
    pub const ALL: [LoginStatus; 5] = [
        Self::Pending,
        Self::Scanned,
        Self::Approved,
        Self::Denied,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scanned => "scanned",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Final statuses never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Denied | Self::Expired)
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The person tapped "deny".
    UserDenied,
    /// The person picked a number other than the challenge (NIST SP 800-63B §5.1.3).
    WrongNumber,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserDenied => "user_denied",
            Self::WrongNumber => "wrong_number",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::UserDenied, Self::WrongNumber]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// What a caller asks of a request. `device_id` names the enrolled authenticator acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginAction {
    /// The authenticator opened the request (QR scanned or push tapped) and shows the choices.
    Scan {
        device_id: String,
    },
    /// The person picked `chosen` among the choices and approved.
    Approve {
        device_id: String,
        chosen: u8,
    },
    Deny {
        device_id: String,
    },
    /// The sweeper found the request past its `expires_at`.
    Expire,
}

/// The event recording a transition, as sent to webhooks and the real-time channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginEvent {
    #[serde(rename = "login.scanned")]
    Scanned,
    #[serde(rename = "login.approved")]
    Approved,
    #[serde(rename = "login.denied")]
    Denied,
    #[serde(rename = "login.expired")]
    Expired,
}

impl LoginEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scanned => "login.scanned",
            Self::Approved => "login.approved",
            Self::Denied => "login.denied",
            Self::Expired => "login.expired",
        }
    }
}

/// The state a store keeps for one login request (tokens are kept as hashes elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub status: LoginStatus,
    pub challenge: u8,
    pub created_at: i64,
    /// `created_at + auth_ttl`: nothing but expiry happens at or after it.
    pub expires_at: i64,
    /// The device that scanned or decided; once set, only that device may act.
    pub device_id: Option<String>,
    pub deny_reason: Option<DenyReason>,
    /// When the request reached its final status.
    pub finished_at: Option<i64>,
}

/// The outcome of [`LoginRequest::apply`]: the new state and the event to store with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub request: LoginRequest,
    pub event: LoginEvent,
}

impl LoginRequest {
    pub fn new(challenge: u8, now: i64, auth_ttl: i64) -> Self {
        Self {
            status: LoginStatus::Pending,
            challenge,
            created_at: now,
            expires_at: now.saturating_add(auth_ttl.max(0)),
            device_id: None,
            deny_reason: None,
            finished_at: None,
        }
    }

    /// The status as readers must see it: a non-final request past `expires_at` is expired
    /// even before the sweeper records it.
    pub fn status_at(&self, now: i64) -> LoginStatus {
        if !self.status.is_final() && now >= self.expires_at {
            LoginStatus::Expired
        } else {
            self.status
        }
    }

    /// Seconds left before expiry (0 once expired or final).
    pub fn remaining(&self, now: i64) -> i64 {
        if self.status_at(now).is_final() {
            0
        } else {
            self.expires_at.saturating_sub(now)
        }
    }

    /// Applies `action` at `now`. An action on a live request past its expiry yields the
    /// `expired` transition (store it, then answer `login_expired`); a wrong number yields the
    /// final `denied` transition. Final requests refuse every action.
    pub fn apply(&self, action: &LoginAction, now: i64) -> Result<Transition, LoginError> {
        match self.status {
            LoginStatus::Approved => return Err(LoginError::AlreadyApproved),
            LoginStatus::Denied => return Err(LoginError::Denied),
            LoginStatus::Expired => return Err(LoginError::Expired),
            LoginStatus::Pending | LoginStatus::Scanned => {}
        }
        if now >= self.expires_at {
            return Ok(self.finish(LoginStatus::Expired, None, None, now));
        }
        let (device_id, next) = match action {
            LoginAction::Expire => return Err(LoginError::NotYetExpired),
            LoginAction::Scan { device_id } => {
                if self.status == LoginStatus::Scanned {
                    return Err(LoginError::AlreadyScanned);
                }
                (device_id, LoginStatus::Scanned)
            }
            LoginAction::Approve { device_id, .. } | LoginAction::Deny { device_id } => {
                (device_id, LoginStatus::Denied)
            }
        };
        if self.device_id.as_ref().is_some_and(|d| d != device_id) {
            return Err(LoginError::WrongDevice);
        }
        let device = Some(device_id.clone());
        Ok(match action {
            LoginAction::Scan { .. } => {
                let mut request = self.clone();
                request.status = next;
                request.device_id = device;
                Transition {
                    request,
                    event: LoginEvent::Scanned,
                }
            }
            LoginAction::Approve { chosen, .. } if *chosen == self.challenge => {
                self.finish(LoginStatus::Approved, device, None, now)
            }
            LoginAction::Approve { .. } => {
                self.finish(next, device, Some(DenyReason::WrongNumber), now)
            }
            _ => self.finish(next, device, Some(DenyReason::UserDenied), now),
        })
    }

    fn finish(
        &self,
        status: LoginStatus,
        device: Option<String>,
        deny_reason: Option<DenyReason>,
        now: i64,
    ) -> Transition {
        let event = match status {
            LoginStatus::Approved => LoginEvent::Approved,
            LoginStatus::Denied => LoginEvent::Denied,
            _ => LoginEvent::Expired,
        };
        let mut request = self.clone();
        request.status = status;
        request.device_id = device.or(request.device_id);
        request.deny_reason = deny_reason;
        request.finished_at = Some(now);
        Transition { request, event }
    }
}
