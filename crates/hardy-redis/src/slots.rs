//! Reply slots: the FIFO that matches each reply to its request.
//!
//! Redis answers in order, so one queue per link is enough: a slot is pushed when a
//! request's bytes go into the write buffer, and each reply fills the slot at the front.
//! A caller that gave up (timed out) still owns its slot: the late reply fills it and is
//! dropped, so later replies stay aligned. On disconnect every slot gets an error.
//!
//! The slots hold actix's own reply sender, so a request costs no extra channel or boxed
//! future.

use std::collections::VecDeque;

use actix::dev::OneshotSender;
use bytes::Bytes;

use crate::resp::{Frame, ServerError};
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
    pub(crate) fn fail(self, err: Error) {
        match self {
            Slot::One(tx) => send(tx, Err(err)),
            Slot::Many { tx, .. } => send(tx, Err(err)),
            Slot::NoReply { tx, .. } => send(tx, Err(err)),
        }
    }
}

fn send<T>(tx: Option<OneshotSender<T>>, value: T) {
    if let Some(tx) = tx {
        // The caller may have timed out and gone: its reply is simply dropped.
        let _ = tx.send(value);
    }
}

/// The reply slots of the current link, and requests kept while disconnected.
#[derive(Default)]
pub(crate) struct Slots {
    pub(crate) pending: VecDeque<Slot>,
    pub(crate) queued: VecDeque<(Bytes, Slot)>,
}

impl Slots {
    /// Hands `frame` to the request at the front. `Err(frame)` when no request is
    /// waiting: the server sent a reply nobody asked for.
    pub(crate) fn deliver(&mut self, frame: Frame) -> Result<(), Frame> {
        let Some(front) = self.pending.front_mut() else {
            return Err(frame);
        };
        match front {
            Slot::One(_) => {
                if let Some(Slot::One(tx)) = self.pending.pop_front() {
                    send(tx, Ok(frame));
                }
            }
            Slot::Many { left, frames, .. } => {
                frames.push(frame);
                *left -= 1;
                if *left == 0 {
                    if let Some(Slot::Many { frames, tx, .. }) = self.pending.pop_front() {
                        send(tx, Ok(frames));
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
                    if let Some(Slot::NoReply { refused, tx, .. }) = self.pending.pop_front() {
                        send(tx, refused.map_or(Ok(()), |e| Err(Error::Server(e))));
                    }
                }
            }
        }
        Ok(())
    }

    /// Fails every request waiting for a reply.
    pub(crate) fn fail_pending(&mut self, err: impl Fn() -> Error) {
        for slot in self.pending.drain(..) {
            slot.fail(err());
        }
    }

    /// Fails every request kept for the next connection.
    pub(crate) fn fail_queued(&mut self, err: impl Fn() -> Error) {
        for (_, slot) in self.queued.drain(..) {
            slot.fail(err());
        }
    }
}
