//! Options for a connection actor, and the two ways to start it (async and sync connect).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use tokio::sync::oneshot;

use crate::backoff::{Backoff, Exponential};
use crate::core::{Core, HealthCheck, Phase};
use crate::{Client, Connection, ConnectionActor, StartError, StateWatch};

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
    request_timeout: Option<Duration>,
    max_consecutive_timeouts: u32,
    defer_writes: bool,
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
            request_timeout: None,
            max_consecutive_timeouts: 0,
            defer_writes: false,
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

    /// How long a request made with [`Ctx::request`](crate::Ctx::request) waits for its
    /// reply before its caller gets [`RequestError::Timeout`](crate::RequestError::Timeout)
    /// (default: as long as the link stays up). A request can set its own with
    /// [`Request::timeout`](crate::Request::timeout).
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.request_timeout = Some(limit);
        self
    }

    /// Puts each write to the link off by one turn of the runtime (default: off), so that
    /// the tasks already queued on the actor's thread run first and add their requests
    /// to the same write.
    ///
    /// Turn it on for connections that share a thread with others fed by the same callers,
    /// such as the nodes of a cluster client: a caller answered by one node sends its next
    /// request to another, whose writes would otherwise go out one small batch per turn.
    /// A single connection is better without it: its reader hands replies over a part at
    /// a time and the actor runs again after their callers anyway, so writing at once
    /// keeps the peer working meanwhile. Measured in docs/benchmarks.md: on a 3-node
    /// cluster, commands per server read went from 11 to 18 at 128 callers; on one server,
    /// throughput fell by a fifth at 16 and 128 callers.
    pub fn defer_writes(mut self, yes: bool) -> Self {
        self.defer_writes = yes;
        self
    }

    /// Drops the link when `count` requests in a row time out with no reply from the peer
    /// in between (default 0: never). A link whose peer vanished without closing (a
    /// failover, a partition) is then replaced as soon as its callers notice, instead of
    /// at the next health check; any reply resets the count. Counts the timeouts of the
    /// link's [`Pending`](crate::Pending) queue.
    pub fn max_consecutive_timeouts(mut self, count: u32) -> Self {
        self.max_consecutive_timeouts = count;
        self
    }

    /// How long a link must stay up to count as stable (default 1 s).
    ///
    /// When a stable link drops and `disconnect` answers [`Next::Backoff`](crate::Next::Backoff),
    /// the backoff policy starts over and the first reconnect goes at once; delays follow
    /// only after failed attempts. A link that drops sooner (a peer that accepts and then
    /// closes, a proxy that cuts every link) is flapping: its drop counts as a failed
    /// attempt and waits the policy's next delay, which keeps growing, so such a peer is
    /// not hammered. A connection can vouch for a link sooner with
    /// [`Ctx::mark_stable`](crate::Ctx::mark_stable) (hardy-redis does once the link answers).
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
                proven: false,
                reconnect_at_once: false,
                state: self.state,
                phase: Phase::Idle,
                failures: 0,
                link: 0,
                epoch: Default::default(),
                timer_gen: 0,
                timer: None,
                link_tasks: Vec::new(),
                pending: crate::Pending::new(self.max_consecutive_timeouts),
                link_writer: None,
                request_timeout: self.request_timeout,
                defer_writes: self.defer_writes,
                closers: Vec::new(),
                probe: None,
                steps: Default::default(),
                stepping: false,
                steps_paused: false,
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

    /// Starts the actor like [`start`](Self::start) and returns a typed [`Client`] on it;
    /// when its last clone is dropped, the connection stops.
    pub fn start_client(self) -> Client<C> {
        let state = self.state.clone();
        Client::owning(self.start(), state)
    }

    /// Starts the actor on another arbiter (*async connect*). The connection value may
    /// hold `Rc`s and other non-`Send` state: `make` runs on that arbiter and builds it
    /// there, so only `make` has to be `Send`. To watch its state, give `make` a
    /// [`StateWatch`] to pass to [`with_state_watch`](Self::with_state_watch).
    ///
    /// ```no_run
    /// # use hardy_connection::{Builder, Connection, ConnectionActor};
    /// fn elsewhere<C: Connection>(make: impl FnOnce() -> C + Send + 'static) {
    ///     let arbiter = actix::Arbiter::new();
    ///     let addr = Builder::start_on(&arbiter.handle(), move || ConnectionActor::builder(make()));
    /// }
    /// ```
    pub fn start_on<F>(arbiter: &actix::ArbiterHandle, make: F) -> Addr<ConnectionActor<C>>
    where
        F: FnOnce() -> Builder<C> + Send + 'static,
    {
        <ConnectionActor<C> as actix::Actor>::start_in_arbiter(arbiter, move |_| make().build())
    }

    /// [`start_on`](Self::start_on), returning an owning [`Client`] that follows the
    /// connection's state.
    pub fn start_client_on<F>(arbiter: &actix::ArbiterHandle, make: F) -> Client<C>
    where
        F: FnOnce() -> Builder<C> + Send + 'static,
    {
        let state = StateWatch::new();
        let shared = state.clone();
        let addr = Self::start_on(arbiter, move || make().with_state_watch(shared));
        Client::owning(addr, state)
    }

    /// Starts the actor and waits for the first connect (*sync connect*). If it fails, the
    /// actor stops and the error says why; no retry happens.
    pub async fn start_connected(self) -> Result<Addr<ConnectionActor<C>>, StartError<C::Error>> {
        let mut actor = self.build();
        let (tx, rx) = oneshot::channel();
        actor.core.first_connect = Some(tx);
        let addr = actor.start();
        // If this future is dropped before the answer (a timeout around it), the actor
        // must not live on, connected, with nobody holding its address.
        let mut guard = StopOnDrop { addr, armed: true };
        let outcome = rx.await;
        guard.armed = false;
        match outcome {
            Ok(Ok(())) => Ok(guard.addr.clone()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StartError::Stopped(hardy_supervisor::ExitReason::Killed)),
        }
    }
}

/// Stops the actor when dropped while armed.
struct StopOnDrop<C: Connection> {
    addr: Addr<ConnectionActor<C>>,
    armed: bool,
}

impl<C: Connection> Drop for StopOnDrop<C> {
    fn drop(&mut self) {
        if self.armed {
            self.addr.do_send(crate::Stop::default());
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
            .field("request_timeout", &self.request_timeout)
            .field("max_consecutive_timeouts", &self.max_consecutive_timeouts)
            .finish_non_exhaustive()
    }
}
