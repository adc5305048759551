//! Connection pools: SQLite gets one writer connection and several readers (WAL), PostgreSQL one
//! shared pool. Which backend is chosen by the URL.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

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
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(move |c, _| {
                Box::pin(async move { c.execute(pragmas).await.map(|_| ()) })
            })
            .connect(&url)
            .await?;
        let read = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(move |c, _| {
                Box::pin(async move { c.execute(pragmas).await.map(|_| ()) })
            })
            .connect(&url)
            .await?;
        Ok(Self {
            write,
            read,
            backend: Backend::Sqlite,
            batcher: None,
            login_batcher: None,
        }
        .with_batcher(1))
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
