//! The face engine as the server holds it: face jobs on the shared inference pool (see
//! [`crate::app::inference`]), its face-model status for `/readyz`, an async `run` that hands
//! work to the pool under the caller's tenant and awaits the answer without blocking the
//! runtime, and the decode budget its jobs share. Missing models never fail the start: face
//! routes then answer 503 `model_unavailable`.

use std::sync::Arc;

use idgate_vision::face::FaceModels;
use idgate_vision::intake::DecodeBudget;
use idgate_vision::pool::InferencePool;
use idgate_vision::VisionError;

use super::config::FacesConfig;
use crate::app::inference::{status_name, vision_error};
use crate::http::error::ApiError;

pub struct FaceEngine {
    pool: Arc<InferencePool>,
    budget: Arc<DecodeBudget>,
}

impl FaceEngine {
    /// Face work on `pool` (which preloads the face models when `faces.preload` is set).
    pub fn start(cfg: &FacesConfig, pool: Arc<InferencePool>) -> Self {
        Self {
            pool,
            budget: Arc::new(DecodeBudget::new(cfg.decode_budget_pixels)),
        }
    }

    /// The pixels face workers may hold decoded at once (`faces.decode_budget_pixels`): decode
    /// with [`idgate_vision::intake::load_within`] and keep the permit while the pixels live.
    pub fn decode_budget(&self) -> Arc<DecodeBudget> {
        self.budget.clone()
    }

    /// `ready`, `loading`, `unavailable`, or `idle` (`faces.preload` off, not used yet).
    pub fn status(&self) -> &'static str {
        status_name(&self.pool.faces_status())
    }

    /// Runs `f` on a worker's face models, queued under `tenant`. `busy` (503 + Retry-After)
    /// when the tenant's queue is full, `model_unavailable` (503) when the models are missing.
    /// Errors of `f` are mapped for the request field `field`.
    pub async fn run<R, F>(&self, tenant: &str, field: &str, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut FaceModels) -> Result<R, VisionError> + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool
            .try_submit(
                tenant,
                move |e| e.faces().and_then(f),
                move |r| {
                    let _ = tx.send(r);
                    release_freed_memory();
                },
            )
            .map_err(|e| vision_error(e, Some(field)))?;
        match rx.await {
            Ok(r) => r.map_err(|e| vision_error(e, Some(field))),
            Err(_) => {
                tracing::error!("a face job ended without an answer (panic)");
                Err(ApiError::internal())
            }
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

/// `idgate faces eval DIR`: embeds every `DIR/<person>/<photo>` and reports genuine and impostor
/// distance statistics, EER, TAR at FAR 1% and 0.1%, and the match levels on those pairs.
pub fn eval_report(cfg: &FacesConfig, dir: &std::path::Path) -> Result<String, String> {
    let mut models = FaceModels::load(&cfg.faces_dir()).map_err(|e| e.to_string())?;
    let report = idgate_vision::face::eval_dir(dir, &mut models).map_err(|e| e.to_string())?;
    Ok(report.to_string())
}
