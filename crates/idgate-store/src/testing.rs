//! Test support: a fresh, migrated database per test on either backend. SQLite uses a new file
//! in a temp dir; PostgreSQL a new database in the cluster named by `IDGATE_TEST_PG_URL`
//! (started by `scripts/test.sh`).

use crate::db::{Backend, Store};

/// The backends every storage test runs on.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A database URL for a new, empty database on `backend`.
pub async fn fresh_url(backend: Backend) -> String {
    let n = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("idgate-test-{n}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/idgate.db", dir.display())
        }
        Backend::Postgres => {
            let admin = std::env::var("IDGATE_TEST_PG_URL").unwrap_or_else(|_| {
                panic!(
                    "\n\n*** IDGATE_TEST_PG_URL is not set: PostgreSQL tests need a cluster. ***\n\
                     Run the tests with scripts/test.sh, which starts a throwaway one.\n\n"
                )
            });
            sqlx::any::install_default_drivers();
            let db = format!("t_{n}");
            let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("connect to test cluster");
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&mut c)
                .await
                .expect("create database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin)
                .to_owned();
            format!("{base}/{db}")
        }
    }
}

/// A fresh migrated store.
pub async fn fresh(backend: Backend) -> Store {
    let store = Store::connect(&fresh_url(backend).await)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store
}
