//! Verification evaluation on a labelled photo folder: genuine/impostor distance statistics,
//! EER and TAR at fixed FARs, with [`std::fmt::Display`] for `idgate faces eval DIR`.
//!
//! Layouts: `DIR/<person>/<photo>` or a flat `DIR` with `labels.csv` (`file,label,...`; rows
//! labelled `MULTI` or with a `kind` other than `single_face` are skipped).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::analyze::AnalysisMode;
use super::similarity::{Embedding, DEFAULT_THRESHOLD, MATCH_LEVELS};
use super::FaceModels;
use crate::intake::{self, IntakeLimits};
use crate::VisionError;

/// count / min / mean / max of a set of distances.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DistanceStats {
    pub count: usize,
    pub min: f32,
    pub mean: f32,
    pub max: f32,
}

impl DistanceStats {
    fn of(values: &[f32]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let min = values.iter().copied().fold(f32::INFINITY, f32::min);
        let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mean = values.iter().sum::<f32>() / values.len() as f32;
        Self {
            count: values.len(),
            min,
            mean,
            max,
        }
    }
}

/// Everything `eval_dir` measured.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// Photos embedded.
    pub photos: usize,
    /// Distinct labels among them.
    pub people: usize,
    /// Photos that could not be used: (file, error code).
    pub failures: Vec<(String, String)>,
    pub genuine: DistanceStats,
    pub impostor: DistanceStats,
    /// Equal error rate and the distance where it occurs.
    pub eer: f32,
    pub eer_threshold: f32,
    /// (target FAR, TAR reached, distance threshold used) for FAR 1% and 0.1%.
    pub tar_at_far: Vec<(f32, f32, f32)>,
    /// FAR and FRR at [`DEFAULT_THRESHOLD`].
    pub far_at_default: f32,
    pub frr_at_default: f32,
    /// Per match level: (level, max distance, FAR, TAR) on these pairs.
    pub levels: Vec<(u8, f32, f32, f32)>,
    /// Impostor distance quantiles: (fraction, distance) for 0.1%, 1% and 5%.
    pub impostor_quantiles: Vec<(f32, f32)>,
    /// Mean time per photo.
    pub mean_detect: Duration,
    pub mean_embed: Duration,
}

/// Embeds every labelled photo under `dir` and scores all pairs.
pub fn eval_dir(dir: &Path, models: &mut FaceModels) -> Result<EvalReport, VisionError> {
    let photos = list_photos(dir)?;
    let mut report = EvalReport::default();
    let mut embedded: Vec<(String, Embedding)> = Vec::new();
    let (mut detect, mut embed) = (Duration::ZERO, Duration::ZERO);
    for (path, label) in photos {
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let analysed = std::fs::read(&path)
            .map_err(|e| VisionError::Internal(format!("{}: {e}", path.display())))
            .and_then(|bytes| intake::load(&bytes, IntakeLimits::default()))
            .and_then(|img| models.analyze(&img.image, AnalysisMode::Selfie));
        match analysed {
            Ok(a) => {
                detect += a.timings.detect;
                embed += a.timings.embed;
                embedded.push((label, a.embedding));
            }
            Err(e) => report.failures.push((name, e.code().to_string())),
        }
    }
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for (i, (la, ea)) in embedded.iter().enumerate() {
        for (lb, eb) in &embedded[i + 1..] {
            let d = ea.distance(eb);
            if la == lb {
                genuine.push(d)
            } else {
                impostor.push(d)
            }
        }
    }
    let mut labels: Vec<&String> = embedded.iter().map(|(l, _)| l).collect();
    labels.sort();
    labels.dedup();
    report.people = labels.len();
    report.photos = embedded.len();
    let n = embedded.len().max(1) as u32;
    (report.mean_detect, report.mean_embed) = (detect / n, embed / n);
    report.genuine = DistanceStats::of(&genuine);
    report.impostor = DistanceStats::of(&impostor);
    (report.eer, report.eer_threshold) = eer(&genuine, &impostor);
    report.tar_at_far = [0.01f32, 0.001]
        .iter()
        .map(|&far| tar_at_far(&genuine, &impostor, far))
        .collect();
    report.levels = MATCH_LEVELS
        .iter()
        .map(|&(level, max)| {
            (
                level,
                max,
                rate(&impostor, |d| d <= max),
                rate(&genuine, |d| d <= max),
            )
        })
        .collect();
    impostor.sort_by(f32::total_cmp);
    report.impostor_quantiles = [0.001f32, 0.01, 0.05]
        .iter()
        .filter_map(|&q| {
            impostor
                .get((q * impostor.len() as f32) as usize)
                .map(|&d| (q, d))
        })
        .collect();
    report.far_at_default = rate(&impostor, |d| d <= DEFAULT_THRESHOLD);
    report.frr_at_default = rate(&genuine, |d| d > DEFAULT_THRESHOLD);
    Ok(report)
}

