//! idgate-server: the `idgate` binary's library. HTTP surface (route table, `/v1` API, vendor
//! facades, hosted pages), use cases, background jobs, configuration and the CLI.

pub mod app;
pub mod cli;
pub mod cli_credentials;
pub mod clock;
pub mod config;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod limits_config;
pub mod login_config;
pub mod openapi;
pub mod openapi_documents;
pub mod openapi_faces;
pub mod openapi_flow;
pub mod openapi_liveness;
pub mod openapi_login;
pub mod outbound;
pub mod server;
pub mod state;
