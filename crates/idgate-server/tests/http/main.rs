//! HTTP tests against a real listening server, each on SQLite and PostgreSQL with its own database.

mod common;
mod documents;
mod login;
mod login_support;
mod faces;
mod routes;
mod sessions;
mod webhooks;
