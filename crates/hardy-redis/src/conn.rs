//! The Redis protocol as a [`Connection`]: one socket, requests written as they come,
//! replies matched in order.
//!
//! hardy-connection owns the socket's life (connect timeout, backoff, health check); this
//! file owns what Redis adds: the handshake, the reply slots, what callers get while the
//! link is down, and which failures are worth a retry.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Addr, AsyncContext};

use bytes::BytesMut;
use futures::{FutureExt, StreamExt};
use hardy_connection::{
    ConnectFuture, ConnectInfo, Connection, Ctx, ExitReason, Failure, LinkWriter, Next, ProbeFuture,
};
use tokio::time::Instant;
use tokio_util::codec::{Decoder, FramedRead};

use crate::config::{Config, Protocol};
use crate::handshake::{self, Link};
use crate::resp::{Frame, ProtocolError, RespDecoder};
use crate::slots::{Deadline, Slot, Slots};
use crate::watch::{next_link_id, Sessions};
use crate::{Error, RedisActor};

/// The Redis protocol state behind a [`RedisActor`](crate::RedisActor).
///
/// You don't use it directly: build one with [`Redis::actor`](crate::Redis::actor) or
/// start one with [`Redis::start`](crate::Redis::start).
pub struct RedisConn {
    pub(crate) config: Arc<Config>,
    writer: Option<LinkWriter>,
    pub(crate) slots: Rc<RefCell<Slots>>,
    protocol: Protocol,
    /// Where this incarnation publishes its address, for handles that follow restarts.
    registry: Option<Arc<AddrCell>>,
    /// The current link's id and watch epoch, for `WATCH` sessions.
    pub(crate) sessions: Sessions,
    /// When the current outage began (the link dropped, or the first connect failed);
    /// `None` while connected. Requests wait for the reconnect until
    /// `reconnect_wait` after it.
    down_since: Option<Instant>,
    /// Command timeouts since the last frame from the server.
    timeouts_in_a_row: u32,
    /// Whether the current link has answered a request (past the handshake): a link that
    /// did is a working one, and its drop is worth reconnecting at once.
    link_answered: bool,
}

/// The address of the current incarnation of a supervised connection, if one runs.
pub(crate) type AddrCell = Mutex<Option<Addr<RedisActor>>>;

impl RedisConn {
    pub(crate) fn new(config: Arc<Config>, registry: Option<Arc<AddrCell>>) -> Self {
        RedisConn {
            config,
            writer: None,
            slots: Rc::default(),
            protocol: Protocol::Resp2,
            registry,
            sessions: Sessions::default(),
            down_since: None,
            timeouts_in_a_row: 0,
            link_answered: false,
        }
    }

    fn register(&self, addr: Option<Addr<RedisActor>>) {
        if let Some(cell) = &self.registry {
            *cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = addr;
        }
    }

    /// Where a request goes now: onto the link, into the reconnect queue, or back to the
    /// caller as an error.
    pub(crate) fn dispatch(&mut self, encode: impl FnOnce(&mut BytesMut)) -> Dispatch {
        if let Some(writer) = self.writer.as_ref().filter(|w| w.is_open()) {
            let cap = self.config.max_in_flight;
            if self.slots.borrow().in_flight() >= cap {
                return Dispatch::Fail(Error::Overloaded(cap));
            }
            writer.with_buffer(encode);
            return Dispatch::Sent(self.slots.clone(), self.deadline());
        }
        let now = Instant::now();
        if let Some(wait_end) = self.reconnect_wait_end().filter(|&end| end > now) {
            // A short outage: wait for the reconnect, up to the end of the wait and within
            // the command timeout.
            let cap = self.config.max_in_flight;
            if self.slots.borrow().queued() >= cap {
                return Dispatch::Fail(Error::Overloaded(cap));
            }
            let deadline = self.deadline().map_or(wait_end, |d| d.min(wait_end));
            return Dispatch::Queued(self.slots.clone(), encoded(encode), Some(deadline));
        }
        let cap = self.config.queue_while_disconnected;
        if cap == 0 {
            return Dispatch::Fail(Error::NotConnected);
        }
        if self.slots.borrow().queued() >= cap {
            return Dispatch::Fail(Error::QueueFull(cap));
        }
        Dispatch::Queued(self.slots.clone(), encoded(encode), self.deadline())
    }

