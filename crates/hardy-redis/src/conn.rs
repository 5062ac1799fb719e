//! The Redis protocol as a [`Connection`]: one socket, requests written as they come,
//! replies matched in order.
//!
//! hardy-connection owns the socket's life (connect timeout, backoff, health check) and the
//! queue of requests awaiting replies (see `slots.rs`); this file owns what Redis adds: the
//! handshake, what callers get while the link is down, and which failures are worth a
//! retry.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix::AsyncContext;

use bytes::BytesMut;
use futures::{FutureExt, StreamExt};
use hardy_connection::{
    ConnectFuture, ConnectInfo, Connection, Ctx, ExitReason, Failure, Next, Pending, ProbeFuture,
};
use tokio::time::Instant;
use tokio_util::codec::{Decoder, FramedRead};

use crate::config::{Config, Protocol};
use crate::handshake::{self, Link};
use crate::resp::{Frame, ProtocolError, RespDecoder};
use crate::sentinel::{spawn_listener, Role};
use crate::slots::{Kept, Slot};
use crate::watch::{next_link_id, Sessions};
use crate::{Error, RedisActor};

/// The Redis protocol state behind a [`RedisActor`](crate::RedisActor).
///
/// You don't use it directly: build one with [`Redis::actor`](crate::Redis::actor) or
/// start one with [`Redis::start`](crate::Redis::start).
pub struct RedisConn {
    pub(crate) config: Arc<Config>,
    /// Requests made while the link is down, for the next link.
    kept: Rc<RefCell<Kept>>,
    protocol: Protocol,
    /// The current link's id and watch epoch, for `WATCH` sessions.
    pub(crate) sessions: Sessions,
    /// The data node of the current link, for a Sentinel connection.
    pub(crate) node: Option<(String, u16)>,
    /// Where a sentinel just announced the new primary: tried first by the next connect.
    pub(crate) hint: Option<(String, u16)>,
    /// The current link's server is still loading its dataset: requests are kept, as
    /// while disconnected, until a `PING` on the link succeeds ([`Self::poll_loading`]).
    loading: bool,
}

