//! Reply slots: the FIFO that matches each reply to its request.
//!
//! Redis answers in order, so one queue per link is enough: a slot is pushed when a
//! request's bytes go into the write buffer, and each reply fills the slot at the front.
//! On disconnect every slot gets an error.
//!
//! Command timeouts live here too: each slot carries its deadline, and one sweep per
//! connection answers the expired ones with `Timeout` (instead of a timer per request).
//! An expired slot stays in the queue, empty: the late reply fills it and is dropped, so
//! later replies stay aligned. Deadlines are stamped in FIFO order, so the sweep only looks
//! past the expired prefix.
//!
//! The slots hold actix's own reply sender, so a request costs no extra channel or boxed
//! future.

use std::collections::VecDeque;
use std::time::Duration;

use actix::dev::OneshotSender;
use bytes::Bytes;
use tokio::time::Instant;

use crate::resp::{Frame, ServerError};
use crate::watch::{Session, SessionReply};
use crate::Error;

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
    pub(crate) fn fail(mut self, err: Error) {
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

/// When a request stops waiting: `None` without a command timeout.
pub(crate) type Deadline = Option<Instant>;

fn send<T>(tx: Option<OneshotSender<T>>, value: T) {
    if let Some(tx) = tx {
        // The caller may have timed out and gone: its reply is simply dropped.
        let _ = tx.send(value);
    }
}

/// What one sweep of the deadlines found.
#[derive(Debug, Default)]
pub(crate) struct Expired {
    /// Written requests that timed out now.
    pub(crate) timed_out: usize,
    /// A `noreply` request was among them: the connection's reply mode is then unknown
    /// (`CLIENT REPLY ON` may have been refused while replies were off), and the link
    /// must be dropped.
    pub(crate) reply_mode_unknown: bool,
}

/// The reply slots of the current link, and requests kept while disconnected.
#[derive(Default)]
pub(crate) struct Slots {
    pending: VecDeque<(Slot, Deadline)>,
    /// How many slots at the front already answered `Timeout` and wait for their reply.
    expired: usize,
    queued: VecDeque<(Bytes, Slot, Deadline)>,
}

impl Slots {
    /// Requests written and awaiting their replies.
    pub(crate) fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Requests kept for the next connection.
    pub(crate) fn queued(&self) -> usize {
        self.queued.len()
    }

    pub(crate) fn push_pending(&mut self, slot: Slot, deadline: Deadline) {
        self.pending.push_back((slot, deadline));
    }

    pub(crate) fn push_queued(&mut self, bytes: Bytes, slot: Slot, deadline: Deadline) {
        self.queued.push_back((bytes, slot, deadline));
    }

    /// Moves the kept requests to the link: `write` sends each one's bytes. Those whose
    /// deadline passed meanwhile (the sweep does not run during a connect) fail with
    /// `NotConnected` instead: their callers gave up, so they must not run.
    pub(crate) fn send_queued(&mut self, now: Instant, mut write: impl FnMut(&[u8])) {
        for (bytes, slot, deadline) in std::mem::take(&mut self.queued) {
            if deadline.is_some_and(|d| d <= now) {
                slot.fail(Error::NotConnected);
                continue;
            }
            write(&bytes);
            self.pending.push_back((slot, deadline));
        }
    }

    /// Answers every request whose deadline has passed: `Timeout` for those written (their
    /// slot stays, for the late reply), `NotConnected` for those still kept for a
    /// connection (never sent, so dropped).
    pub(crate) fn expire(&mut self, now: Instant, limit: Duration) -> Expired {
        let mut expired = Expired::default();
        while let Some((slot, Some(deadline))) = self.pending.get_mut(self.expired) {
            if *deadline > now {
                break;
            }
            expired.reply_mode_unknown |= matches!(slot, Slot::NoReply { .. });
            slot.answer(Error::Timeout(limit));
            self.expired += 1;
            expired.timed_out += 1;
        }
        while matches!(self.queued.front(), Some((_, _, Some(d))) if *d <= now) {
            if let Some((_, slot, _)) = self.queued.pop_front() {
                slot.fail(Error::NotConnected);
            }
        }
        expired
    }

    /// Hands `frame` to the request at the front. `Err(frame)` when no request is
    /// waiting: the server sent a reply nobody asked for.
    pub(crate) fn deliver(&mut self, frame: Frame) -> Result<(), Frame> {
        let Some((front, _)) = self.pending.front_mut() else {
            return Err(frame);
        };
        match front {
            Slot::One(_) => {
                if let Some(Slot::One(tx)) = self.pop_front() {
                    send(tx, Ok(frame));
                }
            }
            Slot::Many { left, frames, .. } => {
                frames.push(frame);
                *left -= 1;
                if *left == 0 {
                    if let Some(Slot::Many { frames, tx, .. }) = self.pop_front() {
                        send(tx, Ok(frames));
                    }
                }
            }
            Slot::Session { left, frames, .. } => {
                frames.push(frame);
                *left -= 1;
                if *left == 0 {
                    if let Some(Slot::Session {
                        frames,
                        session,
                        tx,
                        ..
                    }) = self.pop_front()
                    {
                        send(tx, Ok((session, frames)));
                    }
                }
            }
            Slot::NoReply {
                commands,
                discard,
                refused,
                ..
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
                if done {
                    if let Some(Slot::NoReply { refused, tx, .. }) = self.pop_front() {
                        send(tx, refused.map_or(Ok(()), |e| Err(Error::Server(e))));
                    }
                }
            }
        }
        Ok(())
    }

    fn pop_front(&mut self) -> Option<Slot> {
        self.expired = self.expired.saturating_sub(1);
        self.pending.pop_front().map(|(slot, _)| slot)
    }

    /// Fails every request waiting for a reply.
    pub(crate) fn fail_pending(&mut self, err: impl Fn() -> Error) {
        self.expired = 0;
        for (slot, _) in self.pending.drain(..) {
            slot.fail(err());
        }
    }

    /// Fails every request kept for the next connection.
    pub(crate) fn fail_queued(&mut self, err: impl Fn() -> Error) {
        for (_, slot, _) in self.queued.drain(..) {
            slot.fail(err());
        }
    }
}
