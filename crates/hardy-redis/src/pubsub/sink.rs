//! Where a subscriber's events go: a bounded buffer read as a [`Subscription`] stream, or
//! an actix `Recipient`; and what happens when the subscriber does not keep up.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use actix::prelude::SendError;
use actix::Recipient;
use futures::Stream;

use super::handle::Target;
use super::Event;

/// What happens to a subscriber whose buffer is full when a message arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Drop the oldest buffered message to make room (the default). For a `Recipient`,
    /// whose mailbox cannot be trimmed, the new message is dropped instead. Either way the
    /// subscriber's [`dropped`](Subscription::dropped) counter grows.
    #[default]
    DropOldest,
    /// Unsubscribe the subscriber: its stream ends after the buffered events (a
    /// `Recipient` receives nothing more), and the counter counts the message that did not
    /// fit.
    Disconnect,
}

/// Default capacity of a subscriber's buffer, in events.
pub const DEFAULT_BUFFER: usize = 1024;

/// The state shared by a [`Subscription`] and the Pub/Sub actor.
#[derive(Debug)]
pub(crate) struct Shared {
    inner: Mutex<Buffer>,
    dropped: AtomicU64,
}

#[derive(Debug)]
struct Buffer {
    events: VecDeque<Event>,
    capacity: usize,
    waker: Option<Waker>,
    /// The actor will send nothing more.
    ended: bool,
    /// The `Subscription` was dropped.
    gone: bool,
}

impl Shared {
    pub(crate) fn new(capacity: usize) -> Arc<Shared> {
        Arc::new(Shared {
            inner: Mutex::new(Buffer {
                events: VecDeque::new(),
                capacity: capacity.max(1),
                waker: None,
                ended: false,
                gone: false,
            }),
            dropped: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn end(&self) {
        let mut buf = self.lock();
        buf.ended = true;
        if let Some(waker) = buf.waker.take() {
            waker.wake();
        }
    }
}

/// A subscriber's destination, as the actor holds it.
#[derive(Clone)]
pub(crate) enum Sink {
    Stream(Arc<Shared>),
    Recipient(Recipient<Event>, Arc<Shared>),
}

/// What a delivery found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivered {
    Yes,
    /// The subscriber is gone or was dropped by its overflow policy: unsubscribe it.
    Gone,
}

impl Sink {
    pub(crate) fn counter(&self) -> &Arc<Shared> {
        match self {
            Sink::Stream(shared) | Sink::Recipient(_, shared) => shared,
        }
    }

    /// Whether the subscriber has gone away (its stream dropped, its recipient stopped).
    pub(crate) fn is_gone(&self) -> bool {
        match self {
            Sink::Stream(shared) => shared.lock().gone,
            Sink::Recipient(recipient, _) => !recipient.connected(),
        }
    }

    pub(crate) fn deliver(&self, event: Event, overflow: Overflow) -> Delivered {
        match self {
            Sink::Stream(shared) => {
                let mut buf = shared.lock();
                if buf.gone || buf.ended {
                    return Delivered::Gone;
                }
                let mut result = Delivered::Yes;
                if buf.events.len() >= buf.capacity {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    match overflow {
                        Overflow::DropOldest => {
                            buf.events.pop_front();
                            buf.events.push_back(event);
                        }
                        Overflow::Disconnect => {
                            buf.ended = true;
                            result = Delivered::Gone;
                        }
                    }
                } else {
                    buf.events.push_back(event);
                }
                if let Some(waker) = buf.waker.take() {
                    waker.wake();
                }
                result
            }
            Sink::Recipient(recipient, shared) => match recipient.try_send(event) {
                Ok(()) => Delivered::Yes,
                Err(SendError::Full(_)) => {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    match overflow {
                        Overflow::DropOldest => Delivered::Yes,
                        Overflow::Disconnect => Delivered::Gone,
                    }
                }
                Err(SendError::Closed(_)) => Delivered::Gone,
            },
        }
    }

    /// The actor dropped this subscriber: a stream ends after its buffered events.
    pub(crate) fn end(&self) {
        self.counter().end();
    }
}

/// A live subscription, read as a `Stream` of [`Event`]s.
///
/// Dropping it unsubscribes: the Pub/Sub actor forgets the subscriber, and unsubscribes
/// at Redis every channel nobody else listens to. The stream ends (`None`) when the
/// subscriber was dropped for being too slow ([`Overflow::Disconnect`]) or the Pub/Sub
/// actor stopped for good.
pub struct Subscription {
    pub(crate) id: u64,
    pub(crate) shared: Arc<Shared>,
    pub(crate) target: Target,
    /// What the subscription keeps alive: a cluster slot's shared Pub/Sub connection,
    /// closed when its last subscription goes (dropped after the unsubscribe is sent).
    pub(crate) lease: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl Subscription {
    /// How many messages this subscriber lost to a full buffer (see [`Overflow`]).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl Stream for Subscription {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut buf = self.shared.lock();
        if let Some(event) = buf.events.pop_front() {
            return Poll::Ready(Some(event));
        }
        if buf.ended {
            return Poll::Ready(None);
        }
        buf.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.shared.lock().gone = true;
        self.target.forget(self.id);
    }
}

/// A subscriber that delivers to a `Recipient`: dropping it does *not* unsubscribe (the
/// recipient's mailbox closing does); call [`PubSub::unsubscribe`](super::PubSub::unsubscribe)
/// to stop early.
#[derive(Clone, Debug)]
pub struct RecipientSubscriber {
    pub(crate) id: u64,
    pub(crate) shared: Arc<Shared>,
}

impl RecipientSubscriber {
    /// How many messages the recipient lost to a full mailbox (see [`Overflow`]).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}
