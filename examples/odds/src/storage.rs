//! The storage actor: drains the [`StorageQueue`] into Redis.
//!
//! Per batch, one pipeline: one `HSET odds:latest` with the newest odds of each match in the
//! batch, and one `XADD odds:history:<match> MAXLEN ~ N` per match in the batch (a capped
//! history). A batch holds what arrived since the last write: at ordinary rates that is one
//! update per match, so every update is recorded; when storage falls behind, a match's
//! updates within one batch coalesce into the newest, so the history gets sparser instead
//! of storage falling further behind.
//! While Redis is down it waits for the connection to come back, and the queue fills
//! behind it (dropping the oldest entries when full); then it drains. Nothing on the
//! real-time path waits for it.

use std::collections::BTreeMap;
use std::time::Duration;

use actix::prelude::*;
use hardy_redis::{cmd, ConnState, Frame, Pipeline, Redis};

use crate::model::MatchOdds;
use crate::queue::StorageQueue;

/// The hash that holds each match's latest odds (field = match id, value = JSON).
pub const LATEST_KEY: &str = "odds:latest";
/// How many history entries each match keeps (approximately: `MAXLEN ~`).
pub const HISTORY_LEN: usize = 100;
/// The most entries written in one pipeline.
const BATCH: usize = 2_000;

/// The stream that holds one match's history.
pub fn history_key(match_id: u32) -> String {
    format!("odds:history:{match_id}")
}

/// The storage actor; see the module docs.
pub struct Storage {
    queue: StorageQueue,
    redis: Redis,
}

impl Storage {
    /// A storage actor draining `queue` into `redis`.
    pub fn new(queue: StorageQueue, redis: Redis) -> Self {
        Storage { queue, redis }
    }
}

impl Actor for Storage {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let queue = self.queue.clone();
        let redis = self.redis.clone();
        ctx.spawn(drain(queue, redis).into_actor(self));
    }
}

async fn drain(queue: StorageQueue, redis: Redis) {
    let mut state = redis.state().subscribe();
    loop {
        queue.ready().await;
        if state.wait_for(ConnState::is_connected).await.is_err() {
            return;
        }
        let batch = queue.take(BATCH);
        if batch.is_empty() {
            continue;
        }
        let n = batch.len();
        match redis.pipeline::<Vec<Frame>>(pipeline(&batch)).await {
            Ok(_) => queue.stored(n),
            Err(e) => {
                tracing::debug!(error = %e, "storing a batch failed; it waits for Redis");
                queue.put_back(batch);
                // The connection noticed (or will notice) the outage; wait for its state to
                // move before trying again, so a refused batch is not retried in a loop.
                let _ = tokio::time::timeout(Duration::from_millis(200), state.changed()).await;
            }
        }
    }
}

fn pipeline(batch: &[MatchOdds]) -> Pipeline {
    let mut newest: BTreeMap<u32, &MatchOdds> = BTreeMap::new();
    for odds in batch {
        newest.insert(odds.match_id, odds);
    }
    let mut p = Pipeline::new();
    let mut hset = cmd("HSET").arg(LATEST_KEY);
    for (id, odds) in newest {
        let json = odds.to_json();
        p.push(
            cmd("XADD")
                .arg(history_key(odds.match_id))
                .arg("MAXLEN")
                .arg("~")
                .arg(HISTORY_LEN)
                .arg("*")
                .arg("odds")
                .arg(json.as_str()),
        );
        hset.push(id).push(json);
    }
    p.push(hset);
    p
}
