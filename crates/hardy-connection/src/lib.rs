//! A Connection actor for actix: connect / disconnect / backoff callbacks modelled on
//! Elixir's `Connection` behaviour.
//!
//! Any protocol client gets reconnection with backoff, sync or async connect, a connect
//! timeout, a health check for half-open links, and an observable state, by implementing
//! one trait, [`Connection`], and running it in a [`ConnectionActor`].
//!
//! - [`Connection`]: `connect` opens a link, `connected` installs it, `connect_failed` and
//!   `disconnect` decide what happens next ([`Next`]).
//! - [`Handle`]: one impl per request type; the actor becomes an actix `Handler` for it.
//! - [`Ctx`]: what callbacks can do: read and write the link, ask to connect or
//!   disconnect, stop.
//! - [`backoff`]: exponential (Redix's defaults), constant, decorrelated, or any iterator.
//! - [`StateWatch`]: the state, now and every transition.
//!
//! The guide is `docs/connection.md` in the repository.
#![deny(missing_docs)]

mod actor;
pub mod backoff;
mod builder;
mod connection;
mod core;
mod cx;
mod error;
mod failure;
mod link;
mod machine;
mod next;
mod panic;
mod state;

pub use actor::ConnectionActor;
pub use builder::{Builder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESET_BACKOFF_AFTER};
pub use connection::{ConnectFuture, Connection, Handle, ProbeFuture};
pub use cx::Ctx;
pub use error::StartError;
pub use failure::Failure;
pub use hardy_supervisor::ExitReason;
pub use link::LinkWriter;
pub use next::{Cause, ConnectInfo, Next};
pub use state::{ConnState, StateWatch};
