//! The one error type of this crate.
//!
//! Every answer of the supervisor API that is not a success is a variant here, and each
//! message says what the caller can do about it (retry, fix the spec, it's a bug...).

use crate::ChildId;

/// Everything that can go wrong when talking to a supervisor or to a supervised child.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A child failed to start while its supervisor was starting (its factory errored or
    /// panicked, or its `started` panicked); the children already started were stopped
    /// again in reverse order, and the supervisor exited.
    #[error("failed to start child `{id}`: {reason}; the supervisor did not start — fix the child's factory or its `started`")]
    FailedToStartChild {
        /// The child that failed.
        id: ChildId,
        /// Why its start factory failed.
        reason: String,
    },
    /// `start_child` (or `restart_child`) of a child whose factory errored or panicked, or
    /// whose `started` panicked. `start_child` kept nothing.
    #[error("failed to start child `{id}`: {reason}")]
    StartFailed {
        /// The child that failed.
        id: ChildId,
        /// Why its start factory failed.
        reason: String,
    },
    /// A child with this id is already running under this supervisor.
    #[error("child `{0}` is already started — use its existing handle, or pick another id")]
    AlreadyStarted(ChildId),
    /// A child spec with this id is kept but not running.
    #[error(
        "child `{0}` is already present (not running) — call restart_child or delete_child first"
    )]
    AlreadyPresent(ChildId),
    /// No child with this id (or this dynamic handle) belongs to this supervisor.
    #[error("no child `{0}` under this supervisor")]
    NotFound(ChildId),
    /// The child is running; terminate it first.
    #[error("child `{0}` is running — terminate_child it first")]
    Running(ChildId),
    /// The child is being restarted right now; try again later.
    #[error("child `{0}` is restarting — retry later")]
    Restarting(ChildId),
    /// The child is not running (terminated, ignored at start, or gone with its supervisor).
    #[error("child `{0}` is not running")]
    NotRunning(ChildId),
    /// A dynamic supervisor already has `max_children` children (restarting ones count).
    #[error("dynamic supervisor already has its maximum of {0} children — stop some or raise max_children")]
    MaxChildren(usize),
    /// A child spec is invalid; the message names the problem.
    #[error("invalid child spec `{id}`: {problem}")]
    InvalidChildSpec {
        /// The spec's id (empty when the id itself is missing).
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Supervisor flags are invalid (restart intensity, period, auto_shutdown).
    #[error("invalid supervisor flags: {0}")]
    InvalidFlags(String),
    /// The message to the child was accepted but its incarnation ended before answering
    /// (it crashed or was stopped). The message may or may not have been handled; retry
    /// only if it is idempotent.
    #[error("child `{0}` stopped before answering — it may be restarting; retry if the message is idempotent")]
    Closed(ChildId),
    /// The supervisor is no longer running.
    #[error("the supervisor is not running")]
    SupervisorDown,
    /// A child spec's registered name is already held by another kept spec.
    #[error("the name `{0}` is already registered to another child — pick another name, or delete that child first")]
    NameTaken(String),
    /// No child is registered under this name (not started yet, deleted, or its
    /// supervisor ended).
    #[error("no child is registered as `{0}`")]
    NotRegistered(String),
    /// A handle was asked for with a different actor type than the child's.
    #[error("child `{0}` is not of the requested actor type")]
    WrongType(ChildId),
}
