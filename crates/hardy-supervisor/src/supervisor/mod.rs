//! The supervisor actor: its state, how it is built, and its life cycle.
//!
//! A supervisor is an ordinary actix actor, so it can itself be the child of another
//! supervisor (trees). It starts its children in order when it starts, each acknowledged
//! before the next (see [`start`]); a child that fails to start makes the children already
//! started stop again and the supervisor's own start fail (`FailedToStartChild`) — the
//! parent sees a failed start, as in OTP. The restart rules live in [`restart`], stopping
//! in [`stop`], the API in [`api`].

mod api;
mod restart;
mod start;
mod stop;

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use actix::{Actor, ActorContext, AsyncContext, Context, Running, StreamHandler};
use tokio::sync::{broadcast, mpsc, watch};

pub use api::{
    ChildStarted, CountChildren, DeleteChild, GetTree, RestartChild, StartChild, StopSupervisor,
    Subscribe, TerminateChild, WhichChildren,
};
pub(crate) use api::{GetCell, StartChildCell};

use crate::child::{Control, ExitReport};
use crate::child_ref::Cell;
use crate::intensity::RestartWindow;
use crate::introspect::{Event, EventKind};
use crate::spec::Started;
use crate::{
    check_childspecs_for, AutoShutdown, ChildId, ChildSpec, Error, ExitReason, Intensity, Pid,
    Strategy, SupervisorRef,
};

/// Where a child is, as its supervisor keeps it.
pub(crate) enum State {
    Running(Started),
    Restarting,
    Stopped,
}

pub(crate) struct Child {
    pub(crate) spec: ChildSpec,
    pub(crate) state: State,
    pub(crate) restarts: u32,
    pub(crate) last_exit: Option<ExitReason>,
    pub(crate) cell: Arc<dyn Cell>,
    /// Bumped each time a restart is scheduled, so a delayed restart that is no longer the
    /// current one (the child was terminated and restarted meanwhile) does nothing.
    pub(crate) restart_gen: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Running,
    ShuttingDown,
    Done,
}

/// An OTP supervisor as an actix actor. Build one with [`Supervisor::builder`].
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::{ChildSpec, ChildStatus, Strategy, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker { type Context = Context<Self>; }
///
/// #[actix_rt::main]
/// async fn main() {
///     let sup = Supervisor::builder()
///         .name("root")
///         .strategy(Strategy::OneForAll)
///         .child(ChildSpec::worker("a", || Ok(Worker)))
///         .child(ChildSpec::worker("b", || Ok(Worker)))
///         .start()
///         .unwrap();
///     let children = sup.which_children().await.unwrap();
///     assert_eq!(children[0].id.to_string(), "b"); // newest first
///     assert!(matches!(children[1].status, ChildStatus::Running(_)));
///     sup.stop().await;
/// }
/// ```
pub struct Supervisor {
    pub(crate) name: Arc<str>,
    pub(crate) strategy: Strategy,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) window: RestartWindow,
    pub(crate) dynamic: bool,
    pub(crate) max_children: Option<usize>,
    pub(crate) children: BTreeMap<u64, Child>,
    pub(crate) ids: HashMap<ChildId, u64>,
    /// Children taken out of the running set whose stop is not recorded yet.
    pub(crate) in_flight: HashMap<Pid, stop::Stopping>,
    pub(crate) tx: mpsc::UnboundedSender<ExitReport>,
    rx: Option<mpsc::UnboundedReceiver<ExitReport>>,
    /// Made at the first `subscribe`: a channel of 1,024 slots is too much to pay for in
    /// every supervisor (every restart of a nested one builds a new one).
    pub(crate) events: Option<broadcast::Sender<Event>>,
    pub(crate) phase: Phase,
    exited: watch::Sender<Option<ExitReason>>,
    pub(crate) intensity: Intensity,
    /// Where this supervisor acknowledges its own start, once its children run.
    pub(crate) init_ack: Option<Arc<Control>>,
}

/// Lets a supervisor about to be launched acknowledge its own start through `control`
/// (after its children started) instead of right after its `started` ran.
pub(crate) fn adopt<A: 'static>(actor: &mut A, control: &Arc<Control>) {
    if let Some(sup) = (actor as &mut dyn std::any::Any).downcast_mut::<Supervisor>() {
        control.defer_ack();
        sup.init_ack = Some(control.clone());
    }
}

