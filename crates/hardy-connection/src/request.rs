//! One request, one reply: what a request handler returns, and what a caller can be told
//! instead of a reply.
//!
//! [`Ctx::request`](crate::Ctx::request) writes the request and returns a [`Request`]: an
//! actix `MessageResponse` that, once actix hands it the caller's reply sender, queues it
//! on the link's [`Pending`](crate::Pending) queue. No channel and no boxed future per
//! request: the reply goes straight from the reader to the caller's `send`.

use std::sync::Arc;
use std::time::Duration;

use actix::dev::{MessageResponse, OneshotSender};
use actix::{Context, Message};

use crate::{Connection, ConnectionActor, Pending, Waiter};

/// Why a request got no reply: the crate's vocabulary for what every pipelined protocol
/// tells its callers. Each variant says whether the request may have run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The link was down when the request came: it was not sent. Retry once connected
    /// (see the connection's state), or fail the operation.
    #[error("not connected: the request was not sent")]
    NotConnected,
    /// The link went down after the request was sent and before its reply came: the
    /// request may have run. Retry only if it is idempotent.
    #[error("the link went down before the reply came ({0}): the request may have run")]
    Disconnected(Arc<str>),
    /// No reply within the request's timeout: the request may have run. Its late reply is
    /// dropped.
    #[error("no reply within {0:?}: the request may have run")]
    Timeout(Duration),
    /// The connection actor stopped before the reply came (or before the request was
    /// handled): a request already sent may have run. Start a new connection.
    #[error("the connection stopped ({0})")]
    Stopped(Arc<str>),
}

/// A reply type that can carry a [`RequestError`]: any `Result<T, E>` whose error converts
/// from it. Lets the crate answer a caller of your request with one flat `Result`.
pub trait Reply: Sized + 'static {
    /// The reply that says `error`.
    fn from_error(error: RequestError) -> Self;
}

impl<T: 'static, E: From<RequestError> + 'static> Reply for Result<T, E> {
    fn from_error(error: RequestError) -> Self {
        Err(error.into())
    }
}

/// A request written to the link, waiting for actix to hand over its caller's reply
/// sender: the `Result` type of a [`Handle`](crate::Handle) implementation that answers
/// from the link. Made by [`Ctx::request`](crate::Ctx::request).
pub struct Request<C: Connection, M: Message> {
    state: State<C, M>,
    timeout: Option<Duration>,
}

enum State<C: Connection, M: Message> {
    Sent {
        pending: Pending<C>,
        parse: fn(C::Incoming) -> M::Result,
    },
    Failed(RequestError),
    Answered(M::Result),
}

impl<C: Connection, M: Message> Request<C, M> {
    pub(crate) fn sent(
        pending: Pending<C>,
        parse: fn(C::Incoming) -> M::Result,
        timeout: Option<Duration>,
    ) -> Self {
        Request {
            state: State::Sent { pending, parse },
            timeout,
        }
    }

    /// A request answered at once with `error` (nothing was sent).
    pub fn failed(error: RequestError) -> Self {
        Request {
            state: State::Failed(error),
            timeout: None,
        }
    }

    /// A request answered at once with `reply`, e.g. an error for input that must not be
    /// sent (nothing was written).
    pub fn answered(reply: M::Result) -> Self {
        Request {
            state: State::Answered(reply),
            timeout: None,
        }
    }

    /// Gives this request its own timeout, instead of the builder's
    /// [`request_timeout`](crate::Builder::request_timeout).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Lets this request wait for its reply as long as the link stays up.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }
}

impl<C, M> MessageResponse<ConnectionActor<C>, M> for Request<C, M>
where
    C: Connection,
    M: Message,
    M::Result: Reply,
{
    fn handle(self, ctx: &mut Context<ConnectionActor<C>>, tx: Option<OneshotSender<M::Result>>) {
        match self.state {
            State::Sent { pending, parse } => {
                pending.push(OneReply { tx, parse }, self.timeout, ctx)
            }
            State::Failed(error) => {
                if let Some(tx) = tx {
                    let _ = tx.send(M::Result::from_error(error));
                }
            }
            State::Answered(reply) => {
                if let Some(tx) = tx {
                    let _ = tx.send(reply);
                }
            }
        }
    }
}

/// A caller waiting for one item, converted by `parse`.
struct OneReply<I, R> {
    tx: Option<OneshotSender<R>>,
    parse: fn(I) -> R,
}

impl<I: 'static, R: Reply> Waiter<I> for OneReply<I, R> {
    fn take(&mut self, item: I) -> bool {
        if let Some(tx) = self.tx.take() {
            // The caller may have gone (a timeout of its own): the reply is dropped.
            let _ = tx.send((self.parse)(item));
        }
        true
    }

    fn fail(&mut self, error: RequestError) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(R::from_error(error));
        }
    }
}

impl<C: Connection, M: Message> std::fmt::Debug for Request<C, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.state {
            State::Sent { .. } => f.write_str("Request(sent)"),
            State::Failed(e) => write!(f, "Request(failed: {e})"),
            State::Answered(_) => f.write_str("Request(answered)"),
        }
    }
}
