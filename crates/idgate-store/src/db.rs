//! Connection pools: SQLite gets one writer connection and several readers (WAL), PostgreSQL one
//! shared pool. Which backend is chosen by the URL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use tokio::sync::Notify;

use crate::batch::Batcher;
use crate::error::Result;
use crate::login_batch::LoginBatcher;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) write: AnyPool,
    pub(crate) read: AnyPool,
    pub(crate) backend: Backend,
    /// Group-commit writer for session creates (see [`crate::batch`]); set by `connect`.
    pub(crate) batcher: Option<Batcher>,
    /// Signalled after a commit that queued webhook deliveries (see [`Store::outbox_queued`]).
    pub(crate) outbox_wake: Arc<Notify>,
    /// Set by the group-commit writers after a commit; read by the SQLite checkpointer.
    pub(crate) wrote: Arc<AtomicBool>,
    /// Group-commit writer for new logins (see [`crate::login_batch`]).
    pub(crate) login_batcher: Option<LoginBatcher>,
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(32)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Self {
                write: pool.clone(),
                read: pool,
                backend: Backend::Postgres,
                batcher: None,
                login_batcher: None,
                outbox_wake: Default::default(),
                wrote: Default::default(),
            }
            .with_batcher(4));
        }
        let url = if url.contains('?') {
            url.to_owned()
        } else {
            format!("{url}?mode=rwc")
        };
        let pragmas =
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
                       PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";
        // The writer keeps more of the indexes it updates in memory (32 MiB instead of 2) and
        // checkpoints the WAL itself every 1,000 pages (SQLite's default), but the checkpointer
        // task does the copying and syncing in between (see `spawn_checkpointer`), so the
        // writer's own checkpoint, which every in-flight request waits for, has little left.
        // A local file needs no liveness ping before each use (one trip to the connection's
        // thread saved per transaction).
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .after_connect(move |c, _| {
                Box::pin(async move {
                    c.execute(pragmas).await?;
                    c.execute("PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 1000;")
                        .await
                        .map(|_| ())
                })
            })
            .connect(&url)
            .await?;
        let read = AnyPoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .after_connect(move |c, _| {
                Box::pin(async move { c.execute(pragmas).await.map(|_| ()) })
            })
            .connect(&url)
            .await?;
        let store = Self {
            write,
            read,
            backend: Backend::Sqlite,
            batcher: None,
            login_batcher: None,
            outbox_wake: Default::default(),
            wrote: Default::default(),
        };
        spawn_checkpointer(store.read.clone(), store.wrote.clone());
        Ok(store.with_batcher(1))
    }

    /// Starts the group-commit writers: one on SQLite (a single writer anyway), a few on
    /// PostgreSQL so that batches overlap their commits.
    fn with_batcher(mut self, lanes: usize) -> Self {
        // The writers hold a store without writers of their own.
        let plain = self.clone();
        self.batcher = Some(Batcher::spawn(plain.clone(), lanes));
        self.login_batcher = Some(LoginBatcher::spawn(plain, lanes));
        self
    }

    /// Wakes the webhook worker when a commit queued `n > 0` deliveries (only then: a worker
    /// woken for nothing would take the single SQLite writer for an empty claim).
    pub(crate) fn outbox_queued(&self, n: u64) {
        if n > 0 {
            self.outbox_wake.notify_one();
        }
    }

    /// Resolves when deliveries were queued since the last call (or the previous wake was
    /// not awaited).
    pub async fn outbox_queued_wait(&self) {
        self.outbox_wake.notified().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        crate::migrate::run(&self.write, self.backend).await
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    pub async fn meta_get(&self, key: &str) -> Result<Option<String>> {
        let r: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await?;
        Ok(r.map(|r| r.0))
    }

    /// Sets `key` only if it is unset; returns the value now stored.
    pub async fn meta_init(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.write)
            .await?;
        Ok(self.meta_get(key).await?.unwrap_or_default())
    }

    pub async fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
            .bind(key)
            .bind(value)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// SQLite: while there are group commits, copies committed WAL frames back into the database
/// from a reader connection every 20 ms (a passive checkpoint: it never blocks the writer or
/// readers). The writer's own automatic checkpoint (every 1,000 pages), which lets the WAL file
/// start over, then only copies and syncs the last few milliseconds of the log. Measured with
/// bench/session_create: p99 50 → 18 ms at ~11.8k creates/s (a pass every 100 ms and the
/// writer's checkpoint every 4,000 pages before).
fn spawn_checkpointer(read: AnyPool, wrote: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !read.is_closed() {
            tick.tick().await;
            if wrote.swap(false, Ordering::Relaxed) {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&read)
                    .await
                {
                    tracing::debug!(error = %e, "background checkpoint skipped");
                }
            }
        }
    });
}
