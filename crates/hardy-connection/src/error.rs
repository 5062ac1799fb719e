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
    /// The actor stopped before connecting (its `init` answered `Stop`, or it was stopped
    /// from outside).
    #[error("the connection stopped before it connected: {0}")]
    Stopped(ExitReason),
}
