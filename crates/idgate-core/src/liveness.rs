//! Active liveness, the domain half: the actions a challenge asks for, the stable reason codes a
//! verification answers, how actions are drawn, and the request-level frame rules. The pixels are
//! judged in `idgate-vision`; storing and serving challenges is the server's.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// One movement the person is asked to make, named from the person's point of view:
/// `turn_left` is the person turning their head to their own left, so in an unmirrored camera
/// frame the nose points toward the image's right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    TurnLeft,
    TurnRight,
    Blink,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::TurnLeft, Action::TurnRight, Action::Blink];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TurnLeft => "turn_left",
            Self::TurnRight => "turn_right",
            Self::Blink => "blink",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn is_turn(self) -> bool {
        matches!(self, Self::TurnLeft | Self::TurnRight)
    }
}

/// Why a verification did not pass. Stable snake_case codes (the API's `reasons`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A requested action was not seen (not far enough, or not back to the camera after it).
    ActionNotPerformed,
    /// The requested actions were seen, but not in the requested order (or extra turns were made).
    WrongOrder,
    /// The face in some frame is not the same person as in the others (embedding distance), or
    /// the tracked face jumped between frames.
    FaceChanged,
    /// Too many frames show no face.
    NoFace,
    /// A second face as large as the person's was in view.
    MultipleFaces,
    /// Fewer frames than the minimum.
    NotEnoughFrames,
    /// A gap between two frames is longer than allowed.
    FramesTooSparse,
    /// The frames span more than the recording limit.
    FramesTooLong,
    /// Frame timestamps do not start at 0 and strictly increase.
    FramesOutOfOrder,
    /// The challenge's deadline passed before it was verified.
    ChallengeExpired,
    /// The frames do not change: a still image repeated.
    StaticScene,
    /// The head turned as asked, but the face moved like a flat surface (a photo or screen
    /// tilted in front of the camera), not like a head.
    NotLive,
    /// The best frontal frame, kept as the selfie, fails the selfie quality gate.
    PoorQuality,
}

impl Reason {
    pub const ALL: [Reason; 13] = [
        Reason::ActionNotPerformed,
        Reason::WrongOrder,
        Reason::FaceChanged,
        Reason::NoFace,
        Reason::MultipleFaces,
        Reason::NotEnoughFrames,
        Reason::FramesTooSparse,
        Reason::FramesTooLong,
        Reason::FramesOutOfOrder,
        Reason::ChallengeExpired,
        Reason::StaticScene,
        Reason::NotLive,
        Reason::PoorQuality,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActionNotPerformed => "action_not_performed",
            Self::WrongOrder => "wrong_order",
            Self::FaceChanged => "face_changed",
            Self::NoFace => "no_face",
            Self::MultipleFaces => "multiple_faces",
            Self::NotEnoughFrames => "not_enough_frames",
            Self::FramesTooSparse => "frames_too_sparse",
            Self::FramesTooLong => "frames_too_long",
            Self::FramesOutOfOrder => "frames_out_of_order",
            Self::ChallengeExpired => "challenge_expired",
            Self::StaticScene => "static_scene",
            Self::NotLive => "not_live",
            Self::PoorQuality => "poor_quality",
        }
    }
}

/// Frame rules checked before any pixel is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRules {
    /// Fewest frames a verification needs.
    pub min_frames: usize,
    /// Most frames a request may carry (more is a 400, not a failed attempt).
    pub max_frames: usize,
    /// Longest allowed gap between consecutive frames, in ms.
    pub max_gap_ms: u64,
    /// Longest recording, first to last frame, in ms.
    pub max_span_ms: u64,
}

impl Default for FrameRules {
    fn default() -> Self {
        Self {
            min_frames: 8,
            max_frames: 120,
            max_gap_ms: 500,
            max_span_ms: 20_000,
        }
    }
}

impl FrameRules {
    /// Timing reasons for frames taken at `t_ms` (ms since the first frame), in order.
    pub fn timing_reasons(&self, t_ms: &[u64]) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if t_ms.len() < self.min_frames {
            reasons.push(Reason::NotEnoughFrames);
        }
        if t_ms.first().is_some_and(|&t| t != 0) || t_ms.windows(2).any(|w| w[1] <= w[0]) {
            reasons.push(Reason::FramesOutOfOrder);
            return reasons;
        }
        if t_ms.windows(2).any(|w| w[1] - w[0] > self.max_gap_ms) {
            reasons.push(Reason::FramesTooSparse);
        }
        if t_ms.last().is_some_and(|&t| t > self.max_span_ms) {
            reasons.push(Reason::FramesTooLong);
        }
        reasons
    }
}

/// Draws a live challenge: `count` (at least 2, at most 3) distinct actions in random order.
/// Two distinct actions out of three always include a head turn, the movement a flat photo
/// cannot fake.
pub fn draw_actions<R: Rng + ?Sized>(rng: &mut R, count: usize) -> Vec<Action> {
    let mut all = Action::ALL.to_vec();
    all.shuffle(rng);
    all.truncate(count.clamp(2, Action::ALL.len()));
    all
}

/// Checks actions a sandbox caller fixed: 1 to 6 of them, no action twice in a row.
pub fn check_fixed_actions(actions: &[Action]) -> Result<(), &'static str> {
    if actions.is_empty() || actions.len() > 6 {
        return Err("between 1 and 6 actions are needed");
    }
    if actions.windows(2).any(|w| w[0] == w[1]) {
        return Err("the same action twice in a row cannot be told apart");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn drawn_challenges_are_distinct_and_include_a_turn() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut orders = std::collections::HashSet::new();
        for _ in 0..200 {
            let a = draw_actions(&mut rng, 2);
            assert_eq!(a.len(), 2);
            assert_ne!(a[0], a[1]);
            assert!(a.iter().any(|x| x.is_turn()), "{a:?}");
            orders.insert(a);
        }
        assert_eq!(orders.len(), 6, "every ordered pair is drawn");
        assert_eq!(draw_actions(&mut rng, 9).len(), 3);
    }

    #[test]
    fn timing_rules() {
        let r = FrameRules::default();
        let even: Vec<u64> = (0..10).map(|i| i * 100).collect();
        assert!(r.timing_reasons(&even).is_empty());
        assert_eq!(r.timing_reasons(&even[..5]), [Reason::NotEnoughFrames]);
        let mut swapped = even.clone();
        swapped.swap(3, 4);
        assert_eq!(r.timing_reasons(&swapped), [Reason::FramesOutOfOrder]);
        let late: Vec<u64> = (1..11).map(|i| i * 100).collect();
        assert_eq!(r.timing_reasons(&late), [Reason::FramesOutOfOrder]);
        let sparse: Vec<u64> = (0..10).map(|i| i * 600).collect();
        assert_eq!(r.timing_reasons(&sparse), [Reason::FramesTooSparse]);
        let long: Vec<u64> = (0..60).map(|i| i * 400).collect();
        assert_eq!(r.timing_reasons(&long), [Reason::FramesTooLong]);
    }

    #[test]
    fn codes_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        for r in Reason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!(check_fixed_actions(&[Action::Blink, Action::Blink]).is_err());
        assert!(check_fixed_actions(&[]).is_err());
        assert!(check_fixed_actions(&[Action::TurnLeft, Action::Blink]).is_ok());
    }
}
