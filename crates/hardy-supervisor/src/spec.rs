//! Child specs: what a supervisor needs to know to start, restart and stop one child.
//!
//! A spec is data plus a start factory — a closure that builds the actor. The factory is
//! called again for every restart, so any `A: Actor<Context = Context<A>>` can be a child
//! with no trait to implement. Specs are `Clone` (the factory is shared) and `Send`, so they
//! can be handed to a supervisor running anywhere.

use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Context};
use actix_rt::ArbiterHandle;
use tokio::sync::mpsc::UnboundedSender;

use crate::child::task::{build, launch_local, launch_on, Factory};
use crate::child::{Control, ExitReport, Reporter};
use crate::child_ref::{Cell, ChildCell};

use crate::{AutoShutdown, ChildId, ChildRef, Error, Intensity, Pid, Supervisor, SupervisorRef};

/// When a child is restarted after it exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartType {
    /// Always restarted, even after a normal exit.
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit (not `Normal`, `Shutdown`, `ShutdownWith`).
    Transient,
    /// Never restarted; its spec is forgotten when it exits.
    Temporary,
}

/// How a child is stopped by its supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Killed at once: its `stopping`/`stopped` hooks do not run, only its `Drop`.
    BrutalKill,
    /// Asked to stop (`ctx.stop()`), then killed if it has not stopped after this long.
    Timeout(Duration),
    /// Asked to stop, and waited for however long it takes (the default for supervisors).
    Infinity,
}

/// Whether a child is a worker or a supervisor (OTP's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// A plain actor.
    Worker,
    /// A [`Supervisor`] (also dynamic and partition supervisors).
    Supervisor,
}

/// Why a start factory did not produce an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// OTP's `ignore`: nothing to run now. The spec is kept with no running child
    /// (a temporary child's spec is dropped).
    Ignore,
    /// The child could not be built; the text says why.
    Failed(String),
}

impl StartError {
    /// A failure from any displayable error.
    pub fn failed(err: impl fmt::Display) -> Self {
        StartError::Failed(err.to_string())
    }
}

impl From<Error> for StartError {
    fn from(err: Error) -> Self {
        StartError::Failed(err.to_string())
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Ignore => f.write_str("ignore"),
            StartError::Failed(r) => f.write_str(r),
        }
    }
}

/// A launched incarnation, as the supervisor keeps it.
pub(crate) struct Started {
    pub(crate) pid: Pid,
    pub(crate) control: Arc<Control>,
    pub(crate) supervisor: Option<Addr<Supervisor>>,
    /// Writes the new address into the child's cell; called once the start is
    /// acknowledged, so a handle never reaches an incarnation that failed to start.
    pub(crate) publish: Option<Box<dyn FnOnce() + Send>>,
}

/// The type-erased start side of a spec.
pub(crate) trait Start: Send + Sync + 'static {
    /// The cell behind the child's handles; the same for every clone of the spec, so a
    /// handle taken before the start follows every incarnation.
    fn cell(&self) -> Arc<dyn Cell>;
    /// Launches an incarnation that publishes itself into `cell` (the spec's own, or the
    /// cell of its registered name) once its start is acknowledged.
    fn start(
        &self,
        cell: Arc<dyn Cell>,
        tx: &UnboundedSender<ExitReport>,
        key: u64,
    ) -> Result<Started, StartError>;
}

pub(crate) struct FnStart<A: Actor> {
    pub(crate) factory: Arc<Factory<A>>,
    pub(crate) arbiter: Option<ArbiterHandle>,
    pub(crate) cell: Arc<ChildCell<A>>,
}

impl<A: Actor<Context = Context<A>>> FnStart<A> {
    pub(crate) fn new(factory: Arc<Factory<A>>, arbiter: Option<ArbiterHandle>) -> Self {
        FnStart {
            factory,
            arbiter,
            cell: Arc::new(ChildCell::new()),
        }
    }
}

impl<A: Actor<Context = Context<A>>> Start for FnStart<A> {
    fn cell(&self) -> Arc<dyn Cell> {
        self.cell.clone()
    }

