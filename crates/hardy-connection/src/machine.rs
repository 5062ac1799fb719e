//! The connect / backoff / disconnect steps of the state machine.
//!
//! The rules that make it correct (reference: Elixir's `Connection`):
//! - connect runs under `ctx.wait`, so no message is handled until it ends;
//! - there is one backoff timer; setting or cancelling it bumps a generation, and a timer
//!   that fires for an older generation does nothing;
//! - every link has a generation too; its reader, writer and probes carry it, and a
//!   failure reported for an older link is ignored, so one outage is one `disconnect`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{AsyncContext, Context, SpawnHandle};
use futures::FutureExt;
use hardy_supervisor::ExitReason;

use crate::core::Phase;
use crate::link::{close_all, CLOSE_TIMEOUT};
use crate::{
    panic, Cause, ConnState, ConnectInfo, Connection, ConnectionActor, Failure, Next, StartError,
};

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
                None => self.stop_with(ExitReason::Error(self.gave_up()), false, ctx),
            },
            Next::BackoffFor(delay) => self.schedule_connect(delay, ctx),
            Next::Idle => {
                self.answer_first_connect(Err(StartError::Idle));
                self.core.cancel_timer(ctx);
                self.core.phase = Phase::Idle;
                self.core.set_state(ConnState::Disconnected);
            }
            Next::Stop(reason) => self.stop_with(reason, true, ctx),
        }
    }

    fn gave_up(&self) -> String {
        match self.core.failures {
            0 => "gave up: the link kept dropping soon after connecting, and the backoff \
                  policy is exhausted"
                .to_string(),
            n => format!(
                "gave up after {n} failed connect attempts: the backoff policy is exhausted"
            ),
        }
    }

    /// Runs `connect` now, pausing the mailbox until it ends.
    pub(crate) fn begin_connect(&mut self, cause: Cause, ctx: &mut Context<Self>) {
        self.core.cancel_timer(ctx);
        self.core.phase = Phase::Connecting;
        let info = ConnectInfo {
            cause,
            attempt: self.core.failures.saturating_add(1),
        };
        self.core.set_state(ConnState::Connecting {
            attempt: info.attempt,
        });
        let conn = &mut self.conn;
        let fut = match catch_unwind(AssertUnwindSafe(|| conn.connect(info))) {
            Ok(fut) => fut,
            Err(payload) => {
                return self.stop_with(panic::exit_reason(payload, "connect"), false, ctx)
            }
        };
        let timeout = self.core.connect_timeout;
        let attempt = async move {
            let guarded = AssertUnwindSafe(fut).catch_unwind();
            let outcome = match timeout {
                Some(limit) => match tokio::time::timeout(limit, guarded).await {
                    Ok(outcome) => outcome,
                    Err(_) => return Ok(Err(Failure::ConnectTimeout(limit))),
                },
                None => guarded.await,
            };
            outcome.map(|r| r.map_err(Failure::Error))
        };
        ctx.wait(attempt.into_actor(self).map(move |outcome, act, ctx| {
            match outcome {
                Ok(result) => act.finish_connect(info, result, ctx),
                Err(payload) => act.stop_with(panic::exit_reason(payload, "connect"), false, ctx),
            }
            act.resume_steps(ctx);
        }));
    }

    fn finish_connect(
        &mut self,
        info: ConnectInfo,
        result: Result<C::Transport, Failure<C::Error>>,
        ctx: &mut Context<Self>,
    ) {
        if self.core.phase != Phase::Connecting {
            return;
        }
        match result {
            Ok(transport) => {
                // The policy is reset only once the link proved stable (see `link_down`).
                self.core.failures = 0;
                self.core.up_since = Some(tokio::time::Instant::now());
                self.core.next_link();
                self.core.phase = Phase::Connected;
                self.core.set_state(ConnState::Connected);
                if !self.answer_first_connect(Ok(())) {
                    // The caller of `start_connected` gave up: nobody can reach this actor.
                    return self.stop_with(ExitReason::Shutdown, false, ctx);
                }
                if self
                    .guarded("connected", ctx, |conn, cx| conn.connected(transport, cx))
                    .is_some()
                {
                    self.start_health_check(ctx);
                }
            }
            Err(failure) => {
                self.core.failures = self.core.failures.saturating_add(1);
                tracing::warn!(target: "hardy_connection", peer = %self.core.name,
                    attempt = info.attempt,
                    reason = %failure,
                    "connect failed"
                );
                if self.core.first_connect.is_some() {
                    let reason = ExitReason::Error(format!("the first connect failed: {failure}"));
                    self.answer_first_connect(Err(StartError::Connect(failure)));
                    return self.stop_with(reason, false, ctx);
                }
                self.core.phase = Phase::Idle;
                let conn = &mut self.conn;
                match catch_unwind(AssertUnwindSafe(|| conn.connect_failed(failure, info))) {
                    // Connecting again at once after a failure waits for one turn of the
                    // arbiter: a connect that fails without awaiting would otherwise loop
                    // inside one poll, starving every other actor and the mailbox.
                    Ok(Next::Connect) => self.schedule_connect(Duration::ZERO, ctx),
                    Ok(next) => self.apply(next, Cause::Reconnect, ctx),
                    Err(payload) => {
                        self.stop_with(panic::exit_reason(payload, "connect_failed"), false, ctx)
                    }
                }
            }
        }
    }

    /// Sets the one backoff timer; when it fires (and is still current), connects. A zero
    /// delay still yields to the arbiter once.
    pub(crate) fn schedule_connect(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        self.core.cancel_timer(ctx);
        self.core.phase = Phase::Backoff;
        let gen = self.core.timer_gen;
        self.core.set_state(ConnState::Backoff {
            attempt: self.core.failures.saturating_add(1),
            retry_in: delay,
        });
        let fire = move |act: &mut Self, ctx: &mut Context<Self>| {
            if act.core.timer_gen != gen || act.core.phase != Phase::Backoff {
                return;
            }
            act.core.timer = None;
            act.begin_connect(Cause::Backoff, ctx);
        };
        let handle: SpawnHandle = if delay.is_zero() {
            ctx.spawn(ActorFutureExt::map(
                YieldOnce(false),
                move |(), act, ctx| fire(act, ctx),
            ))
        } else {
            ctx.run_later(delay, fire)
        };
        self.core.timer = Some(handle);
    }

    /// The link of generation `link` failed, or a callback asked to drop it (`graceful`:
    /// what was written is sent first). Ignored when that link is already gone.
    pub(crate) fn link_down(
        &mut self,
        link: u64,
        failure: Failure<C::Error>,
        graceful: bool,
        ctx: &mut Context<Self>,
    ) {
        if self.core.phase != Phase::Connected || self.core.link != link {
            tracing::trace!(target: "hardy_connection", peer = %self.core.name, reason = %failure, "stale link failure ignored");
            return;
        }
        tracing::warn!(target: "hardy_connection", peer = %self.core.name, reason = %failure, "disconnected");
        let stable = self.core.proven
            || self
                .core
                .up_since
                .is_some_and(|t| t.elapsed() >= self.core.stable_after);
        let closers = self.core.end_link(ctx);
        if graceful && !closers.is_empty() {
            ctx.spawn(close_all(closers, CLOSE_TIMEOUT).into_actor(self));
        }
        if stable {
            self.core.backoff.reset();
        }
        self.core.reconnect_at_once = stable;
        let reason: std::sync::Arc<str> = failure.to_string().into();
        self.core
            .pending
            .fail_all(crate::RequestError::Disconnected(reason));
        self.core.phase = Phase::Idle;
        self.core.set_state(ConnState::Disconnected);
        if let Some(next) = self.guarded("disconnect", ctx, |conn, cx| conn.disconnect(failure, cx))
        {
            self.apply(next, Cause::Reconnect, ctx);
        }
    }

    fn start_health_check(&mut self, ctx: &mut Context<Self>) {
        let Some(hc) = self.core.health else { return };
        let link = self.core.link;
        let handle = ctx.run_interval(hc.interval, move |act, ctx| {
            act.probe(link, hc.deadline, ctx)
        });
        self.core.link_tasks.push(handle);
    }

    fn probe(&mut self, link: u64, deadline: Duration, ctx: &mut Context<Self>) {
        if self.core.probe.is_some()
            || self.core.link != link
            || self.core.phase != Phase::Connected
        {
            return;
        }
        let Some(Some(fut)) = self.guarded("health_check", ctx, |conn, cx| conn.health_check(cx))
        else {
            return;
        };
        let guarded = AssertUnwindSafe(fut).catch_unwind();
        let handle = ctx.spawn(
            tokio::time::timeout(deadline, guarded)
                .into_actor(self)
                .map(move |outcome, act, ctx| {
                    if act.core.link != link {
                        return;
                    }
                    act.core.probe = None;
                    match outcome {
                        Ok(Ok(Ok(()))) => {}
                        Ok(Ok(Err(e))) => act.link_down(link, Failure::Error(e), false, ctx),
                        Ok(Err(payload)) => {
                            let reason = panic::exit_reason(payload, "the health-check probe");
                            act.stop_with(reason, false, ctx)
                        }
                        Err(_) => {
                            act.link_down(link, Failure::HealthCheckTimeout(deadline), false, ctx)
                        }
                    }
                }),
        );
        self.core.probe = Some(handle);
    }
}

/// Pending once, then ready: lets the arbiter run everything else in between.
struct YieldOnce(bool);

impl<A: actix::Actor> actix::ActorFuture<A> for YieldOnce {
    type Output = ();

    fn poll(
        mut self: Pin<&mut Self>,
        _act: &mut A,
        _ctx: &mut A::Context,
        task: &mut TaskContext<'_>,
    ) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        task.waker().wake_by_ref();
        Poll::Pending
    }
}
