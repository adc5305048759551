//! idgate-core: the domain. Types, validators, state machines, policies and error codes.
//! No I/O, no async runtime, no clock reads: time comes in as arguments.

pub mod crypto;
pub mod error;
pub mod jose;
pub mod liveness;
pub mod login;
pub mod session;
pub mod uqudo;
pub mod validate;
pub mod webpush;

pub use error::{Code, CoreError, FieldError};
