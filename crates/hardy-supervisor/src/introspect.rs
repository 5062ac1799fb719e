//! The tree as data, and the events a supervisor emits.
//!
//! Tests and a live dashboard need to see what runs: ids, states, restart counts, last exit
//! reasons, and the children of nested supervisors. Everything here is plain data, cheap to
//! clone and print.

use std::fmt;
use std::sync::Arc;

use crate::{ChildId, ChildKind, ExitReason, Pid, RestartType, Strategy};

/// Whether a child runs (OTP's `Pid | restarting | undefined`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildStatus {
    /// Running as this incarnation.
    Running(Pid),
    /// Being restarted (a restart failed and is retried, or a restart delay runs).
    Restarting,
    /// Not running: terminated, ignored at start, or a transient child that ended normally.
    Undefined,
}

/// One line of `which_children`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child's id.
    pub id: ChildId,
    /// Running, restarting or undefined.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

/// The answer of `count_children`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChildCounts {
    /// All kept specs, running or not.
    pub specs: usize,
    /// Children running now.
    pub active: usize,
    /// Specs of kind supervisor.
    pub supervisors: usize,
    /// Specs of kind worker.
    pub workers: usize,
}

/// A supervisor and its children, recursively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorTree {
    /// The supervisor's name.
    pub name: String,
    /// Its strategy (`None` for a dynamic supervisor, which is always one-for-one).
    pub strategy: Option<Strategy>,
    /// Its children in start order.
    pub children: Vec<ChildNode>,
}

/// One child in a [`SupervisorTree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildNode {
    /// The child's id.
    pub id: ChildId,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: RestartType,
    /// Running, restarting or undefined.
    pub status: ChildStatus,
    /// How many times it was restarted.
    pub restarts: u32,
    /// Why its last incarnation ended, if one did.
    pub last_exit: Option<ExitReason>,
    /// For a running child supervisor: its own tree.
    pub children: Option<SupervisorTree>,
}

impl SupervisorTree {
    /// Finds a direct child by id.
    pub fn child(&self, id: &str) -> Option<&ChildNode> {
        self.children.iter().find(|c| c.id.name() == Some(id))
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        match self.strategy {
            Some(s) => writeln!(f, "{pad}{} ({s:?})", self.name)?,
            None => writeln!(f, "{pad}{} (dynamic)", self.name)?,
        }
        for c in &self.children {
            let status = match c.status {
                ChildStatus::Running(pid) => format!("running {pid}"),
                ChildStatus::Restarting => "restarting".into(),
                ChildStatus::Undefined => "undefined".into(),
            };
            let last = c
                .last_exit
                .as_ref()
                .map(|r| format!(", last exit: {r}"))
                .unwrap_or_default();
            writeln!(
                f,
                "{pad}  - {} [{:?}, {:?}] {status}, restarts: {}{last}",
                c.id, c.kind, c.restart, c.restarts
            )?;
            if let Some(sub) = &c.children {
                sub.write(f, depth + 2)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for SupervisorTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

/// Something that happened under a supervisor; also emitted as a `tracing` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The supervisor's name.
    pub supervisor: Arc<str>,
    /// What happened.
    pub kind: EventKind,
}

/// What happened under a supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A child incarnation started (`restarts` is 0 for the first start).
    Started {
        /// The child.
        id: ChildId,
        /// The new incarnation.
        pid: Pid,
        /// How many times it was restarted so far.
        restarts: u32,
    },
    /// A child incarnation ended, by itself or stopped by the supervisor.
    Exited {
        /// The child.
        id: ChildId,
        /// The incarnation that ended.
        pid: Pid,
        /// Why.
        reason: ExitReason,
    },
    /// A restart attempt failed; it will be retried.
    RestartFailed {
        /// The child.
        id: ChildId,
        /// Why its start factory failed.
        reason: String,
    },
    /// Restart intensity was exceeded: the supervisor gives up and escalates.
    GaveUp {
        /// The child whose restart was one too many.
        id: ChildId,
    },
    /// The supervisor stopped its children and exits with this reason.
    Exiting {
        /// Its exit reason.
        reason: ExitReason,
    },
}
