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

/// Bind placeholders for a statement whose `$1, $2, ...` each appear once, in order. SQLite
/// looks numbered (named) parameters up in a linear list on every bind, which costs the square
/// of their count in a multi-row insert; anonymous `?` parameters bind by position instead.
/// PostgreSQL keeps `$N`.
pub fn in_order_params(backend: Backend, sql: &str) -> String {
    match backend {
        Backend::Postgres => sql.to_owned(),
        Backend::Sqlite => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            let mut expect = 1u32;
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    let mut n = 0u32;
                    while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                        n = n * 10 + d;
                        chars.next();
                    }
                    debug_assert_eq!(n, expect, "parameters must appear once, in order");
                    expect += 1;
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_params_rewrites_only_for_sqlite() {
        let sql = "INSERT INTO t VALUES ($1, $2), ($3, $4) -- '$'";
        assert_eq!(in_order_params(Backend::Postgres, sql), sql);
        assert_eq!(
            in_order_params(Backend::Sqlite, sql),
            "INSERT INTO t VALUES (?, ?), (?, ?) -- '$'"
        );
    }
}
