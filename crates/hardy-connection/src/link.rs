//! The current link's reader and writer, as futures inside the actor.
//!
//! Both run in the actor's own task (no channel, no extra task): the reader hands items
//! to `Connection::incoming` as they are decoded, and the writer flushes everything written
//! in one go, so concurrent callers share syscalls; with `Builder::defer_writes` it puts
//! a write off by one turn of the runtime (waking itself once), so that the callers woken
//! meanwhile, by replies on another link of the same thread, join it. Both carry the link
//! generation: once the link is gone they do nothing.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context as TaskContext, Poll, Waker};
use std::time::Duration;

use actix::{ActorContext, ActorFuture, ActorState, AsyncContext, Context};
use bytes::{Buf, BytesMut};
use futures::Stream;
use tokio::io::AsyncWrite;

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{panic, Connection, ConnectionActor, Failure};

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
        let conn = &act.conn;
        let waiting = act.core.pending.len();
        let budget = match catch_unwind(AssertUnwindSafe(|| conn.in_flight().max(waiting))) {
            Ok(0) => READ_BUDGET,
            Ok(n) => (n / 4).clamp(MIN_READ_BUDGET, READ_BUDGET),
            Err(payload) => {
                act.stop_with(panic::exit_reason(payload, "in_flight"), false, ctx);
                return Poll::Ready(());
            }
        };
        for _ in 0..budget {
            if act.core.link != this.link {
                return Poll::Ready(());
            }
            let stream = this.stream.as_mut();
            let polled = match catch_unwind(AssertUnwindSafe(|| stream.poll_next(task))) {
                Ok(polled) => polled,
                Err(payload) => {
                    let reason = panic::exit_reason(payload, "the link's reader (its codec)");
                    act.stop_with(reason, false, ctx);
                    return Poll::Ready(());
                }
            };
            match polled {
                Poll::Ready(Some(Ok(item))) => {
                    act.guarded("incoming", ctx, |conn, cx| conn.incoming(item, cx));
                }
                Poll::Ready(Some(Err(e))) => {
                    act.link_down(this.link, Failure::Error(e), false, ctx);
                    return Poll::Ready(());
                }
                Poll::Ready(None) => {
                    act.link_down(this.link, Failure::Closed, false, ctx);
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
    ///
    /// `f` may use this writer (or a clone) too: what it writes that way goes after what
    /// it encodes into the buffer it is given.
    pub fn with_buffer<R>(&self, f: impl FnOnce(&mut BytesMut) -> R) -> Option<R> {
        if !self.is_open() {
            return None;
        }
        // The buffer is taken out while `f` runs, so `f` can call this writer again
        // without a second borrow of the shared cell.
        let mut buf = std::mem::take(&mut self.inner.borrow_mut().buf);
        let r = f(&mut buf);
        let mut inner = self.inner.borrow_mut();
        if !inner.buf.is_empty() {
            buf.extend_from_slice(&inner.buf);
        }
        inner.buf = buf;
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

/// The write half of a link and the bytes on their way to it. Shared by the link's
/// [`FlushLink`] and, when the link ends gracefully, by the future that closes it.
pub(crate) struct Drain<W> {
    io: W,
    shared: LinkWriter,
    /// The bytes being written; swapped with the shared buffer so callers keep appending
    /// while a write is in progress, and both allocations are reused.
    writing: BytesMut,
    /// Bytes were written since the last flush.
    dirty: bool,
    /// The write of newly buffered bytes was put off once, so the tasks woken meanwhile
    /// (callers answered by this or another link) add theirs first.
    deferred: bool,
}

impl<W: AsyncWrite + Unpin> Drain<W> {
    /// Writes and flushes everything buffered so far. `Ready(Ok)` once nothing is left
    /// (the shared buffer then wakes this task on the next write).
    fn poll_drain(&mut self, task: &mut TaskContext<'_>, may_defer: bool) -> Poll<io::Result<()>> {
        loop {
            if self.writing.is_empty() {
                let mut shared = self.shared.inner.borrow_mut();
                if shared.buf.is_empty() {
                    shared.waker = Some(task.waker().clone());
                    drop(shared);
                    if self.dirty {
                        ready!(Pin::new(&mut self.io).poll_flush(task))?;
                        self.dirty = false;
                    }
                    return Poll::Ready(Ok(()));
                }
                // With `defer_writes`, newly buffered bytes wait for one more turn of the
                // runtime: the callers this turn woke (by answering them, here or on
                // another link) run first and add their next requests to the same write.
                if may_defer && !self.deferred {
                    self.deferred = true;
                    drop(shared);
                    task.waker().wake_by_ref();
                    return Poll::Pending;
                }
                self.deferred = false;
                std::mem::swap(&mut self.writing, &mut shared.buf);
            }
            self.dirty = true;
            match ready!(Pin::new(&mut self.io).poll_write(task, &self.writing)) {
                Ok(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "write returned 0",
                    )))
                }
                Ok(n) => {
                    self.writing.advance(n);
                    if self.writing.is_empty() {
                        self.writing.clear();
                    }
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl<W> Drop for Drain<W> {
    fn drop(&mut self) {
        // Nothing will write this buffer any more: free it, and refuse later writes.
        let mut shared = self.shared.inner.borrow_mut();
        shared.closed = true;
        shared.buf = BytesMut::new();
        shared.waker = None;
    }
}

/// A link's write half, closed gracefully: what was written is sent, then the write
/// half is shut down (`poll_shutdown`: a FIN for TCP, `close_notify` for TLS).
pub(crate) trait Close {
    fn poll_close(&mut self, task: &mut TaskContext<'_>) -> Poll<io::Result<()>>;
}

impl<W: AsyncWrite + Unpin> Close for Drain<W> {
    fn poll_close(&mut self, task: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(task, false))?;
        Pin::new(&mut self.io).poll_shutdown(task)
    }
}

/// How long a graceful close may take to send what was written and shut the write half.
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The write halves of a link that ended gracefully, to close.
pub(crate) type Closers = Vec<Rc<RefCell<dyn Close>>>;

/// Closes every write half of an ended link, giving up after `limit`.
pub(crate) async fn close_all(closers: Closers, limit: Duration) {
    let each = closers
        .iter()
        .map(|c| futures::future::poll_fn(move |task| c.borrow_mut().poll_close(task)));
    let _ = tokio::time::timeout(limit, futures::future::join_all(each)).await;
}

/// Flushes the link's writes after each turn of the actor.
pub(crate) struct FlushLink<W> {
    drain: Rc<RefCell<Drain<W>>>,
    link: u64,
}

impl<W: AsyncWrite + Unpin + 'static> FlushLink<W> {
    /// The flush task, and the handle its link keeps to close it gracefully.
    pub(crate) fn new(io: W, shared: LinkWriter, link: u64) -> (Self, Rc<RefCell<dyn Close>>) {
        let drain = Rc::new(RefCell::new(Drain {
            io,
            shared,
            writing: BytesMut::new(),
            dirty: false,
            deferred: false,
        }));
        let closer: Rc<RefCell<dyn Close>> = drain.clone();
        (FlushLink { drain, link }, closer)
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
        if act.core.link != this.link {
            return Poll::Ready(());
        }
        let outcome = this
            .drain
            .borrow_mut()
            .poll_drain(task, act.core.defer_writes);
        match outcome {
            Poll::Ready(Ok(())) | Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => {
                act.link_down(this.link, Failure::Error(e.into()), false, ctx);
                Poll::Ready(())
            }
        }
    }
}
