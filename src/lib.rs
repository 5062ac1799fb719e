//! # Hardy
//!
//! Erlang/OTP-grade fault tolerance for [actix](https://docs.rs/actix) applications.
//!
//! This facade re-exports the workspace crates behind features:
//!
//! - [`connection`] (feature `connection`): the generic Connection actor, with
//!   connect / disconnect / backoff callbacks modelled on Elixir's `Connection`.
//! - [`supervisor`] (feature `supervisor`): OTP supervision for actix actors.
//!
//! See the guides in `docs/` for a tour of each crate.
#![deny(missing_docs)]

#[cfg(feature = "connection")]
pub use hardy_connection as connection;

#[cfg(feature = "supervisor")]
pub use hardy_supervisor as supervisor;
