//! Stopping children: one at a time in reverse start order, or all at once (dynamic
//! supervisors), honouring each child's own [`Shutdown`].
//!
//! Stopping is the only asynchronous part of a supervisor. It runs under `ctx.wait`, so the
//! supervisor's mailbox waits meanwhile — OTP's supervisor is busy while it terminates
//! children, too.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{AsyncContext, Context};
use futures::future::join_all;
use tokio::time::Instant;

use super::{finish, Phase, State, Supervisor};
use crate::child::control::{KILL, STOP};
use crate::child::Control;
use crate::introspect::EventKind;
use crate::{ChildId, ExitReason, Pid, RestartType, Shutdown};

/// One child taken out of the running set, to be stopped. The supervisor keeps a copy in
/// `in_flight` until the stop is recorded, so a shutdown or a kill of the supervisor in the
/// middle of a group restart or a `terminate_child` still reaches it.
#[derive(Clone)]
pub(crate) struct Stopping {
    key: u64,
    id: ChildId,
    pid: Pid,
    control: Arc<Control>,
    shutdown: Shutdown,
    /// The child's address, kept until its stop is over (see `Cell::take_down`).
    _addr: Option<Arc<Mutex<Box<dyn Any + Send>>>>,
}

impl Stopping {
    /// Stops this child as its `Shutdown` says.
    pub(crate) async fn stop(self) -> (u64, Pid, ExitReason) {
        let reason = stop_one(&self.control, self.shutdown).await;
        (self.key, self.pid, reason)
    }

    /// Kills the child at once, without waiting (the supervisor itself is being dropped).
    pub(crate) fn kill(&self) {
        self.control.request(KILL);
    }
}

/// What becomes of a stopped child's spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// It will be started again by a group restart.
    Restart,
    /// It stays stopped (terminate_child, shutdown).
    Stay,
}

/// How many child stops there are, and the results.
pub(crate) type Stopped = Vec<(u64, Pid, ExitReason)>;

/// Asks `control`'s child to stop as `shutdown` says and waits for its exit.
pub(crate) async fn stop_one(control: &Control, shutdown: Shutdown) -> ExitReason {
    match shutdown {
        Shutdown::BrutalKill => control.request(KILL),
        Shutdown::Infinity => control.request(STOP),
        Shutdown::Timeout(d) => {
            control.request(STOP);
            // A timeout too long to represent is no timeout at all.
            if let Some(deadline) = Instant::now().checked_add(d) {
                if tokio::time::timeout_at(deadline, control.wait())
                    .await
                    .is_err()
                {
                    control.request(KILL);
                }
            }
        }
    }
    control.wait().await
}

async fn stop_in_order(list: Vec<Stopping>) -> Stopped {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        let reason = stop_one(&s.control, s.shutdown).await;
        out.push((s.key, s.pid, reason));
    }
    out
}

/// Stops all at once, each as its own `Shutdown` says: `BrutalKill` at once, `Infinity`
/// waited for, and each `Timeout(d)` killed `d` from now if still running. Children with
/// the same timeout share one timer (all 100,000 children of a dynamic supervisor: one),
/// so a child with `Infinity` never lifts the deadline of a sibling with a `Timeout`.
async fn stop_concurrently(list: Vec<Stopping>) -> Stopped {
    let mut by_timeout: BTreeMap<Duration, Vec<&Control>> = BTreeMap::new();
    for s in &list {
        match s.shutdown {
            Shutdown::BrutalKill => s.control.request(KILL),
            Shutdown::Infinity => s.control.request(STOP),
            Shutdown::Timeout(d) => {
                s.control.request(STOP);
                by_timeout.entry(d).or_default().push(&s.control);
            }
        }
    }
    let deadlines = by_timeout.into_iter().map(|(d, controls)| async move {
        // A timeout too long to represent is no timeout at all.
        let Some(deadline) = Instant::now().checked_add(d) else {
            return;
        };
        let all = join_all(controls.iter().map(|c| c.wait()));
        if tokio::time::timeout_at(deadline, all).await.is_err() {
            for c in controls {
                c.request(KILL);
            }
        }
    });
    join_all(deadlines).await;
    let reasons = join_all(list.iter().map(|s| s.control.wait())).await;
    list.into_iter()
        .zip(reasons)
        .map(|(s, r)| (s.key, s.pid, r))
        .collect()
}

