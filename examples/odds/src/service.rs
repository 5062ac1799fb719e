//! The service assembled: redis-server, feed simulator, supervision tree, web server and
//! the status ticker. `main` and the tests start it the same way.
//!
//! Two roles: the first instance owns the `redis-server` and the feed (simulator, client
//! and match workers); an instance started with [`ServiceConfig::join`] uses that Redis
//! and only serves browsers, which see every match through the Pub/Sub fan-out
//! ([`crate::fanout`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hardy_connection::StateWatch;
use hardy_redis::{Config, Redis};

use crate::fanout::{Fanout, FanoutParts};
use crate::feed::FeedClient;
use crate::hub::Hub;
use crate::queue::StorageQueue;
use crate::redis_owner::RedisOwner;
use crate::simulator::{SimConfig, Simulator};
use crate::stats::Stats;
use crate::status::{worker_restarts, LinkView, Status};
use crate::storage::Storage;
use crate::tree::{FanoutFactory, Matches, Tree, TreeSpec};
use crate::web;
use crate::worker::Shared;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The web server's port (0: any free one).
    pub port: u16,
    /// The feed simulator.
    pub sim: SimConfig,
    /// How many partitions (threads) match workers are spread over (0: one per core).
    pub partitions: usize,
    /// The storage queue's bound.
    pub queue_bound: usize,
    /// How long "kill Redis" keeps it down.
    pub redis_downtime: Duration,
    /// How long "cut the feed" keeps the feed refusing connections.
    pub feed_outage: Duration,
    /// How often the status is taken and pushed to browsers.
    pub status_every: Duration,
    /// Join the Redis another instance owns (its `redis://` URL) instead of starting one.
    /// Such an instance runs no feed and no match workers: it serves browsers, and its
    /// odds come through the Pub/Sub fan-out. Needs `fanout`.
    pub join: Option<String>,
    /// Fan updates out to the other instances sharing the Redis, through Redis Pub/Sub
    /// (default on; off: the in-process path only).
    pub fanout: bool,
    /// This instance's id in the fan-out (empty: a random one).
    pub instance: String,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            port: 0,
            sim: SimConfig::default(),
            partitions: 0,
            queue_bound: 10_000,
            redis_downtime: Duration::from_secs(4),
            feed_outage: Duration::from_secs(3),
            status_every: Duration::from_secs(1),
            join: None,
            fanout: true,
            instance: String::new(),
        }
    }
}

/// The running service. Must be started and stopped inside an actix system.
pub struct Service {
    /// The fan-out to browsers.
    pub hub: Hub,
    /// The counters.
    pub stats: Arc<Stats>,
    /// The storage queue.
    pub queue: StorageQueue,
    /// The match registry.
    pub matches: Matches,
    /// The Redis connection.
    pub redis: Redis,
    /// The feed connection's state.
    pub feed_state: StateWatch,
    /// The demo's redis-server.
    pub redis_server: RedisOwner,
    /// The latest status (taken every `status_every`).
    pub status: Arc<Mutex<Option<Status>>>,
    /// The fan-out across instances (`None` when off).
    pub fanout: Option<FanoutParts>,
    sim: Option<Arc<Simulator>>,
    config: ServiceConfig,
    tree: Option<Tree>,
    http: actix_web::dev::ServerHandle,
    addr: SocketAddr,
    started: Instant,
    ticker: Option<actix_rt::task::JoinHandle<()>>,
}

/// Why the service could not start.
pub type StartError = Box<dyn std::error::Error>;

impl Service {
    /// Starts everything: redis-server, the simulator, the tree, the web server (for a
    /// joining instance: the tree without the feed, and the web server).
    pub async fn start(mut config: ServiceConfig) -> Result<Service, StartError> {
        if config.join.is_some() && !config.fanout {
            return Err(
                "an instance that joins another's Redis needs the fan-out on: its \
                        browsers' odds come through Redis Pub/Sub"
                    .into(),
            );
        }
        if config.instance.is_empty() {
            config.instance = format!("{:08x}", rand::random::<u32>());
        }
        let (redis_server, sim) = match &config.join {
            Some(url) => (RedisOwner::external(url.clone()), None),
            None => (
                tokio::task::spawn_blocking(RedisOwner::start).await??,
                Some(Arc::new(Simulator::start(config.sim.clone())?)),
            ),
        };
        let redis_config = Config::from_url(redis_server.url())?
            .backoff(Duration::from_millis(100), 2.0, Duration::from_secs(1))
            .command_timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(1));
        let (redis_spec, redis) = hardy_redis::child_spec("redis", redis_config.clone());
        let stats = Arc::new(Stats::default());
        let hub = Hub::new();
        let queue = StorageQueue::new(config.queue_bound);
        let shared = Shared {
            hub: hub.clone(),
            queue: queue.clone(),
            redis: redis.clone(),
            stats: stats.clone(),
        };
        let matches = Matches::new(shared.clone());
        let feed_state = StateWatch::new();
        let partitions = match config.partitions {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let (fanout, fanout_spec) = if config.fanout {
            let (pubsub_spec, pubsub) = hardy_redis::pubsub::child_spec("pubsub", redis_config);
            let parts = FanoutParts {
                instance: config.instance.as_str().into(),
                hub: hub.clone(),
                redis: redis.clone(),
                pubsub,
                stats: Arc::default(),
            };
            let p = parts.clone();
            let factory: FanoutFactory = Box::new(move || Fanout::new(p.clone()));
            (Some(parts), Some((pubsub_spec, factory)))
        } else {
            (None, None)
        };
        let feed = sim.as_ref().map(|sim| {
            let (feed_addr, m, s, w) = (
                sim.addr(),
                matches.clone(),
                shared.clone(),
                feed_state.clone(),
            );
            Box::new(move || FeedClient::new(feed_addr, m.clone(), s.clone()).actor(w.clone()))
                as Box<dyn Fn() -> crate::feed::FeedActor + Send + Sync>
        });
        let (q, r) = (queue.clone(), redis.clone());
        let tree = Tree::start(
            TreeSpec {
                redis: redis_spec,
                storage: Box::new(move || Storage::new(q.clone(), r.clone())),
                fanout: fanout_spec,
                feed,
                partitions,
            },
            &matches,
        )?;
        let status = Arc::new(Mutex::new(None));
        let app = web::AppState {
            hub: hub.clone(),
            status: status.clone(),
            matches: matches.clone(),
            sim: sim.clone(),
            redis_server: redis_server.clone(),
            redis: redis.clone(),
            redis_downtime: config.redis_downtime,
            feed_outage: config.feed_outage,
        };
        let (server, addr) = web::serve(app, config.port)?;
        let http = server.handle();
        actix_rt::spawn(server);
        let mut service = Service {
            hub,
            stats,
            queue,
            matches,
            redis,
            feed_state,
            redis_server,
            status,
            fanout,
            sim,
            config,
            tree: Some(tree),
            http,
            addr,
            started: Instant::now(),
            ticker: None,
        };
        service.ticker = Some(service.start_ticker());
        Ok(service)
    }

