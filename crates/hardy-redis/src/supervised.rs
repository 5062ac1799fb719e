//! Running the Redis actor under a hardy supervisor.
//!
//! A restarted child is a new actor with a new address. The actors made by [`child_spec`]
//! publish their address to a cell shared with the [`Redis`] handle it returns, and their
//! state to one shared [`StateWatch`], so the handle follows every incarnation, and can
//! be given to sibling workers declared in the same supervisor.

use std::sync::Arc;

use hardy_connection::StateWatch;
use hardy_supervisor::{ChildId, ChildSpec};

use crate::client::Target;
use crate::conn::{AddrCell, RedisConn};
use crate::{Config, Redis, RedisActor};

/// A child spec for a Redis connection, and a handle that reaches whichever incarnation
/// of it runs now.
///
/// Between incarnations, and once the supervisor has given up, requests through the
/// handle fail with [`Error::Stopped`](crate::Error::Stopped) carrying the last exit reason
/// (nothing was sent); a request whose incarnation dies before answering fails with
/// [`Error::Disconnected`](crate::Error::Disconnected).
///
/// ```no_run
/// use hardy_redis::{cmd, Config, Redis};
/// use hardy_supervisor::{ChildSpec, Strategy, Supervisor};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (spec, redis) = hardy_redis::child_spec("redis", "redis://127.0.0.1:6379".parse()?);
/// let sup = Supervisor::builder()
///     .strategy(Strategy::RestForOne)
///     .child(spec)
///     // Workers declared after the connection can be handed `redis.clone()` right away.
///     .start()?;
/// let pong: String = redis.command(cmd("PING")).await?;
/// # Ok(()) }
/// ```
pub fn child_spec(id: impl Into<ChildId>, config: Config) -> (ChildSpec, Redis) {
    let (redis, make) = Redis::factory(config);
    (ChildSpec::worker(id, move || Ok(make())), redis)
}

impl Redis {
    /// A handle, and a factory of connection actors that all publish to it: for a child
    /// spec of your own (see [`child_spec`]). Every actor the factory makes registers its
    /// address with the handle when it starts.
    pub fn factory(config: Config) -> (Redis, impl Fn() -> RedisActor + Send + Sync + Clone) {
        let state = StateWatch::new();
        let cell: Arc<AddrCell> = Arc::default();
        let redis = Redis::with_target(Target::Shared(cell.clone()), state.clone());
        let config = Arc::new(config);
        let make = move || {
            Redis::builder_for(RedisConn::new(config.clone(), Some(cell.clone())), &config)
                .with_state_watch(state.clone())
                .build()
        };
        (redis, make)
    }
}