    /// Until when requests made during the current outage wait for the reconnect.
    fn reconnect_wait_end(&self) -> Option<Instant> {
        let wait = self.config.reconnect_wait;
        (!wait.is_zero())
            .then_some(self.down_since?)
            .map(|since| since + wait)
    }

    /// The outage began now, unless it already had.
    fn went_down(&mut self) {
        self.down_since.get_or_insert_with(Instant::now);
    }

    /// Writes a request of a `WATCH` session: only onto the current link, never into the
    /// reconnect queue (a new link would not hold the session's watches).
    pub(crate) fn dispatch_on_link(&mut self, encode: impl FnOnce(&mut BytesMut)) -> Dispatch {
        if !self.writer.as_ref().is_some_and(|w| w.is_open()) {
            return Dispatch::Fail(Error::WatchAborted);
        }
        self.dispatch(encode)
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

    /// When a request taken now stops waiting for its reply.
    fn deadline(&self) -> Deadline {
        self.config
            .command_timeout
            .map(|limit| Instant::now() + limit)
    }

    /// Answers the requests whose command timeout (or reconnect wait) has passed; drops
    /// the link when the server has let too many time out in a row.
    fn expire(&mut self, cx: &mut Ctx<'_, Self>) {
        let limit = self.config.command_timeout.unwrap_or_default();
        let expired = self.slots.borrow_mut().expire(Instant::now(), limit);
        if expired.reply_mode_unknown {
            tracing::warn!(peer = %self.config.peer(), "a noreply request timed out: its reply mode is unknown, dropping the link");
            return cx.disconnect(Failure::Error(Error::Timeout(limit)));
        }
        let timed_out = u32::try_from(expired.timed_out).unwrap_or(u32::MAX);
        self.timeouts_in_a_row = self.timeouts_in_a_row.saturating_add(timed_out);
        let max = self.config.max_consecutive_timeouts;
        if timed_out > 0 && max > 0 && self.timeouts_in_a_row >= max && cx.is_connected() {
            tracing::warn!(peer = %self.config.peer(), timeouts = self.timeouts_in_a_row, "commands keep timing out: dropping the link");
            cx.disconnect(Failure::Error(Error::Timeout(limit)));
        }
    }
}

fn encoded(encode: impl FnOnce(&mut BytesMut)) -> BytesMut {
    let mut bytes = BytesMut::new();
    encode(&mut bytes);
    bytes
}

/// What the handler decided for a request; completed when actix hands over the reply
/// sender (see `messages.rs`).
pub(crate) enum Dispatch {
    Sent(Rc<RefCell<Slots>>, Deadline),
    Queued(Rc<RefCell<Slots>>, BytesMut, Deadline),
    Fail(Error),
}

impl Dispatch {
    pub(crate) fn place(self, slot: Slot) {
        match self {
            Dispatch::Sent(slots, deadline) => slots.borrow_mut().push_pending(slot, deadline),
            Dispatch::Queued(slots, bytes, deadline) => {
                slots
                    .borrow_mut()
                    .push_queued(bytes.freeze(), slot, deadline)
            }
            Dispatch::Fail(err) => slot.fail(err),
        }
    }
}

/// Whether a handshake refusal is the server's momentary state (loading, busy script,
/// failover, too many clients), worth a retry, rather than the configuration's fault.
fn busy(error: &crate::ServerError) -> bool {
    matches!(
        error.code(),
        "BUSY" | "LOADING" | "TRYAGAIN" | "MASTERDOWN" | "CLUSTERDOWN" | "READONLY"
    ) || String::from_utf8_lossy(error.text()).contains("max number of clients")
}

/// How often the command timeouts are checked: a tenth of the timeout, between 1 ms and
/// 100 ms, so a timeout fires at most that late.
fn sweep_interval(limit: Duration) -> Duration {
    (limit / 10).clamp(Duration::from_millis(1), Duration::from_millis(100))
}

impl Connection for RedisConn {
    type Transport = Link;
    type Incoming = Frame;
    type Error = Error;

