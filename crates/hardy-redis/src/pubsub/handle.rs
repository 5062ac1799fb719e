//! [`PubSub`]: the handle applications hold to subscribe, and its supervised form.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Addr, Recipient};
use bytes::Bytes;
use hardy_connection::{ConnectionActor, StateWatch};
use hardy_supervisor::{ChildId, ChildRef, ChildSpec, Error as SupervisorError};

use super::conn::{Forget, PubSubConn, SharedTable, Subscribe as SubscribeMsg, Table};
use super::event::{Kind, Topic};
use super::sink::{Overflow, RecipientSubscriber, Shared, Sink, Subscription, DEFAULT_BUFFER};
use crate::{Config, Error};

/// The actor that owns the Pub/Sub connection.
pub type PubSubActor = ConnectionActor<PubSubConn>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Where subscriber requests go: one actor, or whichever incarnation a supervisor runs.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    Addr(Addr<PubSubActor>),
    Child(ChildRef<PubSubActor>),
}

impl Target {
    pub(crate) fn forget(&self, id: u64) {
        match self {
            Target::Addr(addr) => addr.do_send(Forget(id)),
            // Between incarnations nothing is sent; the next one skips dropped streams.
            Target::Child(child) => drop(child.do_send(Forget(id))),
        }
    }

    /// Sends a subscription; a supervised actor that is between incarnations (or not yet
    /// started) is waited for, up to [`START_WAIT`], since nothing was sent.
    async fn subscribe(&self, msg: SubscribeMsg, state: &StateWatch) -> Result<(), Error> {
        let stopped = |e: &dyn std::fmt::Display| Error::Stopped(e.to_string().into());
        let child = match self {
            Target::Addr(addr) => {
                return addr.send(msg).await.unwrap_or_else(|e| Err(stopped(&e)));
            }
            Target::Child(child) => child,
        };
        let deadline = tokio::time::Instant::now() + START_WAIT;
        let mut changes = state.subscribe();
        loop {
            match child.send(msg.clone()).await {
                Ok(result) => return result,
                Err(e @ (SupervisorError::Restarting(_) | SupervisorError::NotRunning(_))) => {
                    if child.addr().is_some() {
                        continue;
                    }
                    let changed = tokio::time::timeout_at(deadline, changes.changed()).await;
                    if !matches!(changed, Ok(Ok(()))) {
                        return Err(stopped(&e));
                    }
                }
                Err(e) => return Err(stopped(&e)),
            }
        }
    }
}

/// How long a subscribe call waits for a supervised Pub/Sub actor to (re)start.
pub const START_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Stops an owned actor when the last handle goes.
#[derive(Debug)]
struct Owner(Addr<PubSubActor>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.do_send(hardy_connection::Stop(
            hardy_connection::ExitReason::Shutdown,
        ));
    }
}

/// What to subscribe to, and how the subscriber's buffer behaves.
///
/// ```
/// use hardy_redis::pubsub::{Overflow, Subscribe};
///
/// let options = Subscribe::new()
///     .channels(["orders", "payments"])
///     .pattern("audit.*")
///     .buffer(256)
///     .overflow(Overflow::Disconnect);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Subscribe {
    topics: Vec<Topic>,
    buffer: Option<usize>,
    overflow: Overflow,
}

impl Subscribe {
    /// Nothing yet: add channels, patterns or shard channels.
    pub fn new() -> Self {
        Subscribe::default()
    }

    fn add(mut self, kind: Kind, names: impl IntoIterator<Item = impl AsRef<[u8]>>) -> Self {
        for name in names {
            let topic = (kind, Bytes::copy_from_slice(name.as_ref()));
            if !self.topics.contains(&topic) {
                self.topics.push(topic);
            }
        }
        self
    }

    /// One channel (`SUBSCRIBE`).
    pub fn channel(self, name: impl AsRef<[u8]>) -> Self {
        self.add(Kind::Channel, [name])
    }

    /// Channels (`SUBSCRIBE`).
    pub fn channels(self, names: impl IntoIterator<Item = impl AsRef<[u8]>>) -> Self {
        self.add(Kind::Channel, names)
    }

    /// One glob pattern over channel names (`PSUBSCRIBE`).
    pub fn pattern(self, pattern: impl AsRef<[u8]>) -> Self {
        self.add(Kind::Pattern, [pattern])
    }

