//! HTTP tests against a real listening server, each on SQLite and PostgreSQL with its own database.

mod background;
mod common;
mod credentials;
mod devices;
mod digital;
mod documents;
mod edges;
mod face_hint;
mod faces;
mod flow;
mod flow_page;
mod lifecycle;
mod liveness;
mod login;
mod login_support;
mod outbound;
mod push_limits;
mod redact;
mod retention;
mod review;
mod routes;
mod sessions;
mod token_grant;
mod uqudo;
mod webhook_lanes;
mod webhooks;
