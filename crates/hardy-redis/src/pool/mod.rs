//! [`Pool`]: N Redis connections on N arbiters (threads), one handle.
//!
//! One connection actor runs on one thread, so with a single connection every actix-web
//! worker's commands cross threads into that actor. A pool runs one connection per
//! arbiter under a [`PartitionSupervisor`](hardy_supervisor::PartitionSupervisor), and its
//! handle sends each request straight to the member on the caller's own arbiter (no
//! router actor in between): requests then never leave their thread.

mod member;
mod thread_tag;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use actix_rt::ArbiterHandle;
use hardy_connection::{ConnState, StateWatch};
use hardy_supervisor::{ChildId, ChildSpec, PartitionRef, PartitionSupervisor};

use crate::{Cmd, Config, Error, FromRedis, Pipeline, Redis, RedisActor, RedisConn};

pub use member::Member;

/// A pool of Redis connections spread over arbiters: cheap to clone, `Send`.
///
/// [`command`](Self::command) and friends go to the member on the caller's arbiter when
/// there is one (and it is connected), otherwise round-robin over the connected members;
/// [`for_key`](Self::for_key) keeps one key (or hash tag) on one member, so its commands
/// stay in order. Each member is an ordinary connection: its in-flight bound
/// ([`Config::max_in_flight`]), timeouts and reconnects apply per member, and a member
/// that dies is restarted by the pool's supervisor without disturbing the others.
///
/// ```no_run
/// use hardy_redis::{cmd, Config, Pool};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // One member per worker arbiter (here: two new threads).
/// let arbiters = vec![actix_rt::Arbiter::new().handle(), actix_rt::Arbiter::new().handle()];
/// let config: Config = "redis://127.0.0.1:6379".parse()?;
/// let pool = Pool::builder(config).spread_over(arbiters).start().await?;
/// pool.command::<()>(cmd("SET").arg("k").arg("v")).await?;
/// for member in pool.status() {
///     println!("member {}: {:?}, {} in flight", member.index, member.state, member.in_flight);
/// }
/// pool.stop().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    members: Vec<Slot>,
    next: AtomicUsize,
    sup: PartitionRef<RedisActor>,
}

/// What a member's factory and its handle share: the thread it runs on, its state.
#[derive(Clone)]
struct Part {
    thread: Arc<AtomicU64>,
    state: StateWatch,
}

/// One member: its handle (follows restarts), the thread it runs on, its requests.
#[derive(Debug)]
struct Slot {
    redis: Redis,
    /// The [`thread_tag`] of the arbiter it runs on; 0 until it first starts.
    thread: Arc<AtomicU64>,
    in_flight: AtomicUsize,
}

/// One member's state, from [`Pool::status`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberStatus {
    /// The member's index, as in [`Pool::member`].
    pub index: usize,
    /// Its connection's state.
    pub state: ConnState,
    /// Requests sent through the pool to this member and not yet answered.
    pub in_flight: usize,
    /// Whether it runs on the calling thread's arbiter.
    pub local: bool,
}

/// Builds a [`Pool`]: [`Pool::builder`].
#[must_use]
#[derive(Debug)]
pub struct PoolBuilder {
    config: Config,
    size: Option<usize>,
    arbiters: Vec<ArbiterHandle>,
    name: String,
}

impl Pool {
    /// A pool builder: one member per arbiter given to
    /// [`spread_over`](PoolBuilder::spread_over), or [`size`](PoolBuilder::size) members
    /// on the supervisor's arbiter.
    pub fn builder(config: Config) -> PoolBuilder {
        PoolBuilder {
            config,
            size: None,
            arbiters: Vec::new(),
            name: "redis pool".into(),
        }
    }

    /// The member for this call: the caller's arbiter's (when connected), else the next
    /// connected one round-robin. Use it to send several requests to one member.
    pub fn pick(&self) -> Member<'_> {
        Member::new(&self.inner.members, self.pick_index())
    }

    fn pick_index(&self) -> usize {
        let members = &self.inner.members;
        let here = thread_tag::current();
        if let Some(i) = members
            .iter()
            .position(|m| m.thread.load(Ordering::Relaxed) == here)
        {
            if members[i].redis.state().get().is_connected() {
                return i;
            }
        }
        let n = members.len();
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| members[i].redis.state().get().is_connected())
            .unwrap_or(start % n)
    }

    /// The member that serves `key` (its hash tag, `{...}`, when it has one): the same key
    /// always reaches the same member, so its commands keep their order.
    pub fn for_key(&self, key: impl AsRef<[u8]>) -> Member<'_> {
        let index = (affinity_hash(key.as_ref()) % self.inner.members.len() as u64) as usize;
        Member::new(&self.inner.members, index)
    }

    /// Member `index` (modulo the pool's size).
    pub fn member(&self, index: usize) -> Member<'_> {
        Member::new(&self.inner.members, index % self.inner.members.len())
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.inner.members.len()
    }

    /// Always false: a pool has at least one member.
    pub fn is_empty(&self) -> bool {
        self.inner.members.is_empty()
    }

    /// Each member's connection state and in-flight count, in index order.
    pub fn status(&self) -> Vec<MemberStatus> {
        let here = thread_tag::current();
        self.inner
            .members
            .iter()
            .enumerate()
            .map(|(index, m)| MemberStatus {
                index,
                state: m.redis.state().get(),
                in_flight: m.in_flight.load(Ordering::Relaxed),
                local: m.thread.load(Ordering::Relaxed) == here,
            })
            .collect()
    }

    /// Sends one command through [`pick`](Self::pick)'s member: see
    /// [`Redis::command`].
    pub async fn command<T: FromRedis>(&self, cmd: Cmd) -> Result<T, Error> {
        self.pick().command(cmd).await
    }

    /// A pipeline on one member: see [`Redis::pipeline`].
    pub async fn pipeline<T: FromRedis>(&self, pipeline: Pipeline) -> Result<T, Error> {
        self.pick().pipeline(pipeline).await
    }

    /// A transaction on one member: see [`Redis::transaction`].
    pub async fn transaction<T: FromRedis>(&self, pipeline: Pipeline) -> Result<T, Error> {
        self.pick().transaction(pipeline).await
    }

    /// Stops the pool's supervisor and every member.
    pub async fn stop(&self) {
        self.inner.sup.stop().await;
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("members", &self.members)
            .finish_non_exhaustive()
    }
}