    /// Glob patterns (`PSUBSCRIBE`).
    pub fn patterns(self, patterns: impl IntoIterator<Item = impl AsRef<[u8]>>) -> Self {
        self.add(Kind::Pattern, patterns)
    }

    /// One shard channel (`SSUBSCRIBE`, Redis 7).
    pub fn shard_channel(self, name: impl AsRef<[u8]>) -> Self {
        self.add(Kind::Shard, [name])
    }

    /// Shard channels (`SSUBSCRIBE`, Redis 7), one command each.
    pub fn shard_channels(self, names: impl IntoIterator<Item = impl AsRef<[u8]>>) -> Self {
        self.add(Kind::Shard, names)
    }

    /// The stream's buffer, in events (default [`DEFAULT_BUFFER`]; at least 1). A
    /// `Recipient`'s buffer is its mailbox instead.
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = Some(events);
        self
    }

    /// What happens when the buffer is full (default [`Overflow::DropOldest`]).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }
}

/// A handle on a Pub/Sub connection: cheap to clone, `Send`.
///
/// The connection is its own socket, separate from [`Redis`](crate::Redis)'s (a
/// subscribed connection accepts no other commands); `PUBLISH` goes through
/// [`Redis::publish`](crate::Redis::publish). Every call returns once Redis confirmed the
/// subscription. After a reconnect every live subscription is restored, and subscribers
/// receive [`Event::Disconnected`](super::Event::Disconnected) then
/// [`Event::Subscribed`](super::Event::Subscribed); messages published in between are lost.
///
/// ```no_run
/// use futures::StreamExt;
/// use hardy_redis::pubsub::{Event, PubSub};
///
/// # async fn demo() -> Result<(), hardy_redis::Error> {
/// let pubsub = PubSub::start("redis://127.0.0.1:6379".parse()?);
/// let mut orders = pubsub.subscribe(["orders"]).await?;
/// while let Some(event) = orders.next().await {
///     if let Event::Message(m) = event {
///         println!("{:?}: {:?}", m.channel, m.payload);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PubSub {
    target: Target,
    state: StateWatch,
    _owner: Option<Arc<Owner>>,
}

fn build(config: Arc<Config>, table: SharedTable, state: Option<StateWatch>) -> PubSubActor {
    let supervised = state.is_some();
    let conn = PubSubConn::new(config.clone(), table, supervised);
    build_conn(conn, &config, state)
}

fn build_conn(conn: PubSubConn, config: &Config, state: Option<StateWatch>) -> PubSubActor {
    let mut builder = ConnectionActor::builder(conn)
        .name(format!("redis pubsub {}", config.peer()))
        .backoff(config.backoff_policy())
        .connect_timeout(config.connect_timeout);
    if let Some(interval) = config.health_check {
        let deadline = config.command_timeout.unwrap_or(Duration::from_secs(5));
        builder = builder.health_check(interval, deadline);
    }
    if let Some(state) = state {
        builder = builder.with_state_watch(state);
    }
    builder.build()
}

impl PubSub {
    /// Starts a Pub/Sub connection actor on the current arbiter and returns at once;
    /// subscribe calls wait for the connection. The last handle dropped stops it (and
    /// ends every subscription's stream).
    pub fn start(config: Config) -> PubSub {
        let actor = build(Arc::new(config), Arc::default(), None);
        let state = actor.state_watch();
        let addr = actor.start();
        PubSub {
            target: Target::Addr(addr.clone()),
            state,
            _owner: Some(Arc::new(Owner(addr))),
        }
    }

    /// A Pub/Sub connection that connects wherever `locate` says (a cluster shard
    /// channel's node), started on `arbiter` (the cluster's, so it does not depend on the
    /// caller's arbiter living on), owned by the handle like [`start`](Self::start)'s.
    pub(crate) fn start_located(
        config: Config,
        locate: Arc<dyn super::conn::Locate>,
        arbiter: &actix_rt::ArbiterHandle,
    ) -> PubSub {
        let config = Arc::new(config);
        let state = StateWatch::new();
        let addr = {
            let state = state.clone();
            actix::Actor::start_in_arbiter(arbiter, move |_| {
                let conn = PubSubConn::new(config.clone(), Arc::default(), false).locating(locate);
                build_conn(conn, &config, Some(state))
            })
        };
        PubSub {
            target: Target::Addr(addr.clone()),
            state,
            _owner: Some(Arc::new(Owner(addr))),
        }
    }

