//! Web Push: placeholder while being written.
