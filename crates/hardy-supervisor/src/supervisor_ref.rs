//! The handle callers keep to talk to a supervisor.
//!
//! Wraps the supervisor's `Addr` with one async method per API call, typed answers and
//! [`Error`]s. A root supervisor's handle can also wait for its exit reason.

use std::sync::Arc;

use actix::{Addr, MailboxError};
use tokio::sync::broadcast;

use crate::child::task::launch_root;
use crate::child::Control;
use crate::introspect::{ChildCounts, ChildInfo, Event, SupervisorTree};
use crate::supervisor::{
    CountChildren, DeleteChild, GetCell, GetTree, RestartChild, StartChild, StartChildCell,
    StopSupervisor, Subscribe, TerminateChild, WhichChildren,
};
use crate::{ChildId, ChildRef, ChildSpec, ChildStarted, Error, ExitReason, Supervisor};

/// A handle to a running [`Supervisor`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SupervisorRef {
    addr: Addr<Supervisor>,
    root: Option<Arc<Control>>,
}

fn down(_: MailboxError) -> Error {
    Error::SupervisorDown
}

impl SupervisorRef {
    pub(crate) fn start_root(sup: Supervisor) -> Self {
        let control = Arc::new(Control::default());
        let addr = launch_root(sup, control.clone());
        SupervisorRef {
            addr,
            root: Some(control),
        }
    }

    /// A handle to a supervisor known by address (e.g. a nested supervisor, from
    /// `ChildRef::<Supervisor>::addr`).
    pub fn from_addr(addr: Addr<Supervisor>) -> Self {
        SupervisorRef { addr, root: None }
    }

    /// The supervisor's address.
    pub fn addr(&self) -> &Addr<Supervisor> {
        &self.addr
    }

    /// Adds and starts a child (OTP `start_child`). Errors: `AlreadyStarted`,
    /// `AlreadyPresent`, `StartFailed` (nothing kept), `InvalidChildSpec`, `MaxChildren`.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<ChildStarted, Error> {
        self.addr.send(StartChild(spec)).await.map_err(down)?
    }

    /// Like [`start_child`](Self::start_child), answering a stable handle of type `A`.
    pub async fn start_child_ref<A: actix::Actor>(
        &self,
        spec: ChildSpec,
    ) -> Result<ChildRef<A>, Error> {
        let (started, cell) = self.addr.send(StartChildCell(spec)).await.map_err(down)??;
        ChildRef::from_cell(started.id, cell)
    }

    /// Stops a child; its spec is kept unless it is temporary (OTP `terminate_child`).
    pub async fn terminate_child(&self, id: impl Into<ChildId>) -> Result<(), Error> {
        self.addr
            .send(TerminateChild(id.into()))
            .await
            .map_err(down)?
    }

    /// Starts a kept child that is not running. Errors: `Running`, `Restarting`,
    /// `NotFound`, `StartFailed`.
    pub async fn restart_child(&self, id: impl Into<ChildId>) -> Result<ChildStarted, Error> {
        self.addr
            .send(RestartChild(id.into()))
            .await
            .map_err(down)?
    }

    /// Forgets a kept child that is not running. Errors: `Running`, `Restarting`,
    /// `NotFound`.
    pub async fn delete_child(&self, id: impl Into<ChildId>) -> Result<(), Error> {
        self.addr.send(DeleteChild(id.into())).await.map_err(down)?
    }

    /// The children, newest first.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, Error> {
        self.addr.send(WhichChildren).await.map_err(down)
    }

    /// Specs, active children, supervisors, workers.
    pub async fn count_children(&self) -> Result<ChildCounts, Error> {
        self.addr.send(CountChildren).await.map_err(down)
    }

    /// The whole tree below this supervisor; nested supervisors answer recursively.
    pub async fn tree(&self) -> Result<SupervisorTree, Error> {
        self.addr.send(GetTree).await.map_err(down)
    }

    /// Subscribes to this supervisor's events (starts, exits, restart failures, give-ups).
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<Event>, Error> {
        self.addr.send(Subscribe).await.map_err(down)
    }

    /// A stable handle to the child `id`, which must be an actor of type `A`.
    pub async fn child_ref<A: actix::Actor>(
        &self,
        id: impl Into<ChildId>,
    ) -> Result<ChildRef<A>, Error> {
        let id = id.into();
        let cell = self.addr.send(GetCell(id.clone())).await.map_err(down)??;
        ChildRef::from_cell(id, cell)
    }

    /// Stops the children in reverse order, then the supervisor; returns when it is done
    /// (at once if it was already stopped).
    pub async fn stop(&self) {
        let _ = self.addr.send(StopSupervisor).await;
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
