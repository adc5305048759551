//! idgate-store: the only code that knows SQL. Repositories for tenants, keys, clients,
//! sessions, events and the webhook outbox, on SQLite (default) and PostgreSQL with one query
//! set; only the DDL and the job-claim clause differ, in [`dialect`].

mod authenticators;
mod batch;
mod columns;
mod credentials;
mod db;
mod devices;
pub mod dialect;
mod documents;
mod error;
mod face_rows;
mod faces;
mod group;
mod http_urls;
mod lifecycle;
mod liveness;
mod login_batch;
mod login_jobs;
mod login_rows;
mod logins;
mod migrate;
mod operators;
mod outbox;
pub mod pubsub;
mod push_guard;
mod queue;
mod retention;
mod rows;
mod sessions;
mod tenants;
mod uqudo;
pub use tenants::TenantSetting;
pub use uqudo::UqudoRow;
pub mod testing;

pub use db::{Backend, Store};
pub use devices::NewDeviceUse;
pub use documents::{DocumentRow, FaceMatchRow};
pub use error::StoreError;
pub use face_rows::*;
pub use lifecycle::{Evidence, EvidenceCounts, REDACTED};
pub use liveness::ChallengeRow;
pub use login_rows::*;
pub use operators::{ConsoleSessionRow, OperatorRow, PasskeyRow};
pub use push_guard::{PushKey, PushPlan};
pub use retention::{Cutoffs, Purged};
pub use rows::*;
pub use sessions::{Created, Expected, ListFilter, Redacted};
