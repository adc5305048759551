//! The pure half of liveness: from per-frame head yaw and eye openness to the movements that
//! were made, and from those to the challenge's verdict. No pixels here; thresholds measured on
//! the shared clips and attack frames (see the README's liveness section).

use idgate_core::liveness::{Action, Reason};

/// Yaw (see `Mesh::yaw`; 0 faces the camera) must reach this for a turn. The shared head-turn
/// clip reaches ±0.87–1.07; a frontal person in the blink clips wobbles within ±0.43; photos
/// swung ±38° about their vertical axis move it by ≤ 0.21 (≤ 0.44 from an already turned pose).
pub const TURN: f32 = 0.5;
/// Back within this counts as facing the camera again.
pub const BACK: f32 = 0.25;
/// Blinks are only read while the head faces the camera this closely.
const BLINK_MAX_YAW: f32 = 0.3;
/// Eyes are closed when both aspect ratios fall below this fraction of the open value.
const CLOSED: f32 = 0.78;
/// And open again above this fraction.
const REOPENED: f32 = 0.9;
/// During a turn, tracked face texture must stray from the best single homography by at least
/// this (75th percentile, over the eye distance; see the liveness module's `PLANE_*`). Real
/// turns on the shared clip (and its variants): 0.096–0.47; prints swung ±35°: ≤ 0.026.
pub const NON_PLANAR: f32 = 0.06;

/// What one frame showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameSignal {
    /// Head yaw, or `None` when no face was found in this frame.
    pub yaw: Option<f32>,
    /// Eye aspect ratios (right, left).
    pub ear: (f32, f32),
}

/// A movement seen in the frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub action: Action,
    /// The last frame facing the camera before the movement (a turn's reference for planarity).
    pub from: usize,
    /// The frame of the turn's largest angle, or of the blink's closed eyes.
    pub peak: usize,
    /// The frame where the face was back (turns) or the eyes open again (blinks).
    pub to: usize,
    /// The yaw change at the peak (turns); the closed/open ratio (blinks).
    pub extent: f32,
}

/// The pose that faces the camera. The yaw measure is centred by construction (the nose between
/// the cheeks), so this is 0: a starting pose taken from the first frames moved with people who
/// began turning at once, and let a wobbling head count as a turn.
pub fn baseline(_signals: &[FrameSignal]) -> f32 {
    0.0
}

/// Head turns that reached [`TURN`] and came back within [`BACK`] (or swung straight through to
/// the other side), in order.
pub fn turns(signals: &[FrameSignal], base: f32) -> Vec<Event> {
    let mut events = Vec::new();
    let mut last_neutral = 0usize;
    // (direction +1/-1, from, peak, extent)
    let mut open: Option<(f32, usize, usize, f32)> = None;
    for (i, s) in signals.iter().enumerate() {
        let Some(yaw) = s.yaw else { continue };
        let d = yaw - base;
        match open {
            None => {
                if d.abs() < BACK {
                    last_neutral = i;
                } else if d.abs() >= TURN {
                    open = Some((d.signum(), last_neutral, i, d.abs()));
                }
            }
            Some((dir, from, peak, extent)) => {
                if d * dir > extent {
                    open = Some((dir, from, i, d * dir));
                } else if d.abs() < BACK || d * dir <= -TURN {
                    events.push(turn_event(dir, from, peak, i, extent));
                    last_neutral = i;
                    open = (d * dir <= -TURN).then_some((-dir, i, i, d.abs()));
                }
            }
        }
    }
    events
}

fn turn_event(dir: f32, from: usize, peak: usize, to: usize, extent: f32) -> Event {
    Event {
        action: if dir > 0.0 {
            Action::TurnLeft
        } else {
            Action::TurnRight
        },
        from,
        peak,
        to,
        extent,
    }
}

/// The eyes' open value: the 75th percentile of the mean aspect ratio over frontal frames.
pub fn open_eyes(signals: &[FrameSignal], base: f32) -> Option<f32> {
    let mut v: Vec<f32> = frontal(signals, base)
        .map(|(_, s)| (s.ear.0 + s.ear.1) / 2.0)
        .collect();
    if v.len() < 3 {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() * 3 / 4])
}

fn frontal(signals: &[FrameSignal], base: f32) -> impl Iterator<Item = (usize, &FrameSignal)> {
    signals
        .iter()
        .enumerate()
        .filter(move |(_, s)| s.yaw.is_some_and(|y| (y - base).abs() < BLINK_MAX_YAW))
}

/// Blinks: both eyes below [`CLOSED`] × open, then the mean back above [`REOPENED`] × open,
/// all while facing the camera.
pub fn blinks(signals: &[FrameSignal], base: f32) -> Vec<Event> {
    let Some(open) = open_eyes(signals, base) else {
        return Vec::new();
    };
    let mut events = Vec::new();
    let mut last_open = None;
    let mut closed: Option<(usize, usize, f32)> = None;
    for (i, s) in frontal(signals, base) {
        let mean = (s.ear.0 + s.ear.1) / 2.0;
        let shut = s.ear.0.max(s.ear.1) < CLOSED * open;
        match closed {
            None if shut => {
                if let Some(from) = last_open {
                    closed = Some((from, i, mean / open));
                }
            }
            None => {
                if mean >= REOPENED * open {
                    last_open = Some(i);
                }
            }
            Some((from, peak, depth)) => {
                if mean >= REOPENED * open {
                    events.push(Event {
                        action: Action::Blink,
                        from,
                        peak,
                        to: i,
                        extent: depth,
                    });
                    closed = None;
                    last_open = Some(i);
                } else if mean / open < depth {
                    closed = Some((from, i, mean / open));
                }
            }
        }
    }
    events
}

