//! Background jobs: webhook delivery from the outbox and the session-expiry sweeper.

pub mod login;
pub mod sweeper;
pub mod webhooks;
