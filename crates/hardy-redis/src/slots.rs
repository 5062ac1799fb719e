//! Reply slots: what each request waits for, and the requests kept while the link is down.
//!
//! Redis answers in order, so hardy-connection's [`Pending`] queue matches replies to
//! requests: a [`Slot`] is its [`Waiter`], pushed in the same turn as the request's bytes
//! are written, and the queue fails every slot when the link ends, sweeps the command
//! timeouts, and drops the link after too many timeouts in a row. This file only says what
//! a Redis reply fills: one frame, a pipeline's frames, a `WATCH` session's frames, or the
//! acknowledgement of a `CLIENT REPLY OFF` … `ON` block (whose late reply cannot be skipped,
//! so its timeout drops the link).
//!
//! Requests made while the link is down wait in [`Kept`] (up to the reconnect wait or the
//! queue's capacity, within their command timeout) and are written, in order, when the
//! next link comes up. The slots hold actix's own reply sender: a request costs no extra
//! channel or boxed future.

use std::collections::VecDeque;
use std::time::Duration;

use actix::dev::OneshotSender;
use bytes::Bytes;
use hardy_connection::{LinkWriter, Pending, RequestError, Waiter};
use tokio::time::Instant;

use crate::conn::RedisConn;
use crate::resp::{Frame, ServerError};
use crate::watch::{Session, SessionReply};
use crate::{Error, RedisActor};

/// Where one request's replies go.
pub(crate) enum Slot {
    /// One command, one reply.
    One(Option<OneshotSender<Result<Frame, Error>>>),
    /// A pipeline: `left` more replies, collected in order.
    Many {
        left: usize,
        frames: Vec<Frame>,
        tx: Option<OneshotSender<Result<Vec<Frame>, Error>>>,
    },
    /// Commands of a `WATCH` session (see `watch.rs`): like `Many`, and answered with
    /// the session they ran in.
    Session {
        left: usize,
        frames: Vec<Frame>,
        session: Session,
        tx: Option<OneshotSender<SessionReply>>,
    },
    /// `CLIENT REPLY OFF`, commands, `CLIENT REPLY ON`: normally one reply (the `ON`'s
    /// OK). If the server refused `OFF` (a managed Redis may block `CLIENT`), it answers
    /// every command too: `discard` then counts those, keeping the queue aligned.
    NoReply {
        commands: usize,
        discard: Option<usize>,
        refused: Option<ServerError>,
        tx: Option<OneshotSender<Result<(), Error>>>,
    },
}

impl Slot {
    /// Answers the request with `err` (no reply will come).
    pub(crate) fn fail_with(mut self, err: Error) {
        self.answer(err);
    }

    /// Answers the request with `err` now; a reply that still comes is dropped.
    fn answer(&mut self, err: Error) {
        match self {
            Slot::One(tx) => send(tx.take(), Err(err)),
            Slot::Many { tx, .. } => send(tx.take(), Err(err)),
            Slot::Session { tx, .. } => send(tx.take(), Err(err)),
            Slot::NoReply { tx, .. } => send(tx.take(), Err(err)),
        }
    }
}

impl Waiter<Frame> for Slot {
    fn take(&mut self, frame: Frame) -> bool {
        match self {
            Slot::One(tx) => {
                send(tx.take(), Ok(frame));
                true
            }
            Slot::Many { left, frames, tx } => {
                collect(frames, tx.is_some(), frame, left)
                    && finish(tx, || Ok(std::mem::take(frames)))
            }
            Slot::Session {
                left,
                frames,
                session,
                tx,
            } => {
                let session = *session;
                collect(frames, tx.is_some(), frame, left)
                    && finish(tx, || Ok((session, std::mem::take(frames))))
            }
            Slot::NoReply {
                commands,
                discard,
                refused,
                tx,
            } => {
                let done = match discard {
                    Some(n) => {
                        *n = n.saturating_sub(1);
                        *n == 0
                    }
                    None if frame.is_error() => {
                        // `CLIENT REPLY OFF` refused: the commands and `ON` answer too.
                        *refused = ServerError::from_frame(frame).ok();
                        *discard = Some(*commands + 1);
                        false
                    }
                    None => true,
                };
                done && finish(tx, || {
                    refused.take().map_or(Ok(()), |e| Err(Error::Server(e)))
                })
            }
        }
    }

    fn fail(&mut self, error: RequestError) {
        self.answer(error.into());
    }

