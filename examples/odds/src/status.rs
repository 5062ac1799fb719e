//! What the dashboard and the terminal show: one snapshot of the whole service, taken
//! once a second.

use serde::Serialize;

use crate::fanout::FanoutView;
use crate::queue::QueueStats;
use crate::redis_owner::Process;
use crate::simulator::SimStats;
use crate::stats::StatsSnapshot;
use crate::tree::TreeView;

/// A connection's state as shown: a short stable name and the full text.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    /// `connected`, `connecting`, `backoff`, `disconnected` or `stopped`.
    pub state: &'static str,
    /// e.g. `backoff (attempt 3 in 400ms)`.
    pub text: String,
}

impl LinkView {
    /// From a connection's state.
    pub fn of(state: &hardy_connection::ConnState) -> LinkView {
        use hardy_connection::ConnState;
        let text = match state {
            ConnState::Backoff { attempt, retry_in } => {
                format!("attempt {attempt} in {} ms", retry_in.as_millis())
            }
            ConnState::Connecting { attempt } => format!("connecting, attempt {attempt}"),
            other => other.to_string(),
        };
        LinkView {
            state: state.name(),
            text,
        }
    }
}

/// One snapshot of the service.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Milliseconds since the service started.
    pub uptime_ms: u64,
    /// Matches with a worker.
    pub matches: usize,
    /// Updates pushed to browsers per second, over the last second.
    pub updates_per_s: f64,
    /// Updates pushed to browsers so far: published by local workers, plus received from
    /// other instances.
    pub pushed: u64,
    /// The counters.
    pub stats: StatsSnapshot,
    /// The storage queue.
    pub queue: QueueStats,
    /// The feed connection (`None` on an instance that runs no feed).
    pub feed: Option<LinkView>,
    /// The Redis connection.
    pub redis: LinkView,
    /// The demo's `redis-server` process.
    pub redis_process: Process,
    /// What the simulator sent.
    pub sim: SimStats,
    /// The fan-out across instances (`None` when off).
    pub fanout: Option<FanoutView>,
    /// Restarts of match workers, summed over the tree.
    pub worker_restarts: u32,
    /// The supervision tree.
    pub tree: Option<TreeView>,
}

impl Status {
    /// The terminal's status line.
    pub fn line(&self) -> String {
        let fanout = match &self.fanout {
            Some(f) => format!(
                " · pubsub {} (out {}, in {}, lost {})",
                f.pubsub.state,
                f.published,
                f.received,
                f.unpublished + f.overflowed
            ),
            None => String::new(),
        };
        format!(
            "[odds] {} matches · {:.0} updates/s · {} worker restarts · feed {} · redis {} · \
             queue {}/{} (dropped {}, stored {}) · malformed {}{fanout}",
            self.matches,
            self.updates_per_s,
            self.worker_restarts,
            self.feed.as_ref().map_or("none", |f| f.state),
            self.redis.state,
            self.queue.depth,
            self.queue.bound,
            self.queue.dropped,
            self.queue.stored,
            self.stats.broken_xml + self.stats.out_of_range + self.stats.unknown_match,
        )
    }
}

/// Sums the restarts of every match worker in `tree`.
pub fn worker_restarts(tree: &TreeView) -> u32 {
    let own: u32 = tree.workers.iter().map(|w| w.restarts).sum();
    own + tree
        .children
        .iter()
        .filter_map(|c| c.tree.as_ref())
        .map(worker_restarts)
        .sum::<u32>()
}
