//! What an inference worker owns: its own face models and its own OCR engine (neither may be
//! shared between threads), each loaded at start when preloaded, else before the first job that
//! needs it. A failed load is remembered and reported to every job that asks for that model,
//! while jobs needing the other model carry on.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::document::ocr::OcrEngine;
use crate::face::FaceModels;
use crate::VisionError;

/// Whether the workers can serve one kind of model, for `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelStatus {
    /// Every worker has the model (preloaded), or one loaded it on first use.
    Ready,
    /// Workers are still loading it at start.
    Loading,
    /// Not preloaded and no job needed it yet.
    Idle,
    /// A worker could not load it; jobs needing it answer `ModelUnavailable`.
    Unavailable(String),
}

/// Load counters of one kind of model across the workers.
#[derive(Default)]
pub(super) struct Loads {
    loaded: AtomicUsize,
    failed: AtomicUsize,
    error: Mutex<Option<String>>,
}

impl Loads {
    fn record<T>(&self, what: &str, r: Result<T, VisionError>) -> Slot<T> {
        match r {
            Ok(m) => {
                self.loaded.fetch_add(1, Ordering::AcqRel);
                Slot::Ready(m)
            }
            Err(e) => {
                tracing::error!(error = %e, "an inference worker could not load its {what} models");
                let msg = e.to_string();
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert_with(|| msg.clone());
                }
                self.failed.fetch_add(1, Ordering::AcqRel);
                Slot::Failed(msg)
            }
        }
    }

    pub(super) fn status(&self, preload: bool, workers: usize) -> ModelStatus {
        if self.failed.load(Ordering::Acquire) > 0 {
            let e = self.error.lock().ok().and_then(|g| g.clone());
            return ModelStatus::Unavailable(e.unwrap_or_default());
        }
        match (preload, self.loaded.load(Ordering::Acquire)) {
            (true, n) if n >= workers => ModelStatus::Ready,
            (true, _) => ModelStatus::Loading,
            // a lazy worker loads before its first job: one load proves the models work
            (false, 0) => ModelStatus::Idle,
            (false, _) => ModelStatus::Ready,
        }
    }
}

/// Where the models are and which ones load at start.
#[derive(Debug, Clone)]
pub struct ModelDirs {
    /// The dlib face models directory (`models/faces`).
    pub faces: PathBuf,
    /// The models root holding `ocr/` and `onnxruntime/`.
    pub ocr: PathBuf,
    pub preload_faces: bool,
    pub preload_ocr: bool,
}

pub(super) struct Shared {
    pub dirs: ModelDirs,
    pub faces: Loads,
    pub ocr: Loads,
}

enum Slot<T> {
    Untried,
    Ready(T),
    Failed(String),
}

fn get<'a, T>(
    slot: &'a mut Slot<T>,
    loads: &Loads,
    what: &str,
    load: impl FnOnce() -> Result<T, VisionError>,
) -> Result<&'a mut T, VisionError> {
    if matches!(slot, Slot::Untried) {
        *slot = loads.record(what, load());
    }
    match slot {
        Slot::Ready(m) => Ok(m),
        Slot::Failed(e) => Err(VisionError::ModelUnavailable(e.clone())),
        Slot::Untried => Err(VisionError::Internal("model slot left untried".into())),
    }
}

/// One worker's models, handed to each job it runs.
pub struct Engines {
    faces: Slot<FaceModels>,
    ocr: Slot<OcrEngine>,
    shared: std::sync::Arc<Shared>,
}

impl Engines {
    pub(super) fn new(shared: std::sync::Arc<Shared>) -> Self {
        let mut e = Self {
            faces: Slot::Untried,
            ocr: Slot::Untried,
            shared,
        };
        if e.shared.dirs.preload_faces {
            let _ = e.faces();
        }
        if e.shared.dirs.preload_ocr {
            let _ = e.ocr();
        }
        e
    }

    /// This worker's face models, loading them first if needed.
    pub fn faces(&mut self) -> Result<&mut FaceModels, VisionError> {
        let sh = &self.shared;
        get(&mut self.faces, &sh.faces, "face", || {
            FaceModels::load(&sh.dirs.faces)
        })
    }

    /// This worker's OCR engine, loading it first if needed.
    pub fn ocr(&mut self) -> Result<&mut OcrEngine, VisionError> {
        let sh = &self.shared;
        get(&mut self.ocr, &sh.ocr, "OCR", || {
            OcrEngine::load(&sh.dirs.ocr)
        })
    }
}
