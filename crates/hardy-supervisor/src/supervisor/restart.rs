//! What a supervisor does when a child exits: the restart types, restart intensity,
//! the three strategies, restart failures (retried as `Restarting`), restart delays and
//! significant children. Named after the steps of OTP's `supervisor.erl`.

use actix::{AsyncContext, Context, Handler, Message};
use tokio::time::Instant;

use super::stop::After;
use super::{Phase, State, Supervisor};
use crate::child::ExitReport;
use crate::introspect::EventKind;
use crate::{AutoShutdown, ExitReason, RestartType, Strategy};

/// Retries a failed restart (OTP's `try_again_restart`); counts toward intensity.
pub(crate) struct TryAgain(u64);

impl Message for TryAgain {
    type Result = ();
}

impl Supervisor {
    /// The child's factory answered `Ignore`.
    pub(crate) fn ignored(&mut self, key: u64) {
        let temporary = self
            .children
            .get(&key)
            .is_some_and(|c| c.spec.restart == RestartType::Temporary);
        if temporary || self.dynamic {
            self.remove(key);
        } else if let Some(child) = self.children.get_mut(&key) {
            child.state = State::Stopped;
            child.cell.set_down(false);
        }
    }

    /// A child ended by itself: apply its restart type, significance and the strategy.
    pub(crate) fn child_exited(&mut self, report: ExitReport, ctx: &mut Context<Self>) {
        let ExitReport { key, pid, reason } = report;
        let Some(child) = self.children.get_mut(&key) else {
            return;
        };
        match &child.state {
            State::Running(s) if s.pid == pid => {}
            _ => return, // a stale report of an incarnation already stopped
        }
        child.last_exit = Some(reason.clone());
        let id = child.spec.id.clone();
        tracing::warn!(supervisor = %self.name, child = %id, pid = pid.0, reason = %reason, restarts = child.restarts, "child exited");
        let restart = match child.spec.restart {
            RestartType::Permanent => true,
            RestartType::Transient => reason.is_abnormal(),
            RestartType::Temporary => false,
        };
        let significant = child.spec.significant;
        if restart {
            child.state = State::Restarting;
            child.cell.set_down(true);
        } else {
            child.state = State::Stopped;
            child.cell.set_down(false);
        }
        self.emit(EventKind::Exited {
            id: id.clone(),
            pid,
            reason,
        });
        if self.phase != Phase::Running {
            return;
        }
        if !restart {
            if self
                .children
                .get(&key)
                .is_some_and(|c| c.spec.restart == RestartType::Temporary)
                || self.dynamic
            {
                self.remove(key);
            }
            if significant {
                self.significant_exited(ctx);
            }
            return;
        }
        if self.add_restart(key, ctx) {
            self.restart(key, ctx);
        }
    }

