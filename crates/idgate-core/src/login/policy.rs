//! Anti push-bombing policy (CISA, NIST SP 800-63B): whether another push may be sent to a
//! username, decided from counts the caller reads from storage. Pure: no counting here.

use crate::error::Code;

/// Limits on pushes. Windows and cooldown are in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushPolicy {
    /// Live (pending or scanned) push logins one username may have at once.
    pub max_pending_per_user: u32,
    /// Pushes one client may send to one username per `rate_window`.
    pub max_per_client_user: u32,
    pub rate_window: i64,
    /// This many denials of one username within `denial_window` start a cooldown...
    pub denials_before_cooldown: u32,
    pub denial_window: i64,
    /// ...of this long after the last denial, during which no push is sent.
    pub cooldown: i64,
}

impl Default for PushPolicy {
    /// 3 live pushes per user; 5 pushes per client and user per 10 minutes; 3 denials in an
    /// hour silence pushes for an hour after the last one.
    fn default() -> Self {
        Self {
            max_pending_per_user: 3,
            max_per_client_user: 5,
            rate_window: 600,
            denials_before_cooldown: 3,
            denial_window: 3600,
            cooldown: 3600,
        }
    }
}

impl PushPolicy {
    /// Count pushes created at or after this time for `PushCounts::sent_in_window`.
    pub fn rate_window_start(&self, now: i64) -> i64 {
        now.saturating_sub(self.rate_window)
    }

    /// Count denials at or after this time for `PushCounts::denials_in_window`.
    pub fn denial_window_start(&self, now: i64) -> i64 {
        now.saturating_sub(self.denial_window)
    }
}

/// What the caller counted for one (client, username) pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushCounts {
    /// Live push logins of the username, across clients.
    pub pending_for_user: u32,
    /// Pushes this client sent this username since [`PushPolicy::rate_window_start`].
    pub sent_in_window: u32,
    /// Oldest of those pushes, to tell when the window frees a slot.
    pub oldest_sent_in_window: Option<i64>,
    /// Denials by the username (any client) since [`PushPolicy::denial_window_start`].
    pub denials_in_window: u32,
    pub last_denial_at: Option<i64>,
}

/// Why a push was refused; stable snake_case reasons for logs, events and error details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    TooManyPending,
    RateLimited,
    CoolingDown,
}

impl RefuseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooManyPending => "too_many_pending",
            Self::RateLimited => "push_rate_limited",
            Self::CoolingDown => "cooldown_after_denials",
        }
    }

    /// All answer `429 rate_limited`, with the reason in `details`.
    pub fn code(self) -> Code {
        Code::RateLimited
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushDecision {
    Allow,
    /// `retry_after` in seconds when it can be known (for a `Retry-After` header).
    Refuse {
        reason: RefuseReason,
        retry_after: Option<i64>,
    },
}

/// Decides whether one more push may go to the username. The cooldown is checked first (it
/// is the strongest signal of bombing), then live requests, then the rate.
pub fn check_push(policy: &PushPolicy, counts: &PushCounts, now: i64) -> PushDecision {
    let refuse = |reason, retry_after| PushDecision::Refuse {
        reason,
        retry_after,
    };
    if counts.denials_in_window >= policy.denials_before_cooldown {
        let until = counts
            .last_denial_at
            .map(|t| t.saturating_add(policy.cooldown));
        match until {
            Some(u) if u > now => {
                return refuse(RefuseReason::CoolingDown, Some(u.saturating_sub(now)))
            }
            Some(_) => {}
            None => return refuse(RefuseReason::CoolingDown, None),
        }
    }
    if counts.pending_for_user >= policy.max_pending_per_user {
        return refuse(RefuseReason::TooManyPending, None);
    }
    if counts.sent_in_window >= policy.max_per_client_user {
        let retry = counts.oldest_sent_in_window.map(|t| {
            t.saturating_add(policy.rate_window)
                .saturating_sub(now)
                .max(1)
        });
        return refuse(RefuseReason::RateLimited, retry);
    }
    PushDecision::Allow
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn table() {
        let p = PushPolicy::default();
        let c = PushCounts::default();
        let cases: Vec<(&str, PushCounts, PushDecision)> = vec![
            ("quiet", c, PushDecision::Allow),
            (
                "two live",
                PushCounts {
                    pending_for_user: 2,
                    ..c
                },
                PushDecision::Allow,
            ),
            (
                "three live",
                PushCounts {
                    pending_for_user: 3,
                    ..c
                },
                PushDecision::Refuse {
                    reason: RefuseReason::TooManyPending,
                    retry_after: None,
                },
            ),
            (
                "rate",
                PushCounts {
                    sent_in_window: 5,
                    oldest_sent_in_window: Some(NOW - 500),
                    ..c
                },
                PushDecision::Refuse {
                    reason: RefuseReason::RateLimited,
                    retry_after: Some(100),
                },
            ),
            (
                "under rate",
                PushCounts {
                    sent_in_window: 4,
                    ..c
                },
                PushDecision::Allow,
            ),
            (
                "denials, recent",
                PushCounts {
                    denials_in_window: 3,
                    last_denial_at: Some(NOW - 60),
                    ..c
                },
                PushDecision::Refuse {
                    reason: RefuseReason::CoolingDown,
                    retry_after: Some(3540),
                },
            ),
            (
                "denials, cooled down",
                PushCounts {
                    denials_in_window: 3,
                    last_denial_at: Some(NOW - 3600),
                    ..c
                },
                PushDecision::Allow,
            ),
            (
                "two denials",
                PushCounts {
                    denials_in_window: 2,
                    last_denial_at: Some(NOW),
                    ..c
                },
                PushDecision::Allow,
            ),
            (
                "cooldown wins over pending",
                PushCounts {
                    denials_in_window: 9,
                    last_denial_at: Some(NOW),
                    pending_for_user: 9,
                    ..c
                },
                PushDecision::Refuse {
                    reason: RefuseReason::CoolingDown,
                    retry_after: Some(3600),
                },
            ),
        ];
        for (name, counts, want) in cases {
            assert_eq!(check_push(&p, &counts, NOW), want, "{name}");
        }
        assert_eq!(p.rate_window_start(NOW), NOW - 600);
        assert_eq!(p.denial_window_start(NOW), NOW - 3600);
        assert_eq!(RefuseReason::CoolingDown.code().status(), 429);
    }
}
