//! Dynamic supervisors (Elixir `DynamicSupervisor`, Erlang `simple_one_for_one`).
//!
//! One child template, children added at run time with arguments, always one-for-one.
//! The children of a dynamic supervisor have numbered ids, unique in the process, so a
//! handle from another supervisor is never mistaken for one of ours. `max_children` bounds
//! the children (restarting ones count), and shutdown stops all children at once with one
//! shared deadline — that is what makes stopping 100,000 children fast.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Context};
use actix_rt::ArbiterHandle;

use crate::child::task::{launch_local, launch_on};
use crate::spec::{FnStart, Launch};
use crate::{
    ChildCounts, ChildId, ChildInfo, ChildKind, ChildRef, ChildSpec, Error, ExitReason, Intensity,
    RestartType, Shutdown, StartError, Supervisor, SupervisorRef, DEFAULT_WORKER_SHUTDOWN,
};

type Factory<A, Args> = dyn Fn(Args) -> Result<A, StartError> + Send + Sync;

struct Template<A: Actor, Args> {
    factory: Arc<Factory<A, Args>>,
    restart: RestartType,
    shutdown: Shutdown,
    restart_delay: Duration,
    arbiter: Option<ArbiterHandle>,
    launch: Launch<A>,
}

impl<A: Actor, Args> Clone for Template<A, Args> {
    fn clone(&self) -> Self {
        Template {
            factory: self.factory.clone(),
            restart: self.restart,
            shutdown: self.shutdown,
            restart_delay: self.restart_delay,
            arbiter: self.arbiter.clone(),
            launch: self.launch,
        }
    }
}

impl<A, Args> Template<A, Args>
where
    A: Actor<Context = Context<A>>,
    Args: Clone + Send + Sync + 'static,
{
    fn spec(&self, args: Args) -> ChildSpec {
        let factory = self.factory.clone();
        let start = FnStart {
            factory: move || factory(args.clone()),
            arbiter: self.arbiter.clone(),
            launch: self.launch,
        };
        ChildSpec::from_start(ChildId::dynamic(0), ChildKind::Worker, Arc::new(start))
            .restart(self.restart)
            .shutdown(self.shutdown)
            .restart_delay(self.restart_delay)
    }
}

/// Builds a dynamic supervisor whose children are built by `factory(args)`.
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::DynamicSupervisor;
///
/// struct Session(u32);
/// impl Actor for Session { type Context = Context<Self>; }
///
/// #[actix_rt::main]
/// async fn main() {
///     let sup = DynamicSupervisor::new(|user: u32| Ok(Session(user)))
///         .max_children(10_000)
///         .start()
///         .unwrap();
///     let child = sup.start_child(7).await.unwrap();
///     assert!(child.addr().is_some());
///     sup.terminate_child(&child).await.unwrap();
///     assert_eq!(sup.count_children().await.unwrap().specs, 0);
///     sup.stop().await;
/// }
/// ```
#[must_use]
pub struct DynamicSupervisor<A: Actor, Args> {
    template: Template<A, Args>,
    name: String,
    intensity: Intensity,
    max_children: Option<usize>,
}