    /// A significant child exited by itself and will not be restarted.
    fn significant_exited(&mut self, ctx: &mut Context<Self>) {
        let shut = match self.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .children
                .values()
                .any(|c| c.spec.significant && !matches!(c.state, State::Stopped)),
        };
        if shut {
            tracing::info!(supervisor = %self.name, "significant child exited: auto shutdown");
            self.shutdown(ExitReason::Shutdown, ctx);
        }
    }

    /// Counts a restart; when it is one too many, gives up and escalates.
    fn add_restart(&mut self, key: u64, ctx: &mut Context<Self>) -> bool {
        if self.window.add_restart(Instant::now()) {
            return true;
        }
        let id = self
            .children
            .get(&key)
            .map(|c| c.spec.id.clone())
            .unwrap_or_else(|| crate::ChildId::dynamic(key));
        tracing::error!(supervisor = %self.name, child = %id, "restart intensity reached: giving up, escalating");
        self.emit(EventKind::GaveUp { id });
        self.shutdown(ExitReason::Shutdown, ctx);
        false
    }

    /// The keys restarted together with `key` under the strategy, in start order.
    fn group_of(&self, key: u64) -> Vec<u64> {
        match self.strategy {
            _ if self.dynamic => vec![key],
            Strategy::OneForOne => vec![key],
            Strategy::OneForAll => self.children.keys().copied().collect(),
            Strategy::RestForOne => self.children.range(key..).map(|(k, _)| *k).collect(),
        }
    }

    /// Restarts `key` (already `Restarting`) and, per strategy, its siblings: stops the
    /// running ones in reverse order, waits the restart delay of `key`, then starts every
    /// member of the group in order — as OTP's `start_children` over the group does,
    /// including members that were not running (terminated, ignored, transient ended
    /// normally). A temporary member was forgotten when it stopped.
    pub(crate) fn restart(&mut self, key: u64, ctx: &mut Context<Self>) {
        let group = self.group_of(key);
        let delay = self
            .children
            .get(&key)
            .map(|c| c.spec.restart_delay)
            .unwrap_or_default();
        let generation = self.children.get_mut(&key).map(|c| {
            c.restart_gen += 1;
            c.restart_gen
        });
        for k in &group {
            if let Some(child) = self.children.get_mut(k) {
                if matches!(child.state, State::Stopped) {
                    child.state = State::Restarting;
                    child.cell.set_down(true);
                }
            }
        }
        let siblings: Vec<u64> = group.iter().rev().copied().filter(|k| *k != key).collect();
        self.stop_then(&siblings, After::Restart, ctx, move |act, ctx, _| {
            if delay.is_zero() {
                act.start_group(group, ctx);
            } else {
                ctx.run_later(delay, move |act, ctx| {
                    // A stale timer: the child was terminated (and maybe restarted and
                    // crashed again, with a timer of its own) while this one ran.
                    let current = act.children.get(&key).map(|c| c.restart_gen);
                    if current.is_some() && current == generation {
                        act.start_group(group, ctx);
                    }
                });
            }
        });
    }

    /// Starts the `Restarting` members of `group` in order. If one fails, it stays
    /// `Restarting` and is retried (OTP's `try_again_restart`) with its own restart delay:
    /// the retry restarts its group again, counting toward intensity.
    fn start_group(&mut self, group: Vec<u64>, ctx: &mut Context<Self>) {
        if self.phase != Phase::Running {
            return;
        }
        let mut keys = std::collections::VecDeque::with_capacity(group.len());
        for k in group {
            if let Some(child) = self.children.get_mut(&k) {
                if matches!(child.state, State::Restarting) {
                    child.restarts += 1;
                    keys.push_back(k);
                }
            }
        }
        self.start_in_order(
            keys,
            ctx,
            Box::new(|act, ctx, result| {
                if let Err(failure) = result {
                    if act.phase != Phase::Running {
                        return;
                    }
                    if let Some(child) = act.children.get_mut(&failure.key) {
                        child.state = State::Restarting;
                        child.cell.set_down(true);
                    }
                    act.restart_failed(failure.key, failure.reason);
                    ctx.notify(TryAgain(failure.key));
                }
            }),
        );
    }

    fn restart_failed(&mut self, key: u64, reason: String) {
        if let Some(child) = self.children.get_mut(&key) {
            child.last_exit = Some(ExitReason::Error(reason.clone()));
            let id = child.spec.id.clone();
            tracing::error!(supervisor = %self.name, child = %id, reason = %reason, "restart failed, will retry");
            self.emit(EventKind::RestartFailed { id, reason });
        }
    }
}

impl Handler<TryAgain> for Supervisor {
    type Result = ();

    fn handle(&mut self, TryAgain(key): TryAgain, ctx: &mut Context<Self>) {
        if self.phase != Phase::Running {
            return;
        }
        let pending = self.group_of(key).iter().any(|k| {
            matches!(
                self.children.get(k).map(|c| &c.state),
                Some(State::Restarting)
            )
        });
        if !pending {
            return; // terminated meanwhile
        }
        if self.add_restart(key, ctx) {
            self.restart(key, ctx);
        }
    }
}