impl PoolBuilder {
    /// One member per arbiter in `arbiters` (each member is built and runs there), unless
    /// [`size`](Self::size) asks for more (then they go round-robin over the arbiters).
    pub fn spread_over(mut self, arbiters: Vec<ArbiterHandle>) -> Self {
        self.arbiters = arbiters;
        self
    }

    /// How many members (default: one per arbiter of
    /// [`spread_over`](Self::spread_over), else 1).
    pub fn size(mut self, n: usize) -> Self {
        self.size = Some(n.max(1));
        self
    }

    /// The supervisor's name in tracing events and introspection.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    fn partitions(self) -> (PartitionSupervisor<RedisActor>, Vec<Part>) {
        let size = self.size.unwrap_or(self.arbiters.len()).max(1);
        let config = Arc::new(self.config);
        let parts: Vec<Part> = (0..size)
            .map(|_| Part {
                thread: Arc::new(AtomicU64::new(0)),
                state: StateWatch::new(),
            })
            .collect();
        let shared: Vec<Part> = parts.clone();
        let sup = PartitionSupervisor::new(size, move |i| {
            let part = &shared[i];
            // The factory runs on the member's arbiter: remember which thread that is.
            part.thread.store(thread_tag::current(), Ordering::Relaxed);
            Ok(Redis::builder_for(RedisConn::new(config.clone()), &config)
                .with_state_watch(part.state.clone())
                .build())
        })
        .name(self.name)
        .spread_over(self.arbiters);
        (sup, parts)
    }

    /// A spec that runs the pool under your supervisor, and its handle, usable at once
    /// (requests answer [`Error::NotConnected`] or [`Error::Stopped`] until the members
    /// start).
    pub fn child_spec(self, id: impl Into<ChildId>) -> (ChildSpec, Pool) {
        let (sup, members) = self.partitions();
        let (spec, sup) = sup.child_spec(id);
        (spec, Pool::new(members, sup))
    }

    /// Starts the pool as a root supervisor and returns once every member has started
    /// (each connects in the background: see [`Redis::start`]). It runs until
    /// [`Pool::stop`]: dropping the handles does not stop it.
    pub async fn start(self) -> Result<Pool, Error> {
        let (sup, members) = self.partitions();
        let sup = sup
            .start()
            .await
            .map_err(|e| Error::Stopped(format!("the pool did not start: {e}").into()))?;
        Ok(Pool::new(members, sup))
    }
}

impl Pool {
    fn new(parts: Vec<Part>, sup: PartitionRef<RedisActor>) -> Pool {
        // Each member's handle follows its incarnations through the partition's own
        // `ChildRef`, and reads the state every incarnation publishes to one watch.
        let members = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| Slot {
                redis: Redis::from_child_ref(sup.nth(i).clone(), part.state),
                thread: part.thread,
                in_flight: AtomicUsize::new(0),
            })
            .collect();
        Pool {
            inner: Arc::new(Inner {
                members,
                next: AtomicUsize::new(0),
                sup,
            }),
        }
    }
}

/// FNV-1a over the key's hash tag (the bytes between the first `{` and the next `}`, if
/// non-empty, as Redis Cluster does), else over the whole key.
fn affinity_hash(key: &[u8]) -> u64 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        rest.iter()
            .position(|&b| b == b'}')
            .filter(|&close| close > 0)
            .map(|close| &rest[..close])
    });
    tagged
        .unwrap_or(key)
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::affinity_hash;

    #[test]
    fn keys_with_one_hash_tag_hash_alike() {
        assert_eq!(affinity_hash(b"{user1}:a"), affinity_hash(b"{user1}:b"));
        assert_eq!(affinity_hash(b"x{user1}"), affinity_hash(b"user1"));
        assert_ne!(affinity_hash(b"{}a"), affinity_hash(b"{}b"));
    }
}