    /// A `noreply` block that timed out leaves the connection's reply mode unknown
    /// (`CLIENT REPLY ON` may have been refused while replies were off): its late replies
    /// cannot be counted, so the link is dropped.
    fn drop_link_on_timeout(&self) -> bool {
        matches!(self, Slot::NoReply { .. })
    }
}

/// Adds one reply of several; `true` once the last one came. After a timeout (`keep`
/// false) the replies are only counted.
fn collect(frames: &mut Vec<Frame>, keep: bool, frame: Frame, left: &mut usize) -> bool {
    if keep {
        frames.push(frame);
    }
    *left = left.saturating_sub(1);
    *left == 0
}

/// Answers the caller with `reply()`; always `true` (the slot is done).
fn finish<T>(tx: &mut Option<OneshotSender<T>>, reply: impl FnOnce() -> T) -> bool {
    if let Some(tx) = tx.take() {
        // The caller may have timed out and gone: its reply is simply dropped.
        let _ = tx.send(reply());
    }
    true
}

fn send<T>(tx: Option<OneshotSender<T>>, value: T) {
    if let Some(tx) = tx {
        // The caller may have timed out and gone: its reply is simply dropped.
        let _ = tx.send(value);
    }
}

/// What a caller is told when the link's request layer gives up on its request.
///
/// Only written requests are in that layer's queue, so a stopped connection's request
/// may have run: `Stopped` becomes [`Error::Disconnected`] (requests that were never sent
/// get [`Error::Stopped`] from the connection itself).
impl From<RequestError> for Error {
    fn from(error: RequestError) -> Self {
        match error {
            RequestError::NotConnected => Error::NotConnected,
            RequestError::Disconnected(reason) => Error::Disconnected(reason),
            RequestError::Timeout(limit) => Error::Timeout(limit),
            RequestError::Stopped(reason) => {
                Error::Disconnected(format!("the connection stopped: {reason}").into())
            }
            other => Error::Disconnected(other.to_string().into()),
        }
    }
}

/// A request made while the link was down, waiting for the next one.
struct KeptRequest {
    bytes: Bytes,
    slot: Slot,
    /// When it stops waiting for a link (its command timeout, or the end of the
    /// reconnect wait): it then fails with `NotConnected`, never sent.
    give_up: Option<Instant>,
    /// When its command timeout ends, counted from when it was made.
    deadline: Option<Instant>,
}

/// The requests kept for the next link, oldest first.
#[derive(Default)]
pub(crate) struct Kept {
    requests: VecDeque<KeptRequest>,
}

impl Kept {
    /// How many requests wait for a link.
    pub(crate) fn len(&self) -> usize {
        self.requests.len()
    }

    pub(crate) fn push(
        &mut self,
        bytes: Bytes,
        slot: Slot,
        give_up: Option<Instant>,
        deadline: Option<Instant>,
    ) {
        self.requests.push_back(KeptRequest {
            bytes,
            slot,
            give_up,
            deadline,
        });
    }

    /// Writes the kept requests to the new link and queues their slots, in order. Those
    /// whose wait ended meanwhile (the sweep does not run during a connect) fail with
    /// `NotConnected` instead: their callers gave up, so they must not run. A written one
    /// keeps its command deadline.
    pub(crate) fn send(
        &mut self,
        writer: &LinkWriter,
        pending: &Pending<RedisConn>,
        timeout: Option<Duration>,
        ctx: &mut actix::Context<RedisActor>,
    ) {
        let now = Instant::now();
        for kept in std::mem::take(&mut self.requests) {
            if kept.give_up.is_some_and(|t| t <= now) || !writer.write(&kept.bytes) {
                kept.slot.fail_with(Error::NotConnected);
                continue;
            }
            match (kept.deadline, timeout) {
                (Some(deadline), Some(limit)) => {
                    pending.push_until(kept.slot, deadline, limit, ctx)
                }
                _ => pending.push(kept.slot, None, ctx),
            }
        }
    }

    /// Fails with `NotConnected` the requests whose wait for a link has ended (never
    /// sent).
    pub(crate) fn expire(&mut self, now: Instant) {
        while self
            .requests
            .front()
            .is_some_and(|k| k.give_up.is_some_and(|t| t <= now))
        {
            if let Some(kept) = self.requests.pop_front() {
                kept.slot.fail_with(Error::NotConnected);
            }
        }
    }

    /// Fails every kept request with `err()` (never sent).
    pub(crate) fn fail_all(&mut self, err: impl Fn() -> Error) {
        for kept in self.requests.drain(..) {
            kept.slot.fail_with(err());
        }
    }
}