impl RedisConn {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        RedisConn {
            config,
            kept: Rc::default(),
            protocol: Protocol::Resp2,
            sessions: Sessions::default(),
            node: None,
            hint: None,
            loading: false,
        }
    }

    /// Whether `frame` says the node was demoted: a `READONLY` error on a Sentinel
    /// connection to the primary (the link is then dropped and the primary looked up
    /// again).
    fn demoted(&self, frame: &Frame) -> bool {
        frame.is_error()
            && self
                .config
                .sentinel
                .as_ref()
                .is_some_and(|group| group.role == Role::Primary)
            && frame
                .error_message()
                .is_some_and(|text| text.starts_with(b"READONLY"))
    }

    /// Where a request goes now: onto the link, into the reconnect queue, or back to the
    /// caller as an error.
    pub(crate) fn dispatch(
        &mut self,
        cx: &Ctx<'_, Self>,
        encode: impl FnOnce(&mut BytesMut),
    ) -> Dispatch {
        if let Some(writer) = cx.link_writer().filter(|_| !self.loading) {
            let pending = cx.pending();
            let cap = self.config.max_in_flight;
            if pending.len() >= cap {
                return Dispatch::Fail(Error::Overloaded(cap));
            }
            writer.with_buffer(encode);
            return Dispatch::Sent(pending, self.config.command_timeout);
        }
        let now = Instant::now();
        let deadline = self.config.command_timeout.map(|limit| now + limit);
        let queue = self.config.queue_while_disconnected;
        if queue > 0 {
            // Opted in: kept for the whole outage, within the command timeout.
            if self.kept.borrow().len() >= queue {
                return Dispatch::Fail(Error::QueueFull(queue));
            }
            return self.keep(encode, deadline, deadline);
        }
        let wait = self.config.reconnect_wait;
        if wait.is_zero() {
            return Dispatch::Fail(Error::NotConnected);
        }
        // Wait for the reconnect, up to `reconnect_wait` from now and within the command
        // timeout: a blip costs a short wait, and a caller that retries on error meets one
        // error per wait during a long outage, not one per turn of its loop.
        let cap = self.config.max_in_flight;
        if self.kept.borrow().len() >= cap {
            return Dispatch::Fail(Error::Overloaded(cap));
        }
        let give_up = deadline.map_or(now + wait, |d| d.min(now + wait));
        self.keep(encode, Some(give_up), deadline)
    }

    fn keep(
        &self,
        encode: impl FnOnce(&mut BytesMut),
        give_up: Option<Instant>,
        deadline: Option<Instant>,
    ) -> Dispatch {
        let mut bytes = BytesMut::new();
        encode(&mut bytes);
        Dispatch::Kept {
            kept: self.kept.clone(),
            bytes,
            give_up,
            deadline,
        }
    }

    /// Writes a request of a `WATCH` session: only onto the current link, never into the
    /// reconnect queue (a new link would not hold the session's watches).
    pub(crate) fn dispatch_on_link(
        &mut self,
        cx: &Ctx<'_, Self>,
        encode: impl FnOnce(&mut BytesMut),
    ) -> Dispatch {
        if cx.link_writer().is_none() || self.loading {
            return Dispatch::Fail(Error::WatchAborted);
        }
        self.dispatch(cx, encode)
    }

    /// Whether the current link's server is still loading its dataset (nothing is sent on
    /// the link meanwhile).
    pub(crate) fn is_loading(&self) -> bool {
        self.loading
    }

    /// Asks the loading server `PING` on the current link; [`Self::loading_polled`] takes
    /// the outcome.
    fn poll_loading(&mut self, cx: &mut Ctx<'_, Self>) {
        let Some(probe) = cx.probe(
            |buf| crate::cmd("PING").write_to(buf),
            |frame| crate::client::expect_ok(frame).map(drop),
        ) else {
            return;
        };
        let link = self.sessions.link;
        let polled = actix::fut::ActorFutureExt::map(
            actix::fut::wrap_future::<_, RedisActor>(probe),
            move |outcome, act, ctx| {
                act.with_ctx(ctx, |conn, cx| conn.loading_polled(link, outcome, cx))
            },
        );
        cx.context().spawn(polled);
    }

    /// The loading server answered the poll of link `link`: still `-LOADING`, ask again in
    /// [`LOADING_POLL`]; anything else (`PONG`, or a refusal that is not about loading)
    /// means it is ready, and the kept requests go out, in order, before any new one.
    fn loading_polled(&mut self, link: u64, outcome: Result<(), Error>, cx: &mut Ctx<'_, Self>) {
        if !self.loading || self.sessions.link != link {
            return;
        }
        match outcome {
            Err(Error::Server(e)) if e.code() == "LOADING" => {
                cx.context()
                    .run_later(LOADING_POLL, move |act: &mut RedisActor, ctx| {
                        act.with_ctx(ctx, |conn, cx| {
                            if conn.loading && conn.sessions.link == link {
                                conn.poll_loading(cx)
                            }
                        })
                    });
            }
            // The link dropped under the poll: `disconnect` takes over.
            Err(Error::Disconnected(_) | Error::Io(_)) => {}
            _ => {
                self.loading = false;
                tracing::info!(peer = %self.config.peer(), "Redis finished loading its dataset: sending the requests that waited");
                if let Some(writer) = cx.link_writer().cloned() {
                    let pending = cx.pending();
                    let timeout = self.config.command_timeout;
                    self.kept
                        .borrow_mut()
                        .send(&writer, &pending, timeout, cx.context());
                }
            }
        }
    }

    /// Bytes read past the handshake's last reply: nobody has asked anything yet, so a
    /// complete frame there is unsolicited (a push is ignored, anything else drops the
    /// link). Handled now because the reader would only look at them after its next read; a
    /// partial frame goes to the reader, which needs more bytes for it anyway.
    fn take_leftover(
        &mut self,
        mut leftover: BytesMut,
        reader: &mut BytesMut,
        cx: &mut Ctx<'_, Self>,
    ) {
        let mut decoder = RespDecoder::new(self.config.limits);
        loop {
            match decoder.decode(&mut leftover) {
                Ok(Some(frame)) if frame.is_push() => continue,
                Ok(Some(_)) => cx.disconnect(Failure::Error(Error::UnexpectedReply)),
                Ok(None) => reader.extend_from_slice(&leftover),
                Err(e) => cx.disconnect(Failure::Error(Error::Protocol(e))),
            }
            return;
        }
    }
}

/// What the handler decided for a request; completed when actix hands over the reply
/// sender (see `messages.rs`).
pub(crate) enum Dispatch {
    /// Written: the slot joins the link's queue, with the command timeout.
    Sent(Pending<RedisConn>, Option<Duration>),
    /// Kept for the next link.
    Kept {
        kept: Rc<RefCell<Kept>>,
        bytes: BytesMut,
        give_up: Option<Instant>,
        deadline: Option<Instant>,
    },
    Fail(Error),
}

impl Dispatch {
    pub(crate) fn place(self, slot: Slot, ctx: &mut actix::Context<RedisActor>) {
        match self {
            Dispatch::Sent(pending, timeout) => pending.push(slot, timeout, ctx),
            Dispatch::Kept {
                kept,
                bytes,
                give_up,
                deadline,
            } => kept
                .borrow_mut()
                .push(bytes.freeze(), slot, give_up, deadline),
            Dispatch::Fail(err) => slot.fail_with(err),
        }
    }
}