fn rate(values: &[f32], pred: impl Fn(f32) -> bool) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().filter(|&&d| pred(d)).count() as f32 / values.len() as f32
}

/// Sweeps every observed distance as a threshold; returns the point where FAR and FRR are closest
/// (their mean there) and that threshold.
fn eer(genuine: &[f32], impostor: &[f32]) -> (f32, f32) {
    let mut best = (f32::INFINITY, 0.0f32, 0.0f32);
    let mut candidates: Vec<f32> = genuine.iter().chain(impostor).copied().collect();
    candidates.sort_by(f32::total_cmp);
    for t in candidates {
        let far = rate(impostor, |d| d <= t);
        let frr = rate(genuine, |d| d > t);
        if (far - frr).abs() < best.0 {
            best = ((far - frr).abs(), (far + frr) / 2.0, t);
        }
    }
    (best.1, best.2)
}

/// The largest threshold whose FAR is at most `far`, and the TAR there: (far, tar, threshold).
fn tar_at_far(genuine: &[f32], impostor: &[f32], far: f32) -> (f32, f32, f32) {
    let mut sorted = impostor.to_vec();
    sorted.sort_by(f32::total_cmp);
    // Accept at most floor(far * n) impostors: threshold just below the next impostor distance.
    let allowed = (far * sorted.len() as f32).floor() as usize;
    let threshold = sorted.get(allowed).map_or(f32::INFINITY, |d| d - 1e-6);
    (far, rate(genuine, |d| d <= threshold), threshold)
}

/// (photo path, label) pairs from either layout, sorted by path.
fn list_photos(dir: &Path) -> Result<Vec<(PathBuf, String)>, VisionError> {
    let io = |e: std::io::Error| VisionError::Internal(format!("{}: {e}", dir.display()));
    let csv = dir.join("labels.csv");
    let mut out = Vec::new();
    if csv.is_file() {
        let text = std::fs::read_to_string(&csv).map_err(io)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .collect();
        let kind_col = header.iter().position(|h| *h == "kind");
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let (Some(file), Some(label)) = (cols.first(), cols.get(1)) else {
                continue;
            };
            let single = kind_col
                .and_then(|k| cols.get(k))
                .is_none_or(|k| *k == "single_face");
            if !label.is_empty() && *label != "MULTI" && single {
                out.push((dir.join(file), (*label).to_string()));
            }
        }
    } else {
        for person in std::fs::read_dir(dir).map_err(io)? {
            let person = person.map_err(io)?.path();
            if !person.is_dir() {
                continue;
            }
            let label = person
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for photo in std::fs::read_dir(&person).map_err(io)? {
                let photo = photo.map_err(io)?.path();
                if photo.is_file() {
                    out.push((photo, label.clone()));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = |f: &mut fmt::Formatter<'_>, name: &str, s: &DistanceStats| {
            writeln!(
                f,
                "{name:<9} pairs {:>5}  min {:.3}  mean {:.3}  max {:.3}",
                s.count, s.min, s.mean, s.max
            )
        };
        writeln!(
            f,
            "photos {}  people {}  unusable {}",
            self.photos,
            self.people,
            self.failures.len()
        )?;
        for (file, code) in &self.failures {
            writeln!(f, "  unusable {file}: {code}")?;
        }
        stats(f, "genuine", &self.genuine)?;
        stats(f, "impostor", &self.impostor)?;
        writeln!(
            f,
            "EER {:.2}% at distance {:.3}",
            self.eer * 100.0,
            self.eer_threshold
        )?;
        for (far, tar, t) in &self.tar_at_far {
            writeln!(
                f,
                "TAR {:.2}% at FAR {}% (distance <= {t:.3})",
                tar * 100.0,
                far * 100.0
            )?;
        }
        for (level, max, far, tar) in &self.levels {
            writeln!(
                f,
                "level {level} (distance <= {max:.2}): FAR {:.2}%  TAR {:.2}%",
                far * 100.0,
                tar * 100.0
            )?;
        }
        for (q, d) in &self.impostor_quantiles {
            writeln!(f, "impostor {:.1}% quantile: distance {d:.3}", q * 100.0)?;
        }
        writeln!(
            f,
            "at default threshold {DEFAULT_THRESHOLD}: FAR {:.2}%  FRR {:.2}%",
            self.far_at_default * 100.0,
            self.frr_at_default * 100.0
        )?;
        write!(
            f,
            "mean per photo: detect {:?}  embed {:?}",
            self.mean_detect, self.mean_embed
        )
    }
}
