//! OTP supervision for actix actors.
//!
//! actix's own `Supervisor` restarts one actor in place: no strategies, no restart
//! intensity, no restart types, no shutdown timeout, and a panicking handler leaves a dead
//! mailbox. This crate brings the OTP model to actix:
//!
//! - [`Supervisor`]: one-for-one, one-for-all, rest-for-one; restart types; restart
//!   intensity with escalation; shutdown timeouts; significant children and auto shutdown.
//! - [`DynamicSupervisor`]: one template, children added at run time.
//! - [`PartitionSupervisor`]: N children, keys routed by hash, spread over arbiters.
//! - Panics, kills and `exit(reason)` are exits the supervisor sees, on any arbiter.
//! - An acknowledged start, as OTP's: [`SupervisorBuilder::start_async`] returns once every
//!   child's `started` ran (nested supervisors: once their own children did).
//! - [`ChildRef`]: a handle that always reaches the current incarnation of a child,
//!   obtainable before the start ([`ChildSpec::child_ref`]) or by registered name
//!   ([`whereis`]).
//! - Children and supervisors on any arbiter, built there, so they need not be `Send`.
//! - Introspection ([`SupervisorTree`]) and `tracing` events for every start, exit,
//!   restart, give-up and escalation.
//!
//! Any `A: Actor<Context = Context<A>>` can be a child; a [`ChildSpec`] only needs a closure
//! that builds it. See `docs/supervision.md` for the guide.
//!
//! ```
//! use actix::prelude::*;
//! use hardy_supervisor::{ChildSpec, Supervisor};
//!
//! struct Worker;
//! impl Actor for Worker { type Context = Context<Self>; }
//!
//! #[actix_rt::main]
//! async fn main() {
//!     let sup = Supervisor::builder()
//!         .child(ChildSpec::worker("w", || Ok(Worker)))
//!         .start()
//!         .unwrap();
//!     assert_eq!(sup.count_children().await.unwrap().active, 1);
//!     sup.stop().await;
//! }
//! ```
#![deny(missing_docs)]

mod child;
mod child_ref;
mod dynamic;
mod error;
pub mod exit;
mod flags;
mod id;
mod intensity;
mod introspect;
mod partition;
mod registry;
mod spec;
mod supervisor;
mod supervisor_ref;

pub use child_ref::{ChildRef, RefState};
pub use dynamic::{DynamicRef, DynamicSupervisor};
pub use error::Error;
pub use exit::{exit, ExitReason};
pub use flags::{AutoShutdown, Intensity, Strategy};
pub use id::{ChildId, Pid};
pub use introspect::{
    ChildCounts, ChildInfo, ChildNode, ChildStatus, Event, EventKind, SupervisorTree,
};
pub use partition::{PartitionRef, PartitionSupervisor};
pub use registry::{whereis, whereis_supervisor};
pub use spec::{
    check_childspecs, check_childspecs_for, ChildKind, ChildSpec, RestartType, Shutdown,
    StartError, DEFAULT_WORKER_SHUTDOWN,
};
pub use supervisor::{
    ChildStarted, CountChildren, DeleteChild, GetTree, RestartChild, StartChild, StopSupervisor,
    Subscribe, Supervisor, SupervisorBuilder, TerminateChild, WhichChildren,
};
pub use supervisor_ref::SupervisorRef;
