//! A Redis driver for actix, built on `hardy-connection` and `hardy-supervisor`.
//!
//! One actor owns one long-lived socket; concurrent callers pipeline automatically over it,
//! and replies are matched to requests in FIFO order.
#![deny(missing_docs)]

mod blocking;
mod client;
pub mod cluster;
pub mod cmd;
pub mod commands;
mod config;
mod conn;
mod error;
mod handshake;
mod messages;
mod pipeline;
mod pool;
pub mod prelude;
pub mod pubsub;
pub mod resp;
pub mod sentinel;
mod slots;
mod supervised;
pub mod value;
mod watch;

pub use blocking::{BlockingPool, Lease, DEFAULT_BLOCK_MARGIN, DEFAULT_CHECKOUT_TIMEOUT};
pub use client::{Redis, RedisActor};
pub use cmd::{cmd, Cmd, ToArg};
pub use commands::*;
pub use config::{
    Config, Protocol, Secret, DEFAULT_BACKOFF, DEFAULT_HEALTH_CHECK,
    DEFAULT_MAX_CONSECUTIVE_TIMEOUTS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_RECONNECT_WAIT,
    DEFAULT_TCP_KEEPALIVE,
};
pub use conn::RedisConn;
pub use error::Error;
pub use handshake::Link;
pub use hardy_connection::backoff::Jitter;
#[cfg(feature = "tls")]
pub use hardy_connection::transport::Tls;
pub use hardy_connection::Stop;
pub use hardy_connection::{ConnState, ExitReason, StateWatch};
#[cfg(feature = "derive")]
pub use hardy_redis_derive::RedisHash;
#[allow(deprecated)]
pub use messages::Shutdown;
pub use messages::{Batch, Command, Enqueued, NoReply};
pub use pipeline::Pipeline;
pub use pool::{Member, MemberStatus, Pool, PoolBuilder};
pub use resp::{Frame, ServerError};
pub use sentinel::{Role, Sentinel};
pub use supervised::child_spec;
pub use value::{FromRedis, TypeError};
pub use watch::Watch;
