//! The one inference pool of the process: N OS threads (sized once, one per core by default),
//! each owning its own face models and OCR engine ([`Engines`]), fed by a [`FairQueue`] that
//! keeps one bounded queue per tenant and serves tenants round-robin, so one tenant's burst
//! cannot starve another's request. A full queue is [`VisionError::Busy`] at once, never a wait.
//! Runtime-agnostic: callers pass a callback (e.g. one that completes a tokio oneshot) or take a
//! `std::sync::mpsc::Receiver`; the async runtime never runs inference.

mod engines;
pub mod fair;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

pub use engines::{Engines, ModelDirs, ModelStatus};
pub use fair::FairQueue;

use crate::VisionError;
use engines::{Loads, Shared};
use fair::Refused;

type Job = Box<dyn FnOnce(&mut Engines) + Send + 'static>;

/// How to start the [`InferencePool`].
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Worker threads (at least 1).
    pub workers: usize,
    /// Jobs one tenant may have waiting beyond those running.
    pub queue_per_tenant: usize,
    /// Jobs all tenants together may have waiting.
    pub queue_total: usize,
    pub models: ModelDirs,
}

/// The workers and their fair queue. Dropping the pool lets queued jobs finish, then joins.
pub struct InferencePool {
    queue: Arc<FairQueue<Job>>,
    workers: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl InferencePool {
    /// Starts the workers; preloaded models load in the background (see the `*_status` methods).
    pub fn start(config: PoolConfig) -> Result<Self, VisionError> {
        let queue = Arc::new(FairQueue::new(config.queue_per_tenant, config.queue_total));
        let shared = Arc::new(Shared {
            dirs: config.models,
            faces: Loads::default(),
            ocr: Loads::default(),
        });
        let mut workers = Vec::new();
        for i in 0..config.workers.max(1) {
            let (q, sh) = (queue.clone(), shared.clone());
            let handle = std::thread::Builder::new()
                .name(format!("idgate-inference-{i}"))
                .spawn(move || worker(&q, sh))
                .map_err(|e| VisionError::Internal(format!("cannot start a worker: {e}")))?;
            workers.push(handle);
        }
        Ok(Self {
            queue,
            workers,
            shared,
        })
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Whether face jobs can run.
    pub fn faces_status(&self) -> ModelStatus {
        let preload = self.shared.dirs.preload_faces;
        self.shared.faces.status(preload, self.workers())
    }

    /// Whether OCR jobs can run.
    pub fn ocr_status(&self) -> ModelStatus {
        let preload = self.shared.dirs.preload_ocr;
        self.shared.ocr.status(preload, self.workers())
    }

    /// Queues `f` for `tenant` and calls `done` with its result on the worker thread. `Busy`
    /// when this tenant's queue (or the whole queue) is full. If `f` panics, `done` is dropped
    /// uncalled (a oneshot sender then reports "closed") and the worker carries on.
    pub fn try_submit<F, R, D>(&self, tenant: &str, f: F, done: D) -> Result<(), VisionError>
    where
        F: FnOnce(&mut Engines) -> R + Send + 'static,
        D: FnOnce(R) + Send + 'static,
    {
        let job: Job = Box::new(move |engines| done(f(engines)));
        self.queue.push(tenant, job).map_err(|r| match r {
            Refused::Full => VisionError::Busy,
            Refused::Closed => VisionError::Internal("the inference pool stopped".into()),
        })
    }

    /// Queues `f` for `tenant`; the receiver yields its result (an error on it: `f` panicked).
    pub fn try_run<F, R>(&self, tenant: &str, f: F) -> Result<Receiver<R>, VisionError>
    where
        F: FnOnce(&mut Engines) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.try_submit(tenant, f, move |r| {
            // the caller may have stopped waiting; nothing to do then
            let _ = tx.send(r);
        })?;
        Ok(rx)
    }
}

impl Drop for InferencePool {
    fn drop(&mut self) {
        self.queue.close();
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}

fn worker(queue: &FairQueue<Job>, shared: Arc<Shared>) {
    let mut engines = Engines::new(shared);
    while let Some(job) = queue.pop() {
        if catch_unwind(AssertUnwindSafe(|| job(&mut engines))).is_err() {
            tracing::error!("an inference job panicked; the worker carries on");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn no_models() -> ModelDirs {
        let dir = std::env::temp_dir().join("idgate-pool-test-no-models");
        ModelDirs {
            faces: dir.clone(),
            ocr: dir,
            preload_faces: false,
            preload_ocr: false,
        }
    }

    /// With the only worker held busy, tenant A fills its queue and is refused past it, tenant
    /// B's one job is still accepted and runs right after A's first, not after all of A's.
    #[test]
    fn a_tenants_burst_neither_starves_nor_blocks_another_tenant() {
        let pool = InferencePool::start(PoolConfig {
            workers: 1,
            queue_per_tenant: 4,
            queue_total: 64,
            models: no_models(),
        })
        .unwrap();
        let (hold_tx, hold_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (order_tx, order_rx) = mpsc::channel::<String>();
        pool.try_submit(
            "c",
            move |_| {
                started_tx.send(()).unwrap();
                hold_rx.recv_timeout(Duration::from_secs(60)).unwrap();
            },
            |_| {},
        )
        .unwrap();
        started_rx.recv_timeout(Duration::from_secs(60)).unwrap();
        let run = |tenant: &str, name: String| {
            let tx = order_tx.clone();
            pool.try_submit(tenant, move |_| tx.send(name).unwrap(), |_| {})
        };
        for i in 1..=4 {
            run("a", format!("a{i}")).unwrap();
        }
        assert!(matches!(run("a", "a5".into()), Err(VisionError::Busy)));
        run("b", "b1".into()).expect("B is not refused for A's burst");
        hold_tx.send(()).unwrap();
        let order: Vec<String> = (0..5)
            .map(|_| order_rx.recv_timeout(Duration::from_secs(60)).unwrap())
            .collect();
        assert_eq!(order, ["a1", "b1", "a2", "a3", "a4"]);
    }

    #[test]
    fn a_panicking_job_drops_its_callback_and_the_worker_carries_on() {
        let pool = InferencePool::start(PoolConfig {
            workers: 1,
            queue_per_tenant: 2,
            queue_total: 2,
            models: no_models(),
        })
        .unwrap();
        let rx = pool.try_run("a", |_| -> u8 { panic!("boom") }).unwrap();
        assert!(rx.recv_timeout(Duration::from_secs(60)).is_err());
        let rx = pool.try_run("a", |e| e.ocr().is_err()).unwrap();
        assert!(rx.recv_timeout(Duration::from_secs(60)).unwrap());
        assert!(matches!(pool.ocr_status(), ModelStatus::Unavailable(_)));
    }
}