    fn start(
        &self,
        cell: Arc<dyn Cell>,
        tx: &UnboundedSender<ExitReport>,
        key: u64,
    ) -> Result<Started, StartError> {
        let cell = cell
            .into_any()
            .downcast::<ChildCell<A>>()
            .unwrap_or_else(|_| self.cell.clone());
        let pid = Pid::next();
        let control = Arc::new(Control::default());
        let reporter = Reporter {
            tx: tx.clone(),
            key,
            pid,
        };
        let addr = match &self.arbiter {
            None => {
                let mut actor = build(&*self.factory)?;
                crate::supervisor::adopt(&mut actor, &control);
                launch_local(actor, control.clone(), Some(reporter))
            }
            Some(arbiter) => launch_on(
                arbiter,
                self.factory.clone(),
                control.clone(),
                Some(reporter),
            )
            .map_err(StartError::Failed)?,
        };
        let supervisor = (&addr as &dyn Any)
            .downcast_ref::<Addr<Supervisor>>()
            .cloned();
        Ok(Started {
            pid,
            control,
            supervisor,
            publish: Some(Box::new(move || cell.set_running(addr, pid))),
        })
    }
}

/// Everything a supervisor needs to run one child (OTP's `child_spec`).
///
/// ```
/// use std::time::Duration;
/// use actix::prelude::*;
/// use hardy_supervisor::{ChildSpec, RestartType, Shutdown};
///
/// struct Worker;
/// impl Actor for Worker { type Context = Context<Self>; }
///
/// let spec = ChildSpec::worker("cache", || Ok(Worker))
///     .restart(RestartType::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(1)))
///     .restart_delay(Duration::from_millis(100));
/// assert_eq!(spec.id().to_string(), "cache");
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    pub(crate) id: ChildId,
    pub(crate) start: Arc<dyn Start>,
    pub(crate) restart: RestartType,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) significant: bool,
    pub(crate) restart_delay: Duration,
    pub(crate) name: Option<Arc<str>>,
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("significant", &self.significant)
            .field("restart_delay", &self.restart_delay)
            .field("name", &self.name)
            .finish()
    }
}

/// The default shutdown of a worker: ask, then kill after 5 seconds.
pub const DEFAULT_WORKER_SHUTDOWN: Shutdown = Shutdown::Timeout(Duration::from_secs(5));

impl ChildSpec {
    /// A child of `kind` built by `factory` on the supervisor's arbiter.
    pub fn new<A, F>(id: impl Into<ChildId>, kind: ChildKind, factory: F) -> Self
    where
        A: Actor<Context = Context<A>>,
        F: Fn() -> Result<A, StartError> + Send + Sync + 'static,
    {
        Self::from_start(
            id.into(),
            kind,
            Arc::new(FnStart::new(Arc::new(factory), None)),
        )
    }

    /// A worker built by `factory`, run on the supervisor's arbiter. Permanent, 5 s
    /// shutdown timeout.
    pub fn worker<A, F>(id: impl Into<ChildId>, factory: F) -> Self
    where
        A: Actor<Context = Context<A>>,
        F: Fn() -> Result<A, StartError> + Send + Sync + 'static,
    {
        Self::new(id, ChildKind::Worker, factory)
    }

    /// A worker run on `arbiter` (another thread). The factory is called *there*, so the
    /// actor never crosses threads and need not be `Send` (an actor holding `Rc`s can be
    /// placed anywhere); a factory error or a panic in its `started` still fails the start,
    /// and exits, panics included, are observed as for a local child.
    pub fn worker_on<A, F>(arbiter: ArbiterHandle, id: impl Into<ChildId>, factory: F) -> Self
    where
        A: Actor<Context = Context<A>>,
        F: Fn() -> Result<A, StartError> + Send + Sync + 'static,
    {
        Self::from_start(
            id.into(),
            ChildKind::Worker,
            Arc::new(FnStart::new(Arc::new(factory), Some(arbiter))),
        )
    }

    /// A nested supervisor, built by `factory` (typically `|| Supervisor::builder()...build()`).
    /// Permanent, shutdown `Infinity`. Its start is acknowledged once its own children
    /// are started.
    pub fn supervisor<F>(id: impl Into<ChildId>, factory: F) -> Self
    where
        F: Fn() -> Result<Supervisor, Error> + Send + Sync + 'static,
    {
        Self::new(id, ChildKind::Supervisor, move || {
            factory().map_err(StartError::from)
        })
    }

