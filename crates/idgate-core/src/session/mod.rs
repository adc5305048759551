//! Verification sessions: settings and their validation, the status state machine, event types.

pub mod settings;
pub mod status;
mod steps;
#[cfg(test)]
mod tests;

pub use settings::{
    parse_create, CreateSession, DocumentTemplate, OpenMode, Settings, Step, StepConfig, Strictness,
};
pub use status::{EventType, Status};