    fn init(&mut self, cx: &mut Ctx<'_, Self>) -> Next {
        self.register(Some(cx.address()));
        let wait = Some(self.config.reconnect_wait).filter(|w| !w.is_zero());
        if let Some(limit) = self.config.command_timeout.into_iter().chain(wait).min() {
            cx.context()
                .run_interval(sweep_interval(limit), move |act, ctx| {
                    act.with_ctx(ctx, |conn, cx| conn.expire(cx))
                });
        }
        // actix parks a sender once 16 messages wait (its default) and `Addr::send` then
        // clones the sender (two allocations) to retry, which succeeds at once: with many
        // callers that is paid on most requests and bounds nothing. Each caller awaits its
        // reply, so the callers themselves bound the mailbox.
        cx.context().set_mailbox_capacity(0);
        Next::Connect
    }

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let config = self.config.clone();
        async move { handshake::open(&config).await }.boxed_local()
    }

    fn connected(&mut self, link: Link, cx: &mut Ctx<'_, Self>) {
        self.protocol = link.protocol;
        self.sessions.link = next_link_id();
        self.down_since = None;
        self.timeouts_in_a_row = 0;
        self.link_answered = false;
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
        self.slots
            .borrow_mut()
            .send_queued(Instant::now(), |bytes| {
                writer.write(bytes);
            });
        self.writer = Some(writer);
    }

    fn connect_failed(&mut self, failure: Failure<Error>, _info: ConnectInfo) -> Next {
        self.went_down();
        match failure {
            Failure::Error(Error::Handshake { ref error, .. }) if busy(error) => {
                tracing::warn!(peer = %self.config.peer(), error = %error, "Redis is busy during the handshake: backing off");
                Next::Backoff
            }
            Failure::Error(e @ (Error::Handshake { .. } | Error::Config(_))) => {
                let reason = e.to_string();
                tracing::error!(peer = %self.config.peer(), error = %reason, "Redis refused the handshake: stopping");
                Next::Stop(ExitReason::Error(reason))
            }
            _ => Next::Backoff,
        }
    }

    fn disconnect(&mut self, failure: Failure<Error>, _cx: &mut Ctx<'_, Self>) -> Next {
        self.writer = None;
        self.sessions.link = 0;
        self.went_down();
        let reason: Arc<str> = failure.to_string().into();
        self.slots
            .borrow_mut()
            .fail_pending(|| Error::Disconnected(reason.clone()));
        if self.config.exit_on_disconnection {
            Next::Stop(ExitReason::Error(format!("disconnected: {reason}")))
        } else if std::mem::take(&mut self.link_answered) {
            // The link completed the handshake and answered requests: the server works,
            // so a network blip (a cut connection, a proxy restart) is repaired at once,
            // however briefly the link was up. A link that never answered is left to the
            // backoff policy, which damps a server that accepts and then closes.
            Next::Connect
        } else {
            Next::Backoff
        }
    }

    fn incoming(&mut self, frame: Frame, cx: &mut Ctx<'_, Self>) {
        self.timeouts_in_a_row = 0;
        self.link_answered = true;
        if self.protocol == Protocol::Resp3 && frame.is_push() {
            match &self.config.push_handler {
                Some(handler) => handler.deliver(frame),
                None => {
                    tracing::trace!(peer = %self.config.peer(), "ignored an out-of-band push frame")
                }
            }
            return;
        }
        if let Err(frame) = self.slots.borrow_mut().deliver(frame) {
            tracing::error!(peer = %self.config.peer(), reply = frame.kind(), "a reply nobody asked for: dropping the link");
            cx.disconnect(Failure::Error(Error::UnexpectedReply));
        }
    }

    fn in_flight(&self) -> usize {
        self.slots.borrow().in_flight()
    }

    fn health_check(&mut self, _cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        let writer = self.writer.as_ref()?;
        writer.with_buffer(|buf| crate::cmd("PING").write_to(buf))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let deadline = self.deadline();
        self.slots
            .borrow_mut()
            .push_pending(Slot::One(Some(tx)), deadline);
        Some(
            async move {
                match rx.await {
                    Ok(Ok(frame)) => crate::client::expect_ok(frame).map(drop),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(Error::Disconnected("the probe's slot was dropped".into())),
                }
            }
            .boxed_local(),
        )
    }

    fn stopped(&mut self, reason: &ExitReason) {
        self.register(None);
        self.writer = None;
        self.sessions.link = 0;
        let reason: Arc<str> = reason.to_string().into();
        let mut slots = self.slots.borrow_mut();
        // Written requests may have run; kept ones never did.
        let stopped: Arc<str> = format!("the connection stopped: {reason}").into();
        slots.fail_pending(|| Error::Disconnected(stopped.clone()));
        slots.fail_queued(|| Error::Stopped(reason.clone()));
    }
}
