//! The verification-session state machine: the only place that says which status may follow which.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    InProgress,
    Processing,
    Approved,
    Rejected,
    InManualAnalysis,
    Expired,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Self::Pending,
        Self::InProgress,
        Self::Processing,
        Self::Approved,
        Self::Rejected,
        Self::InManualAnalysis,
        Self::Expired,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Processing => "processing",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::InManualAnalysis => "in_manual_analysis",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Final statuses never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Approved
                | Self::Rejected
                | Self::InManualAnalysis
                | Self::Expired
                | Self::Canceled
        )
    }

    /// Checks `self → to` against the state machine.
    pub fn transition(self, to: Status) -> Result<Status, CoreError> {
        use Status::*;
        let ok = match (self, to) {
            (f, Expired | Canceled) => !f.is_final(),
            (Pending, InProgress) | (InProgress, Processing) => true,
            (Processing, Approved | Rejected | InManualAnalysis) => true,
            // a person's review decides a session the policy left to manual analysis
            (InManualAnalysis, Approved | Rejected) => true,
            _ => false,
        };
        if ok {
            Ok(to)
        } else {
            Err(CoreError::InvalidTransition {
                from: self.as_str(),
                to: to.as_str(),
            })
        }
    }

    /// The event type that records a move into this status.
    pub fn event_type(self) -> EventType {
        match self {
            Self::Pending => EventType::Created,
            Self::InProgress => EventType::InProgress,
            Self::Processing => EventType::Processing,
            Self::Approved | Self::Rejected | Self::InManualAnalysis => EventType::Completed,
            Self::Expired => EventType::Expired,
            Self::Canceled => EventType::Canceled,
        }
    }
}

/// Session event types, as sent to webhooks and the real-time channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "session.created")]
    Created,
    #[serde(rename = "session.in_progress")]
    InProgress,
    #[serde(rename = "session.processing")]
    Processing,
    #[serde(rename = "session.step_completed")]
    StepCompleted,
    #[serde(rename = "session.completed")]
    Completed,
    #[serde(rename = "session.expired")]
    Expired,
    #[serde(rename = "session.canceled")]
    Canceled,
    #[serde(rename = "session.token_renewed")]
    TokenRenewed,
    #[serde(rename = "session.redacted")]
    Redacted,
    #[serde(rename = "session.reviewed")]
    Reviewed,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        Self::Created,
        Self::InProgress,
        Self::Processing,
        Self::StepCompleted,
        Self::Completed,
        Self::Expired,
        Self::Canceled,
        Self::TokenRenewed,
        Self::Redacted,
        Self::Reviewed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "session.created",
            Self::InProgress => "session.in_progress",
            Self::Processing => "session.processing",
            Self::StepCompleted => "session.step_completed",
            Self::Completed => "session.completed",
            Self::Expired => "session.expired",
            Self::Canceled => "session.canceled",
            Self::TokenRenewed => "session.token_renewed",
            Self::Redacted => "session.redacted",
            Self::Reviewed => "session.reviewed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn transitions() {
        let allowed = [
            (Pending, InProgress),
            (InProgress, Processing),
            (Processing, Approved),
            (Processing, Rejected),
            (Processing, InManualAnalysis),
            (InManualAnalysis, Approved),
            (InManualAnalysis, Rejected),
            (Pending, Expired),
            (InProgress, Expired),
            (Processing, Expired),
            (Pending, Canceled),
            (InProgress, Canceled),
            (Processing, Canceled),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                let want = allowed.contains(&(from, to));
                assert_eq!(from.transition(to).is_ok(), want, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for e in super::EventType::ALL {
            assert_eq!(super::EventType::parse(e.as_str()), Some(e));
        }
    }
}
