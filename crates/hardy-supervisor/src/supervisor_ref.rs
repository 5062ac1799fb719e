//! The handle callers keep to talk to a supervisor.
//!
//! Wraps the supervisor's `Addr` with one async method per API call, typed answers and
//! [`Error`]s. A root supervisor's handle can also wait for its exit reason.

use std::sync::Arc;

use actix::{Addr, MailboxError};
use tokio::sync::broadcast;

use crate::child::control::Init;
use crate::child::task::launch_root;
use crate::child::Control;
use crate::introspect::{ChildCounts, ChildInfo, Event, SupervisorTree};
use crate::supervisor::{
    CountChildren, DeleteChild, GetCell, GetTree, RestartChild, StartChild, StartChildCell,
    StopSupervisor, Subscribe, TerminateChild, WhichChildren,
};
use crate::{ChildId, ChildRef, ChildSpec, ChildStarted, Error, ExitReason, RefState, Supervisor};

/// A handle to a running [`Supervisor`]. Cheap to clone.
///
/// A handle to a nested supervisor made from its spec ([`ChildSpec::supervisor_ref`]) or
/// from its [`ChildRef`] ([`SupervisorRef::from_child_ref`]) follows its restarts: between
/// incarnations calls answer [`Error::Restarting`] (nothing was sent).
#[derive(Clone, Debug)]
pub struct SupervisorRef {
    target: Target,
    root: Option<Arc<Control>>,
}

#[derive(Clone, Debug)]
enum Target {
    Fixed(Addr<Supervisor>),
    Following(ChildRef<Supervisor>),
}

fn down(_: MailboxError) -> Error {
    Error::SupervisorDown
}

impl SupervisorRef {
    pub(crate) fn start_root(mut sup: Supervisor) -> Self {
        let control = Arc::new(Control::default());
        crate::supervisor::adopt(&mut sup, &control);
        let addr = launch_root(sup, control.clone());
        SupervisorRef {
            target: Target::Fixed(addr),
            root: Some(control),
        }
    }

    pub(crate) fn following(child: ChildRef<Supervisor>) -> Self {
        SupervisorRef {
            target: Target::Following(child),
            root: None,
        }
    }

    /// A handle to a supervisor known by address. The address is one incarnation: prefer
    /// [`from_child_ref`](Self::from_child_ref) for a nested supervisor.
    pub fn from_addr(addr: Addr<Supervisor>) -> Self {
        SupervisorRef {
            target: Target::Fixed(addr),
            root: None,
        }
    }

    /// A handle to a nested supervisor that follows its restarts (its `ChildRef` from the
    /// parent's [`child_ref`](Self::child_ref) or from [`ChildSpec::child_ref`]).
    pub fn from_child_ref(child: ChildRef<Supervisor>) -> Self {
        Self::following(child)
    }

    /// The address of the supervisor's current incarnation, if it runs.
    pub fn addr(&self) -> Option<Addr<Supervisor>> {
        self.current().ok()
    }

    fn current(&self) -> Result<Addr<Supervisor>, Error> {
        match &self.target {
            Target::Fixed(addr) => Ok(addr.clone()),
            Target::Following(child) => match child.state() {
                RefState::Restarting => Err(Error::Restarting(child.id().clone())),
                _ => child.addr().ok_or(Error::SupervisorDown),
            },
        }
    }

    async fn call<M>(&self, msg: M) -> Result<M::Result, Error>
    where
        M: actix::Message + Send + 'static,
        M::Result: Send,
        Supervisor: actix::Handler<M>,
    {
        self.current()?.send(msg).await.map_err(down)
    }

    /// For a root supervisor started with [`SupervisorBuilder::start`]: waits until every
    /// child has been started and has acknowledged (its `started` ran; nested supervisors
    /// once their own children did). Errors: [`Error::FailedToStartChild`] (the children
    /// already started were stopped again, and the supervisor exited). Other handles
    /// answer at once.
    ///
    /// [`SupervisorBuilder::start`]: crate::SupervisorBuilder::start
    pub async fn started(&self) -> Result<(), Error> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        match root.wait_init().await {
            Init::Failed {
                child: Some(id),
                reason,
            } => Err(Error::FailedToStartChild { id, reason }),
            Init::Failed { child: None, .. } => Err(Error::SupervisorDown),
            _ => Ok(()),
        }
    }

    /// Adds and starts a child (OTP `start_child`). Errors: `AlreadyStarted`,
    /// `AlreadyPresent`, `StartFailed` (nothing kept), `InvalidChildSpec`, `MaxChildren`.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<ChildStarted, Error> {
        self.call(StartChild(spec)).await?
    }

    /// Like [`start_child`](Self::start_child), answering a stable handle of type `A`.
    pub async fn start_child_ref<A: actix::Actor>(
        &self,
        spec: ChildSpec,
    ) -> Result<ChildRef<A>, Error> {
        let (started, cell) = self.call(StartChildCell(spec)).await??;
        ChildRef::from_cell(started.id, cell)
    }

    /// Stops a child; its spec is kept unless it is temporary (OTP `terminate_child`).
    pub async fn terminate_child(&self, id: impl Into<ChildId>) -> Result<(), Error> {
        self.call(TerminateChild(id.into())).await?
    }

    /// Starts a kept child that is not running. Errors: `Running`, `Restarting`,
    /// `NotFound`, `StartFailed`.
    pub async fn restart_child(&self, id: impl Into<ChildId>) -> Result<ChildStarted, Error> {
        self.call(RestartChild(id.into())).await?
    }

    /// Forgets a kept child that is not running. Errors: `Running`, `Restarting`,
    /// `NotFound`.
    pub async fn delete_child(&self, id: impl Into<ChildId>) -> Result<(), Error> {
        self.call(DeleteChild(id.into())).await?
    }

    /// The children, newest first.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, Error> {
        self.call(WhichChildren).await
    }

    /// Specs, active children, supervisors, workers.
    pub async fn count_children(&self) -> Result<ChildCounts, Error> {
        self.call(CountChildren).await
    }

    /// The whole tree below this supervisor; nested supervisors answer recursively.
    pub async fn tree(&self) -> Result<SupervisorTree, Error> {
        self.call(GetTree).await
    }

    /// Subscribes to this supervisor's events (starts, exits, restart failures, give-ups).
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<Event>, Error> {
        self.call(Subscribe).await
    }

    /// A stable handle to the child `id`, which must be an actor of type `A`.
    pub async fn child_ref<A: actix::Actor>(
        &self,
        id: impl Into<ChildId>,
    ) -> Result<ChildRef<A>, Error> {
        let id = id.into();
        let cell = self.call(GetCell(id.clone())).await??;
        ChildRef::from_cell(id, cell)
    }

    /// Stops the children in reverse order, then the supervisor; returns when it is done
    /// (at once if it was already stopped).
    pub async fn stop(&self) {
        if let Ok(addr) = self.current() {
            let _ = addr.send(StopSupervisor).await;
        }
        if let Some(root) = &self.root {
            root.wait().await;
        }
    }

    /// For a root supervisor: waits until it has exited and answers why (`Shutdown` after
    /// an escalation or an auto shutdown). `None` for a handle made with `from_addr`.
    pub async fn wait(&self) -> Option<ExitReason> {
        match &self.root {
            Some(root) => Some(root.wait().await),
            None => None,
        }
    }

    /// For a root supervisor: its exit reason if it has exited, without waiting.
    pub fn exit_reason(&self) -> Option<ExitReason> {
        self.root.as_ref().and_then(|r| r.exit())
    }
}
