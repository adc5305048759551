//! A bounded pool of face workers: N OS threads, each owning its own [`FaceModels`], fed by a
//! bounded queue. Runtime-agnostic: callers get a `std::sync::mpsc::Receiver` or pass a
//! callback (e.g. one that completes a tokio oneshot). A full queue is [`VisionError::Busy`]
//! at once, never a wait; the async runtime never runs face work.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::{faces_models_dir, FaceModels};
use crate::VisionError;

type Job = Box<dyn FnOnce(&mut FaceModels) + Send + 'static>;

/// How to start a [`FacePool`].
#[derive(Debug, Clone)]
pub struct FacePoolConfig {
    /// Worker threads. Each loads its own models (~0.7 s, ~40 MB RSS) and needs ~30 MB more
    /// while analysing a photo. Default: available cores.
    pub workers: usize,
    /// Jobs that may wait beyond those running. Default: 2 per worker.
    pub queue: usize,
    /// Directory holding the model files. Default: [`faces_models_dir`].
    pub models_dir: PathBuf,
}

impl Default for FacePoolConfig {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            workers,
            queue: workers * 2,
            models_dir: faces_models_dir(),
        }
    }
}

#[derive(Default)]
struct State {
    ready: AtomicUsize,
    failed: AtomicUsize,
    error: Mutex<Option<String>>,
}

/// N face workers behind a bounded queue. Dropping the pool lets queued jobs finish, then joins.
pub struct FacePool {
    sender: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    state: Arc<State>,
}

impl FacePool {
    /// Starts the workers; each loads its models in the background (see [`FacePool::is_ready`]).
    /// Jobs submitted before then wait in the queue.
    pub fn start(config: FacePoolConfig) -> Result<Self, VisionError> {
        let workers = config.workers.max(1);
        let (sender, receiver) = mpsc::sync_channel::<Job>(config.queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let state = Arc::new(State::default());
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let (receiver, state, dir) =
                (receiver.clone(), state.clone(), config.models_dir.clone());
            let handle = std::thread::Builder::new()
                .name(format!("idgate-face-{i}"))
                .spawn(move || worker(&receiver, &state, &dir))
                .map_err(|e| VisionError::Internal(format!("cannot start a face worker: {e}")))?;
            handles.push(handle);
        }
        Ok(Self {
            sender: Some(sender),
            workers: handles,
            state,
        })
    }

    /// Starts the pool and blocks until every worker has loaded its models (or one failed).
    pub fn start_and_wait(config: FacePoolConfig) -> Result<Self, VisionError> {
        let pool = Self::start(config)?;
        while !pool.is_ready() {
            if let Some(e) = pool.load_error() {
                return Err(VisionError::ModelUnavailable(e));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(pool)
    }

    /// True once every worker has its models loaded.
    pub fn is_ready(&self) -> bool {
        self.state.ready.load(Ordering::Acquire) == self.workers.len()
    }

    /// The first model-loading error, if any worker failed.
    pub fn load_error(&self) -> Option<String> {
        if self.state.failed.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.state
            .error
            .lock()
            .map_or_else(|p| p.into_inner().clone(), |g| g.clone())
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Queues `f` and calls `done` with its result on the worker thread. `Busy` when the queue
    /// is full; `ModelUnavailable` when every worker failed to load. If `f` panics, `done` is
    /// dropped uncalled (a oneshot sender then reports "closed").
    pub fn try_submit<F, R, D>(&self, f: F, done: D) -> Result<(), VisionError>
    where
        F: FnOnce(&mut FaceModels) -> R + Send + 'static,
        D: FnOnce(R) + Send + 'static,
    {
        let sender = self
            .sender
            .as_ref()
            .ok_or_else(|| VisionError::Internal("face pool stopped".into()))?;
        let job: Job = Box::new(move |models| done(f(models)));
        match sender.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(VisionError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(VisionError::ModelUnavailable(
                self.load_error()
                    .unwrap_or_else(|| "no face worker is running".into()),
            )),
        }
    }

    /// Queues `f`; the receiver yields its result (an error on it means `f` panicked).
    pub fn try_run<F, R>(&self, f: F) -> Result<Receiver<R>, VisionError>
    where
        F: FnOnce(&mut FaceModels) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.try_submit(f, move |r| {
            // The caller may have stopped waiting; nothing to do then.
            let _ = tx.send(r);
        })?;
        Ok(rx)
    }
}

impl Drop for FacePool {
    fn drop(&mut self) {
        self.sender = None;
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}

fn worker(receiver: &Mutex<Receiver<Job>>, state: &State, dir: &std::path::Path) {
    let mut models = match FaceModels::load(dir) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "face worker could not load its models");
            if let Ok(mut slot) = state.error.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
            state.failed.fetch_add(1, Ordering::AcqRel);
            return;
        }
    };
    state.ready.fetch_add(1, Ordering::AcqRel);
    loop {
        // Hold the lock only while taking a job, never while running it.
        let job = match receiver.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if catch_unwind(AssertUnwindSafe(|| job(&mut models))).is_err() {
            tracing::error!("a face job panicked; the worker carries on");
        }
    }
}