    /// A nested supervisor run on `arbiter` (another thread), built there by `factory`;
    /// its children run on that arbiter too unless their specs place them elsewhere.
    pub fn supervisor_on<F>(arbiter: ArbiterHandle, id: impl Into<ChildId>, factory: F) -> Self
    where
        F: Fn() -> Result<Supervisor, Error> + Send + Sync + 'static,
    {
        let factory = move || factory().map_err(StartError::from);
        Self::from_start(
            id.into(),
            ChildKind::Supervisor,
            Arc::new(FnStart::new(Arc::new(factory), Some(arbiter))),
        )
    }

    /// A stable handle to this spec's child, usable before the supervisor starts: it
    /// answers `NotRunning` until the child is started (`Restarting` while a start or a
    /// restart is under way), then follows every incarnation (like a
    /// handle from [`SupervisorRef::child_ref`](crate::SupervisorRef::child_ref)). Every
    /// clone of the spec shares it, so a nested supervisor rebuilt from the same specs on
    /// restart keeps the handles valid. Errors: [`Error::WrongType`] when `A` is not the
    /// actor the factory builds.
    ///
    /// ```
    /// use actix::prelude::*;
    /// use hardy_supervisor::{ChildRef, ChildSpec, Supervisor};
    ///
    /// struct Cache;
    /// impl Actor for Cache { type Context = Context<Self>; }
    ///
    /// #[actix_rt::main]
    /// async fn main() {
    ///     let spec = ChildSpec::worker("cache", || Ok(Cache));
    ///     let cache: ChildRef<Cache> = spec.child_ref().unwrap();
    ///     let sup = Supervisor::builder().child(spec).start_async().await.unwrap();
    ///     assert!(cache.addr().is_some());
    ///     sup.stop().await;
    /// }
    /// ```
    pub fn child_ref<A: Actor>(&self) -> Result<ChildRef<A>, Error> {
        ChildRef::from_cell(self.id.clone(), self.start.cell().into_any())
    }

    /// For a supervisor spec: a handle to the nested supervisor that follows its
    /// restarts (see [`child_ref`](Self::child_ref)); between incarnations its calls answer
    /// [`Error::Restarting`]. Errors: [`Error::WrongType`] for a worker spec.
    pub fn supervisor_ref(&self) -> Result<SupervisorRef, Error> {
        Ok(SupervisorRef::following(self.child_ref::<Supervisor>()?))
    }

    pub(crate) fn from_start(id: ChildId, kind: ChildKind, start: Arc<dyn Start>) -> Self {
        ChildSpec {
            id,
            start,
            restart: RestartType::Permanent,
            shutdown: match kind {
                ChildKind::Worker => DEFAULT_WORKER_SHUTDOWN,
                ChildKind::Supervisor => Shutdown::Infinity,
            },
            kind,
            significant: false,
            restart_delay: Duration::ZERO,
            name: None,
        }
    }

