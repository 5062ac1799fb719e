//! The connection's observable state.
//!
//! Dashboards, health endpoints and tests need to know whether a connection is up without
//! sending it a message (which would queue behind a running connect). [`StateWatch`] is a
//! cheap, cloneable handle that the actor publishes every transition to: the latest value
//! for "what is it now", and a stream of every transition for "what happened".

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hardy_supervisor::ExitReason;
use tokio::sync::{broadcast, watch};

/// Where a connection is in its life cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnState {
    /// `connect` is running; messages wait until it ends.
    Connecting {
        /// 1 for the first attempt after a success, then 2, 3, ...
        attempt: u32,
    },
    /// The link is up.
    Connected,
    /// Waiting before the next connect attempt.
    Backoff {
        /// The attempt that will be made when the delay ends.
        attempt: u32,
        /// How long the wait is.
        retry_in: Duration,
    },
    /// Not connected and not trying (before start, or `Next::Idle`).
    Disconnected,
    /// The actor has stopped; it will not connect again.
    Stopped(ExitReason),
}

impl ConnState {
    /// Whether the link is up.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnState::Connected)
    }

    /// A short, stable name for logs and metrics: `connecting`, `connected`, `backoff`,
    /// `disconnected`, `stopped`.
    pub fn name(&self) -> &'static str {
        match self {
            ConnState::Connecting { .. } => "connecting",
            ConnState::Connected => "connected",
            ConnState::Backoff { .. } => "backoff",
            ConnState::Disconnected => "disconnected",
            ConnState::Stopped(_) => "stopped",
        }
    }
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnState::Connecting { attempt } => write!(f, "connecting (attempt {attempt})"),
            ConnState::Connected => f.write_str("connected"),
            ConnState::Backoff { attempt, retry_in } => {
                // Jittered delays are not whole milliseconds: `39ms`, not `39.06571ms`.
                let rounded =
                    Duration::from_millis(retry_in.as_secs_f64().mul_add(1e3, 0.5) as u64);
                write!(f, "backoff (attempt {attempt} in {rounded:?})")
            }
            ConnState::Disconnected => f.write_str("disconnected"),
            ConnState::Stopped(reason) => write!(f, "stopped ({reason})"),
        }
    }
}

/// How many transitions a slow [`StateWatch::changes`] subscriber may fall behind before it
/// is told it lagged.
const CHANGES_CAPACITY: usize = 64;

/// A cloneable handle on a connection's state.
///
/// Every clone sees the same state. Give one to the builder with
/// [`Builder::with_state_watch`](crate::Builder::with_state_watch) to keep watching across restarts
/// of the actor under a supervisor.
///
/// ```
/// use std::time::Duration;
/// use hardy_connection::{ConnState, StateWatch};
/// let backoff = ConnState::Backoff { attempt: 2, retry_in: Duration::from_micros(39_065) };
/// assert_eq!(backoff.to_string(), "backoff (attempt 2 in 39ms)");
/// let watch = StateWatch::new();
/// assert_eq!(watch.get(), ConnState::Disconnected);
/// ```
#[derive(Clone)]
pub struct StateWatch {
    latest: Arc<watch::Sender<ConnState>>,
    changes: broadcast::Sender<ConnState>,
}

impl StateWatch {
    /// A new handle, in state [`ConnState::Disconnected`].
    pub fn new() -> Self {
        let (latest, _) = watch::channel(ConnState::Disconnected);
        let (changes, _) = broadcast::channel(CHANGES_CAPACITY);
        StateWatch {
            latest: Arc::new(latest),
            changes,
        }
    }

    /// The current state.
    pub fn get(&self) -> ConnState {
        self.latest.borrow().clone()
    }

    /// A receiver of the latest state, for `changed().await` / `wait_for`. Intermediate
    /// states may be skipped by a slow reader; use [`changes`](Self::changes) to see all.
    pub fn subscribe(&self) -> watch::Receiver<ConnState> {
        self.latest.subscribe()
    }

    /// Every transition from now on, in order.
    pub fn changes(&self) -> broadcast::Receiver<ConnState> {
        self.changes.subscribe()
    }

    /// Waits until the current state satisfies `pred`, and returns that state.
    ///
    /// Returns at once when it already does. It looks at the latest state only: a
    /// transient state (such as `Disconnected` right before `Backoff`) can be missed. To
    /// see every transition, subscribe to [`changes`](Self::changes) before the event.
    pub async fn wait_for(&self, mut pred: impl FnMut(&ConnState) -> bool) -> ConnState {
        let mut rx = self.subscribe();
        let result = rx.wait_for(|s| pred(s)).await.map(|s| s.clone());
        // The sender lives in `self`, so the channel cannot close while we wait.
        result.unwrap_or_else(|_| self.get())
    }

    pub(crate) fn publish(&self, state: ConnState) {
        let _ = self.changes.send(state.clone());
        self.latest.send_replace(state);
    }
}

impl Default for StateWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for StateWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StateWatch").field(&self.get()).finish()
    }
}
