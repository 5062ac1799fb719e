//! The driver's bookkeeping: the link generation, the single backoff timer, the tasks that
//! belong to the current link, and state publication.
//!
//! Kept apart from the user's connection value so that callbacks can borrow both at once
//! (`conn.callback(&mut Ctx { core, ctx })`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::{AsyncContext, Context, SpawnHandle};
use hardy_supervisor::ExitReason;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::link::{Closers, LinkWriter};
use crate::pending::Pending;
use crate::steps::Step;
use crate::{ConnState, Connection, ConnectionActor, StartError, StateWatch};

/// Where the state machine is. `ConnState` is what is published; this is what decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    Connecting,
    Connected,
    Backoff,
    Stopping,
}

/// The health-check settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HealthCheck {
    pub(crate) interval: Duration,
    pub(crate) deadline: Duration,
}

pub(crate) type FirstConnect<C> = oneshot::Sender<Result<(), StartError<<C as Connection>::Error>>>;

pub(crate) struct Core<C: Connection> {
    pub(crate) name: Arc<str>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) health: Option<HealthCheck>,
    pub(crate) backoff: Box<dyn Backoff>,
    /// How long a link must stay up to count as stable (see `Builder::reset_backoff_after`).
    pub(crate) stable_after: Duration,
    /// When the current link came up.
    pub(crate) up_since: Option<Instant>,
    /// The connection vouched for the current link ([`Ctx::mark_stable`](crate::Ctx::mark_stable)):
    /// it counts as stable however briefly it stays up.
    pub(crate) proven: bool,
    /// The link that just dropped had been stable: its first reconnect goes at once.
    pub(crate) reconnect_at_once: bool,
    pub(crate) state: StateWatch,
    pub(crate) phase: Phase,
    /// Consecutive failed connect attempts since the last success.
    pub(crate) failures: u32,
    /// Bumped whenever a link comes up or goes down: tasks of an older link are stale.
    pub(crate) link: u64,
    /// `link`, shared with the link's writers, so a writer knows at once that its link
    /// ended (its flush task is only dropped later, when actix reaps cancelled futures).
    pub(crate) epoch: Arc<AtomicU64>,
    /// Bumped whenever the timer is set or cancelled: a fired timer of an older
    /// generation is stale.
    pub(crate) timer_gen: u64,
    pub(crate) timer: Option<SpawnHandle>,
    pub(crate) link_tasks: Vec<SpawnHandle>,
    /// Callers waiting for replies on the current link.
    pub(crate) pending: Pending<C>,
    /// The current link's first writer: where `Ctx::request` writes.
    pub(crate) link_writer: Option<LinkWriter>,
    /// The default timeout of `Ctx::request`.
    pub(crate) request_timeout: Option<Duration>,
    /// Each write is put off by one turn of the runtime (see `Builder::defer_writes`).
    pub(crate) defer_writes: bool,
    /// The write halves of the current link, to close gracefully when it ends on request.
    pub(crate) closers: Closers,
    /// The running health-check probe, if any (at most one at a time).
    pub(crate) probe: Option<SpawnHandle>,
    /// Steps that callbacks asked for, run in order once the callback has returned.
    pub(crate) steps: VecDeque<Step<C::Error>>,
    /// A run of `steps` is scheduled or under way.
    pub(crate) stepping: bool,
    /// The run of `steps` stopped for a connect; its end resumes them.
    pub(crate) steps_paused: bool,
    pub(crate) exit: Option<ExitReason>,
    pub(crate) first_connect: Option<FirstConnect<C>>,
}

impl<C: Connection> Core<C> {
    pub(crate) fn cancel_timer(&mut self, ctx: &mut Context<ConnectionActor<C>>) {
        self.timer_gen += 1;
        if let Some(h) = self.timer.take() {
            ctx.cancel_future(h);
        }
    }

    /// Ends the current link: its reader, writer and probe stop, and anything of theirs
    /// still queued is ignored. Returns its write halves, for a graceful close; dropping
    /// them discards what was not written yet.
    pub(crate) fn end_link(&mut self, ctx: &mut Context<ConnectionActor<C>>) -> Closers {
        self.next_link();
        self.up_since = None;
        self.proven = false;
        self.link_writer = None;
        for h in self.link_tasks.drain(..).chain(self.probe.take()) {
            ctx.cancel_future(h);
        }
        std::mem::take(&mut self.closers)
    }

    /// Starts a new link generation (a link came up, or the current one ended).
    pub(crate) fn next_link(&mut self) {
        self.link += 1;
        self.epoch.store(self.link, Ordering::Release);
    }

    pub(crate) fn set_state(&mut self, state: ConnState) {
        match &state {
            ConnState::Connecting { attempt } => {
                tracing::debug!(target: "hardy_connection", peer = %self.name, attempt, "connecting")
            }
            ConnState::Connected => {
                tracing::info!(target: "hardy_connection", peer = %self.name, "connected")
            }
            ConnState::Backoff { attempt, retry_in } => {
                tracing::info!(target: "hardy_connection", peer = %self.name,
                    attempt,
                    delay_ms = retry_in.as_millis() as u64,
                    "backing off"
                )
            }
            // `link_down` logs the disconnection with its reason.
            ConnState::Disconnected => {}
            ConnState::Stopped(reason) => {
                tracing::info!(target: "hardy_connection", peer = %self.name, reason = %reason, "stopped")
            }
        }
        self.state.publish(state);
    }
}

impl<C: Connection> Drop for Core<C> {
    fn drop(&mut self) {
        // `stopped` publishes `Stopped`; reaching here without it means the actor's future
        // was dropped mid-flight: a panic unwinding through it, or a kill.
        if !matches!(self.state.get(), ConnState::Stopped(_)) {
            let reason = if std::thread::panicking() {
                ExitReason::Panic("the actor panicked".into())
            } else {
                ExitReason::Killed
            };
            self.set_state(ConnState::Stopped(reason));
        }
    }
}