    /// Registers the child under `name` while a supervisor keeps its spec, so code
    /// anywhere can reach it with [`whereis`](crate::whereis) (a handle that follows its
    /// restarts). A name already held by another kept spec fails the start
    /// ([`Error::NameTaken`]).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(Arc::from(name.into()));
        self
    }

    /// Sets the restart type (default permanent).
    pub fn restart(mut self, restart: RestartType) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped (default: 5 s timeout for workers, infinity for
    /// supervisors).
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Marks the child significant for `auto_shutdown` (transient or temporary only).
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Waits this long before each restart of this child (a backoff, counted apart from
    /// restart intensity). Default: none.
    pub fn restart_delay(mut self, delay: Duration) -> Self {
        self.restart_delay = delay;
        self
    }

    /// The child's id.
    pub fn id(&self) -> &ChildId {
        &self.id
    }

    /// Worker or supervisor.
    pub fn kind(&self) -> ChildKind {
        self.kind
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        let invalid = |problem: &str| Error::InvalidChildSpec {
            id: self.id.to_string(),
            problem: problem.to_owned(),
        };
        if self.id.name() == Some("") {
            return Err(invalid("missing id — give every child a non-empty id"));
        }
        if self.name.as_deref() == Some("") {
            return Err(invalid(
                "empty registered name — give a non-empty name or none",
            ));
        }
        if self.shutdown == Shutdown::Timeout(Duration::ZERO) {
            return Err(invalid(
                "invalid shutdown: a zero timeout — use Shutdown::BrutalKill to kill at once",
            ));
        }
        if self.significant && self.restart == RestartType::Permanent {
            return Err(invalid(
                "a permanent child cannot be significant — make it transient or temporary",
            ));
        }
        Ok(())
    }

    /// [`check`](Self::check) under a supervisor with `auto_shutdown`: as in OTP, a
    /// significant child needs an auto shutdown other than `Never`.
    pub(crate) fn check_for(&self, auto_shutdown: AutoShutdown) -> Result<(), Error> {
        self.check()?;
        if self.significant && auto_shutdown == AutoShutdown::Never {
            return Err(Error::InvalidChildSpec {
                id: self.id.to_string(),
                problem: "a significant child needs auto_shutdown AnySignificant or \
                          AllSignificant — with Never its exit could never matter"
                    .into(),
            });
        }
        Ok(())
    }

    /// Warns when this child's restart delay makes `intensity` unreachable: restarts
    /// spaced `delay` apart can never put `max_restarts + 1` of them within `period`, so a
    /// child that cannot start would be retried forever instead of escalating.
    pub(crate) fn warn_unreachable_intensity(&self, supervisor: &str, intensity: Intensity) {
        if delay_disables_escalation(self.restart_delay, intensity) {
            tracing::warn!(
                supervisor = %supervisor,
                child = %self.id,
                restart_delay_ms = self.restart_delay.as_millis() as u64,
                max_restarts = intensity.max_restarts,
                period_ms = intensity.period.as_millis() as u64,
                "restart delay × max_restarts ≥ period: this child alone can never reach the \
                 restart intensity, so it never escalates — shorten the delay or the period"
            );
        }
    }
}

/// The rule behind [`ChildSpec::warn_unreachable_intensity`]: `delay × max_restarts ≥
/// period` (and a delay at all; with `max_restarts = 0` the first restart is fatal anyway).
pub(crate) fn delay_disables_escalation(delay: Duration, intensity: Intensity) -> bool {
    if delay.is_zero() || intensity.max_restarts == 0 {
        return false;
    }
    delay
        .checked_mul(intensity.max_restarts)
        .map_or(true, |span| span >= intensity.period)
}

/// Checks a list of specs and returns the first error: missing id, invalid shutdown,
/// duplicate id, permanent and significant (OTP's `check_childspecs`).
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::{check_childspecs, ChildSpec, Error};
///
/// struct W;
/// impl Actor for W { type Context = Context<Self>; }
///
/// let specs = [ChildSpec::worker("a", || Ok(W)), ChildSpec::worker("a", || Ok(W))];
/// assert!(matches!(check_childspecs(&specs), Err(Error::InvalidChildSpec { .. })));
/// ```
pub fn check_childspecs(specs: &[ChildSpec]) -> Result<(), Error> {
    check(specs, None)
}

/// [`check_childspecs`] for a supervisor with `auto_shutdown` (OTP's
/// `check_childspecs/2`): also rejects a significant child when `auto_shutdown` is
/// `Never`, as OTP does.
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::{check_childspecs_for, AutoShutdown, ChildSpec, RestartType};
///
/// struct W;
/// impl Actor for W { type Context = Context<Self>; }
///
/// let s = [ChildSpec::worker("s", || Ok(W)).restart(RestartType::Transient).significant(true)];
/// assert!(check_childspecs_for(&s, AutoShutdown::Never).is_err());
/// assert!(check_childspecs_for(&s, AutoShutdown::AnySignificant).is_ok());
/// ```
pub fn check_childspecs_for(specs: &[ChildSpec], auto_shutdown: AutoShutdown) -> Result<(), Error> {
    check(specs, Some(auto_shutdown))
}

fn check(specs: &[ChildSpec], auto_shutdown: Option<AutoShutdown>) -> Result<(), Error> {
    let mut seen = HashSet::new();
    let mut names = HashSet::new();
    for spec in specs {
        if let Some(name) = &spec.name {
            if !names.insert(name) {
                return Err(Error::NameTaken(name.to_string()));
            }
        }
        match auto_shutdown {
            Some(a) => spec.check_for(a)?,
            None => spec.check()?,
        }
        if !seen.insert(&spec.id) {
            return Err(Error::InvalidChildSpec {
                id: spec.id.to_string(),
                problem: "duplicate id — every child of a supervisor needs its own id".into(),
            });
        }
    }
    Ok(())
}
