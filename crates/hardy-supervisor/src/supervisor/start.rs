//! Starting children: one at a time, in order, each acknowledged before the next (OTP's
//! `start_children` with `proc_lib`'s init acknowledgement).
//!
//! A child on the supervisor's arbiter runs its `started` inside the start call, so its
//! acknowledgement is known at once and a whole local tree starts without a single wait.
//! A child on another arbiter (or a supervisor whose children are) acknowledges later; the
//! supervisor then waits under `ctx.wait`, so its mailbox waits too — OTP's supervisor is
//! busy while it starts a child as well. A child's handle answers `Restarting` until its
//! start is acknowledged, and never reaches an incarnation that failed to start.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use actix::dev::{MessageResponse, OneshotSender};
use actix::fut::{ActorFutureExt, WrapFuture};
use actix::{AsyncContext, Context, Message};

use super::stop::After;
use super::{finish, Phase, State, Supervisor};
use crate::child::control::Init;
use crate::child::Control;
use crate::introspect::EventKind;
use crate::spec::StartError;
use crate::{ChildId, ExitReason, Pid};

/// A child that failed to start.
pub(crate) struct Failure {
    pub(crate) key: u64,
    pub(crate) id: ChildId,
    pub(crate) reason: String,
}

/// What to do once a start pass is over.
pub(crate) type Done =
    Box<dyn FnOnce(&mut Supervisor, &mut Context<Supervisor>, Result<(), Failure>)>;

impl Supervisor {
    /// Launches the child at `key`. It counts as running from now on (a stop or a kill of
    /// the supervisor reaches it), but its handle answers `Restarting` until the start is
    /// acknowledged.
    fn launch(&mut self, key: u64) -> Result<Arc<Control>, StartError> {
        let child = self.children.get_mut(&key).ok_or(StartError::Ignore)?;
        let started = child.spec.start.start(child.cell.clone(), &self.tx, key)?;
        let control = started.control.clone();
        child.cell.set_down(true);
        child.state = State::Running(started);
        Ok(control)
    }

    /// Applies the outcome of one start: publishes the new incarnation, keeps an ignored
    /// child's spec with no incarnation, or answers the failure (the child is then
    /// `Stopped`; the caller decides what becomes of it).
    fn settle(&mut self, key: u64, outcome: Result<Init, StartError>) -> Result<(), Failure> {
        let reason = match outcome {
            Ok(Init::Running) => {
                self.publish(key);
                return Ok(());
            }
            Ok(Init::Ignored) | Err(StartError::Ignore) => {
                self.ignored(key);
                return Ok(());
            }
            Ok(Init::Pending) => "its start was never acknowledged".to_owned(),
            Ok(failed) => failed.failure_text().unwrap_or_default(),
            Err(StartError::Failed(reason)) => reason,
        };
        let Some(child) = self.children.get_mut(&key) else {
            return Ok(());
        };
        child.state = State::Stopped;
        child.cell.set_down(false);
        child.last_exit = Some(ExitReason::Error(reason.clone()));
        Err(Failure {
            key,
            id: child.spec.id.clone(),
            reason,
        })
    }

    fn publish(&mut self, key: u64) {
        let Some(child) = self.children.get_mut(&key) else {
            return;
        };
        let State::Running(started) = &mut child.state else {
            return; // stopped while its start was pending
        };
        if let Some(publish) = started.publish.take() {
            publish();
        }
        let (id, pid, restarts) = (child.spec.id.clone(), started.pid, child.restarts);
        tracing::info!(supervisor = %self.name, child = %id, pid = pid.0, restarts, "child started");
        self.emit(EventKind::Started { id, pid, restarts });
    }

    /// The pid of the child at `key`, if it runs.
    pub(crate) fn running_pid(&self, key: u64) -> Option<Pid> {
        match self.children.get(&key).map(|c| &c.state) {
            Some(State::Running(s)) => Some(s.pid),
            _ => None,
        }
    }

    /// Starts `keys` one at a time in order, each acknowledged before the next, and then
    /// runs `done`: `Ok` when every start succeeded or was ignored, else the first failure
    /// (the children after it are not started).
    pub(crate) fn start_in_order(
        &mut self,
        mut keys: VecDeque<u64>,
        ctx: &mut Context<Self>,
        done: Done,
    ) {
        while let Some(key) = keys.pop_front() {
            let settled = match self.launch(key) {
                Err(e) => self.settle(key, Err(e)),
                Ok(control) => match control.init() {
                    init @ (Init::Running | Init::Ignored) => self.settle(key, Ok(init)),
                    init @ Init::Failed { .. } if control.exit().is_some() => {
                        self.settle(key, Ok(init))
                    }
                    _ => {
                        // A failed start is settled once the incarnation is gone too (a
                        // nested supervisor has dropped, freeing its children's names), so
                        // a retry never overlaps it.
                        let ack = async move {
                            let init = control.wait_init().await;
                            if matches!(init, Init::Failed { .. }) {
                                control.wait().await;
                            }
                            init
                        };
                        ctx.wait(ack.into_actor(self).map(move |init, act, ctx| {
                            match act.settle(key, Ok(init)) {
                                Ok(()) => act.start_in_order(keys, ctx, done),
                                Err(failure) => done(act, ctx, Err(failure)),
                            }
                        }));
                        return;
                    }
                },
            };
            if let Err(failure) = settled {
                done(self, ctx, Err(failure));
                return;
            }
        }
        done(self, ctx, Ok(()));
    }

