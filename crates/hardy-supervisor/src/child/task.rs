//! The task that runs one child incarnation and turns every way it can end into an exit.
//!
//! The child's `ContextFut` is polled inside `catch_unwind` and inside the exit slot of
//! [`crate::exit`], so a normal stop, an `exit(reason)` call, a panic (in `started`, a
//! handler, `stopping`...) and a kill all end up as an [`ExitReason`] reported to the
//! supervisor — whichever arbiter the child runs on. A panicking child's mailbox is dropped,
//! so callers waiting on `send` get `MailboxError::Closed` instead of waiting forever.
//!
//! A kill sets the context to *stopped* before dropping the future, so actix's
//! `ContextFut` drop does not run `stopping`/`stopped`: like OTP's `brutal_kill`, the actor
//! only gets its `Drop`.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use actix::dev::{channel, ContextFut};
use actix::{Actor, ActorContext, Addr, AsyncContext, Context};
use actix_rt::ArbiterHandle;
use tokio::sync::mpsc::UnboundedSender;

use super::control::{self, Control};
use crate::exit;
use crate::spec::StartError;
use crate::{ExitReason, Pid};

/// An exit the child ended by itself (not on the supervisor's request).
#[derive(Debug)]
pub(crate) struct ExitReport {
    pub(crate) key: u64,
    pub(crate) pid: Pid,
    pub(crate) reason: ExitReason,
}

/// Where a child's task reports an exit it was not asked for.
#[derive(Debug, Clone)]
pub(crate) struct Reporter {
    pub(crate) tx: UnboundedSender<ExitReport>,
    pub(crate) key: u64,
    pub(crate) pid: Pid,
}

struct ChildTask<A: Actor<Context = Context<A>>> {
    fut: Option<ContextFut<A, Context<A>>>,
    control: Arc<Control>,
    /// A reason recorded with `exit` in an earlier poll than the one that ended the actor.
    early: Option<ExitReason>,
    reporter: Option<Reporter>,
    stop_requested: bool,
    /// The first poll (which runs `started`) is over.
    polled_once: bool,
    /// The exit is recorded in `control` (and reported): nothing is left to do on drop.
    finished: bool,
}

impl<A: Actor<Context = Context<A>>> ChildTask<A> {
    fn new(
        fut: ContextFut<A, Context<A>>,
        control: Arc<Control>,
        reporter: Option<Reporter>,
    ) -> Self {
        ChildTask {
            fut: Some(fut),
            control,
            early: None,
            reporter,
            stop_requested: false,
            polled_once: false,
            finished: false,
        }
    }

    fn finish(&mut self, reason: ExitReason) {
        self.finished = true;
        let asked = self.control.command() != control::NONE;
        self.control.finish(reason.clone());
        if let Some(r) = self.reporter.take() {
            if !asked {
                let _ = r.tx.send(ExitReport {
                    key: r.key,
                    pid: r.pid,
                    reason,
                });
            }
        }
    }

    /// Drops the actor without running `stopping`/`stopped`.
    fn kill(&mut self) {
        if let Some(mut fut) = self.fut.take() {
            fut.ctx().terminate();
            let slot = exit::slot_for_poll();
            let _ = catch_unwind(AssertUnwindSafe(|| exit::with_slot(&slot, || drop(fut))));
            slot.take();
        }
    }
}

impl<A: Actor<Context = Context<A>>> Future for ChildTask<A> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.control.register(cx.waker());
        let Some(fut) = this.fut.as_mut() else {
            return Poll::Ready(());
        };
        match this.control.command() {
            control::KILL => {
                this.kill();
                this.finish(ExitReason::Killed);
                return Poll::Ready(());
            }
            control::STOP if !this.stop_requested => {
                this.stop_requested = true;
                fut.ctx().stop();
            }
            _ => {}
        }
        let slot = exit::slot_for_poll();
        let polled = catch_unwind(AssertUnwindSafe(|| {
            exit::with_slot(&slot, || Pin::new(fut).poll(cx))
        }));
        let recorded = slot.take().or(this.early.take());
        if !this.polled_once && polled.is_ok() {
            // `started` ran without a panic: OTP's init acknowledgement. A supervisor
            // acknowledges itself once its own children are started.
            this.polled_once = true;
            if !this.control.defers_ack() {
                this.control.ack();
            }
        }
        let reason = match polled {
            Ok(Poll::Pending) => {
                this.early = recorded;
                return Poll::Pending;
            }
            Ok(Poll::Ready(())) => {
                // The actor's `Drop` runs here; a panic in it is the child's exit reason.
                let fut = this.fut.take();
                let slot = exit::slot_for_poll();
                let dropped =
                    catch_unwind(AssertUnwindSafe(|| exit::with_slot(&slot, || drop(fut))));
                slot.take();
                match dropped {
                    Err(payload) => ExitReason::Panic(panic_message(payload.as_ref())),
                    Ok(()) => recorded.unwrap_or(if this.stop_requested {
                        ExitReason::Shutdown
                    } else {
                        ExitReason::Normal
                    }),
                }
            }
            Err(payload) => {
                this.kill();
                ExitReason::Panic(panic_message(payload.as_ref()))
            }
        };
        this.finish(reason);
        Poll::Ready(())
    }
}