/// Builds a [`Supervisor`]: flags first, then children in start order.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SupervisorBuilder {
    name: Option<String>,
    strategy: Strategy,
    intensity: Intensity,
    auto_shutdown: AutoShutdown,
    children: Vec<ChildSpec>,
    dynamic: bool,
    max_children: Option<usize>,
}

impl SupervisorBuilder {
    /// The name used in tracing events and introspection (default `"supervisor"`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The restart strategy (default one-for-one).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Restart intensity: give up after more than `max_restarts` restarts within `period`
    /// (default 3 in 5 s).
    pub fn intensity(mut self, max_restarts: u32, period: std::time::Duration) -> Self {
        self.intensity = Intensity::new(max_restarts, period);
        self
    }

    /// When significant children shut the supervisor down (default never).
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Adds a child; children start in the order they are added.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// Adds several children.
    pub fn children(mut self, specs: impl IntoIterator<Item = ChildSpec>) -> Self {
        self.children.extend(specs);
        self
    }

    pub(crate) fn dynamic(mut self, max_children: Option<usize>) -> Self {
        self.dynamic = true;
        self.max_children = max_children;
        self
    }

    fn validate(&self) -> Result<(), Error> {
        self.intensity.validate()?;
        if self.dynamic && self.auto_shutdown != AutoShutdown::Never {
            return Err(Error::InvalidFlags(
                "a dynamic supervisor only allows auto_shutdown Never".into(),
            ));
        }
        check_childspecs_for(&self.children, self.auto_shutdown)?;
        let name = self.name.as_deref().unwrap_or("supervisor");
        for spec in &self.children {
            spec.warn_unreachable_intensity(name, self.intensity);
        }
        Ok(())
    }

    /// Validates the flags and specs (OTP's `check_childspecs`) and builds the supervisor
    /// actor, for use as the start factory of a nested supervisor
    /// ([`ChildSpec::supervisor`]). Nothing is started yet: the supervisor starts its
    /// children in order when it starts, each acknowledged before the next.
    pub fn build(self) -> Result<Supervisor, Error> {
        self.validate()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let mut sup = Supervisor {
            name: Arc::from(self.name.as_deref().unwrap_or("supervisor")),
            strategy: self.strategy,
            auto_shutdown: self.auto_shutdown,
            window: RestartWindow::new(self.intensity),
            dynamic: self.dynamic,
            max_children: self.max_children,
            children: BTreeMap::new(),
            ids: HashMap::new(),
            in_flight: HashMap::new(),
            tx,
            rx: Some(rx),
            events: None,
            phase: Phase::Running,
            exited: watch::Sender::new(None),
            intensity: self.intensity,
            init_ack: None,
        };
        for spec in self.children {
            sup.insert(spec)?;
        }
        Ok(sup)
    }

    /// Builds the supervisor and runs it as a root (no parent) on the current arbiter,
    /// **without waiting** for its children: the synchronous form, for callers that cannot
    /// await. `Ok` means the flags and specs are valid and the supervisor is running; its
    /// children start right after (calls through the handle are answered once they have).
    /// A child that fails to start then makes the supervisor stop its other children and
    /// exit: [`SupervisorRef::started`] and [`SupervisorRef::wait`] tell. Prefer
    /// [`start_async`](Self::start_async).
    pub fn start(self) -> Result<SupervisorRef, Error> {
        Ok(SupervisorRef::start_root(self.build()?))
    }

    /// Builds the supervisor, runs it as a root on the current arbiter and returns once
    /// every child has started and acknowledged (its `started` ran; a nested supervisor
    /// once its own children did), as OTP's `start_link` does. Errors: invalid flags or
    /// specs, or [`Error::FailedToStartChild`] naming the first child that failed (its
    /// factory errored or its `started` panicked) — the children already started were
    /// stopped again, in reverse order, before this returns.
    pub async fn start_async(self) -> Result<SupervisorRef, Error> {
        let sup = self.start()?;
        sup.started().await?;
        Ok(sup)
    }
}

