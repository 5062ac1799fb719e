//! # Hardy
//!
//! Erlang/OTP-grade fault tolerance for [actix](https://docs.rs/actix) applications.
//!
//! This facade re-exports the workspace crates behind features (all three are default):
//!
//! - [`connection`] (feature `connection`): the generic Connection actor, with
//!   connect / disconnect / backoff callbacks modelled on Elixir's `Connection`.
//! - [`supervisor`] (feature `supervisor`): OTP supervision for actix actors.
//! - [`redis`] (feature `redis`): a Redis driver on both, with automatic pipelining,
//!   reconnection and supervision.
//!
//! See the guides in `docs/` for a tour of each crate.
#![deny(missing_docs)]

#[cfg(feature = "connection")]
pub use hardy_connection as connection;

#[cfg(feature = "supervisor")]
pub use hardy_supervisor as supervisor;

/// The Redis driver: one actor per socket, automatic pipelining, reconnection, supervision.
#[cfg(feature = "redis")]
pub use hardy_redis as redis;