    /// The supervisor's own start: its children in order; then it acknowledges, or stops
    /// the ones started and fails.
    pub(crate) fn start_children(&mut self, ctx: &mut Context<Self>) {
        let keys = self.children.keys().copied().collect();
        self.start_in_order(
            keys,
            ctx,
            Box::new(|act, ctx, result| match result {
                Ok(()) if act.phase == Phase::Running => {
                    tracing::debug!(supervisor = %act.name, children = act.children.len(), "supervisor started");
                    if let Some(ack) = act.init_ack.take() {
                        ack.ack();
                    }
                }
                Ok(()) => {}
                Err(failure) => act.fail_start(failure, ctx),
            }),
        );
    }

    /// A child failed while the supervisor started: the children already started are
    /// stopped in reverse order (each as its `Shutdown` says, tracked like any stop, so a
    /// kill of this supervisor reaches them), and only then does the start fail and the
    /// supervisor exit — a parent retrying never meets the old children still running.
    fn fail_start(&mut self, failure: Failure, ctx: &mut Context<Self>) {
        if self.phase != Phase::Running {
            return;
        }
        tracing::error!(supervisor = %self.name, child = %failure.id, reason = %failure.reason, "child failed to start: stopping the children already started");
        self.phase = Phase::ShuttingDown;
        let keys: Vec<u64> = self.children.keys().rev().copied().collect();
        let list = self.take_for_stop(&keys, After::Stay);
        let Failure { id, reason, .. } = failure;
        let exit = ExitReason::ShutdownWith(format!("failed to start child `{id}`: {reason}"));
        self.stop_list_then(list, ctx, move |act, ctx, _| {
            if let Some(ack) = act.init_ack.take() {
                ack.fail_start(Some(id), reason);
            }
            act.emit(EventKind::Exiting {
                reason: exit.clone(),
            });
            finish(act, exit, ctx);
        });
    }
}

/// The answer of `StartChild`/`RestartChild`: ready at once when every start it waits for was acknowledged in
/// place, and otherwise sent when the last one is: no boxed future for a local start.
pub struct Reply<T>(Rc<RefCell<Slot<T>>>);

enum Slot<T> {
    Empty,
    Ready(T),
    Waiting(OneshotSender<T>),
    Then(Box<dyn FnOnce(T)>),
    Gone,
}

impl<T> Clone for Reply<T> {
    fn clone(&self) -> Self {
        Reply(self.0.clone())
    }
}

impl<T> Reply<T> {
    pub(crate) fn new() -> Self {
        Reply(Rc::new(RefCell::new(Slot::Empty)))
    }

    /// Delivers the answer, now or to the caller already waiting.
    pub(crate) fn send(&self, value: T) {
        let mut slot = self.0.borrow_mut();
        match std::mem::replace(&mut *slot, Slot::Gone) {
            Slot::Empty => *slot = Slot::Ready(value),
            Slot::Waiting(tx) => {
                let _ = tx.send(value);
            }
            Slot::Then(f) => {
                drop(slot);
                f(value);
            }
            Slot::Ready(v) => *slot = Slot::Ready(v),
            Slot::Gone => {}
        }
    }

    /// Hands the answer to `f`, now if it is ready, else when it is sent.
    pub(crate) fn forward(&self, f: impl FnOnce(T) + 'static) {
        let mut slot = self.0.borrow_mut();
        match std::mem::replace(&mut *slot, Slot::Gone) {
            Slot::Ready(value) => {
                drop(slot);
                f(value);
            }
            Slot::Empty => *slot = Slot::Then(Box::new(f)),
            other => *slot = other,
        }
    }
}

impl<M> MessageResponse<Supervisor, M> for Reply<M::Result>
where
    M: Message,
    M::Result: 'static,
{
    fn handle(self, _: &mut Context<Supervisor>, tx: Option<OneshotSender<M::Result>>) {
        let mut slot = self.0.borrow_mut();
        match std::mem::replace(&mut *slot, Slot::Gone) {
            Slot::Ready(value) => {
                if let Some(tx) = tx {
                    let _ = tx.send(value);
                }
            }
            Slot::Empty => {
                if let Some(tx) = tx {
                    *slot = Slot::Waiting(tx);
                }
            }
            other => *slot = other,
        }
    }
}
