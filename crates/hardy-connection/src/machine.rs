//! The connect / backoff / disconnect steps of the state machine.
//!
//! The rules that make it correct (reference: Elixir's `Connection`):
//! - connect runs under `ctx.wait`, so no message is handled until it ends;
//! - there is one backoff timer; setting or cancelling it bumps a generation, and a timer
//!   that fires for an older generation does nothing;
//! - every link has a generation too; its reader, writer and probes carry it, and a
//!   failure reported for an older link is ignored, so one outage is one `disconnect`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{AsyncContext, Context};
use futures::FutureExt;

use crate::core::Phase;
use crate::{panic, Cause, ConnState, ConnectInfo, Connection, ConnectionActor, Failure};

impl<C: Connection> ConnectionActor<C> {
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
            Err(payload) => return self.stop_with(panic::exit_reason(payload, "connect"), ctx),
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
        ctx.wait(
            attempt
                .into_actor(self)
                .map(move |outcome, act, ctx| match outcome {
                    Ok(result) => act.finish_connect(info, result, ctx),
                    Err(payload) => act.stop_with(panic::exit_reason(payload, "connect"), ctx),
                }),
        );
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
                if let Some(tx) = self.core.first_connect.take() {
                    let _ = tx.send(Ok(()));
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
                if let Some(tx) = self.core.first_connect.take() {
                    let reason = hardy_supervisor::ExitReason::Error(format!(
                        "the first connect failed: {failure}"
                    ));
                    let _ = tx.send(Err(crate::StartError::Connect(failure)));
                    return self.stop_with(reason, ctx);
                }
                self.core.phase = Phase::Idle;
                let conn = &mut self.conn;
                match catch_unwind(AssertUnwindSafe(|| conn.connect_failed(failure, info))) {
                    Ok(next) => self.apply(next, Cause::Reconnect, ctx),
                    Err(payload) => {
                        self.stop_with(panic::exit_reason(payload, "connect_failed"), ctx)
                    }
                }
            }
        }
    }

    /// Sets the one backoff timer; when it fires (and is still current), connects.
    pub(crate) fn schedule_connect(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        self.core.cancel_timer(ctx);
        self.core.phase = Phase::Backoff;
        let gen = self.core.timer_gen;
        self.core.set_state(ConnState::Backoff {
            attempt: self.core.failures.saturating_add(1),
            retry_in: delay,
        });
        let handle = ctx.run_later(delay, move |act, ctx| {
            if act.core.timer_gen != gen || act.core.phase != Phase::Backoff {
                return;
            }
            act.core.timer = None;
            act.begin_connect(Cause::Backoff, ctx);
        });
        self.core.timer = Some(handle);
    }

    /// The link of generation `link` failed. Ignored when that link is already gone.
    pub(crate) fn link_down(
        &mut self,
        link: u64,
        failure: Failure<C::Error>,
        ctx: &mut Context<Self>,
    ) {
        if self.core.phase != Phase::Connected || self.core.link != link {
            tracing::trace!(target: "hardy_connection", peer = %self.core.name, reason = %failure, "stale link failure ignored");
            return;
        }
        tracing::warn!(target: "hardy_connection", peer = %self.core.name, reason = %failure, "disconnected");
        self.core.end_link(ctx);
        let stable = self
            .core
            .up_since
            .take()
            .is_some_and(|t| t.elapsed() >= self.core.stable_after);
        if stable {
            self.core.backoff.reset();
        }
        self.core.reconnect_at_once = stable;
        self.core.phase = Phase::Idle;
        self.core.set_state(ConnState::Disconnected);
        if let Some(next) = self.guarded("disconnect", ctx, |conn, cx| conn.disconnect(failure, cx))
        {
            self.apply(next, Cause::Reconnect, ctx);
        }
    }

    /// A handler asked to connect: run it after the handler, unless already (being)
    /// connected or stopping by then.
    pub(crate) fn request_connect(ctx: &mut Context<Self>) {
        Self::after_callback(ctx, |act, ctx| {
            if matches!(act.core.phase, Phase::Idle | Phase::Backoff) {
                act.begin_connect(Cause::Requested, ctx);
            }
        });
    }

    /// A handler asked to disconnect the link it saw: run it after the handler.
    pub(crate) fn request_disconnect(
        link: u64,
        failure: Failure<C::Error>,
        ctx: &mut Context<Self>,
    ) {
        Self::after_callback(ctx, move |act, ctx| act.link_down(link, failure, ctx));
    }

    /// Runs `step` once the current callback has returned, before the next message: a
    /// `wait` future pauses the mailbox and is polled first.
    fn after_callback(
        ctx: &mut Context<Self>,
        step: impl FnOnce(&mut Self, &mut Context<Self>) + 'static,
    ) {
        ctx.wait(ActorFutureExt::map(
            actix::fut::ready(()),
            move |(), act, ctx| step(act, ctx),
        ));
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
        if self.core.probing || self.core.link != link || self.core.phase != Phase::Connected {
            return;
        }
        let Some(Some(fut)) = self.guarded("health_check", ctx, |conn, cx| conn.health_check(cx))
        else {
            return;
        };
        self.core.probing = true;
        let handle = ctx.spawn(tokio::time::timeout(deadline, fut).into_actor(self).map(
            move |outcome, act, ctx| {
                if act.core.link != link {
                    return;
                }
                act.core.probing = false;
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => act.link_down(link, Failure::Error(e), ctx),
                    Err(_) => act.link_down(link, Failure::HealthCheckTimeout(deadline), ctx),
                }
            },
        ));
        self.core.link_tasks.push(handle);
    }
}
