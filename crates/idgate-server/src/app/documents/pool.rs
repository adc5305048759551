//! The OCR worker pool: N OS threads, each owning its own [`OcrEngine`] (ONNX sessions run on
//! one intra-op thread each), fed by a bounded queue. A full queue is `Busy` at once (503 with
//! Retry-After), never a wait; the async runtime never runs OCR or PDF work. Models load once
//! per worker, at start or on first use; if they cannot load, the server still runs and every
//! job gets `None` for the engine (jobs needing OCR answer `model_unavailable`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use idgate_vision::document::ocr::OcrEngine;
use idgate_vision::VisionError;

type Job = Box<dyn FnOnce(Option<&mut OcrEngine>) + Send + 'static>;

#[derive(Default)]
struct Shared {
    loaded: AtomicUsize,
    failed: AtomicUsize,
    error: Mutex<Option<String>>,
}

/// Whether OCR can serve, for `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolStatus {
    /// Every worker has its models.
    Ready,
    /// Workers are still loading their models.
    Loading,
    /// Not preloading, and no job has run yet: models load on first use.
    Idle,
    /// A worker could not load the models; document routes needing OCR answer 503.
    Unavailable(String),
}

pub struct OcrPool {
    sender: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
    preload: bool,
}

impl OcrPool {
    /// Starts `workers` threads behind a queue of `queue` jobs. With `preload`, each worker loads
    /// its models now (in the background); otherwise before its first job.
    pub fn start(models_dir: PathBuf, workers: usize, queue: usize, preload: bool) -> Self {
        let (sender, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let shared = Arc::new(Shared::default());
        let handles = (0..workers.max(1))
            .filter_map(|i| {
                let (rx, sh, dir) = (receiver.clone(), shared.clone(), models_dir.clone());
                std::thread::Builder::new()
                    .name(format!("idgate-ocr-{i}"))
                    .spawn(move || worker(&rx, &sh, &dir, preload))
                    .map_err(|e| tracing::error!(error = %e, "cannot start an OCR worker"))
                    .ok()
            })
            .collect();
        Self {
            sender: Some(sender),
            workers: handles,
            shared,
            preload,
        }
    }

    pub fn status(&self) -> PoolStatus {
        if self.shared.failed.load(Ordering::Acquire) > 0 {
            let e = self.shared.error.lock().ok().and_then(|g| g.clone());
            return PoolStatus::Unavailable(e.unwrap_or_default());
        }
        if self.workers.is_empty() {
            return PoolStatus::Unavailable("no OCR worker is running".into());
        }
        let loaded = self.shared.loaded.load(Ordering::Acquire);
        match (self.preload, loaded) {
            (true, n) if n >= self.workers.len() => PoolStatus::Ready,
            (true, _) => PoolStatus::Loading,
            // each lazy worker loads before its first job: one loaded proves the models work
            (false, 0) => PoolStatus::Idle,
            (false, _) => PoolStatus::Ready,
        }
    }

    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Runs `f` on a worker and awaits its result. `Busy` when the queue is full; `Internal`
    /// if `f` panicked (the worker survives).
    pub async fn run<F, R>(&self, f: F) -> Result<R, VisionError>
    where
        F: FnOnce(Option<&mut OcrEngine>) -> R + Send + 'static,
        R: Send + 'static,
    {
        let sender = self
            .sender
            .as_ref()
            .ok_or_else(|| VisionError::Internal("OCR pool stopped".into()))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |engine| {
            let _ = tx.send(f(engine));
        });
        match sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(VisionError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(VisionError::ModelUnavailable(
                    "no OCR worker is running".into(),
                ))
            }
        }
        rx.await
            .map_err(|_| VisionError::Internal("an OCR job panicked".into()))
    }
}

impl Drop for OcrPool {
    fn drop(&mut self) {
        self.sender = None;
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}

fn load(shared: &Shared, dir: &Path) -> Option<OcrEngine> {
    match OcrEngine::load(dir) {
        Ok(e) => {
            shared.loaded.fetch_add(1, Ordering::AcqRel);
            Some(e)
        }
        Err(e) => {
            tracing::error!(error = %e, "OCR worker could not load its models");
            if let Ok(mut slot) = shared.error.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
            shared.failed.fetch_add(1, Ordering::AcqRel);
            None
        }
    }
}

fn worker(rx: &Mutex<Receiver<Job>>, shared: &Shared, dir: &Path, preload: bool) {
    let mut tried = preload;
    let mut engine = if preload { load(shared, dir) } else { None };
    loop {
        // Hold the lock only while taking a job, never while running it.
        let job = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if !tried {
            tried = true;
            engine = load(shared, dir);
        }
        if catch_unwind(AssertUnwindSafe(|| job(engine.as_mut()))).is_err() {
            tracing::error!("an OCR job panicked; the worker carries on");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn full_queue_is_busy_and_missing_models_are_unavailable() {
        let pool = Arc::new(OcrPool::start("/nonexistent/models".into(), 1, 1, false));
        assert_eq!(pool.status(), PoolStatus::Idle);
        let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        // job 1 runs (without an engine: the models are missing) and holds the worker
        let p1 = pool.clone();
        let first = tokio::spawn(async move {
            p1.run(move |engine| {
                let _ = started_tx.send(());
                let _ = hold_rx.recv();
                engine.is_none()
            })
            .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .unwrap()
            .unwrap();
        // job 2 waits in the queue (capacity 1); job 3 finds it full
        let p2 = pool.clone();
        let second = tokio::spawn(async move { p2.run(|_| 2).await });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let third = tokio::time::timeout(std::time::Duration::from_secs(1), pool.run(|_| 3)).await;
        assert!(matches!(third, Ok(Err(VisionError::Busy))), "{third:?}");
        hold_tx.send(()).unwrap();
        assert!(first.await.unwrap().unwrap(), "no engine without models");
        assert_eq!(second.await.unwrap().unwrap(), 2);
        assert!(matches!(pool.status(), PoolStatus::Unavailable(_)));
    }
}