impl<A, Args> DynamicSupervisor<A, Args>
where
    A: Actor<Context = Context<A>>,
    Args: Clone + Send + Sync + 'static,
{
    /// A dynamic supervisor of workers built by `factory(args)`: permanent, 5 s shutdown,
    /// intensity 3 in 5 s, no `max_children`.
    pub fn new<F>(factory: F) -> Self
    where
        F: Fn(Args) -> Result<A, StartError> + Send + Sync + 'static,
    {
        DynamicSupervisor {
            template: Template {
                factory: Arc::new(factory),
                restart: RestartType::Permanent,
                shutdown: DEFAULT_WORKER_SHUTDOWN,
                restart_delay: Duration::ZERO,
                arbiter: None,
                launch: launch_local::<A>,
            },
            name: "dynamic_supervisor".into(),
            intensity: Intensity::default(),
            max_children: None,
        }
    }

    /// The name in tracing events and introspection.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Restart intensity (default 3 in 5 s).
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity::new(max_restarts, period);
        self
    }

    /// At most this many children (restarting ones count); more is `Error::MaxChildren`.
    pub fn max_children(mut self, max: usize) -> Self {
        self.max_children = Some(max);
        self
    }

    /// The restart type of every child (default permanent).
    pub fn restart(mut self, restart: RestartType) -> Self {
        self.template.restart = restart;
        self
    }

    /// The shutdown of every child (default 5 s timeout); shared deadline at shutdown.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.template.shutdown = shutdown;
        self
    }

    /// A delay before each restart of a child.
    pub fn restart_delay(mut self, delay: Duration) -> Self {
        self.template.restart_delay = delay;
        self
    }

    /// Builds the supervisor actor, for use as the factory of a nested supervisor; reach it
    /// later with [`DynamicSupervisor::handle`].
    pub fn build(&self) -> Result<Supervisor, Error> {
        Supervisor::builder()
            .name(self.name.clone())
            .intensity(self.intensity.max_restarts, self.intensity.period)
            .dynamic(self.max_children)
            .build()
    }

    /// A typed handle to a running dynamic supervisor built from this template.
    pub fn handle(&self, supervisor: SupervisorRef) -> DynamicRef<A, Args> {
        DynamicRef {
            sup: supervisor,
            template: self.template.clone(),
        }
    }

    /// Builds and runs it as a root supervisor on the current arbiter.
    pub fn start(self) -> Result<DynamicRef<A, Args>, Error> {
        let sup = SupervisorRef::start_root(self.build()?);
        Ok(self.handle(sup))
    }
}

impl<A, Args> DynamicSupervisor<A, Args>
where
    A: Actor<Context = Context<A>> + Send,
    Args: Clone + Send + Sync + 'static,
{
    /// Runs the children on `arbiter` (another thread) instead of the supervisor's.
    pub fn on_arbiter(mut self, arbiter: ArbiterHandle) -> Self {
        self.template.arbiter = Some(arbiter);
        self.template.launch = launch_on::<A>;
        self
    }
}

/// A typed handle to a running dynamic supervisor. Cheap to clone.
pub struct DynamicRef<A: Actor, Args> {
    sup: SupervisorRef,
    template: Template<A, Args>,
}

impl<A: Actor, Args> Clone for DynamicRef<A, Args> {
    fn clone(&self) -> Self {
        DynamicRef {
            sup: self.sup.clone(),
            template: self.template.clone(),
        }
    }
}

impl<A, Args> DynamicRef<A, Args>
where
    A: Actor<Context = Context<A>>,
    Args: Clone + Send + Sync + 'static,
{
    /// Starts a child built by `factory(args)` and answers its stable handle.
    /// Errors: `MaxChildren`, `StartFailed`; a factory answering `Ignore` gives a handle in
    /// state `Stopped` and nothing is kept.
    pub async fn start_child(&self, args: Args) -> Result<ChildRef<A>, Error> {
        self.sup.start_child_ref(self.template.spec(args)).await
    }

    /// Stops the child and forgets it. A handle of another supervisor's child: `NotFound`.
    pub async fn terminate_child(&self, child: &ChildRef<A>) -> Result<(), Error> {
        self.sup.terminate_child(child.id().clone()).await
    }

    /// The children, newest first.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, Error> {
        self.sup.which_children().await
    }

    /// Specs, active, supervisors, workers.
    pub async fn count_children(&self) -> Result<ChildCounts, Error> {
        self.sup.count_children().await
    }

    /// The untyped supervisor handle (tree, events, ...).
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.sup
    }

    /// Stops all children at once (one shared deadline), then the supervisor.
    pub async fn stop(&self) {
        self.sup.stop().await
    }

    /// For a root supervisor: waits for its exit reason.
    pub async fn wait(&self) -> Option<ExitReason> {
        self.sup.wait().await
    }
}
