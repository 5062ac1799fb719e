//! OTP supervision for actix actors.
//!
//! actix's own `Supervisor` restarts one actor in place: no strategies, no restart
//! intensity, no restart types, no shutdown timeout, and a panicking handler leaves a dead
//! mailbox. This crate brings the OTP model to actix.
#![deny(missing_docs)]

pub mod exit;

pub use exit::{exit, ExitReason};