    /// The feed simulator, on the instance that runs the feed (`None` on one that joined).
    pub fn sim(&self) -> Option<&Arc<Simulator>> {
        self.sim.as_ref()
    }

    /// The Redis URL this instance uses (`--join` it to run a second instance).
    pub fn redis_url(&self) -> &str {
        self.redis_server.url()
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The web server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The supervision tree.
    pub fn tree(&self) -> &Tree {
        self.tree.as_ref().expect("the tree runs until stop")
    }

    /// Takes a status snapshot now.
    pub async fn take_status(&self, since: Option<(Instant, u64)>) -> Status {
        snapshot(&Parts::of(self), self.tree(), since).await
    }

    fn start_ticker(&self) -> actix_rt::task::JoinHandle<()> {
        let parts = Parts::of(self);
        let every = self.config.status_every;
        let probe = self.tree().probe(&self.matches);
        let slot = self.status.clone();
        let hub = self.hub.clone();
        actix_rt::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let mut last = (Instant::now(), 0u64);
            loop {
                tick.tick().await;
                let tree = probe.view().await;
                let status = parts.status(tree, Some(last));
                last = (Instant::now(), status.pushed);
                if let Ok(json) = serde_json::to_string(&status) {
                    hub.send("status", &json);
                }
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
            }
        })
    }

    /// Stops the web server, the tree and redis-server (the simulator stops when the last
    /// handle on it is dropped).
    pub async fn stop(mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        self.http.stop(false).await;
        if let Some(tree) = self.tree.take() {
            tree.stop().await;
        }
        let server = self.redis_server.clone();
        let _ = tokio::task::spawn_blocking(move || server.shutdown()).await;
    }
}

/// What a status snapshot is taken from.
#[derive(Clone)]
pub(crate) struct Parts {
    started: Instant,
    stats: Arc<Stats>,
    queue: StorageQueue,
    matches: Matches,
    feed: StateWatch,
    redis: Redis,
    server: RedisOwner,
    sim: Option<Arc<Simulator>>,
    fanout: Option<FanoutParts>,
}

impl Parts {
    fn of(s: &Service) -> Parts {
        Parts {
            started: s.started,
            stats: s.stats.clone(),
            queue: s.queue.clone(),
            matches: s.matches.clone(),
            feed: s.feed_state.clone(),
            redis: s.redis.clone(),
            server: s.redis_server.clone(),
            sim: s.sim.clone(),
            fanout: s.fanout.clone(),
        }
    }

    fn status(&self, tree: Option<crate::tree::TreeView>, since: Option<(Instant, u64)>) -> Status {
        let stats = self.stats.snapshot();
        let fanout = self.fanout.as_ref().map(FanoutParts::view);
        let pushed = stats.published + fanout.as_ref().map_or(0, |f| f.received);
        let updates_per_s = match since {
            Some((at, before)) => {
                let secs = at.elapsed().as_secs_f64();
                if secs > 0.0 {
                    (pushed.saturating_sub(before)) as f64 / secs
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        Status {
            uptime_ms: self.started.elapsed().as_millis() as u64,
            matches: self.matches.len(),
            updates_per_s,
            stats,
            queue: self.queue.stats(),
            feed: self.sim.as_ref().map(|_| LinkView::of(&self.feed.get())),
            redis: LinkView::of(&self.redis.state().get()),
            redis_process: self.server.process(),
            sim: self.sim.as_ref().map(|s| s.stats()).unwrap_or_default(),
            fanout,
            pushed,
            worker_restarts: tree.as_ref().map_or(0, worker_restarts),
            tree,
        }
    }
}

async fn snapshot(parts: &Parts, tree: &Tree, since: Option<(Instant, u64)>) -> Status {
    let view = tree.snapshot(&parts.matches).await;
    parts.status(view, since)
}
