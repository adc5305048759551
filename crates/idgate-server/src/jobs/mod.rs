//! Background jobs: webhook delivery from the outbox and the session-expiry sweeper.

pub mod sweeper;
pub mod webhooks;
