//! The steps a callback asks for (connect, disconnect, stop), run in the order asked, and
//! the one way the actor stops.
//!
//! A callback cannot act on the state machine at once: it holds `&mut conn`, and a
//! handler's reply must go out before the step. So `Ctx` queues the step, and one `wait`
//! future runs the queue right after the callback, before the next message. One queue,
//! not one `wait` future per step: actix polls the newest `wait` future first, which would
//! run `cx.disconnect(..); cx.connect()` backwards. A step that starts a connect pauses the
//! queue; the connect's end resumes it.

use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{ActorContext, AsyncContext, Context};
use hardy_supervisor::ExitReason;

use crate::core::{Core, Phase};
use crate::link::{close_all, CLOSE_TIMEOUT};
use crate::{Cause, Connection, ConnectionActor, Failure, StartError};

/// A step a callback asked for.
pub(crate) enum Step<E> {
    /// `Ctx::connect`.
    Connect,
    /// `Ctx::disconnect`, for the link that was current when it was asked. (Boxed: the
    /// protocol's error need not be `Unpin`, and the actor must be.)
    Disconnect { link: u64, failure: Box<Failure<E>> },
    /// `Ctx::stop`.
    Stop(ExitReason),
}

impl<C: Connection> ConnectionActor<C> {
    /// Queues `step`, to run once the current callback has returned.
    pub(crate) fn request(step: Step<C::Error>, core: &mut Core<C>, ctx: &mut Context<Self>) {
        core.steps.push_back(step);
        if !core.stepping {
            core.stepping = true;
            Self::schedule_steps(ctx);
        }
    }

    /// Runs the queued steps before the next message: a `wait` future pauses the mailbox
    /// and is polled first.
    pub(crate) fn schedule_steps(ctx: &mut Context<Self>) {
        ctx.wait(ActorFutureExt::map(
            actix::fut::ready(()),
            |(), act: &mut Self, ctx| act.run_steps(ctx),
        ));
    }

    /// Runs the queued steps in order, until a connect starts (its end resumes them) or
    /// the actor stops (the rest no longer matters).
    pub(crate) fn run_steps(&mut self, ctx: &mut Context<Self>) {
        while let Some(step) = self.core.steps.pop_front() {
            match step {
                Step::Connect => {
                    if matches!(self.core.phase, Phase::Idle | Phase::Backoff) {
                        self.begin_connect(Cause::Requested, ctx);
                    }
                }
                Step::Disconnect { link, failure } => self.link_down(link, *failure, true, ctx),
                Step::Stop(reason) => self.stop_with(reason, true, ctx),
            }
            match self.core.phase {
                Phase::Connecting => {
                    self.core.steps_paused = true;
                    break;
                }
                Phase::Stopping => {
                    self.core.steps.clear();
                    break;
                }
                _ => {}
            }
        }
        self.core.stepping = false;
    }

    /// A connect ended: run the steps asked for meanwhile (by `connected`, say).
    pub(crate) fn resume_steps(&mut self, ctx: &mut Context<Self>) {
        if std::mem::take(&mut self.core.steps_paused) && !self.core.stepping {
            self.core.stepping = true;
            Self::schedule_steps(ctx);
        }
    }

    /// The one way the actor stops: the timer and the link end, the reason goes to a
    /// supervisor above and to `stopped`. A deliberate stop (`graceful`) first sends what
    /// was written to the link and shuts its write half, within a bound.
    pub(crate) fn stop_with(
        &mut self,
        reason: ExitReason,
        graceful: bool,
        ctx: &mut Context<Self>,
    ) {
        if self.core.phase == Phase::Stopping {
            return;
        }
        self.core.cancel_timer(ctx);
        self.core.phase = Phase::Stopping;
        let closers = self.core.end_link(ctx);
        hardy_supervisor::exit(reason.clone());
        self.answer_first_connect(Err(StartError::Stopped(reason.clone())));
        self.core.exit = Some(reason);
        if graceful && !closers.is_empty() {
            ctx.wait(
                close_all(closers, CLOSE_TIMEOUT)
                    .into_actor(self)
                    .map(|(), _act, ctx| ctx.stop()),
            );
        } else {
            ctx.stop();
        }
    }

    /// Answers a [`start_connected`](crate::Builder::start_connected) waiting for the first
    /// connect, if any. Returns `false` when its caller has gone (it was cancelled).
    pub(crate) fn answer_first_connect(
        &mut self,
        outcome: Result<(), StartError<C::Error>>,
    ) -> bool {
        match self.core.first_connect.take() {
            Some(tx) => tx.send(outcome).is_ok(),
            None => true,
        }
    }
}
