//! The error of a synchronous start.

use hardy_supervisor::ExitReason;

use crate::Failure;

/// Why [`Builder::start_connected`](crate::Builder::start_connected) did not return a
/// connected actor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError<E: std::error::Error + 'static> {
    /// The first connect failed; the actor has stopped. Check the address and credentials,
    /// or start asynchronously to keep retrying in the background.
    #[error("the first connect failed: {0}")]
    Connect(#[source] Failure<E>),
    /// `init` (or the first `connect_failed`) answered [`Next::Idle`](crate::Next::Idle):
    /// nothing would ever connect, since only a handler can ask and nobody has the
    /// address yet. Use `start` for a connection that starts idle.
    #[error("the connection chose to stay idle, so a synchronous start cannot finish: use start() instead")]
    Idle,
    /// The actor stopped before connecting (its `init` answered `Stop`, or it was stopped
    /// from outside).
    #[error("the connection stopped before it connected: {0}")]
    Stopped(ExitReason),
}
