//! The match worker: one actor per match, the model of that match.
//!
//! It validates each update against the model's invariants and applies it, publishes the
//! new odds to browsers, and queues them for storage, in that order and without waiting for
//! either. A message that breaks the invariants crashes it on purpose (let it crash): only
//! this match is affected, its supervisor starts a new incarnation, and that incarnation
//! restores the model from Redis (or, while Redis is down, from what it last published)
//! before it handles any message.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use hardy_redis::{cmd, Redis};

use crate::hub::Hub;
use crate::model::{apply, Applied, Fixture, MatchOdds, OddsMsg};
use crate::queue::StorageQueue;
use crate::stats::Stats;
use crate::storage::LATEST_KEY;

/// How long a restore may wait for Redis before falling back to the published odds.
const RESTORE_TIMEOUT: Duration = Duration::from_millis(500);

/// What every match worker shares.
#[derive(Clone)]
pub struct Shared {
    /// The fan-out to browsers.
    pub hub: Hub,
    /// The storage queue.
    pub queue: StorageQueue,
    /// The database.
    pub redis: Redis,
    /// The counters.
    pub stats: Arc<Stats>,
}

/// The arguments a match worker is started with (and restarted with).
#[derive(Clone)]
pub struct MatchArgs {
    /// The match.
    pub fixture: Fixture,
    /// What workers share.
    pub shared: Shared,
}

/// Where a worker's model came from when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restored {
    /// Nothing stored yet: a new match.
    Fresh,
    /// From the `odds:latest` hash in Redis.
    Redis,
    /// From the odds last published (Redis was unreachable).
    Published,
}

/// The per-match actor; see the module docs.
pub struct MatchWorker {
    fixture: Fixture,
    shared: Shared,
    odds: Option<MatchOdds>,
}

impl MatchWorker {
    /// A worker for `args.fixture`; it restores its model when it starts.
    pub fn new(args: MatchArgs) -> Self {
        MatchWorker {
            fixture: args.fixture,
            shared: args.shared,
            odds: None,
        }
    }
}

impl Actor for MatchWorker {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // `wait`: no update is handled before the model is restored.
        let redis = self.shared.redis.clone();
        let id = self.fixture.id;
        let restore = async move {
            let get = redis.command::<Option<Vec<u8>>>(cmd("HGET").arg(LATEST_KEY).arg(id));
            match tokio::time::timeout(RESTORE_TIMEOUT, get).await {
                Ok(Ok(Some(json))) => Ok(MatchOdds::from_json(&json)),
                Ok(Ok(None)) => Ok(None),
                _ => Err(()),
            }
        };
        ctx.wait(restore.into_actor(self).map(|stored, worker, _| {
            let hub_odds = worker.shared.hub.latest_of(worker.fixture.id);
            let (odds, from) = match stored {
                Ok(Some(odds)) => (Some(odds), Restored::Redis),
                Ok(None) => (None, Restored::Fresh),
                Err(()) => (hub_odds, Restored::Published),
            };
            if hub_odds.is_some() {
                Stats::bump(&worker.shared.stats.restores);
                tracing::info!(
                    match_id = worker.fixture.id,
                    ?from,
                    seq = odds.map(|o| o.seq),
                    "match worker restored"
                );
            }
            worker.odds = odds;
        }));
    }
}

impl Handler<OddsMsg> for MatchWorker {
    type Result = ();

    fn handle(&mut self, msg: OddsMsg, _: &mut Context<Self>) {
        match apply(self.fixture.id, self.odds.as_ref(), &msg) {
            Ok(Applied::Updated(odds)) => {
                self.odds = Some(odds);
                self.shared.hub.publish(&odds);
                self.shared.queue.push(odds);
                Stats::bump(&self.shared.stats.published);
            }
            Ok(Applied::Stale) => {}
            Err(violation) => {
                Stats::bump(&self.shared.stats.out_of_range);
                // Let it crash: the supervisor restarts this match from its stored state.
                panic!("match {}: invariant violated: {violation}", self.fixture.id);
            }
        }
    }
}

/// Makes a worker crash, as a bad message would (the dashboard's "crash" button).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash;

impl Handler<Crash> for MatchWorker {
    type Result = ();

    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("match {}: crashed on request", self.fixture.id);
    }
}

/// Asks a worker for its model.
#[derive(Message)]
#[rtype(result = "Option<MatchOdds>")]
pub struct GetOdds;

impl Handler<GetOdds> for MatchWorker {
    type Result = Option<MatchOdds>;

    fn handle(&mut self, _: GetOdds, _: &mut Context<Self>) -> Option<MatchOdds> {
        self.odds
    }
}
