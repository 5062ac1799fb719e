//! The current link's reader and writer, as futures inside the actor.
//!
//! Both run in the actor's own task (no channel, no extra task): the reader hands items
//! to `Connection::incoming` as they are decoded, and the writer flushes everything written
//! during a turn in one go, after the mailbox is drained, so concurrent callers share
//! syscalls. Both carry the link generation: once the link is gone they do nothing.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use actix::{ActorContext, ActorFuture, ActorState, AsyncContext, Context};
use bytes::{Buf, BytesMut};
use futures::Stream;
use tokio::io::AsyncWrite;

use crate::{Connection, ConnectionActor, Failure};

/// How many items the reader hands over before yielding to the rest of the actor.
const READ_BUDGET: usize = 256;
/// The least it hands over, however few requests are in flight.
const MIN_READ_BUDGET: usize = 4;

pub(crate) struct ReadLink<S> {
    stream: Pin<Box<S>>,
    link: u64,
}

impl<S> ReadLink<S> {
    pub(crate) fn new(stream: Pin<Box<S>>, link: u64) -> Self {
        ReadLink { stream, link }
    }
}

impl<C, S> ActorFuture<ConnectionActor<C>> for ReadLink<S>
where
    C: Connection,
    S: Stream<Item = Result<C::Incoming, C::Error>>,
{
    type Output = ();

    fn poll(
        self: Pin<&mut Self>,
        act: &mut ConnectionActor<C>,
        ctx: &mut Context<ConnectionActor<C>>,
        task: &mut TaskContext<'_>,
    ) -> Poll<()> {
        let this = self.get_mut();
        // Hand over a quarter of the replies in flight, then let the actor write the
        // requests their callers made meanwhile: the peer works on those while we read the
        // rest, instead of the two sides taking turns with one big batch each.
        let budget = match act.conn.in_flight() {
            0 => READ_BUDGET,
            n => (n / 4).clamp(MIN_READ_BUDGET, READ_BUDGET),
        };
        for _ in 0..budget {
            if act.core.link != this.link {
                return Poll::Ready(());
            }
            match this.stream.as_mut().poll_next(task) {
                Poll::Ready(Some(Ok(item))) => {
                    act.guarded("incoming", ctx, |conn, cx| conn.incoming(item, cx));
                }
                Poll::Ready(Some(Err(e))) => {
                    act.link_down(this.link, Failure::Error(e), ctx);
                    return Poll::Ready(());
                }
                Poll::Ready(None) => {
                    act.link_down(this.link, Failure::Closed, ctx);
                    return Poll::Ready(());
                }
                Poll::Pending => return Poll::Pending,
            }
            if ctx.waiting() || ctx.state() != ActorState::Running {
                // A callback asked for a step (connect/disconnect/stop): let it run first.
                break;
            }
        }
        task.waker().wake_by_ref();
        Poll::Pending
    }
}

#[derive(Default)]
struct WriteBuf {
    buf: BytesMut,
    waker: Option<Waker>,
    /// The link is gone: writes are dropped instead of piling up.
    closed: bool,
}

/// The write side of the current link (see [`Ctx::writer`](crate::Ctx::writer)).
///
/// Cheap to clone; all clones share one buffer. Writes never block: bytes are appended to
/// the buffer and flushed by the actor after the current turn. Watch
/// [`buffered`](Self::buffered) to bound memory if the peer reads slowly. Bound to the
/// actor's thread (not `Send`).
#[derive(Clone)]
pub struct LinkWriter {
    inner: Rc<RefCell<WriteBuf>>,
    /// The link this writer belongs to, and the current one.
    link: u64,
    epoch: Arc<AtomicU64>,
}

impl LinkWriter {
    pub(crate) fn new(link: u64, epoch: Arc<AtomicU64>) -> Self {
        LinkWriter {
            inner: Rc::default(),
            link,
            epoch,
        }
    }

    fn link_is_current(&self) -> bool {
        self.epoch.load(Ordering::Acquire) == self.link
    }