impl<A: Actor<Context = Context<A>>> Drop for ChildTask<A> {
    /// The task was dropped unfinished: its arbiter or runtime went away. That is a kill.
    fn drop(&mut self) {
        if !self.finished {
            self.kill();
            self.finish(ExitReason::Killed);
        }
    }
}

/// The text of a panic payload (`&str` or `String`), as `panic!` produced it.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Starts `actor` on the current arbiter under a supervising task. The first poll, which
/// runs the actor's `started`, happens right here, so the start is acknowledged (or has
/// failed) when this returns; the task is spawned only if the actor is still running.
pub(crate) fn launch_local<A: Actor<Context = Context<A>>>(
    actor: A,
    control: Arc<Control>,
    reporter: Option<Reporter>,
) -> Addr<A> {
    let ctx = Context::new();
    let addr = ctx.address();
    run(ctx.into_future(actor), control, reporter);
    addr
}

/// Polls a new child task once in place, then spawns it on the current arbiter unless it
/// already ended. The in-place poll uses a no-op waker: the spawned task is polled again
/// anyway, and registers the real one.
fn run<A: Actor<Context = Context<A>>>(
    fut: ContextFut<A, Context<A>>,
    control: Arc<Control>,
    reporter: Option<Reporter>,
) {
    let mut task = ChildTask::new(fut, control, reporter);
    let mut cx = TaskContext::from_waker(futures::task::noop_waker_ref());
    if Pin::new(&mut task).poll(&mut cx).is_pending() {
        actix_rt::spawn(task);
    }
}

/// What a factory run on another arbiter needs there: the factory, the hook that lets a
/// supervisor acknowledge its own start, and where to report.
pub(crate) type Factory<A> = dyn Fn() -> Result<A, StartError> + Send + Sync;

/// Builds the actor *on* `arbiter` with `factory` and runs it there under a supervising
/// task, so the actor never crosses threads and need not be `Send`. The address is made
/// here; the start's outcome (acknowledged, ignored, failed) arrives in `control`.
pub(crate) fn launch_on<A: Actor<Context = Context<A>>>(
    arbiter: &ArbiterHandle,
    factory: Arc<Factory<A>>,
    control: Arc<Control>,
    reporter: Option<Reporter>,
) -> Result<Addr<A>, String> {
    let (tx, rx) = channel::channel(16);
    let mut pending = NotLaunched(Some((control, reporter)));
    let spawned = arbiter.spawn_fn(move || {
        let Some((control, reporter)) = pending.0.take() else {
            return;
        };
        match build(&*factory) {
            Ok(mut actor) => {
                crate::supervisor::adopt(&mut actor, &control);
                let ctx = Context::with_receiver(rx);
                run(ctx.into_future(actor), control, reporter);
            }
            Err(StartError::Ignore) => control.ignore(),
            Err(StartError::Failed(reason)) => control.fail_unlaunched(reason),
        }
    });
    if spawned {
        Ok(Addr::new(tx))
    } else {
        Err("its arbiter is no longer running".into())
    }
}

/// Calls a start factory; a panic in it is a start failure.
pub(crate) fn build<A>(factory: &dyn Fn() -> Result<A, StartError>) -> Result<A, StartError> {
    catch_unwind(AssertUnwindSafe(factory)).map_err(|p| {
        StartError::Failed(format!(
            "start factory panicked: {}",
            panic_message(p.as_ref())
        ))
    })?
}

/// The start of a child on another arbiter, until it ran there. If the arbiter drops it
/// unrun (it stopped meanwhile), the start failed, so nobody waits forever.
struct NotLaunched(Option<(Arc<Control>, Option<Reporter>)>);

impl Drop for NotLaunched {
    fn drop(&mut self) {
        if let Some((control, _)) = self.0.take() {
            control.fail_unlaunched("its arbiter stopped before the child could start".into());
        }
    }
}

/// Runs a top-level actor (a root supervisor) under a supervising task with no reporter:
/// its exit is only in `control`.
pub(crate) fn launch_root<A: Actor<Context = Context<A>>>(
    actor: A,
    control: Arc<Control>,
) -> Addr<A> {
    let ctx = Context::new();
    let addr = ctx.address();
    let fut = ctx.into_future(actor);
    actix_rt::spawn(ChildTask::new(fut, control, None));
    addr
}
