//! Dynamic supervisors (Elixir `DynamicSupervisor`, Erlang `simple_one_for_one`).
//!
//! One child template, children added at run time with arguments, always one-for-one.
//! The children of a dynamic supervisor have numbered ids, unique in the process, so a
//! handle from another supervisor is never mistaken for one of ours. `max_children` bounds
//! the children (restarting ones count), and shutdown stops all children at once with one
//! timer per distinct timeout — that is what makes stopping 100,000 children fast.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Context};
use actix_rt::ArbiterHandle;

use crate::spec::FnStart;
use crate::{
    ChildId, ChildKind, ChildRef, ChildSpec, Error, Intensity, RestartType, Shutdown, StartError,
    Supervisor, SupervisorRef, DEFAULT_WORKER_SHUTDOWN,
};

type Factory<A, Args> = dyn Fn(Args) -> Result<A, StartError> + Send + Sync;

struct Template<A: Actor, Args> {
    factory: Arc<Factory<A, Args>>,
    restart: RestartType,
    shutdown: Shutdown,
    restart_delay: Duration,
    arbiter: Option<ArbiterHandle>,
}

impl<A: Actor, Args> Clone for Template<A, Args> {
    fn clone(&self) -> Self {
        Template {
            factory: self.factory.clone(),
            restart: self.restart,
            shutdown: self.shutdown,
            restart_delay: self.restart_delay,
            arbiter: self.arbiter.clone(),
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
        let start = FnStart::new(
            Arc::new(move || factory(args.clone())),
            self.arbiter.clone(),
        );
        self.with_flags(ChildSpec::from_start(
            ChildId::dynamic(0),
            ChildKind::Worker,
            Arc::new(start),
        ))
    }

    fn with_flags(&self, spec: ChildSpec) -> ChildSpec {
        spec.restart(self.restart)
            .shutdown(self.shutdown)
            .restart_delay(self.restart_delay)
    }

    /// Checks the template as a child spec would be checked at `start_child`, at build
    /// time (OTP checks a `simple_one_for_one` template in `init`).
    fn check(&self, name: &str, intensity: Intensity) -> Result<(), Error> {
        let start = FnStart::<A>::new(Arc::new(|| Err(StartError::Ignore)), None);
        let spec = self.with_flags(ChildSpec::from_start(
            ChildId::from(format!("{name} template")),
            ChildKind::Worker,
            Arc::new(start),
        ));
        spec.check()?;
        spec.warn_unreachable_intensity(name, intensity);
        Ok(())
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

    /// The shutdown of every child (default 5 s timeout); at shutdown, children with the
    /// same timeout share one deadline.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.template.shutdown = shutdown;
        self
    }

    /// A delay before each restart of a child.
    pub fn restart_delay(mut self, delay: Duration) -> Self {
        self.template.restart_delay = delay;
        self
    }

    /// Runs the children on `arbiter` (another thread) instead of the supervisor's. The
    /// factory is called there, so the children need not be `Send`.
    pub fn on_arbiter(mut self, arbiter: ArbiterHandle) -> Self {
        self.template.arbiter = Some(arbiter);
        self
    }

    /// Validates the template (as `start_child` would check a spec: a zero `Timeout` is
    /// `Error::InvalidChildSpec`) and the flags, and builds the supervisor actor, for use as
    /// the factory of a nested supervisor. Prefer [`child_spec`](Self::child_spec), which
    /// also gives a handle that follows the nested supervisor's restarts.
    pub fn build(&self) -> Result<Supervisor, Error> {
        self.template.check(&self.name, self.intensity)?;
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

    /// A spec that nests this dynamic supervisor under another supervisor, and a typed
    /// handle to it, usable before the tree starts. The handle follows the nested
    /// supervisor across its restarts (each incarnation starts with no children); between
    /// incarnations its calls answer [`Error::Restarting`].
    ///
    /// ```
    /// use actix::prelude::*;
    /// use hardy_supervisor::{DynamicSupervisor, Supervisor};
    ///
    /// struct Session(u32);
    /// impl Actor for Session { type Context = Context<Self>; }
    ///
    /// #[actix_rt::main]
    /// async fn main() {
    ///     let (spec, sessions) = DynamicSupervisor::new(|user: u32| Ok(Session(user)))
    ///         .name("sessions")
    ///         .child_spec("sessions");
    ///     let root = Supervisor::builder().child(spec).start_async().await.unwrap();
    ///     let s = sessions.start_child(7).await.unwrap();
    ///     assert!(s.addr().is_some());
    ///     root.stop().await;
    /// }
    /// ```
    pub fn child_spec(self, id: impl Into<ChildId>) -> (ChildSpec, DynamicRef<A, Args>)
    where
        A: 'static,
        Args: 'static,
    {
        let template = self.template.clone();
        let this = Arc::new(self);
        let spec = ChildSpec::supervisor(id, move || this.build());
        let sup = match spec.supervisor_ref() {
            Ok(sup) => sup,
            Err(_) => unreachable!("a supervisor spec has a supervisor cell"),
        };
        (spec, DynamicRef { sup, template })
    }

    /// Builds and runs it as a root supervisor on the current arbiter.
    pub fn start(self) -> Result<DynamicRef<A, Args>, Error> {
        let sup = SupervisorRef::start_root(self.build()?);
        Ok(self.handle(sup))
    }
}

/// A typed handle to a dynamic supervisor. Cheap to clone. When made by
/// [`DynamicSupervisor::child_spec`] it follows the nested supervisor across restarts.
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

    /// The untyped supervisor handle (tree, events, ...); also reachable through `Deref`.
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.sup
    }
}

/// The untyped supervisor API (`which_children`, `count_children`, `tree`, `subscribe`,
/// `stop`, `wait`, ...) is [`SupervisorRef`]'s, shared with [`PartitionRef`](crate::PartitionRef).
impl<A: Actor, Args> Deref for DynamicRef<A, Args> {
    type Target = SupervisorRef;

    fn deref(&self) -> &SupervisorRef {
        &self.sup
    }
}