impl Supervisor {
    /// A builder with Elixir's defaults: one-for-one, 3 restarts in 5 s, no auto shutdown.
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder::default()
    }

    /// Keeps `spec` (registering its name, if it has one). Errors: `NameTaken`.
    pub(crate) fn insert(&mut self, mut spec: ChildSpec) -> Result<u64, Error> {
        // Keys are unique in the process, so a dynamic child's id (its key) never matches a
        // child of another supervisor.
        static NEXT_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let key = NEXT_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.dynamic {
            spec.id = ChildId::dynamic(key);
        }
        let mut cell = spec.start.cell();
        if let Some(name) = &spec.name {
            cell = crate::registry::register(name, key, &spec.id, cell)?;
        }
        if !self.dynamic {
            self.ids.insert(spec.id.clone(), key);
        }
        self.children.insert(
            key,
            Child {
                spec,
                state: State::Stopped,
                restarts: 0,
                last_exit: None,
                cell,
                restart_gen: 0,
            },
        );
        Ok(key)
    }

    pub(crate) fn remove(&mut self, key: u64) {
        if let Some(child) = self.children.remove(&key) {
            child.cell.set_down(false);
            if let Some(name) = &child.spec.name {
                crate::registry::unregister(name, key);
            }
            if !self.dynamic {
                self.ids.remove(&child.spec.id);
            }
        }
    }

    pub(crate) fn key_of(&self, id: &ChildId) -> Option<u64> {
        if self.dynamic {
            id.number().filter(|k| self.children.contains_key(k))
        } else {
            self.ids.get(id).copied()
        }
    }

    pub(crate) fn emit(&self, kind: EventKind) {
        if let Some(events) = self.events.as_ref().filter(|e| e.receiver_count() > 0) {
            let _ = events.send(Event {
                supervisor: self.name.clone(),
                kind,
            });
        }
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(rx) = self.rx.take() {
            ctx.add_stream(Reports(rx));
        }
        tracing::debug!(supervisor = %self.name, children = self.children.len(), "supervisor starting its children");
        self.start_children(ctx);
    }

    /// A stop from outside (the parent's shutdown, or the last address dropped) first
    /// stops the children; the supervisor ends when they are gone.
    fn stopping(&mut self, ctx: &mut Context<Self>) -> Running {
        match self.phase {
            Phase::Done => Running::Stop,
            Phase::Running => {
                self.shutdown(ExitReason::Shutdown, ctx);
                // With no child to wait for, the shutdown is already complete.
                if self.phase == Phase::Done {
                    Running::Stop
                } else {
                    Running::Continue
                }
            }
            Phase::ShuttingDown => Running::Continue,
        }
    }
}

impl Drop for Supervisor {
    /// A supervisor dropped (after its stop, or killed) frees its children's names. One
    /// killed without stopping (brutal kill) kills its children — the running
    /// ones and those whose stop was under way — so nothing is left running unsupervised.
    /// Every child's handle then answers `NotRunning`.
    fn drop(&mut self) {
        for (key, child) in &self.children {
            if let State::Running(started) = &child.state {
                started.control.request(crate::child::control::KILL);
            }
            child.cell.set_down(false);
            if let Some(name) = &child.spec.name {
                crate::registry::unregister(name, *key);
            }
        }
        for stopping in self.in_flight.values() {
            stopping.kill();
        }
    }
}

impl StreamHandler<ExitReport> for Supervisor {
    fn handle(&mut self, report: ExitReport, ctx: &mut Context<Self>) {
        self.child_exited(report, ctx);
    }

    fn finished(&mut self, _ctx: &mut Context<Self>) {}
}

/// Exit reports of the children, as a stream the actor handles one by one.
struct Reports(mpsc::UnboundedReceiver<ExitReport>);

impl futures::Stream for Reports {
    type Item = ExitReport;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<ExitReport>> {
        self.0.poll_recv(cx)
    }
}

/// Stops the actor once its shutdown is complete.
pub(crate) fn finish(sup: &mut Supervisor, reason: ExitReason, ctx: &mut Context<Supervisor>) {
    sup.phase = Phase::Done;
    sup.exited.send_replace(Some(reason.clone()));
    crate::exit(reason);
    ctx.stop();
}