    /// The connection's state, now and every transition.
    pub fn state_watch(&self) -> &StateWatch {
        &self.state
    }

    /// Subscribes to channels (`SUBSCRIBE`) with the default buffer.
    pub async fn subscribe(
        &self,
        channels: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Result<Subscription, Error> {
        self.subscribe_with(Subscribe::new().channels(channels))
            .await
    }

    /// Subscribes to glob patterns (`PSUBSCRIBE`) with the default buffer.
    pub async fn psubscribe(
        &self,
        patterns: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Result<Subscription, Error> {
        self.subscribe_with(Subscribe::new().patterns(patterns))
            .await
    }

    /// Subscribes to shard channels (`SSUBSCRIBE`, Redis 7) with the default buffer.
    pub async fn ssubscribe(
        &self,
        channels: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Result<Subscription, Error> {
        self.subscribe_with(Subscribe::new().shard_channels(channels))
            .await
    }

    /// Subscribes as `options` says; the events arrive on the returned stream. Errors:
    /// [`Error::Config`] for no topic, [`Error::Server`] when Redis refused (an ACL on the
    /// channel), [`Error::Stopped`] when the actor is not running.
    pub async fn subscribe_with(&self, options: Subscribe) -> Result<Subscription, Error> {
        let shared = Shared::new(options.buffer.unwrap_or(DEFAULT_BUFFER));
        let id = self.request(&options, Sink::Stream(shared.clone())).await?;
        Ok(Subscription {
            id,
            shared,
            target: self.target.clone(),
            lease: None,
        })
    }

    /// Subscribes as `options` says, delivering to an actix `Recipient`. Its mailbox is
    /// the buffer: a full mailbox drops the new message (counted). The subscriber is
    /// unsubscribed when the recipient's actor stops (noticed at the next message or
    /// within a second), or by [`unsubscribe`](Self::unsubscribe).
    pub async fn subscribe_recipient(
        &self,
        options: Subscribe,
        recipient: Recipient<super::Event>,
    ) -> Result<RecipientSubscriber, Error> {
        let shared = Shared::new(1);
        let id = self
            .request(&options, Sink::Recipient(recipient, shared.clone()))
            .await?;
        Ok(RecipientSubscriber { id, shared })
    }

    /// Unsubscribes a recipient subscriber.
    pub fn unsubscribe(&self, subscriber: &RecipientSubscriber) {
        self.target.forget(subscriber.id);
    }

    async fn request(&self, options: &Subscribe, sink: Sink) -> Result<u64, Error> {
        if options.topics.is_empty() {
            return Err(Error::Config(
                "subscribe to at least one channel, pattern or shard channel".into(),
            ));
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let msg = SubscribeMsg {
            id,
            topics: options.topics.clone(),
            sink,
            overflow: options.overflow,
        };
        self.target.subscribe(msg, &self.state).await.map(|()| id)
    }
}

/// A child spec for a Pub/Sub connection, and a handle that reaches whichever incarnation
/// runs now, usable before the supervisor starts.
///
/// The subscribers outlive a restart of the actor: the new incarnation resubscribes them
/// (they see [`Disconnected`](super::Event::Disconnected) then
/// [`Subscribed`](super::Event::Subscribed)). If the supervisor gives up, their streams
/// stay open without events; watch [`PubSub::state_watch`].
///
/// ```no_run
/// use hardy_supervisor::Supervisor;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (spec, pubsub) = hardy_redis::pubsub::child_spec("pubsub", "redis://127.0.0.1".parse()?);
/// let sup = Supervisor::builder().child(spec).start()?;
/// let news = pubsub.subscribe(["news"]).await?;
/// # Ok(()) }
/// ```
pub fn child_spec(id: impl Into<ChildId>, config: Config) -> (ChildSpec, PubSub) {
    let config = Arc::new(config);
    let table: SharedTable = Arc::new(Mutex::new(Table::default()));
    let state = StateWatch::new();
    let spec = {
        let state = state.clone();
        ChildSpec::worker(id, move || {
            Ok(build(config.clone(), table.clone(), Some(state.clone())))
        })
    };
    let child = spec
        .child_ref::<PubSubActor>()
        .expect("the factory builds a PubSubActor");
    let pubsub = PubSub {
        target: Target::Child(child),
        state,
        _owner: None,
    };
    (spec, pubsub)
}
