//! The actix actor that runs a [`Connection`].
//!
//! The user's value holds the protocol; the actor holds the state machine around it and
//! turns actix's lifecycle (`started`, `stopped`, messages) into the callbacks.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use actix::{Actor, Context, Handler, Message};
use hardy_supervisor::ExitReason;

use crate::core::{Core, Phase};
use crate::{panic, Builder, Cause, ConnState, Connection, Ctx, Handle, Next, StateWatch};

/// The actor that runs a [`Connection`]: connects, reconnects with backoff, and hands
/// requests to the connection's [`Handle`] implementations.
///
/// Build one with [`ConnectionActor::builder`] (or [`ConnectionActor::new`] for the
/// defaults) and start it like any actor; it is a plain `Actor<Context = Context<Self>>`,
/// so a supervisor can run it with no glue.
///
/// While its link is up, the link's reader keeps the actor alive even after its last
/// `Addr` is dropped: stop it with [`Ctx::stop`] from a request handler, or let a
/// supervisor own it.
pub struct ConnectionActor<C: Connection> {
    pub(crate) conn: C,
    pub(crate) core: Core<C>,
}

impl<C: Connection> ConnectionActor<C> {
    /// A builder for the options (backoff, connect timeout, health check, name).
    pub fn builder(conn: C) -> Builder<C> {
        Builder::new(conn)
    }

    /// An actor with the default options: Redix's backoff (500 ms, ×1.5, cap 30 s, with
    /// jitter), a 5 s connect timeout, no health check.
    pub fn new(conn: C) -> Self {
        Builder::new(conn).build()
    }

    /// A handle on this actor's state, published on every transition.
    pub fn state_watch(&self) -> StateWatch {
        self.core.state.clone()
    }

    /// Starts the actor on the current arbiter (same as `actix::Actor::start`, without
    /// the import).
    pub fn start(self) -> actix::Addr<Self> {
        Actor::start(self)
    }

    /// The connection value.
    pub fn get_ref(&self) -> &C {
        &self.conn
    }

    /// Runs `f` with the connection and a [`Ctx`], from a timer or a future the protocol
    /// spawned itself (through [`Ctx::context`]): there, too, it can read the state, write,
    /// and ask to connect, disconnect or stop.
    ///
    /// ```ignore
    /// cx.context().run_interval(period, |act, ctx| act.with_ctx(ctx, |conn, cx| conn.tick(cx)));
    /// ```
    pub fn with_ctx<R>(
        &mut self,
        ctx: &mut Context<Self>,
        f: impl FnOnce(&mut C, &mut Ctx<'_, C>) -> R,
    ) -> R {
        f(&mut self.conn, &mut Ctx::new(&mut self.core, ctx))
    }

    /// Runs a callback with `cx`, turning a panic into a stop with that reason.
    /// Returns `None` when it panicked (the actor is then stopping).
    pub(crate) fn guarded<R>(
        &mut self,
        during: &str,
        ctx: &mut Context<Self>,
        f: impl FnOnce(&mut C, &mut Ctx<'_, C>) -> R,
    ) -> Option<R> {
        let conn = &mut self.conn;
        let mut cx = Ctx::new(&mut self.core, ctx);
        match catch_unwind(AssertUnwindSafe(|| f(conn, &mut cx))) {
            Ok(r) => Some(r),
            Err(payload) => {
                self.stop_with(panic::exit_reason(payload, during), ctx);
                None
            }
        }
    }
}

impl<C: Connection> Actor for ConnectionActor<C> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(next) = self.guarded("init", ctx, |conn, cx| conn.init(cx)) {
            self.apply(next, Cause::Init, ctx);
        }
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.core.cancel_timer(ctx);
        self.core.end_link(ctx);
        self.core.phase = Phase::Stopping;
        // With no reason of its own, the actor was stopped from outside (its supervisor,
        // its last address dropped, the system shutting down): OTP calls that `shutdown`.
        let reason = self.core.exit.take().unwrap_or_else(|| {
            if std::thread::panicking() {
                ExitReason::Panic("the actor panicked".into())
            } else {
                ExitReason::Shutdown
            }
        });
        if let Some(tx) = self.core.first_connect.take() {
            let _ = tx.send(Err(crate::StartError::Stopped(reason.clone())));
        }
        self.core.set_state(ConnState::Stopped(reason.clone()));
        let conn = &mut self.conn;
        if catch_unwind(AssertUnwindSafe(|| conn.stopped(&reason))).is_err() {
            tracing::error!(target: "hardy_connection", peer = %self.core.name, "the connection's stopped callback panicked");
        }
    }
}

impl<C, M> Handler<M> for ConnectionActor<C>
where
    C: Handle<M>,
    M: Message,
{
    type Result = <C as Handle<M>>::Result;

    fn handle(&mut self, msg: M, ctx: &mut Context<Self>) -> Self::Result {
        let conn = &mut self.conn;
        let mut cx = Ctx::new(&mut self.core, ctx);
        match catch_unwind(AssertUnwindSafe(|| conn.handle(msg, &mut cx))) {
            Ok(reply) => reply,
            Err(payload) => {
                // Keep the message for `stopped` (and a supervisor), then unwind on: a
                // handler has no reply to give, and a panic is the actor's exit.
                let reason = panic::exit_reason_ref(&payload, "a request handler");
                hardy_supervisor::exit(reason.clone());
                self.core.exit = Some(reason);
                std::panic::resume_unwind(payload)
            }
        }
    }
}

impl<C: Connection> fmt::Debug for ConnectionActor<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionActor")
            .field("name", &self.core.name)
            .field("state", &self.core.state.get())
            .finish_non_exhaustive()
    }
}

impl<C: Connection> ConnectionActor<C> {
    /// Applies an answer of `init`, `connect_failed` or `disconnect`.
    pub(crate) fn apply(&mut self, next: Next, cause: Cause, ctx: &mut Context<Self>) {
        // Only the answer to a stable link's drop may reconnect at once.
        let at_once = std::mem::take(&mut self.core.reconnect_at_once);
        match next {
            Next::Connect => self.begin_connect(cause, ctx),
            Next::Backoff if at_once => self.begin_connect(cause, ctx),
            Next::Backoff => match self.core.backoff.next_delay() {
                Some(delay) => self.schedule_connect(delay, ctx),
                None => {
                    let reason = ExitReason::Error(match self.core.failures {
                        0 => "gave up: the link kept dropping soon after connecting, and the \
                              backoff policy is exhausted"
                            .to_string(),
                        n => format!(
                            "gave up after {n} failed connect attempts: the backoff policy is \
                             exhausted"
                        ),
                    });
                    self.stop_with(reason, ctx)
                }
            },
            Next::BackoffFor(delay) => self.schedule_connect(delay, ctx),
            Next::Idle => {
                if let Some(tx) = self.core.first_connect.take() {
                    let _ = tx.send(Err(crate::StartError::Idle));
                }
                self.core.cancel_timer(ctx);
                self.core.phase = Phase::Idle;
                self.core.set_state(ConnState::Disconnected);
            }
            Next::Stop(reason) => self.stop_with(reason, ctx),
        }
    }

    /// Stops the actor, telling a supervisor above why.
    pub(crate) fn stop_with(&mut self, reason: ExitReason, ctx: &mut Context<Self>) {
        use actix::ActorContext;
        self.core.cancel_timer(ctx);
        self.core.end_link(ctx);
        self.core.phase = Phase::Stopping;
        hardy_supervisor::exit(reason.clone());
        self.core.exit = Some(reason);
        ctx.stop();
    }
}
