//! Use cases: what the API does, independent of route families and wire shapes.

pub mod admin;
pub mod cache;
pub mod console;
pub mod credentials;
pub mod documents;
pub mod faces;
pub mod geo;
pub mod inference;
pub mod liveness;
pub mod login;
pub mod login_runtime;
pub mod personal;
pub mod receivers;
pub mod redact;
pub mod render;
pub mod retention;
pub mod review;
pub mod scopes;
pub mod sessions;
pub mod steps;
pub mod tenant;
pub mod uqudo;
