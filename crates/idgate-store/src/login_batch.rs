//! Group commit of new logins ([`crate::group`]): a batch of `/oauth/start` requests is one
//! multi-row insert each for the logins, their audit events and their push jobs, in one
//! transaction.

use crate::db::Store;
use crate::error::Result;
use crate::group::{cached_sql, placeholders, GroupWrite, Lanes};
use crate::login_rows::{LoginEventRow, LoginJobRow, LoginRow};
use crate::logins::{bind_login, write_side_effects, COLS, NCOLS};

/// A new login with its events and jobs.
pub(crate) struct LoginWrite {
    pub(crate) row: LoginRow,
    pub(crate) events: Vec<LoginEventRow>,
    pub(crate) jobs: Vec<LoginJobRow>,
}

/// The group-commit writers of new logins.
pub(crate) type LoginBatcher = Lanes<LoginWrite>;

impl GroupWrite for LoginWrite {
    type Out = ();

    async fn write_batch(store: &Store, items: &[Self]) -> Result<Vec<()>> {
        let mut tx = store.write.begin().await?;
        let sql = cached_sql("logins", items.len(), store.backend, || {
            format!(
                "INSERT INTO logins ({COLS}) VALUES {}",
                placeholders(items.len(), NCOLS)
            )
        });
        let mut q = sqlx::query(&sql);
        for w in items {
            q = bind_login(q, &w.row);
        }
        q.execute(&mut *tx).await?;
        let events: Vec<&LoginEventRow> = items.iter().flat_map(|w| &w.events).collect();
        let jobs: Vec<&LoginJobRow> = items.iter().flat_map(|w| &w.jobs).collect();
        write_side_effects(&mut tx, store.backend, &events, &jobs).await?;
        tx.commit().await?;
        Ok(vec![(); items.len()])
    }

    async fn write_one(store: &Store, w: &Self) -> Result<()> {
        store.insert_login_now(&w.row, &w.events, &w.jobs).await
    }
}

impl Store {
    /// Inserts a new login with its events and jobs; answers after the commit. Concurrent
    /// inserts share a transaction (group commit).
    pub async fn insert_login(
        &self,
        row: &LoginRow,
        events: &[LoginEventRow],
        jobs: &[LoginJobRow],
    ) -> Result<()> {
        match &self.login_batcher {
            Some(b) => {
                let w = LoginWrite {
                    row: row.clone(),
                    events: events.to_vec(),
                    jobs: jobs.to_vec(),
                };
                b.submit(&row.id, w).await
            }
            None => self.insert_login_now(row, events, jobs).await,
        }
    }
}
