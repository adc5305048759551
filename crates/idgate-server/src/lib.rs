//! idgate-server: the `idgate` binary's library. HTTP surface (route table, `/v1` API, vendor
//! facades, hosted pages), use cases, background jobs, configuration and the CLI.

pub mod app;
pub mod cli;
pub mod cli_credentials;
pub mod cli_operator;
pub mod clock;
pub mod config;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod limits_config;
pub mod login_config;
pub mod outbound;
pub mod server;
pub mod state;
