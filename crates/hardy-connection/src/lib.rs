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
//! - [`Ctx::request`]: a request that expects a reply, matched in order by the link's
//!   [`Pending`] queue, failed with [`RequestError`] when the link ends or its timeout
//!   passes; [`Client`]: a typed handle whose calls return one flat `Result`.
//! - [`Stop`] and [`Reconnect`]: control messages every connection understands.
//! - [`prelude`]: the items of actix, futures, tokio, tokio-util and bytes the traits use.
//! - [`Ctx`]: what callbacks can do: read and write the link, ask to connect or
//!   disconnect, stop.
//! - [`backoff`]: exponential (Redix's defaults), constant, decorrelated, or any iterator.
//! - [`StateWatch`]: the state, now and every transition.
//!
//! A request/reply protocol in full: a line client whose requests are lines and whose
//! replies are the next line. Reply matching, failing callers when the link drops,
//! reconnection and the flat `Result` come with the crate.
//!
//! ```no_run
//! use hardy_connection::prelude::*;
//!
//! struct Lines { addr: std::net::SocketAddr }
//!
//! impl Connection for Lines {
//!     type Transport = TcpStream;
//!     type Incoming = String;
//!     type Error = LinesCodecError;
//!
//!     fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
//!         let addr = self.addr;
//!         async move { Ok(TcpStream::connect(addr).await?) }.boxed_local()
//!     }
//!
//!     fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
//!         let (read, write) = socket.into_split();
//!         cx.read(FramedRead::new(read, LinesCodec::new()));
//!         cx.writer(write);
//!     }
//! }
//!
//! struct Ask(String);
//! impl Message for Ask {
//!     type Result = Result<String, RequestError>;
//! }
//! impl Handle<Ask> for Lines {
//!     type Result = Request<Self, Ask>;
//!     fn handle(&mut self, Ask(line): Ask, cx: &mut Ctx<'_, Self>) -> Request<Self, Ask> {
//!         cx.request(|buf| buf.extend_from_slice(format!("{line}\n").as_bytes()), Ok)
//!     }
//! }
//!
//! # actix::System::new().block_on(async {
//! let client = ConnectionActor::builder(Lines { addr: "127.0.0.1:7000".parse().unwrap() })
//!     .request_timeout(std::time::Duration::from_secs(1))
//!     .start_client();
//! let answer: Result<String, RequestError> = client.call(Ask("hello".into())).await;
//! # });
//! ```
//!
//! The guide is `docs/connection.md` in the repository.
#![deny(missing_docs)]

mod actor;
pub mod backoff;
mod builder;
mod client;
mod connection;
mod control;
mod core;
mod cx;
mod error;
mod failure;
mod link;
mod machine;
mod next;
mod panic;
mod pending;
pub mod prelude;
#[cfg(test)]
mod probe_tests;
mod request;
mod state;
mod steps;
pub mod transport;

/// The crates this one's signatures use, at the versions it was built with (see
/// [`prelude`]).
#[doc(no_inline)]
pub use actix;
#[doc(no_inline)]
pub use bytes;
#[doc(no_inline)]
pub use futures;
#[doc(no_inline)]
pub use tokio;
#[doc(no_inline)]
pub use tokio_util;

pub use actor::{ConnectionActor, HandlerReply};
pub use builder::{Builder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESET_BACKOFF_AFTER};
pub use client::Client;
pub use connection::{ConnectFuture, Connection, Handle, ProbeFuture};
pub use control::{Reconnect, Stop};
pub use cx::Ctx;
pub use error::StartError;
pub use failure::Failure;
pub use hardy_supervisor::ExitReason;
pub use link::LinkWriter;
pub use next::{Cause, ConnectInfo, Next};
pub use pending::{Pending, Waiter};
pub use request::{Reply, Request, RequestError};
pub use state::{ConnState, StateWatch};
