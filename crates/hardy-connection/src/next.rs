//! The answers of the state-machine callbacks, and what `connect` is told.
//!
//! Elixir's `Connection` lets `init`, `connect` and `disconnect` answer with the next step
//! (connect, backoff, noconnect, stop). [`Next`] is that answer, shared by all three
//! callbacks so there is one vocabulary to learn.

use std::time::Duration;

use hardy_supervisor::ExitReason;

/// What the connection does next: the answer of `init`, `connect_failed` and `disconnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next {
    /// Connect now, before any further message is handled.
    Connect,
    /// Wait for the next delay of the backoff policy, then connect. When the policy is
    /// exhausted the actor stops with an [`ExitReason::Error`]. From `disconnect`, after a
    /// stable link dropped (see
    /// [`Builder::reset_backoff_after`](crate::Builder::reset_backoff_after)), the first
    /// attempt goes at once and the policy starts over.
    Backoff,
    /// Wait exactly this long, then connect (the policy is not consulted).
    BackoffFor(Duration),
    /// Stay disconnected until a handler asks to connect (Elixir's `noconnect`).
    Idle,
    /// Stop the actor with this reason. A supervisor above sees it.
    Stop(ExitReason),
}

/// Why `connect` is being called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The first connect, right after the actor started.
    Init,
    /// A backoff timer fired.
    Backoff,
    /// `connect_failed` or `disconnect` answered [`Next::Connect`].
    Reconnect,
    /// A handler asked to connect.
    Requested,
}

/// What `connect` is told about the attempt it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectInfo {
    /// Why this attempt is made.
    pub cause: Cause,
    /// 1 for the first attempt after a success (or ever), then 2, 3, ... while attempts fail.
    pub attempt: u32,
}
