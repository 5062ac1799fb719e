//! Redis Cluster: one handle that routes every command to the node that owns its keys.
//!
//! When one server is no longer enough, Redis Cluster shards the 16,384 hash slots over
//! primaries, each with replicas that take over on failure. A [`Cluster`] keeps one
//! ordinary connection actor per primary (each with its own automatic pipelining,
//! reconnection and health check) under a dynamic supervisor, and a shared, immutable
//! slot map that the handle reads without a lock: a command goes from the caller straight
//! to the owning node's actor, with no router actor in between.
//!
//! The pieces, one concern per file: [`key_slot`] (`slot.rs`), which arguments are keys
//! (`keys.rs`), the topology replies (`topology.rs`), the node connections and the slot
//! map (`nodes.rs`), re-reading the topology (`refresh.rs`), following redirections
//! (`redirect.rs`, `route.rs`), and splitting multi-key commands and pipelines
//! (`split.rs`). The guide is docs/redis.md, section "Redis Cluster".

mod config;
mod error;
mod keys;
mod nodes;
mod redirect;
mod refresh;
mod route;
mod scan;
mod shard_pubsub;
mod slot;
mod split;
mod topology;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use arc_swap::ArcSwap;
use tokio::sync::watch;
use tokio::time::Instant;

pub use config::{
    ClusterConfig, DEFAULT_MAX_REDIRECTS, DEFAULT_MIN_REFRESH_INTERVAL, DEFAULT_REFRESH_INTERVAL,
    DEFAULT_RETRY_TIMEOUT,
};
pub use error::ClusterError;

pub use slot::{key_slot, SLOT_COUNT};

use crate::client::{convert, exec_result};
use crate::commands::{Execute, Reply as TypedReply, TypedCmd};
use crate::pubsub::{PubSub, Subscription};
use crate::{Cmd, Error, FromRedis, Pipeline, Redis};
use keys::KeyTable;
use nodes::{Nodes, SlotMap};

/// A handle on a Redis Cluster: cheap to clone, `Send`, usable from any thread.
///
/// Each command goes to the primary that owns its keys' slot (keyless commands to any
/// primary); `MOVED`, `ASK`, `TRYAGAIN` and `CLUSTERDOWN` are followed for you, and a
/// command that may have run is never resent (see docs/redis.md, "Redis Cluster"). Typed
/// methods work on `&Cluster` as on `&Redis`.
///
/// ```no_run
/// use hardy_redis::cluster::Cluster;
/// use hardy_redis::{cmd, StringCommands};
///
/// # async fn demo() -> Result<(), hardy_redis::Error> {
/// let cluster = Cluster::connect("redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001".parse()?).await?;
/// cluster.set("{user1}:name", "Ada").await?;
/// let name: String = cluster.command(cmd("GET").arg("{user1}:name")).await?;
/// let both: Vec<Option<String>> =
///     cluster.command(cmd("MGET").arg("{user1}:name").arg("other")).await?; // split per slot
/// cluster.stop().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
    /// The last clone dropped stops the cluster.
    _owner: Arc<Owner>,
}

pub(crate) struct Inner {
    config: ClusterConfig,
    /// Where the supervisor runs, and where topology reads run.
    arbiter: actix_rt::ArbiterHandle,
    map: ArcSwap<SlotMap>,
    keys: ArcSwap<KeyTable>,
    nodes: Nodes,
    version: AtomicU64,
    version_tx: watch::Sender<u64>,
    refreshing: AtomicBool,
    refresh_again: AtomicBool,
    refresh_count: AtomicUsize,
    last_refresh: Mutex<Instant>,
    stats: Counters,
    stopped: AtomicBool,
    /// One Pub/Sub connection per slot with shard channel subscribers, held by them.
    shard_pubsubs: Mutex<HashMap<u16, Weak<shard_pubsub::SlotLease>>>,
}

