//! Background jobs: webhook delivery from the outbox, login jobs, and the sweeper (expiry,
//! stalled decisions, retention purges).

pub mod evidence;
pub mod login;
pub mod retention;
pub mod sweeper;
pub mod webhooks;
