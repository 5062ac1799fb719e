//! What a callback can do: see the state, drive the state machine, and attach the link's
//! reader and writer.

use actix::{Addr, AsyncContext, Context, Message};
use bytes::BytesMut;
use futures::Stream;
use hardy_supervisor::ExitReason;
use tokio::io::AsyncWrite;

use crate::core::{Core, Phase};
use crate::link::{FlushLink, LinkWriter, ReadLink};
use crate::request::Reply;
use crate::steps::Step;
use crate::{
    ConnState, Connection, ConnectionActor, Failure, Pending, ProbeFuture, Request, RequestError,
};

/// The context handed to every [`Connection`] callback and [`Handle`](crate::Handle)
/// handler.
pub struct Ctx<'a, C: Connection> {
    pub(crate) core: &'a mut Core<C>,
    ctx: &'a mut Context<ConnectionActor<C>>,
}

impl<'a, C: Connection> Ctx<'a, C> {
    pub(crate) fn new(core: &'a mut Core<C>, ctx: &'a mut Context<ConnectionActor<C>>) -> Self {
        Ctx { core, ctx }
    }

    /// The current state.
    pub fn state(&self) -> ConnState {
        self.core.state.get()
    }

    /// Whether the link is up. Cheaper than [`state`](Self::state).
    pub fn is_connected(&self) -> bool {
        self.core.phase == crate::core::Phase::Connected
    }

    /// Whether a connect attempt is running or scheduled (connecting or backing off):
    /// requests may want to wait rather than fail.
    pub fn is_reconnecting(&self) -> bool {
        matches!(self.core.phase, Phase::Connecting | Phase::Backoff)
    }

    /// The connection's name, as used in tracing events (`peer` field).
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// This actor's address.
    pub fn address(&self) -> Addr<ConnectionActor<C>> {
        self.ctx.address()
    }

    /// The underlying actix context, to spawn futures or set timers of your own.
    pub fn context(&mut self) -> &mut Context<ConnectionActor<C>> {
        self.ctx
    }

    /// Asks to connect now (Elixir: a handler answering `connect`). Runs right after this
    /// callback returns, before the next message, after any step asked for before it.
    /// Cancels a pending backoff timer. Does nothing if the link is up, a connect is
    /// running, or the actor is stopping by then.
    pub fn connect(&mut self) {
        if matches!(self.core.phase, Phase::Idle | Phase::Backoff) {
            // Now, not in the step: a due timer polled before the step must find itself
            // stale, or it would connect first and the step would connect again.
            self.core.cancel_timer(self.ctx);
        }
        ConnectionActor::request(Step::Connect, self.core, self.ctx);
    }

    /// Asks to disconnect the current link with `reason` (Elixir: a handler answering
    /// `disconnect`), e.g. after a protocol error. Runs right after this callback returns,
    /// after any step asked for before it: what was written to the link so far is sent,
    /// its write half is shut down, and [`Connection::disconnect`] is called and its answer
    /// applied. Does nothing if the link is not up.
    pub fn disconnect(&mut self, reason: Failure<C::Error>) {
        let step = Step::Disconnect {
            link: self.core.link,
            failure: Box::new(reason),
        };
        ConnectionActor::request(step, self.core, self.ctx);
    }

    /// Counts the current link as stable now, as if it had stayed up for
    /// [`Builder::reset_backoff_after`](crate::Builder::reset_backoff_after): when it drops,
    /// the backoff policy starts over and the first reconnect goes at once. Call it once
    /// the link proved that the peer works, say when it answered a request, so that a peer
    /// restarted soon after (a crash, a deploy) is found again at the policy's first delays
    /// instead of its grown ones. A peer that accepts and then closes, which never answers,
    /// stays damped by the policy. Does nothing if the link is not up.
    pub fn mark_stable(&mut self) {
        if self.core.phase == Phase::Connected {
            self.core.proven = true;
        }
    }

    /// Stops the actor with `reason`, which a supervisor above sees. Runs right after this
    /// callback returns, after any step asked for before it: what was written to the link
    /// is sent and its write half shut down first, then [`Connection::stopped`] runs.
    pub fn stop(&mut self, reason: ExitReason) {
        ConnectionActor::request(Step::Stop(reason), self.core, self.ctx);
    }

    /// Reads the current link: every item goes to [`Connection::incoming`]; an error or the
    /// end of the stream disconnects the link (`Failure::Error` / `Failure::Closed`).
    /// Stops by itself when the link goes down. Call it from
    /// [`Connection::connected`].
    pub fn read<S>(&mut self, stream: S)
    where
        S: Stream<Item = Result<C::Incoming, C::Error>> + 'static,
    {
        let handle = self
            .ctx
            .spawn(ReadLink::new(Box::pin(stream), self.core.link));
        self.core.link_tasks.push(handle);
    }

