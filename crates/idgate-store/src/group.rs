//! Group commit: concurrent writes of one kind queue for a writer task that stores whatever has
//! queued up (at most [`MAX_BATCH`]) in one transaction, so a burst pays for one commit (and,
//! on SQLite, one trip to the connection's thread per statement) instead of one per write.
//! Every caller is answered only after its rows are committed; nothing is acknowledged before
//! it is durable. A failed batch is retried one write at a time, so one bad write fails alone.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::db::{Backend, Store};
use crate::dialect::in_order_params;
use crate::error::{Result, StoreError};

/// Most writes one transaction takes.
pub(crate) const MAX_BATCH: usize = 64;
/// Queued writes per lane before callers wait for room.
const QUEUE: usize = 1024;

/// A kind of write that can be grouped.
pub(crate) trait GroupWrite: Sized + Send + Sync + 'static {
    type Out: Send + 'static;
    /// Stores `items` in one transaction; the outcome of each, in order.
    fn write_batch(
        store: &Store,
        items: &[Self],
    ) -> impl Future<Output = Result<Vec<Self::Out>>> + Send;
    /// Stores one item on its own (after its batch failed).
    fn write_one(store: &Store, item: &Self) -> impl Future<Output = Result<Self::Out>> + Send;
}

type Job<W> = (W, oneshot::Sender<Result<<W as GroupWrite>::Out>>);

/// Handle to the writer tasks of one kind of write; cheap to clone.
pub(crate) struct Lanes<W: GroupWrite> {
    lanes: Vec<mpsc::Sender<Job<W>>>,
}

impl<W: GroupWrite> Clone for Lanes<W> {
    fn clone(&self) -> Self {
        Self {
            lanes: self.lanes.clone(),
        }
    }
}

impl<W: GroupWrite> std::fmt::Debug for Lanes<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lanes({})", self.lanes.len())
    }
}

impl<W: GroupWrite> Lanes<W> {
    /// Spawns `lanes` writer tasks on the current runtime.
    pub(crate) fn spawn(store: Store, lanes: usize) -> Self {
        let lanes = (0..lanes.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run(store.clone(), rx));
                tx
            })
            .collect();
        Self { lanes }
    }

    /// Queues `item` on the lane chosen by a cheap hash of `key`; resolves after the commit.
    pub(crate) async fn submit(&self, key: &str, item: W) -> Result<W::Out> {
        let lane = key
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31) ^ b as usize);
        let (reply, rx) = oneshot::channel();
        self.lanes[lane % self.lanes.len()]
            .send((item, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run<W: GroupWrite>(store: Store, mut rx: mpsc::Receiver<Job<W>>) {
    let mut jobs: Vec<Job<W>> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (items, replies): (Vec<W>, Vec<_>) = std::mem::take(&mut jobs).into_iter().unzip();
        match W::write_batch(&store, &items).await {
            Ok(outs) => {
                store
                    .wrote
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                for (reply, out) in replies.into_iter().zip(outs) {
                    let _ = reply.send(Ok(out));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = items.len(), "batched write failed; retrying one by one");
                for (item, reply) in items.iter().zip(replies) {
                    let _ = reply.send(W::write_one(&store, item).await);
                }
            }
        }
    }
}

/// The SQL of a multi-row statement for `rows` rows, built once per (statement, size, backend)
/// by `build` (with `$N` placeholders) and kept: batches of every size recur all the time.
pub(crate) fn cached_sql(
    name: &'static str,
    rows: usize,
    backend: Backend,
    build: impl FnOnce() -> String,
) -> Arc<str> {
    type Key = (&'static str, usize, Backend);
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (name, rows, backend);
    if let Some(sql) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return sql;
    }
    let sql: Arc<str> = in_order_params(backend, &build()).into();
    if let Ok(mut m) = cache.lock() {
        m.insert(key, sql.clone());
    }
    sql
}

/// `($1, ..., $k), ($k+1, ...)` for `rows` tuples of `k` placeholders, numbered from 1.
pub(crate) fn placeholders(rows: usize, k: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols = (1..=k)
                .map(|c| format!("${}", r * k + c))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({cols})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_numbering_and_cache() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        let a = cached_sql("t", 2, Backend::Sqlite, || {
            format!("INSERT INTO t VALUES {}", placeholders(2, 2))
        });
        assert_eq!(&*a, "INSERT INTO t VALUES (?, ?), (?, ?)");
        let b = cached_sql("t", 2, Backend::Sqlite, || unreachable!("cached"));
        assert!(Arc::ptr_eq(&a, &b));
    }
}
