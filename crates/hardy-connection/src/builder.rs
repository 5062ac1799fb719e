//! Options for a connection actor, and the two ways to start it (async and sync connect).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use tokio::sync::oneshot;

use crate::backoff::{Backoff, Exponential};
use crate::core::{Core, HealthCheck, Phase};
use crate::{Connection, ConnectionActor, StartError, StateWatch};

/// The default connect timeout (Redix's).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a link must stay up, by default, before its drop counts as an outage of a
/// stable link rather than flapping (see [`Builder::reset_backoff_after`]).
pub const DEFAULT_RESET_BACKOFF_AFTER: Duration = Duration::from_secs(1);

/// Options for a [`ConnectionActor`]. Made by [`ConnectionActor::builder`].
///
/// ```no_run
/// # use hardy_connection::*;
/// # fn demo<C: Connection>(conn: C) {
/// use std::time::Duration;
/// use hardy_connection::backoff::Exponential;
///
/// # actix::System::new().block_on(async {
/// let addr = ConnectionActor::builder(conn)
///     .name("orders-db")
///     .backoff(Exponential::new(Duration::from_millis(100), 2.0, Duration::from_secs(10)))
///     .connect_timeout(Duration::from_secs(2))
///     .health_check(Duration::from_secs(15), Duration::from_secs(5))
///     .start();
/// # });
/// # }
/// ```
pub struct Builder<C: Connection> {
    conn: C,
    name: Option<Arc<str>>,
    backoff: Box<dyn Backoff>,
    connect_timeout: Option<Duration>,
    health: Option<HealthCheck>,
    stable_after: Duration,
    state: StateWatch,
}

impl<C: Connection> Builder<C> {
    pub(crate) fn new(conn: C) -> Self {
        Builder {
            conn,
            name: None,
            backoff: Box::new(Exponential::default()),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            health: None,
            stable_after: DEFAULT_RESET_BACKOFF_AFTER,
            state: StateWatch::new(),
        }
    }

    /// The name used as `peer` in tracing events (default: the connection's type name).
    /// Never put credentials in it.
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The backoff policy (default [`Exponential::default`]).
    pub fn backoff(mut self, policy: impl Backoff) -> Self {
        self.backoff = Box::new(policy);
        self
    }

    /// How long one `connect` may take before it counts as failed (default 5 s).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = Some(limit);
        self
    }

    /// Lets `connect` take as long as it takes.
    pub fn no_connect_timeout(mut self) -> Self {
        self.connect_timeout = None;
        self
    }

    /// Every `interval` while connected, runs [`Connection::health_check`]; if the probe
    /// fails or does not answer within `deadline`, the link is disconnected with
    /// [`Failure::HealthCheckTimeout`](crate::Failure::HealthCheckTimeout). Detects
    /// half-open links, where the peer vanished without closing. A zero interval turns the
    /// check off (it would otherwise probe as fast as the peer answers).
    pub fn health_check(mut self, interval: Duration, deadline: Duration) -> Self {
        self.health = Some(HealthCheck { interval, deadline }).filter(|_| !interval.is_zero());
        self
    }

    /// How long a link must stay up to count as stable (default 1 s).
    ///
    /// When a stable link drops and `disconnect` answers [`Next::Backoff`](crate::Next::Backoff),
    /// the backoff policy starts over and the first reconnect goes at once; delays follow
    /// only after failed attempts. A link that drops sooner (a peer that accepts and then
    /// closes, a proxy that cuts every link) is flapping: its drop counts as a failed
    /// attempt and waits the policy's next delay, which keeps growing, so such a peer is
    /// not hammered.
    pub fn reset_backoff_after(mut self, uptime: Duration) -> Self {
        self.stable_after = uptime;
        self
    }

    /// Publishes the state to this handle instead of a new one: share one handle across
    /// the restarts of a supervised connection.
    pub fn with_state_watch(mut self, watch: StateWatch) -> Self {
        self.state = watch;
        self
    }

    /// The handle the actor will publish its state to.
    pub fn state_watch(&self) -> StateWatch {
        self.state.clone()
    }

    /// Builds the actor, to start it yourself (e.g. from a supervisor's child factory).
    pub fn build(self) -> ConnectionActor<C> {
        let name = self
            .name
            .unwrap_or_else(|| Arc::from(std::any::type_name::<C>()));
        ConnectionActor {
            conn: self.conn,
            core: Core {
                name,
                connect_timeout: self.connect_timeout,
                health: self.health,
                backoff: self.backoff,
                stable_after: self.stable_after,
                up_since: None,
                reconnect_at_once: false,
                state: self.state,
                phase: Phase::Idle,
                failures: 0,
                link: 0,
                epoch: Default::default(),
                timer_gen: 0,
                timer: None,
                link_tasks: Vec::new(),
                probing: false,
                exit: None,
                first_connect: None,
            },
        }
    }

    /// Starts the actor on the current arbiter and returns at once (*async connect*):
    /// the first connect runs before any message is handled, and failures back off.
    pub fn start(self) -> Addr<ConnectionActor<C>> {
        self.build().start()
    }

    /// Starts the actor and waits for the first connect (*sync connect*). If it fails, the
    /// actor stops and the error says why; no retry happens.
    pub async fn start_connected(self) -> Result<Addr<ConnectionActor<C>>, StartError<C::Error>> {
        let mut actor = self.build();
        let (tx, rx) = oneshot::channel();
        actor.core.first_connect = Some(tx);
        let addr = actor.start();
        match rx.await {
            Ok(Ok(())) => Ok(addr),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StartError::Stopped(hardy_supervisor::ExitReason::Killed)),
        }
    }
}

impl<C: Connection> fmt::Debug for Builder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("connect_timeout", &self.connect_timeout)
            .field("health", &self.health)
            .field("reset_backoff_after", &self.stable_after)
            .finish_non_exhaustive()
    }
}