/// What the cluster handle has done so far, from [`Cluster::stats`]: counts since connect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterStats {
    /// `MOVED` redirections followed.
    pub moved: u64,
    /// `ASK` redirections followed.
    pub ask: u64,
    /// Retries after `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, an unowned slot or an
    /// unreachable node (the command had not run).
    pub retries: u64,
    /// Topology reads done.
    pub refreshes: u64,
}

#[derive(Default)]
struct Counters {
    moved: AtomicU64,
    ask: AtomicU64,
    retries: AtomicU64,
    refreshes: AtomicU64,
}

impl Cluster {
    /// Reads the topology from the first seed that answers (in order), starts a
    /// connection to every primary under a supervisor on the current arbiter, and returns.
    /// Fails with [`ClusterError::NoTopology`] (saying why for each seed) when no seed
    /// answers. The cluster runs until [`stop`](Self::stop) or until its last handle is
    /// dropped.
    pub async fn connect(config: ClusterConfig) -> Result<Cluster, Error> {
        let (version_tx, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            nodes: Nodes::start()?,
            arbiter: actix_rt::Arbiter::current(),
            config,
            map: ArcSwap::from_pointee(SlotMap::empty()),
            keys: ArcSwap::from_pointee(KeyTable::default()),
            version: AtomicU64::new(0),
            version_tx,
            refreshing: AtomicBool::new(false),
            refresh_again: AtomicBool::new(false),
            refresh_count: AtomicUsize::new(0),
            last_refresh: Mutex::new(Instant::now()),
            stats: Counters::default(),
            stopped: AtomicBool::new(false),
            shard_pubsubs: Mutex::new(HashMap::new()),
        });
        inner.nodes.report_losses_to(Arc::downgrade(&inner));
        let mut errors = Vec::new();
        for (host, port) in inner.config.seeds.clone() {
            match inner.read_from_seed(&host, port).await {
                Ok((shards, keys)) => {
                    if let Some(keys) = keys {
                        inner.keys.store(Arc::new(keys));
                    }
                    if let Err(e) = inner.apply(shards).await {
                        errors.push(format!("{host}:{port}: {e}"));
                        continue;
                    }
                    spawn_periodic_refresh(&inner);
                    let owner = Arc::new(Owner(inner.clone()));
                    return Ok(Cluster {
                        inner,
                        _owner: owner,
                    });
                }
                Err(e) => errors.push(format!("{host}:{port}: {e}")),
            }
        }
        inner.nodes.stop().await;
        Err(ClusterError::NoTopology(errors.join("; ")).into())
    }

    /// Sends one command to the node that owns its keys and converts the reply to `T`.
    ///
    /// `MGET`, `MSET`, `DEL`, `EXISTS`, `UNLINK` and `TOUCH` whose keys span slots are
    /// split per slot, sent concurrently and reassembled (`MGET` in key order, the counts
    /// summed; `MSET` is then not atomic across slots). Any other command whose keys span
    /// slots fails with [`ClusterError::CrossSlot`] before anything is sent. `FLUSHALL`,
    /// `FLUSHDB`, `SCRIPT LOAD`/`FLUSH` and `FUNCTION LOAD`/`FLUSH`/`DELETE` go to every
    /// primary (the first reply when all succeed); `KEYS` concatenates every primary's
    /// answer and `DBSIZE` sums them. `SCAN` is refused with [`ClusterError::Unsupported`]:
    /// use [`scan`](Self::scan), which walks every primary in turn.
    pub async fn command<T: FromRedis>(&self, cmd: Cmd) -> Result<T, Error> {
        convert(self.inner.dispatch(cmd).await?)
    }

    /// Sends a pipeline: its commands are grouped by owning node, each group sent as one
    /// batch, all groups concurrently, and the replies put back in the caller's order.
    /// Converts them as one array like [`Redis::pipeline`]; a command that failed
    /// without a reply (a node's connection lost) fails the whole call with the first
    /// such error: use [`pipeline_each`](Self::pipeline_each) to see each outcome.
    pub async fn pipeline<T: FromRedis>(&self, pipeline: Pipeline) -> Result<T, Error> {
        let frames = self
            .inner
            .pipeline(pipeline.into_cmds())
            .await
            .into_iter()
            .collect::<Result<Vec<_>, Error>>()?;
        convert(crate::resp::Frame::Array(frames))
    }

    /// Like [`pipeline`](Self::pipeline), with each command's own outcome in the
    /// caller's order: its reply (an error reply is a frame), or the error that kept it
    /// from one (`Disconnected`: it may have run; a cluster error: it did not).
    pub async fn pipeline_each(&self, pipeline: Pipeline) -> Vec<Result<crate::Frame, Error>> {
        self.inner.pipeline(pipeline.into_cmds()).await
    }

    /// Runs the pipeline as a transaction (`MULTI` … `EXEC`) on the node that owns its
    /// keys, which must all be in one slot ([`ClusterError::CrossSlotTransaction`]
    /// otherwise, before anything is sent). A redirection while queueing makes Redis
    /// discard the transaction, so it is then resent whole to the right node. The result
    /// is as for [`Redis::transaction`].
    pub async fn transaction<T: FromRedis>(&self, pipeline: Pipeline) -> Result<T, Error> {
        let frames = self.inner.transaction(pipeline.into_cmds()).await?;
        exec_result(frames)
    }

    /// A handle on each primary's connection, with its `host:port`: for commands that
    /// must visit every node (`INFO`, `CONFIG`; for `SCAN` see [`scan`](Self::scan)). The list is a snapshot.
    pub fn primaries(&self) -> Vec<(String, Redis)> {
        self.inner
            .map
            .load()
            .primaries()
            .iter()
            .map(|n| (n.addr.to_string(), n.redis.clone()))
            .collect()
    }

    /// The `host:port` of the primary that owns `slot` in the current map.
    pub fn owner_of(&self, slot: u16) -> Option<String> {
        self.inner
            .map
            .load()
            .owner(slot)
            .map(|n| n.addr.to_string())
    }

    /// Subscribes to shard channels (`SSUBSCRIBE`), which must all hash to one slot
    /// ([`ClusterError::CrossSlot`] otherwise), on the node that owns it. Subscriptions to
    /// one slot share a Pub/Sub connection, which follows the slot when it moves (a
    /// migration, a failover): subscribers then see
    /// [`Event::Disconnected`](crate::pubsub::Event::Disconnected) and
    /// [`Event::Subscribed`](crate::pubsub::Event::Subscribed). Publish with
    /// `cluster.command(cmd("SPUBLISH").arg(channel).arg(message))`. The connection
    /// closes when the slot's last subscription is dropped (or the cluster stops); it runs
    /// on the arbiter that called [`connect`](Self::connect), whichever thread subscribes.
    pub async fn ssubscribe(
        &self,
        channels: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Result<Subscription, Error> {
        if self.inner.stopped.load(Ordering::Acquire) {
            // A connection started now would outlive the stopped cluster.
            return Err(Error::Stopped("the cluster was stopped".into()));
        }
        let channels: Vec<Vec<u8>> = channels.into_iter().map(|c| c.as_ref().to_vec()).collect();
        let Some(first) = channels.first() else {
            return Err(Error::Config(
                "subscribe to at least one shard channel".into(),
            ));
        };
        let slot = key_slot(first);
        if channels.iter().any(|c| key_slot(c) != slot) {
            return Err(ClusterError::CrossSlot {
                command: "SSUBSCRIBE".into(),
            }
            .into());
        }
        // Where it connects first; every later connect asks the slot map again.
        let first_node = match self.inner.map.load().owner(slot) {
            Some(owner) => self.inner.config.for_node(&owner.addr)?,
            None => self.inner.config.node.clone(),
        };
        let lease = {
            let mut all = self
                .inner
                .shard_pubsubs
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            // Checked under the lock that stop() takes after setting the flag: a lease
            // made here is either refused or closed by stop().
            if self.inner.is_stopped() {
                return Err(Error::Stopped("the cluster was stopped".into()));
            }
            match all.get(&slot).and_then(Weak::upgrade) {
                Some(lease) => lease,
                None => {
                    let locate = shard_pubsub::SlotOwner::new(&self.inner, slot);
                    let pubsub = PubSub::start_located(first_node, locate, &self.inner.arbiter);
                    let lease = shard_pubsub::SlotLease::new(&self.inner, slot, pubsub);
                    all.insert(slot, Arc::downgrade(&lease));
                    lease
                }
            }
        };
        let Some(pubsub) = lease.pubsub() else {
            return Err(Error::Stopped("the cluster was stopped".into()));
        };
        let mut subscription = pubsub.ssubscribe(channels).await?;
        subscription.lease = Some(lease);
        Ok(subscription)
    }

    /// Counts of redirections, retries and topology reads since connect.
    pub fn stats(&self) -> ClusterStats {
        let s = &self.inner.stats;
        ClusterStats {
            moved: s.moved.load(Ordering::Relaxed),
            ask: s.ask.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            refreshes: s.refreshes.load(Ordering::Relaxed),
        }
    }

    /// Re-reads the topology now (not rate-limited), from a known node or else a seed.
    pub async fn refresh(&self) -> Result<(), Error> {
        self.inner.refresh_now().await
    }

    /// Stops every node connection, the supervisor and the shard Pub/Sub connections
    /// (their subscriptions' streams end). Requests sent afterwards fail. Dropping the
    /// last handle does the same without waiting.
    pub async fn stop(&self) {
        self.inner.begin_stop();
        self.inner.nodes.stop().await;
    }
}