/// All movements, ordered by their peak frame.
pub fn events(signals: &[FrameSignal]) -> Vec<Event> {
    let base = baseline(signals);
    let mut all = turns(signals, base);
    all.extend(blinks(signals, base));
    all.sort_by_key(|e| e.peak);
    all
}

/// Matches the requested `actions` against the movements seen. Blinks nobody asked for are
/// natural and ignored; a turn nobody asked for (or asked for later) breaks the match. Returns
/// the indices into `seen` of the matched events, or the reason it failed.
pub fn match_actions(actions: &[Action], seen: &[Event]) -> Result<Vec<usize>, Reason> {
    let mut matched = Vec::with_capacity(actions.len());
    let mut next = 0;
    let mut stray_turn = false;
    for (i, e) in seen.iter().enumerate() {
        if next < actions.len() && e.action == actions[next] {
            matched.push(i);
            next += 1;
        } else if e.action.is_turn() {
            stray_turn = true;
        }
    }
    if next == actions.len() && !stray_turn {
        return Ok(matched);
    }
    // Were all requested movements made, just not as asked?
    let mut pool: Vec<Action> = seen.iter().map(|e| e.action).collect();
    let all_made = actions.iter().all(|a| {
        pool.iter()
            .position(|p| p == a)
            .map(|i| pool.remove(i))
            .is_some()
    });
    Err(if all_made {
        Reason::WrongOrder
    } else {
        Reason::ActionNotPerformed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(yaws: &[f32]) -> Vec<FrameSignal> {
        yaws.iter()
            .map(|&y| FrameSignal {
                yaw: Some(y),
                ear: (0.25, 0.25),
            })
            .collect()
    }

    #[test]
    fn turns_need_the_angle_and_the_way_back() {
        let s = series(&[0.0, 0.1, 0.5, 0.9, 0.4, 0.1, 0.0, -0.3, -0.7, -0.2, 0.0]);
        let e = turns(&s, baseline(&s));
        let kinds: Vec<_> = e.iter().map(|e| e.action).collect();
        assert_eq!(kinds, [Action::TurnLeft, Action::TurnRight]);
        assert_eq!((e[0].from, e[0].peak, e[0].to), (1, 3, 5));
        // A head wobbling within ±0.45 makes no turn.
        assert!(turns(&series(&[-0.25, 0.1, 0.43, 0.3, -0.37, -0.3, 0.0]), 0.0).is_empty());
        // Not far enough, or never back.
        assert!(turns(&series(&[0.0, 0.3, 0.45, 0.3, 0.0]), 0.0).is_empty());
        assert!(turns(&series(&[0.0, 0.3, 0.6, 0.9, 0.9]), 0.0).is_empty());
        // Straight through to the other side: two turns.
        let e = turns(&series(&[0.0, 0.6, 0.9, -0.6, -0.9, 0.0]), 0.0);
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn blinks_need_both_eyes_closed_then_open() {
        let ears = [0.25, 0.26, 0.25, 0.15, 0.12, 0.24, 0.25, 0.25];
        let mut s: Vec<_> = ears
            .iter()
            .map(|&e| FrameSignal {
                yaw: Some(0.0),
                ear: (e, e),
            })
            .collect();
        assert_eq!(blinks(&s, 0.0).len(), 1);
        // One eye only (a wink, or a misread) is not a blink.
        for f in &mut s {
            f.ear.1 = 0.25;
        }
        assert!(blinks(&s, 0.0).is_empty());
    }

    #[test]
    fn matching() {
        let ev = |a| Event {
            action: a,
            from: 0,
            peak: 0,
            to: 0,
            extent: 1.0,
        };
        use Action::*;
        let seen = [ev(Blink), ev(TurnLeft), ev(Blink), ev(TurnRight)];
        assert!(match_actions(&[TurnLeft, TurnRight], &seen).is_ok());
        assert_eq!(
            match_actions(&[TurnLeft, Blink], &seen),
            Err(Reason::WrongOrder)
        );
        assert_eq!(
            match_actions(&[TurnRight, TurnLeft], &seen),
            Err(Reason::WrongOrder)
        );
        assert_eq!(
            match_actions(&[TurnLeft, TurnLeft], &seen),
            Err(Reason::ActionNotPerformed)
        );
        assert_eq!(
            match_actions(&[Blink], &[]),
            Err(Reason::ActionNotPerformed)
        );
        assert_eq!(
            match_actions(&[TurnRight, Blink], &seen[3..]),
            Err(Reason::ActionNotPerformed)
        );
    }
}
