//! The few places where SQLite and PostgreSQL differ: DDL types and row locking for job claims.

use crate::db::Backend;

/// DDL with backend-specific type names substituted.
pub fn ddl(backend: Backend, sql: &str) -> String {
    match backend {
        Backend::Sqlite => sql.replace("{{BLOB}}", "BLOB"),
        Backend::Postgres => sql.replace("{{BLOB}}", "BYTEA"),
    }
}

/// Suffix for a sub-select that claims rows: PostgreSQL skips rows locked by other nodes;
/// SQLite has one writer, so the claim is already exclusive.
pub fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}