    /// A writer for the current link. Writes made during one turn of the actor are
    /// coalesced and flushed together, after the mailbox has been drained; a write error
    /// disconnects the link. Closed when the link goes down. Call it from
    /// [`Connection::connected`].
    pub fn writer<W>(&mut self, io: W) -> LinkWriter
    where
        W: AsyncWrite + Unpin + 'static,
    {
        let writer = LinkWriter::new(self.core.link, self.core.epoch.clone());
        let (flush, closer) = FlushLink::new(io, writer.clone(), self.core.link);
        let handle = self.ctx.spawn(flush);
        self.core.link_tasks.push(handle);
        self.core.closers.push(closer);
        if self.core.link_writer.is_none() {
            self.core.link_writer = Some(writer.clone());
        }
        writer
    }

    /// The writer of the current link (the first one [`writer`](Self::writer) made), or
    /// `None` while disconnected.
    pub fn link_writer(&self) -> Option<&LinkWriter> {
        self.core.link_writer.as_ref().filter(|w| w.is_open())
    }

    /// Sends a request that expects one reply: `encode` writes it to the link, and
    /// `parse` turns the reply (the next item the link yields for it, in order) into the
    /// caller's answer. Return the result from [`Handle::handle`](crate::Handle::handle).
    ///
    /// While the link is down nothing is written and the caller gets
    /// [`RequestError::NotConnected`](crate::RequestError::NotConnected) at once; if the
    /// link goes down before the reply, `Disconnected`; if the actor stops, `Stopped`; past
    /// the request's timeout, `Timeout`. The reply type is any `Result<T, E>` whose `E`
    /// converts from [`RequestError`](crate::RequestError). `parse` is a plain `fn` (no
    /// captures: it costs no allocation); a reply that needs more context, or several
    /// items, takes a [`Waiter`](crate::Waiter) of your own pushed on [`pending`](Self::pending).
    ///
    /// See the crate's front page for a complete example; the handler is:
    ///
    /// ```ignore
    /// impl Handle<Ask> for Lines {
    ///     type Result = Request<Self, Ask>;
    ///     fn handle(&mut self, Ask(line): Ask, cx: &mut Ctx<'_, Self>) -> Request<Self, Ask> {
    ///         cx.request(|buf| buf.extend_from_slice(format!("{line}\n").as_bytes()), Ok)
    ///     }
    /// }
    /// ```
    pub fn request<M>(
        &mut self,
        encode: impl FnOnce(&mut BytesMut),
        parse: fn(C::Incoming) -> M::Result,
    ) -> Request<C, M>
    where
        M: Message,
        M::Result: Reply,
    {
        let written = self
            .core
            .link_writer
            .as_ref()
            .and_then(|w| w.with_buffer(encode));
        match written {
            Some(()) => Request::sent(self.core.pending.clone(), parse, self.core.request_timeout),
            None => Request::failed(RequestError::NotConnected),
        }
    }

    /// The callers waiting for replies on this link, to push a [`Waiter`](crate::Waiter)
    /// of your own (a reply of several items) or to hand a reply to the front one.
    pub fn pending(&self) -> Pending<C> {
        self.core.pending.clone()
    }

    /// A health-check probe that is an ordinary request: `encode` writes it, and `check`
    /// judges the reply, which is matched in order like any other. Return it from
    /// [`Connection::health_check`]. `None` while disconnected (the round is skipped).
    ///
    /// ```ignore
    /// fn health_check(&mut self, cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
    ///     cx.probe(|buf| buf.extend_from_slice(b"version\r\n"), |_| Ok(()))
    /// }
    /// ```
    pub fn probe(
        &mut self,
        encode: impl FnOnce(&mut BytesMut),
        check: fn(C::Incoming) -> Result<(), C::Error>,
    ) -> Option<ProbeFuture<C>> {
        self.core.link_writer.as_ref()?.with_buffer(encode)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiter = ProbeWaiter { tx: Some(tx) };
        self.core.pending.push(waiter, None, self.ctx);
        Some(Box::pin(async move {
            let gone = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "no probe reply");
            match rx.await {
                Ok(Ok(item)) => check(item),
                Ok(Err(error)) => Err(std::io::Error::other(error).into()),
                Err(_) => Err(gone().into()),
            }
        }))
    }
}

/// The health-check probe, waiting for its reply.
struct ProbeWaiter<I> {
    tx: Option<tokio::sync::oneshot::Sender<Result<I, RequestError>>>,
}

impl<I: 'static> crate::Waiter<I> for ProbeWaiter<I> {
    fn take(&mut self, item: I) -> bool {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Ok(item));
        }
        true
    }

    fn fail(&mut self, error: RequestError) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(error));
        }
    }
}