impl Supervisor {
    /// Takes the running ones among `keys` out of the running set, in the given order.
    /// Temporary children are forgotten right away.
    pub(crate) fn take_for_stop(&mut self, keys: &[u64], after: After) -> Vec<Stopping> {
        let mut list = Vec::with_capacity(keys.len());
        for &key in keys {
            let Some(child) = self.children.get_mut(&key) else {
                continue;
            };
            let restarting = after == After::Restart;
            match child.state {
                State::Running(_) => {}
                State::Restarting if !restarting => {
                    // Terminating a child that is being restarted ends the restart.
                    child.state = State::Stopped;
                    child.cell.set_down(false);
                    continue;
                }
                _ => continue,
            }
            let state = if restarting {
                State::Restarting
            } else {
                State::Stopped
            };
            let State::Running(started) = std::mem::replace(&mut child.state, state) else {
                continue;
            };
            let addr = child.cell.take_down(restarting);
            let stopping = Stopping {
                key,
                id: child.spec.id.clone(),
                pid: started.pid,
                control: started.control,
                shutdown: child.spec.shutdown,
                _addr: addr.map(|a| Arc::new(Mutex::new(a))),
            };
            self.in_flight.insert(stopping.pid, stopping.clone());
            list.push(stopping);
            if child.spec.restart == RestartType::Temporary {
                self.remove(key);
            }
        }
        list
    }

    /// Stops `keys` (already in stop order) and then runs `then` on the actor.
    pub(crate) fn stop_then(
        &mut self,
        keys: &[u64],
        after: After,
        ctx: &mut Context<Self>,
        then: impl FnOnce(&mut Self, &mut Context<Self>, Stopped) + 'static,
    ) {
        let list = self.take_for_stop(keys, after);
        self.stop_list_then(list, ctx, then);
    }

    /// Stops `list` (in stop order; dynamic: concurrently), records the stops, then runs
    /// `then` on the actor.
    pub(crate) fn stop_list_then(
        &mut self,
        list: Vec<Stopping>,
        ctx: &mut Context<Self>,
        then: impl FnOnce(&mut Self, &mut Context<Self>, Stopped) + 'static,
    ) {
        if list.is_empty() {
            then(self, ctx, Vec::new());
            return;
        }
        let fut = if self.dynamic {
            futures::future::Either::Left(stop_concurrently(list))
        } else {
            futures::future::Either::Right(stop_in_order(list))
        };
        ctx.wait(fut.into_actor(self).map(move |stopped, act, ctx| {
            act.record_stops(&stopped);
            then(act, ctx, stopped)
        }));
    }

    /// Records finished stops: the exit events, and the end of each in-flight stop. A stop
    /// already recorded (a shutdown also waited for it) is skipped.
    pub(crate) fn record_stops(&mut self, stopped: &Stopped) {
        for (key, pid, reason) in stopped {
            let Some(stopping) = self.in_flight.remove(pid) else {
                continue;
            };
            if let Some(child) = self.children.get_mut(key) {
                child.last_exit = Some(reason.clone());
            }
            let id = stopping.id;
            tracing::info!(supervisor = %self.name, child = %id, pid = pid.0, reason = %reason, "child stopped");
            self.emit(EventKind::Exited {
                id,
                pid: *pid,
                reason: reason.clone(),
            });
        }
    }

    /// Stops all children (reverse start order; dynamic: concurrently), then exits with
    /// `reason`. Does nothing if already shutting down.
    ///
    /// Children whose stop is already under way (a group restart or a `terminate_child`
    /// that the shutdown interrupted) are stopped and waited for too: the pending stop may
    /// never be polled again once the actor stops. Asking a child twice is harmless.
    pub(crate) fn shutdown(&mut self, reason: ExitReason, ctx: &mut Context<Self>) {
        if self.phase != Phase::Running {
            return;
        }
        self.phase = Phase::ShuttingDown;
        tracing::info!(supervisor = %self.name, reason = %reason, "supervisor shutting down");
        let keys: Vec<u64> = self.children.keys().rev().copied().collect();
        self.take_for_stop(&keys, After::Stay);
        let mut list: Vec<Stopping> = self.in_flight.values().cloned().collect();
        list.sort_by_key(|s| std::cmp::Reverse((s.key, s.pid)));
        self.stop_list_then(list, ctx, move |act, ctx, _| {
            act.emit(EventKind::Exiting {
                reason: reason.clone(),
            });
            tracing::info!(supervisor = %act.name, reason = %reason, "supervisor exited");
            finish(act, reason, ctx);
        });
    }
}
