//! `idgate liveness eval DIR`: runs every clip laid out as `DIR/<case>/{*.jpg|*.png, case.json}`
//! (`case.json`: `{"actions": [...], "expect": "pass" | "fail", "step_ms": 100}`; frames in file
//! name order) and reports each outcome with its reasons and timings, and how many met their
//! expectation.

use std::fmt::Write as _;
use std::path::Path;

use idgate_core::liveness::{Action, FrameRules};
use serde::Deserialize;

use super::LivenessFrame;
use crate::face::FaceModels;
use crate::VisionError;

#[derive(Debug, Deserialize)]
struct Case {
    actions: Vec<String>,
    #[serde(default = "default_expect")]
    expect: String,
    #[serde(default = "default_step")]
    step_ms: u64,
}

fn default_expect() -> String {
    "pass".into()
}

fn default_step() -> u64 {
    100
}

/// The report, one line per case and a summary.
pub fn eval_dir(dir: &Path, models: &mut FaceModels) -> Result<String, VisionError> {
    let io = |e: std::io::Error| VisionError::Internal(format!("{}: {e}", dir.display()));
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    let mut out = String::new();
    let (mut met, mut total) = (0, 0);
    for case_dir in &cases {
        let name = case_dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let line = match run_case(case_dir, models) {
            Ok((ok, line)) => {
                total += 1;
                met += usize::from(ok);
                line
            }
            Err(e) => format!("error: {e}"),
        };
        let _ = writeln!(out, "{name}: {line}");
    }
    let _ = writeln!(out, "{met} of {total} cases met their expectation");
    Ok(out)
}

fn run_case(dir: &Path, models: &mut FaceModels) -> Result<(bool, String), VisionError> {
    let bad = |m: String| VisionError::Internal(format!("{}: {m}", dir.display()));
    let text = std::fs::read_to_string(dir.join("case.json")).map_err(|e| bad(e.to_string()))?;
    let case: Case = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let actions: Vec<Action> = case
        .actions
        .iter()
        .map(|a| Action::parse(a).ok_or_else(|| bad(format!("unknown action {a}"))))
        .collect::<Result<_, _>>()?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| bad(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| matches!(x.to_str(), Some("jpg" | "jpeg" | "png" | "webp")))
        })
        .collect();
    files.sort();
    let frames = files
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(LivenessFrame {
                bytes: std::fs::read(p).map_err(|e| bad(e.to_string()))?,
                t_ms: i as u64 * case.step_ms,
            })
        })
        .collect::<Result<Vec<_>, VisionError>>()?;
    let r = models.verify_liveness(&frames, &actions, &FrameRules::default())?;
    let outcome = if r.passed { "pass" } else { "fail" };
    let ok = outcome == case.expect;
    let reasons: Vec<&str> = r.reasons.iter().map(|x| x.as_str()).collect();
    let seen: Vec<&str> = r.seen.iter().map(|x| x.as_str()).collect();
    let turns: Vec<String> = r
        .turns
        .iter()
        .map(|t| {
            format!(
                "{}(yaw {:.2}, non-planarity {:.3})",
                t.action.as_str(),
                t.yaw,
                t.non_planarity
            )
        })
        .collect();
    Ok((
        ok,
        format!(
            "{outcome} (expected {}{}) reasons [{}] seen [{}] turns [{}] identity {} selfie {} {} frames in {} ms",
            case.expect,
            if ok { "" } else { ", MISSED" },
            reasons.join(", "),
            seen.join(", "),
            turns.join(", "),
            r.identity_distance.map_or("-".into(), |d| format!("{d:.3}")),
            r.selfie_error.unwrap_or("ok"),
            r.frames_used,
            r.elapsed_ms
        ),
    ))
}