/// Shared by the handles: the last one dropped stops the cluster. Internal tasks (the
/// periodic refresh, the node watchers, shard Pub/Sub connections) hold only `Weak`
/// references, so they never keep an unreachable cluster running.
struct Owner(Arc<Inner>);

impl Drop for Owner {
    fn drop(&mut self) {
        if !self.0.begin_stop() {
            return;
        }
        let inner = self.0.clone();
        // The supervisor is stopped from its own arbiter; if that arbiter is gone, so
        // are the actors it ran.
        let _ = self
            .0
            .arbiter
            .spawn(async move { inner.nodes.stop().await });
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self.inner.map.load();
        f.debug_struct("Cluster")
            .field("seeds", &self.inner.config.seeds)
            .field(
                "primaries",
                &map.primaries().iter().map(|n| &*n.addr).collect::<Vec<_>>(),
            )
            .field("version", &map.version)
            .finish()
    }
}

/// Typed methods on a cluster route each command by its keys, as [`Cluster::command`].
impl<'a> Execute for &'a Cluster {
    type Output<T: FromRedis + Send + 'static> = TypedReply<'a, T>;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> TypedReply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

impl Inner {
    /// Whether [`Cluster::stop`] ran (or the last handle was dropped).
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Marks the cluster stopped and closes the shard Pub/Sub connections; `false` if it
    /// was stopped already. The node connections are left to the caller.
    fn begin_stop(&self) -> bool {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return false;
        }
        // Taken out under the lock, closed outside it (a lease's drop takes the lock).
        let leases: Vec<_> = self
            .shard_pubsubs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .filter_map(|(_, lease)| lease.upgrade())
            .collect();
        for lease in &leases {
            lease.close();
        }
        true
    }
}

/// Re-reads the topology every `refresh_interval` while a handle lives.
fn spawn_periodic_refresh(inner: &Arc<Inner>) {
    let Some(interval) = inner.config.refresh_interval else {
        return;
    };
    let weak: Weak<Inner> = Arc::downgrade(inner);
    actix_rt::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            match weak.upgrade() {
                Some(inner) if !inner.stopped.load(Ordering::Acquire) => inner.trigger_refresh(),
                _ => return,
            }
        }
    });
}