/// Whether a handshake refusal is the server's momentary state (loading, busy script,
/// failover, too many clients), worth a retry, rather than the configuration's fault.
pub(crate) fn busy(error: &crate::ServerError) -> bool {
    matches!(
        error.code(),
        "BUSY" | "LOADING" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN" | "READONLY"
    ) || String::from_utf8_lossy(error.text()).contains("max number of clients")
}

/// What a connection does after a handshake refused by a momentary state ([`busy`]): a
/// server loading its dataset is tried again in 100-200 ms ([`loading_retry`]), anything
/// else follows the backoff policy.
pub(crate) fn after_busy_refusal(
    config: &Config,
    error: &crate::ServerError,
    info: ConnectInfo,
) -> Next {
    if error.code() == "LOADING" {
        if info.attempt == 1 {
            tracing::warn!(peer = %config.peer(), "Redis is loading its dataset: trying again every 100-200 ms until it is ready");
        }
        return Next::BackoffFor(loading_retry());
    }
    tracing::warn!(peer = %config.peer(), error = %error, "Redis is busy during the handshake: backing off");
    Next::Backoff
}

/// How long to wait before connecting again to a server that answered `LOADING`: 100 ms
/// plus up to 100 ms of jitter, whatever the backoff policy says. The server is up and
/// will be ready as soon as its dataset is read, so the requests waiting for it (within
/// `reconnect_wait`) are answered at most this long after, instead of up to the policy's
/// cap; the jitter spreads clients that met the restart together.
fn loading_retry() -> Duration {
    use rand::Rng;
    Duration::from_millis(rand::thread_rng().gen_range(100..200))
}

/// How often a link to a server loading its dataset asks it `PING` again: requests that
/// wait for the load are sent at most this long after it ends. One `PING` on an open link
/// costs the server far less than the reconnects the other connections make instead
/// ([`loading_retry`]).
const LOADING_POLL: Duration = Duration::from_millis(20);

/// How often the kept requests' waits are checked: a tenth of the shorter of the command
/// timeout and the reconnect wait, between 1 ms and 100 ms, so a wait ends at most that
/// late.
fn sweep_interval(limit: Duration) -> Duration {
    (limit / 10).clamp(Duration::from_millis(1), Duration::from_millis(100))
}

impl Connection for RedisConn {
    type Transport = Link;
    type Incoming = Frame;
    type Error = Error;

