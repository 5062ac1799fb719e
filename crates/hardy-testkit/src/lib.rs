//! Test support for hardy: real `redis-server` processes on free loopback ports, a TCP
//! fault proxy, a Redis Cluster, and helpers for running actors under a paused tokio clock.
//!
//! Hardy's promise is fault tolerance, and faults are only believable when they are real:
//! a server that is killed, frozen with `SIGSTOP` or restarted on the same port, and a
//! network link that is cut, slowed or silently black-holed. This crate makes each of those
//! one method call, with a synchronous API so it works from any test (async or not, paused
//! clock or not), and cleans up after itself even when a test panics.
//!
//! It is a dev-dependency only; no library crate of the workspace depends on it.
//!
//! ```no_run
//! use hardy_testkit::RedisServer;
//!
//! let mut server = RedisServer::start()?;
//! assert_eq!(server.command(&["PING"])?.to_string(), "PONG");
//! server.kill()?;
//! server.restart()?; // same port, so clients can reconnect
//! # Ok::<(), hardy_testkit::Error>(())
//! ```
#![deny(missing_docs)]

mod clock;
mod cluster;
mod error;
mod port;
pub mod process;
mod proxy;
mod resp;
mod sentinel;
mod server;
mod tls;

pub use clock::{advance_until, paused_system, run_paused};
pub use cluster::{RedisCluster, SLOTS};
pub use error::{Error, Result};
pub use proxy::FaultProxy;
pub use resp::Reply;
pub use sentinel::{SentinelGroup, DOWN_AFTER, SERVICE};
pub use server::{ClientType, RedisConfig, RedisServer};
pub use tls::{CertFiles, ServerCert, TestCerts};
