//! Cross-node notifications: PostgreSQL `NOTIFY`/`LISTEN` on PostgreSQL; on SQLite (one node)
//! publishing is a no-op and callers rely on their in-process channel and polling.

use sqlx::postgres::PgListener;

use crate::db::{Backend, Store};
use crate::error::Result;

impl Store {
    /// `pg_notify(channel, payload)` on PostgreSQL; nothing on SQLite.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(payload)
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }
}

/// A dedicated `LISTEN` connection (the `Any` pool cannot listen). `None` for SQLite URLs.
pub async fn listen(url: &str, channel: &str) -> Result<Option<PgListener>> {
    if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
        return Ok(None);
    }
    let mut l = PgListener::connect(url).await?;
    l.listen(channel).await?;
    Ok(Some(l))
}
