//! Running the Redis actor under a hardy supervisor.
//!
//! A restarted child is a new actor with a new address. The [`Redis`] handle that
//! [`child_spec`] returns reaches the actors through the supervisor's own stable handle
//! (hardy-supervisor's `ChildRef`, taken from the spec before it starts), and every
//! incarnation publishes its state to one shared [`StateWatch`], so the handle follows
//! every incarnation, and can be given to sibling workers declared in the same supervisor.

use std::sync::Arc;

use hardy_connection::StateWatch;
use hardy_supervisor::{ChildId, ChildRef, ChildSpec};

use crate::{Config, Redis, RedisActor, RedisConn};

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
    let state = StateWatch::new();
    let shared = state.clone();
    let config = Arc::new(config);
    let spec = ChildSpec::worker(id, move || {
        let conn = RedisConn::new(config.clone());
        Ok(Redis::builder_for(conn, &config)
            .with_state_watch(shared.clone())
            .build())
    });
    let child: ChildRef<RedisActor> = match spec.child_ref() {
        Ok(child) => child,
        // The factory above builds a `RedisActor`: the type always matches.
        Err(e) => unreachable!("a Redis child spec's handle: {e}"),
    };
    (spec, Redis::from_child_ref(child, state))
}
