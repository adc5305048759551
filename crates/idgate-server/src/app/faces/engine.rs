//! The face engine as the server holds it: a bounded [`FacePool`] (started at server start, or
//! on first use when `faces.preload` is off), its status for `/readyz`, and an async `run` that
//! hands work to the pool and awaits the answer without blocking the runtime, and the decode
//! budget its workers share. A missing model directory never fails the start: face routes then
//! answer 503 `model_unavailable`.

use std::sync::{Arc, OnceLock};

use idgate_core::{Code, FieldError};
use idgate_vision::face::{FaceModels, FacePool, FacePoolConfig, ENCODER_FILE, LANDMARKS_FILE};
use idgate_vision::intake::DecodeBudget;
use idgate_vision::VisionError;

use super::config::FacesConfig;
use crate::http::error::ApiError;

/// Seconds a client should wait after `busy`.
pub const RETRY_AFTER_SECS: u64 = 1;

pub struct FaceEngine {
    cfg: FacesConfig,
    pool: OnceLock<Result<FacePool, String>>,
    budget: Arc<DecodeBudget>,
}

impl FaceEngine {
    /// Starts the pool now when `preload` is set (models load in the background).
    pub fn start(cfg: &FacesConfig) -> Self {
        let engine = Self {
            cfg: cfg.clone(),
            pool: OnceLock::new(),
            budget: Arc::new(DecodeBudget::new(cfg.decode_budget_pixels)),
        };
        if cfg.preload {
            let _ = engine.pool();
        }
        engine
    }

    fn pool(&self) -> &Result<FacePool, String> {
        self.pool.get_or_init(|| {
            let dir = self.cfg.faces_dir();
            for f in [ENCODER_FILE, LANDMARKS_FILE] {
                if !dir.join(f).is_file() {
                    let msg = format!("{} is missing; run scripts/setup.sh", dir.join(f).display());
                    tracing::error!(error = %msg, "face models unavailable; face routes answer 503");
                    return Err(msg);
                }
            }
            FacePool::start(FacePoolConfig {
                workers: self.cfg.workers(),
                queue: self.cfg.queue(),
                models_dir: dir,
            })
            .map_err(|e| e.to_string())
        })
    }

    /// The pixels face workers may hold decoded at once (`faces.decode_budget_pixels`): decode
    /// with [`idgate_vision::intake::load_within`] and keep the permit while the pixels live.
    pub fn decode_budget(&self) -> Arc<DecodeBudget> {
        self.budget.clone()
    }

    /// `ready`, `loading`, `unavailable`, or `idle` (not started yet: `preload` off).
    pub fn status(&self) -> &'static str {
        match self.pool.get() {
            None => "idle",
            Some(Err(_)) => "unavailable",
            Some(Ok(p)) if p.load_error().is_some() => "unavailable",
            Some(Ok(p)) if p.is_ready() => "ready",
            Some(Ok(_)) => "loading",
        }
    }

    /// Runs `f` on a face worker. `busy` (503 + Retry-After) when the queue is full,
    /// `model_unavailable` (503) when the models are missing. Errors of `f` are mapped with
    /// [`vision_error`] for the request field `field`.
    pub async fn run<R, F>(&self, field: &str, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut FaceModels) -> Result<R, VisionError> + Send + 'static,
        R: Send + 'static,
    {
        let pool = match self.pool() {
            Ok(p) => p,
            Err(m) => {
                return Err(vision_error(
                    VisionError::ModelUnavailable(m.clone()),
                    field,
                ))
            }
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        pool.try_submit(f, move |r| {
            let _ = tx.send(r);
            release_freed_memory();
        })
        .map_err(|e| vision_error(e, field))?;
        match rx.await {
            Ok(r) => r.map_err(|e| vision_error(e, field)),
            Err(_) => Err(match pool.load_error() {
                Some(m) => vision_error(VisionError::ModelUnavailable(m), field),
                None => {
                    tracing::error!("a face job ended without an answer (panic)");
                    ApiError::internal()
                }
            }),
        }
    }
}

// The binary's global allocator (`mimalloc::MiMalloc` in main.rs); see `release_freed_memory`.
extern "C" {
    fn mi_collect(force: bool);
}

/// Called on the face worker after each job: hands the pages it freed (a decoded photo and its
/// working copies are several MB each) back to the OS at once. Without it mimalloc keeps them a
/// while, and under bench/faces (2 workers, 4 clients) the server's peak RSS was ~280 MB above
/// its RSS with the models loaded; with it, ~190 MB (cheap next to a ~100 ms job).
fn release_freed_memory() {
    // Keep mimalloc's static library linked in every build of this crate (tests included).
    let _ = std::mem::size_of::<mimalloc::MiMalloc>();
    // SAFETY: `mi_collect` only frees or purges memory mimalloc itself owns and no longer uses;
    // any thread may call it at any time.
    unsafe { mi_collect(true) }
}

/// A vision error as an API error: 400 for what the caller sent (the quality gate's codes carry
/// the QI title `image_quality`), 413 for oversized images, 503 for busy or missing models.
/// The failing request field is named in `details`.
pub fn vision_error(e: VisionError, field: &str) -> ApiError {
    let code = match &e {
        VisionError::InvalidBase64(_) => Code::InvalidBase64,
        VisionError::UnsupportedFormat(_) => Code::UnsupportedImageFormat,
        VisionError::ImageTooLarge { .. } => Code::ImageTooLarge,
        VisionError::TooManyPixels { .. } => Code::ImageTooManyPixels,
        VisionError::CorruptImage(_) => Code::CorruptImage,
        VisionError::NoFace => Code::NoFace,
        VisionError::MultipleFaces(_) => Code::MultipleFaces,
        VisionError::FaceTooSmall(_) => Code::FaceTooSmall,
        VisionError::TooBlurry => Code::TooBlurry,
        VisionError::TooDark => Code::TooDark,
        VisionError::TooBright => Code::TooBright,
        VisionError::InvalidFrames(_) => Code::InvalidFrames,
        VisionError::Busy => {
            let mut a = ApiError::new(Code::Busy, "every face worker is busy; retry shortly");
            a.retry_after = Some(RETRY_AFTER_SECS);
            return a;
        }
        VisionError::ModelUnavailable(m) => {
            tracing::error!(error = %m, "face model unavailable");
            let mut a = ApiError::new(
                Code::ModelUnavailable,
                "the face models are not installed on this server (run scripts/setup.sh)",
            );
            a.retry_after = Some(60);
            return a;
        }
        _ => {
            tracing::error!(error = %e, "face engine failure");
            return ApiError::internal();
        }
    };
    let message = e.to_string();
    let mut a = ApiError::new(code, format!("{field}: {message}"));
    a.details
        .push(FieldError::new(field, code.as_str(), message));
    a
}

/// `idgate faces eval DIR`: embeds every `DIR/<person>/<photo>` and reports genuine and impostor
/// distance statistics, EER, TAR at FAR 1% and 0.1%, and the match levels on those pairs.
pub fn eval_report(cfg: &FacesConfig, dir: &std::path::Path) -> Result<String, String> {
    let mut models = FaceModels::load(&cfg.faces_dir()).map_err(|e| e.to_string())?;
    let report = idgate_vision::face::eval_dir(dir, &mut models).map_err(|e| e.to_string())?;
    Ok(report.to_string())
}