    fn init(&mut self, cx: &mut Ctx<'_, Self>) -> Next {
        let wait = Some(self.config.reconnect_wait).filter(|w| !w.is_zero());
        if let Some(limit) = self.config.command_timeout.into_iter().chain(wait).min() {
            let kept = self.kept.clone();
            cx.context()
                .run_interval(sweep_interval(limit), move |_, _| {
                    kept.borrow_mut().expire(Instant::now())
                });
        }
        // actix parks a sender once 16 messages wait (its default) and `Addr::send` then
        // clones the sender (two allocations) to retry, which succeeds at once: with many
        // callers that is paid on most requests and bounds nothing. Each caller awaits its
        // reply, so the callers themselves bound the mailbox.
        cx.context().set_mailbox_capacity(0);
        let config = self.config.clone();
        spawn_listener(&config, cx);
        Next::Connect
    }

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let config = self.config.clone();
        let hint = self.hint.take();
        async move { handshake::open(&config, hint).await }.boxed_local()
    }

    fn connected(&mut self, link: Link, cx: &mut Ctx<'_, Self>) {
        self.protocol = link.protocol;
        self.node = link.node;
        self.sessions.link = next_link_id();
        let (read, write) = link.stream.into_split();
        let mut frames = FramedRead::new(read, RespDecoder::new(self.config.limits));
        self.take_leftover(link.leftover, frames.read_buffer_mut(), cx);
        cx.read(frames.map(|r| {
            r.map_err(|e| match e {
                ProtocolError::Io(io) => Error::Io(io),
                other => Error::Protocol(other),
            })
        }));
        let writer = cx.writer(write);
        if let Some(error) = link.loading {
            // Kept off the link until a `PING` on it succeeds, within `reconnect_wait`.
            tracing::warn!(peer = %self.config.peer(), error = %error, "Redis is loading its dataset: requests wait for it, asking PING every 20 ms");
            self.loading = true;
            return self.poll_loading(cx);
        }
        let pending = cx.pending();
        let timeout = self.config.command_timeout;
        self.kept
            .borrow_mut()
            .send(&writer, &pending, timeout, cx.context());
    }

    fn connect_failed(&mut self, failure: Failure<Error>, info: ConnectInfo) -> Next {
        match failure {
            Failure::Error(Error::Handshake { ref error, .. }) if busy(error) => {
                after_busy_refusal(&self.config, error, info)
            }
            Failure::Error(
                ref
                e @ (Error::Handshake { .. } | Error::Config(_) | Error::SentinelRefused { .. }),
            ) if self.config.retry_refusals => {
                tracing::error!(peer = %self.config.peer(), error = %e, "Redis refused the handshake: backing off (a cluster node)");
                Next::Backoff
            }
            Failure::Error(
                e @ (Error::Handshake { .. } | Error::Config(_) | Error::SentinelRefused { .. }),
            ) => {
                let reason = e.to_string();
                tracing::error!(peer = %self.config.peer(), error = %reason, "Redis refused the handshake: stopping");
                Next::Stop(ExitReason::Error(reason))
            }
            Failure::Error(
                ref e @ (Error::SentinelUnreachable(_)
                | Error::SentinelUnknownService(_)
                | Error::SentinelNoReplica(_)
                | Error::WrongRole { .. }),
            ) => {
                tracing::warn!(peer = %self.config.peer(), error = %e, "no node to connect to yet: backing off");
                Next::Backoff
            }
            _ => Next::Backoff,
        }
    }

    /// The requests that were written have already been failed with `Disconnected` by the
    /// link's queue; the kept ones wait for the next link.
    fn disconnect(&mut self, failure: Failure<Error>, _cx: &mut Ctx<'_, Self>) -> Next {
        self.sessions.link = 0;
        self.node = None;
        self.loading = false;
        if self.config.exit_on_disconnection {
            Next::Stop(ExitReason::Error(format!("disconnected: {failure}")))
        } else {
            Next::Backoff
        }
    }

    fn incoming(&mut self, frame: Frame, cx: &mut Ctx<'_, Self>) {
        // The link completed the handshake and answered: the server works, so if the link
        // drops (a cut, a killed or restarted server) it is reconnected at once and the
        // backoff starts over, however briefly it was up. A link that never answered is
        // left to the policy, which damps a server that accepts and then closes, and so is
        // one still loading (its `-LOADING` answers do not count).
        if !self.loading {
            cx.mark_stable();
        }
        if self.protocol == Protocol::Resp3 && frame.is_push() {
            match &self.config.push_handler {
                Some(handler) => handler.deliver(frame),
                None => {
                    tracing::trace!(peer = %self.config.peer(), "ignored an out-of-band push frame")
                }
            }
            return;
        }
        let demoted = self.demoted(&frame);
        if let Err(frame) = cx.pending().answer(frame) {
            tracing::error!(peer = %self.config.peer(), reply = frame.kind(), "a reply nobody asked for: dropping the link");
            cx.disconnect(Failure::Error(Error::UnexpectedReply));
        } else if demoted {
            tracing::warn!(peer = %self.config.peer(), "the primary answered READONLY (demoted): looking it up again");
            cx.disconnect(Failure::Error(Error::Disconnected(
                "the node answered READONLY: it is no longer the primary".into(),
            )));
        }
    }

    fn health_check(&mut self, cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        cx.probe(
            |buf| crate::cmd("PING").write_to(buf),
            // A server loading its dataset answers `-LOADING`: alive.
            |frame| match crate::client::expect_ok(frame) {
                Err(Error::Server(e)) if e.code() == "LOADING" => Ok(()),
                other => other.map(drop),
            },
        )
    }

    /// The written requests have already been failed by the link's queue (they may have
    /// run: `Disconnected`); the kept ones never ran.
    fn stopped(&mut self, reason: &ExitReason) {
        self.sessions.link = 0;
        let reason: Arc<str> = reason.to_string().into();
        self.kept
            .borrow_mut()
            .fail_all(|| Error::Stopped(reason.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hardy_connection::Cause;

    fn refused(text: &'static str) -> Failure<Error> {
        Failure::Error(Error::Handshake {
            step: "PING",
            error: crate::ServerError::new(text),
        })
    }

    #[test]
    fn a_loading_server_is_tried_again_within_200_ms_whatever_the_attempt() {
        let mut conn = RedisConn::new(Arc::new(Config::new("127.0.0.1", 6379)));
        for attempt in [1, 5, 50] {
            let info = ConnectInfo {
                cause: Cause::Backoff,
                attempt,
            };
            let next = conn.connect_failed(
                refused("LOADING Redis is loading the dataset in memory"),
                info,
            );
            match next {
                Next::BackoffFor(d) => assert!(
                    (Duration::from_millis(100)..Duration::from_millis(200)).contains(&d),
                    "{d:?}"
                ),
                other => panic!("attempt {attempt}: {other:?}"),
            }
        }
        // Other momentary refusals follow the backoff policy.
        let info = ConnectInfo {
            cause: Cause::Backoff,
            attempt: 1,
        };
        assert_eq!(
            conn.connect_failed(refused("BUSY Redis is busy running a script"), info),
            Next::Backoff
        );
    }
}
