//! The trait a protocol implements, and the trait for its requests.
//!
//! A protocol client is a value with three jobs: open a link (`connect`), install it
//! (`connected`), and decide what to do when it fails (`connect_failed`, `disconnect`).
//! [`ConnectionActor`] runs those callbacks as Elixir's `Connection` does: one backoff
//! timer, connect before messages, and every answer shape of the original.

use std::io;

use actix::dev::MessageResponse;
use actix::Message;
use futures::future::LocalBoxFuture;
use hardy_supervisor::ExitReason;

use crate::{ConnectInfo, ConnectionActor, Ctx, Failure, Next};

/// The future `connect` returns: resolves to the new transport, or an error.
pub type ConnectFuture<C> =
    LocalBoxFuture<'static, Result<<C as Connection>::Transport, <C as Connection>::Error>>;

/// The future `health_check` returns: resolves once the peer answered the probe.
pub type ProbeFuture<C> = LocalBoxFuture<'static, Result<(), <C as Connection>::Error>>;

/// A protocol client whose link is managed by a [`ConnectionActor`].
///
/// Implement [`connect`](Connection::connect) and [`connected`](Connection::connected);
/// the other callbacks have defaults (connect at start, back off on every failure). Handle
/// requests by implementing [`Handle`] for each message type.
///
/// ```no_run
/// use futures::FutureExt;
/// use hardy_connection::{ConnectFuture, ConnectInfo, Connection, Ctx, LinkWriter};
/// use tokio::net::TcpStream;
/// use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};
///
/// struct Lines { addr: String, writer: Option<LinkWriter> }
///
/// impl Connection for Lines {
///     type Transport = TcpStream;
///     type Incoming = String;
///     type Error = LinesCodecError;
///
///     fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
///         let addr = self.addr.clone();
///         async move { Ok(TcpStream::connect(addr).await?) }.boxed_local()
///     }
///
///     fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
///         let (read, write) = socket.into_split();
///         cx.read(FramedRead::new(read, LinesCodec::new()));
///         self.writer = Some(cx.writer(write));
///     }
///
///     fn incoming(&mut self, line: String, _cx: &mut Ctx<'_, Self>) {
///         println!("got {line}");
///     }
/// }
/// ```
pub trait Connection: Sized + Unpin + 'static {
    /// What a successful connect yields: usually the socket.
    type Transport: 'static;
    /// What the link's reader yields (see [`Ctx::read`]): frames, lines, messages.
    type Incoming: 'static;
    /// The protocol's error. Must hold I/O errors, since writes to the link fail with them.
    type Error: std::error::Error + From<io::Error> + 'static;

    /// Called once when the actor starts; decides the first step.
    ///
    /// The default, [`Next::Connect`], connects before the first message is handled
    /// (the *async connect* pattern; for *sync connect* use
    /// [`Builder::start_connected`](crate::Builder::start_connected)). [`Next::Idle`] starts
    /// without connecting (until a handler asks), [`Next::BackoffFor`] connects later, and
    /// [`Next::Stop`] stops at once.
    fn init(&mut self, cx: &mut Ctx<'_, Self>) -> Next {
        let _ = cx;
        Next::Connect
    }

    /// Opens the link. The returned future runs while the mailbox is paused: requests sent
    /// meanwhile are handled after it ends, in order. It must not borrow `self`: copy what
    /// it needs (address, credentials) into it.
    fn connect(&mut self, info: ConnectInfo) -> ConnectFuture<Self>;

    /// The link is up: keep what you need of `transport`, start reading it with
    /// [`Ctx::read`] and writing with [`Ctx::writer`].
    fn connected(&mut self, transport: Self::Transport, cx: &mut Ctx<'_, Self>);

    /// A connect attempt failed (or timed out). The default backs off by the policy.
    /// Answer [`Next::Stop`] to give up, e.g. on a configuration error that retrying
    /// cannot fix.
    fn connect_failed(&mut self, failure: Failure<Self::Error>, info: ConnectInfo) -> Next {
        let _ = (failure, info);
        Next::Backoff
    }

    /// The link went down: the peer closed it, reading or writing failed, the health check
    /// failed, or a handler called [`Ctx::disconnect`]. Drop what belongs to the old link
    /// and answer every in-flight request with an error. The default backs off.
    fn disconnect(&mut self, failure: Failure<Self::Error>, cx: &mut Ctx<'_, Self>) -> Next {
        let _ = (failure, cx);
        Next::Backoff
    }

    /// One item from the link's reader (see [`Ctx::read`]).
    ///
    /// The default hands it to the caller waiting at the front of the link's
    /// [`Pending`](crate::Pending) queue (see [`Ctx::request`]), and drops the link when
    /// nobody waits: a reply nobody asked for means the stream can no longer be trusted.
    /// Override it for a protocol that also sends items nobody asked for (pushes).
    fn incoming(&mut self, item: Self::Incoming, cx: &mut Ctx<'_, Self>) {
        if cx.pending().answer(item).is_err() {
            let unexpected = io::Error::new(
                io::ErrorKind::InvalidData,
                "the peer sent a reply nobody asked for",
            );
            cx.disconnect(Failure::Error(unexpected.into()));
        }
    }

    /// How many requests are waiting for a reply; 0 (the default) if unknown. Requests made
    /// with [`Ctx::request`] are counted without it. The link's reader hands over at most a quarter that many items (at least 4, at most 256)
    /// before yielding, so that the requests their callers send meanwhile are written
    /// while the rest is read: the peer and the actor then work at the same time.
    fn in_flight(&self) -> usize {
        0
    }

    /// A probe for half-open links, run every health-check interval while connected (see
    /// [`Builder::health_check`](crate::Builder::health_check)). If it fails or takes
    /// longer than the deadline, the link is disconnected. `None` (the default) skips it.
    fn health_check(&mut self, cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        let _ = cx;
        None
    }

    /// The actor has stopped, for `reason`; it will not connect again. Answer anything
    /// still pending.
    fn stopped(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

/// A request type `M` that a [`Connection`] handles.
///
/// Implementing `Handle<M>` for a connection makes `ConnectionActor<C>` an actix
/// `Handler<M>`, so callers use `addr.send(msg)` or a `Recipient<M>`. The handler may drive
/// the state machine through `cx` ([`Ctx::connect`], [`Ctx::disconnect`]); those steps run
/// right after it returns, so its reply goes out first.
pub trait Handle<M: Message>: Connection {
    /// The reply: any actix `MessageResponse`. actix implements it for `()`, `String`,
    /// numbers, `bool`, `Option`, `Result`, `Vec` and its response types
    /// (`actix::ResponseFuture` for a reply that comes later); wrap any other value in
    /// `actix::MessageResult`.
    type Result: MessageResponse<ConnectionActor<Self>, M>;

    /// Handles one request.
    fn handle(&mut self, msg: M, cx: &mut Ctx<'_, Self>) -> Self::Result;
}
