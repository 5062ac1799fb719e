//! Child specs: what a supervisor needs to know to start, restart and stop one child.
//!
//! A spec is data plus a start factory — a closure that builds the actor. The factory is
//! called again for every restart, so any `A: Actor<Context = Context<A>>` can be a child
//! with no trait to implement. Specs are `Clone` (the factory is shared) and `Send`, so they
//! can be handed to a supervisor running anywhere.

use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Context};
use actix_rt::ArbiterHandle;
use tokio::sync::mpsc::UnboundedSender;

use crate::child::task::{launch_local, launch_on, panic_message};
use crate::child::{Control, ExitReport, Reporter};
use crate::child_ref::{Cell, ChildCell};
use crate::{ChildId, Error, Pid, Supervisor};

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

/// A running incarnation, as the supervisor keeps it.
pub(crate) struct Started {
    pub(crate) pid: Pid,
    pub(crate) control: Arc<Control>,
    pub(crate) supervisor: Option<Addr<Supervisor>>,
}

/// The type-erased start side of a spec.
pub(crate) trait Start: Send + Sync + 'static {
    fn new_cell(&self) -> Arc<dyn Cell>;
    fn start(
        &self,
        cell: &dyn Cell,
        tx: &UnboundedSender<ExitReport>,
        key: u64,
    ) -> Result<Started, StartError>;
}

pub(crate) type Launch<A> =
    fn(A, Option<&ArbiterHandle>, Arc<Control>, Option<Reporter>) -> Result<Addr<A>, String>;

pub(crate) struct FnStart<A: Actor, F> {
    pub(crate) factory: F,
    pub(crate) arbiter: Option<ArbiterHandle>,
    pub(crate) launch: Launch<A>,
}

impl<A, F> Start for FnStart<A, F>
where
    A: Actor<Context = Context<A>>,
    F: Fn() -> Result<A, StartError> + Send + Sync + 'static,
{
    fn new_cell(&self) -> Arc<dyn Cell> {
        Arc::new(ChildCell::<A>::new())
    }

    fn start(
        &self,
        cell: &dyn Cell,
        tx: &UnboundedSender<ExitReport>,
        key: u64,
    ) -> Result<Started, StartError> {
        let actor = catch_unwind(AssertUnwindSafe(&self.factory)).map_err(|p| {
            StartError::Failed(format!(
                "start factory panicked: {}",
                panic_message(p.as_ref())
            ))
        })??;
        let pid = Pid::next();
        let control = Arc::new(Control::default());
        let reporter = Reporter {
            tx: tx.clone(),
            key,
            pid,
        };
        let addr = (self.launch)(
            actor,
            self.arbiter.as_ref(),
            control.clone(),
            Some(reporter),
        )
        .map_err(StartError::Failed)?;
        let supervisor = (&addr as &dyn Any)
            .downcast_ref::<Addr<Supervisor>>()
            .cloned();
        if let Some(cell) = cell.as_any().downcast_ref::<ChildCell<A>>() {
            cell.set_running(addr, pid);
        }
        Ok(Started {
            pid,
            control,
            supervisor,
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
            Arc::new(FnStart {
                factory,
                arbiter: None,
                launch: launch_local::<A>,
            }),
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

    /// A worker built by `factory` on the supervisor's thread and run on `arbiter` (another
    /// thread). Exits, panics included, are observed the same way.
    pub fn worker_on<A, F>(arbiter: ArbiterHandle, id: impl Into<ChildId>, factory: F) -> Self
    where
        A: Actor<Context = Context<A>> + Send,
        F: Fn() -> Result<A, StartError> + Send + Sync + 'static,
    {
        Self::from_start(
            id.into(),
            ChildKind::Worker,
            Arc::new(FnStart {
                factory,
                arbiter: Some(arbiter),
                launch: launch_on::<A>,
            }),
        )
    }

    /// A nested supervisor, built by `factory` (typically `|| Supervisor::builder()...build()`).
    /// Permanent, shutdown `Infinity`.
    pub fn supervisor<F>(id: impl Into<ChildId>, factory: F) -> Self
    where
        F: Fn() -> Result<Supervisor, Error> + Send + Sync + 'static,
    {
        Self::new(id, ChildKind::Supervisor, move || {
            factory().map_err(StartError::from)
        })
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
        }
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
    let mut seen = HashSet::new();
    for spec in specs {
        spec.check()?;
        if !seen.insert(&spec.id) {
            return Err(Error::InvalidChildSpec {
                id: spec.id.to_string(),
                problem: "duplicate id — every child of a supervisor needs its own id".into(),
            });
        }
    }
    Ok(())
}
