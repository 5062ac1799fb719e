//! Running the Redis actor under a hardy supervisor.
//!
//! A restarted child is a new actor with a new address, so a supervised [`Redis`] sends
//! through the supervisor's [`ChildRef`], which always reaches the current incarnation, and
//! publishes its state to one [`StateWatch`] shared by every incarnation.

use hardy_connection::StateWatch;
use hardy_supervisor::{ChildId, ChildRef, ChildSpec};

use crate::{Config, Redis, RedisActor};

/// A child spec for a Redis connection, and the state handle all its incarnations share.
///
/// ```no_run
/// use hardy_redis::{cmd, Config, Redis, RedisActor};
/// use hardy_supervisor::Supervisor;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let config: Config = "redis://127.0.0.1:6379".parse()?;
/// let (spec, state) = hardy_redis::child_spec("redis", config.clone());
/// let sup = Supervisor::builder().child(spec).start()?;
/// let redis = Redis::supervised(sup.child_ref::<RedisActor>("redis").await?, &config, state);
/// let pong: String = redis.command(cmd("PING")).await?;
/// # Ok(()) }
/// ```
pub fn child_spec(id: impl Into<ChildId>, config: Config) -> (ChildSpec, StateWatch) {
    let state = StateWatch::new();
    let shared = state.clone();
    let spec = ChildSpec::worker(id, move || {
        Ok(Redis::builder(config.clone())
            .with_state_watch(shared.clone())
            .build())
    });
    (spec, state)
}

impl Redis {
    /// A handle that sends through a supervisor's child handle, so it keeps working across
    /// restarts of the connection actor. While the child is between incarnations, requests
    /// fail with [`Error::NotConnected`](crate::Error::NotConnected) (nothing was sent).
    pub fn supervised(child: ChildRef<RedisActor>, config: &Config, state: StateWatch) -> Redis {
        Redis::with_target(crate::client::Target::Child(child), config, state)
    }
}
