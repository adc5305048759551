//! Schema migrations: numbered SQL files applied once each, in order, recorded in `schema_migrations`.

use sqlx::AnyPool;

use crate::db::Backend;
use crate::dialect::ddl;
use crate::error::Result;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "login", include_str!("../migrations/0002_login.sql")),
    (3, "faces", include_str!("../migrations/0003_faces.sql")),
    (
        4,
        "documents",
        include_str!("../migrations/0004_documents.sql"),
    ),
    (
        5,
        "decision_policy",
        include_str!("../migrations/0005_decision_policy.sql"),
    ),
    (
        6,
        "frame_origins",
        include_str!("../migrations/0006_frame_origins.sql"),
    ),
    (
        7,
        "liveness",
        include_str!("../migrations/0007_liveness.sql"),
    ),
    (
        8,
        "credentials",
        include_str!("../migrations/0008_credentials.sql"),
    ),
    (
        10,
        "flow_devices",
        include_str!("../migrations/0010_flow_devices.sql"),
    ),
    (
        12,
        "tenant_http_urls",
        include_str!("../migrations/0012_tenant_http_urls.sql"),
    ),
    (13, "uqudo", include_str!("../migrations/0013_uqudo.sql")),
    (
        17,
        "push_guards",
        include_str!("../migrations/0017_push_guards.sql"),
    ),
    (
        18,
        "operators",
        include_str!("../migrations/0018_operators.sql"),
    ),
    (
        19,
        "lifecycle",
        include_str!("../migrations/0019_lifecycle.sql"),
    ),
];

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<usize> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
        .execute(pool)
        .await?;
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS {
        let mut tx = pool.begin().await?;
        let done: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        // Comments go first: a `;` inside one must not split a statement.
        for stmt in strip_comments(&ddl(backend, sql))
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            sqlx::query(stmt).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(version)
            .bind(*name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        applied += 1;
        tracing::info!(version, name, "applied migration");
    }
    Ok(applied)
}

fn strip_comments(s: &str) -> String {
    s.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}
