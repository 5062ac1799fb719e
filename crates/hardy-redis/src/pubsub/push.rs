//! RESP3 push frames arriving on the ordinary connection: `CLIENT TRACKING`
//! invalidations, or Pub/Sub messages when the application subscribes on it.
//!
//! By default the driver drops them (they answer no request; a trace event records
//! each). With a [`PushHandler`] in the [`Config`](crate::Config) they go to an actix
//! `Recipient` or a bounded [`PushStream`] instead.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix::Recipient;
use futures::Stream;
use tokio::sync::mpsc;

use crate::resp::Frame;

/// A push frame, as a message for a `Recipient`: the elements of the push (for example
/// `["invalidate", ["key"]]`).
#[derive(Clone, Debug)]
pub struct Push(pub Vec<Frame>);

impl actix::Message for Push {
    type Result = ();
}

/// Where the ordinary connection sends the RESP3 push frames it receives.
///
/// Delivery never blocks the connection: when the recipient's mailbox or the stream's
/// buffer is full, the push is dropped and [`dropped`](Self::dropped) grows.
#[derive(Clone)]
pub struct PushHandler {
    to: To,
    dropped: Arc<AtomicU64>,
}

#[derive(Clone)]
enum To {
    Recipient(Recipient<Push>),
    Channel(mpsc::Sender<Push>),
}

impl std::fmt::Debug for PushHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let to = match self.to {
            To::Recipient(_) => "recipient",
            To::Channel(_) => "stream",
        };
        f.debug_struct("PushHandler")
            .field("to", &to)
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl PushHandler {
    /// Pushes go to an actix actor.
    pub fn recipient(recipient: Recipient<Push>) -> Self {
        PushHandler {
            to: To::Recipient(recipient),
            dropped: Arc::default(),
        }
    }

    /// Pushes go to a stream buffering up to `capacity` of them (at least 1).
    pub fn stream(capacity: usize) -> (Self, PushStream) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let handler = PushHandler {
            to: To::Channel(tx),
            dropped: Arc::default(),
        };
        (handler, PushStream(rx))
    }

    /// How many pushes were dropped because the receiver was full or gone.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub(crate) fn deliver(&self, frame: Frame) {
        let Frame::Push(parts) = frame.into_value() else {
            return;
        };
        let sent = match &self.to {
            To::Recipient(r) => r.try_send(Push(parts)).is_ok(),
            To::Channel(tx) => tx.try_send(Push(parts)).is_ok(),
        };
        if !sent {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The push frames of a connection configured with [`PushHandler::stream`].
#[derive(Debug)]
pub struct PushStream(mpsc::Receiver<Push>);

impl Stream for PushStream {
    type Item = Push;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Push>> {
        self.0.poll_recv(cx)
    }
}