    /// Appends `bytes` to the link's write buffer. Returns `false`, writing nothing, when
    /// the link is gone (see [`is_open`](Self::is_open)).
    pub fn write(&self, bytes: &[u8]) -> bool {
        self.with_buffer(|buf| buf.extend_from_slice(bytes))
            .is_some()
    }

    /// Lets `f` encode straight into the link's write buffer (no intermediate copy).
    /// `None`, without calling `f`, when the link is gone.
    pub fn with_buffer<R>(&self, f: impl FnOnce(&mut BytesMut) -> R) -> Option<R> {
        let mut inner = self.inner.borrow_mut();
        if inner.closed || !self.link_is_current() {
            return None;
        }
        let r = f(&mut inner.buf);
        if let Some(waker) = inner.waker.take() {
            waker.wake();
        }
        Some(r)
    }

    /// Whether the link this writer belongs to is still up. A writer kept past its link
    /// drops what it is given.
    pub fn is_open(&self) -> bool {
        !self.inner.borrow().closed && self.link_is_current()
    }

    /// How many bytes are waiting to be written.
    pub fn buffered(&self) -> usize {
        self.inner.borrow().buf.len()
    }
}

impl std::fmt::Debug for LinkWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkWriter")
            .field("buffered", &self.buffered())
            .finish()
    }
}

pub(crate) struct FlushLink<W> {
    io: W,
    shared: LinkWriter,
    /// The bytes being written; swapped with the shared buffer so callers keep appending
    /// while a write is in progress, and both allocations are reused.
    writing: BytesMut,
    /// Bytes were written since the last flush.
    dirty: bool,
    link: u64,
}

impl<W> FlushLink<W> {
    pub(crate) fn new(io: W, shared: LinkWriter, link: u64) -> Self {
        FlushLink {
            io,
            shared,
            writing: BytesMut::new(),
            dirty: false,
            link,
        }
    }
}

impl<W> Drop for FlushLink<W> {
    fn drop(&mut self) {
        // Cancelled with its link (or the actor): nothing will flush this buffer again.
        let mut shared = self.shared.inner.borrow_mut();
        shared.closed = true;
        shared.buf = BytesMut::new();
        shared.waker = None;
    }
}

impl<C, W> ActorFuture<ConnectionActor<C>> for FlushLink<W>
where
    C: Connection,
    W: AsyncWrite + Unpin,
{
    type Output = ();

    fn poll(
        self: Pin<&mut Self>,
        act: &mut ConnectionActor<C>,
        ctx: &mut Context<ConnectionActor<C>>,
        task: &mut TaskContext<'_>,
    ) -> Poll<()> {
        let this = self.get_mut();
        loop {
            if act.core.link != this.link {
                return Poll::Ready(());
            }
            if this.writing.is_empty() {
                let mut shared = this.shared.inner.borrow_mut();
                if shared.buf.is_empty() {
                    shared.waker = Some(task.waker().clone());
                    drop(shared);
                    if !this.dirty {
                        return Poll::Pending;
                    }
                    match Pin::new(&mut this.io).poll_flush(task) {
                        Poll::Ready(Ok(())) => {
                            this.dirty = false;
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(e)) => {
                            act.link_down(this.link, Failure::Error(e.into()), ctx);
                            return Poll::Ready(());
                        }
                        Poll::Pending => return Poll::Pending,
                    }
                }
                std::mem::swap(&mut this.writing, &mut shared.buf);
            }
            this.dirty = true;
            let error = match Pin::new(&mut this.io).poll_write(task, &this.writing) {
                Poll::Ready(Ok(0)) => io::Error::new(io::ErrorKind::WriteZero, "write returned 0"),
                Poll::Ready(Ok(n)) => {
                    this.writing.advance(n);
                    if this.writing.is_empty() {
                        this.writing.clear();
                    }
                    continue;
                }
                Poll::Ready(Err(e)) => e,
                Poll::Pending => return Poll::Pending,
            };
            act.link_down(this.link, Failure::Error(error.into()), ctx);
            return Poll::Ready(());
        }
    }
}
