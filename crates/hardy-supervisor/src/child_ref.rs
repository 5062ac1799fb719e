//! Stable handles: a [`ChildRef`] always reaches the current incarnation of a child.
//!
//! A restarted child is a new actor with a new `Addr`; an `Addr` kept by a caller would go
//! stale at the first crash. The supervisor owns one cell per child and writes the new
//! address into it on every restart; a `ChildRef` reads the cell on each call.
//!
//! # A message that races a restart
//!
//! There is no hidden retry: a message handed to an incarnation that then dies may or may
//! not have been handled (it may be the very message that made it crash), so resending it is
//! the caller's decision. [`ChildRef::send`] answers:
//! - [`Error::Restarting`] when the child is between incarnations at the time of the call
//!   (nothing was sent — safe to retry);
//! - [`Error::Closed`] when the incarnation ended before answering (sent, outcome unknown —
//!   retry only idempotent messages);
//! - [`Error::NotRunning`] when the child is terminated or its supervisor is gone.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex};

use actix::dev::ToEnvelope;
use actix::{Actor, Addr, Handler, MailboxError, Message};

use crate::{ChildId, Error, Pid};

/// Where a child is, as seen through its handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefState {
    /// An incarnation is running.
    Running(Pid),
    /// Between incarnations: the supervisor is restarting it.
    Restarting,
    /// Not running: terminated, ignored at start, or its supervisor is gone.
    Stopped,
}

enum Slot<A: Actor> {
    Running(Addr<A>, Pid),
    Restarting,
    Stopped,
}

/// The type-erased side of a child's cell, as the supervisor sees it.
pub(crate) trait Cell: Send + Sync + 'static {
    fn set_down(&self, restarting: bool);
    /// Like `set_down`, answering the address the cell held, if any. The supervisor keeps
    /// it while it stops the child: an actor whose last address is gone stops by itself,
    /// which would jump the stop order and skip its `Shutdown`.
    fn take_down(&self, restarting: bool) -> Option<Box<dyn Any + Send>>;
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// The shared cell behind every [`ChildRef`] of one child.
pub(crate) struct ChildCell<A: Actor> {
    slot: Mutex<Slot<A>>,
}

impl<A: Actor> ChildCell<A> {
    pub(crate) fn new() -> Self {
        ChildCell {
            slot: Mutex::new(Slot::Stopped),
        }
    }

    pub(crate) fn set_running(&self, addr: Addr<A>, pid: Pid) {
        *self.lock() = Slot::Running(addr, pid);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot<A>> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<A: Actor> Cell for ChildCell<A> {
    fn set_down(&self, restarting: bool) {
        *self.lock() = if restarting {
            Slot::Restarting
        } else {
            Slot::Stopped
        };
    }

    fn take_down(&self, restarting: bool) -> Option<Box<dyn Any + Send>> {
        let down = if restarting {
            Slot::Restarting
        } else {
            Slot::Stopped
        };
        match std::mem::replace(&mut *self.lock(), down) {
            Slot::Running(addr, _) => Some(Box::new(addr)),
            _ => None,
        }
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// A handle that always reaches the current incarnation of a supervised child.
///
/// Get one from [`SupervisorRef::child_ref`](crate::SupervisorRef::child_ref) or from a
/// dynamic supervisor's `start_child`. Cloning is cheap. See the module docs for what a
/// message racing a restart gets.
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::{ChildSpec, Supervisor};
///
/// struct Counter(u32);
/// impl Actor for Counter { type Context = Context<Self>; }
/// #[derive(Message)] #[rtype(result = "u32")] struct Incr;
/// impl Handler<Incr> for Counter {
///     type Result = u32;
///     fn handle(&mut self, _: Incr, _: &mut Context<Self>) -> u32 { self.0 += 1; self.0 }
/// }
///
/// #[actix_rt::main]
/// async fn main() {
///     let sup = Supervisor::builder()
///         .child(ChildSpec::worker("counter", || Ok(Counter(0))))
///         .start()
///         .unwrap();
///     let counter = sup.child_ref::<Counter>("counter").await.unwrap();
///     assert_eq!(counter.send(Incr).await, Ok(1));
///     sup.stop().await;
/// }
/// ```
pub struct ChildRef<A: Actor> {
    id: ChildId,
    cell: Arc<ChildCell<A>>,
}

impl<A: Actor> Clone for ChildRef<A> {
    fn clone(&self) -> Self {
        ChildRef {
            id: self.id.clone(),
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> fmt::Debug for ChildRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildRef")
            .field("id", &self.id)
            .field("state", &self.state())
            .finish()
    }
}

impl<A: Actor> ChildRef<A> {
    pub(crate) fn new(id: ChildId, cell: Arc<ChildCell<A>>) -> Self {
        ChildRef { id, cell }
    }

    pub(crate) fn from_cell(id: ChildId, cell: Arc<dyn Any + Send + Sync>) -> Result<Self, Error> {
        match cell.downcast::<ChildCell<A>>() {
            Ok(cell) => Ok(ChildRef { id, cell }),
            Err(_) => Err(Error::WrongType(id)),
        }
    }

    /// The child's id under its supervisor.
    pub fn id(&self) -> &ChildId {
        &self.id
    }

    /// Where the child is right now.
    pub fn state(&self) -> RefState {
        match &*self.cell.lock() {
            Slot::Running(_, pid) => RefState::Running(*pid),
            Slot::Restarting => RefState::Restarting,
            Slot::Stopped => RefState::Stopped,
        }
    }

    /// The address of the current incarnation, if one is running. Keep the `ChildRef`, not
    /// this address: the address goes stale at the next restart.
    pub fn addr(&self) -> Option<Addr<A>> {
        match &*self.cell.lock() {
            Slot::Running(addr, _) => Some(addr.clone()),
            _ => None,
        }
    }

    /// The pid of the current incarnation, if one is running.
    pub fn pid(&self) -> Option<Pid> {
        match self.state() {
            RefState::Running(pid) => Some(pid),
            _ => None,
        }
    }

    /// Runs `f` on the current incarnation's address, under the cell's lock (no clone of
    /// the address, which costs two allocations in actix).
    fn with_current<R>(&self, f: impl FnOnce(&Addr<A>) -> R) -> Result<R, Error> {
        match &*self.cell.lock() {
            Slot::Running(addr, _) => Ok(f(addr)),
            Slot::Restarting => Err(Error::Restarting(self.id.clone())),
            Slot::Stopped => Err(Error::NotRunning(self.id.clone())),
        }
    }

    /// Sends `msg` to the current incarnation and waits for the answer.
    ///
    /// Errors: [`Error::Restarting`] (nothing sent, retry), [`Error::Closed`] (the
    /// incarnation ended before answering), [`Error::NotRunning`].
    pub async fn send<M>(&self, msg: M) -> Result<M::Result, Error>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        A: Handler<M>,
        A::Context: ToEnvelope<A, M>,
    {
        let request = self.with_current(|addr| addr.send(msg))?;
        request.await.map_err(|e| match e {
            MailboxError::Closed | MailboxError::Timeout => Error::Closed(self.id.clone()),
        })
    }

    /// Sends `msg` to the current incarnation without waiting for an answer.
    ///
    /// Errors: [`Error::Restarting`] or [`Error::NotRunning`] when nothing was sent.
    pub fn do_send<M>(&self, msg: M) -> Result<(), Error>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        A: Handler<M>,
        A::Context: ToEnvelope<A, M>,
    {
        self.with_current(|addr| addr.do_send(msg))
    }
}
