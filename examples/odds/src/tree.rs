//! The supervision tree, and every use of hardy-supervisor's API in the service.
//!
//! ```text
//! odds (one_for_one)
//! ├── redis      hardy-redis connection (reconnects inside its actor)
//! ├── storage    drains the storage queue into Redis
//! ├── matches    PartitionSupervisor: one partition per core, each on its own arbiter
//! │   ├── partition-0   DynamicSupervisor: one MatchWorker per match, started on the
//! │   │                 match's first message
//! │   └── partition-1   ...
//! └── feed       the feed client (a ConnectionActor)
//! ```
//!
//! Kept in one file so that the service follows the supervisor's API in one place.
//! [`Matches`] is the match registry: it routes each update to its match's worker,
//! starting the worker on the first one. It holds one [`DynamicRef`] per partition, made
//! before the tree starts from the partition supervisor's [`PartitionRef`]: those handles
//! follow every incarnation of the partition (and of `matches` above it), so a restarted
//! partition is reached through the same handle and its matches are started again on
//! their next update.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix::prelude::*;
use hardy_supervisor::{
    ChildRef, ChildSpec, ChildStatus, DynamicRef, DynamicSupervisor, Error, PartitionSupervisor,
    Pid, Strategy, Supervisor, SupervisorRef, SupervisorTree,
};
use serde::Serialize;

use crate::model::{Fixture, OddsMsg};
use crate::stats::Stats;
use crate::worker::{Crash, GetOdds, MatchArgs, MatchWorker, Shared};

/// The most updates kept for a match whose worker is being started.
const START_BUFFER: usize = 10_000;

/// Builds the fan-out actor.
pub type FanoutFactory = Box<dyn Fn() -> crate::fanout::Fanout + Send + Sync>;

/// What the root supervisor starts, besides the match partitions.
pub struct TreeSpec {
    /// The Redis connection's spec (from `hardy_redis::child_spec`).
    pub redis: ChildSpec,
    /// Builds the storage actor.
    pub storage: Box<dyn Fn() -> crate::storage::Storage + Send + Sync>,
    /// The Redis Pub/Sub connection's spec (from `hardy_redis::pubsub::child_spec`) and
    /// the builder of the fan-out actor; `None`: the in-process path only.
    pub fanout: Option<(ChildSpec, FanoutFactory)>,
    /// Builds the feed client actor; `None` for an instance that only serves browsers.
    pub feed: Option<Box<dyn Fn() -> crate::feed::FeedActor + Send + Sync>>,
    /// How many partitions (threads) the match workers are spread over.
    pub partitions: usize,
}

/// The running tree.
pub struct Tree {
    root: SupervisorRef,
    arbiters: Vec<Arbiter>,
}

impl Tree {
    /// Starts the tree. The feed client starts last, so its first update finds the rest up.
    pub fn start(spec: TreeSpec, matches: &Matches) -> Result<Tree, Error> {
        let arbiters: Vec<Arbiter> = (0..spec.partitions.max(1))
            .map(|_| Arbiter::new())
            .collect();
        let template = matches.inner.template.clone();
        let (partitions_spec, partitions) = PartitionSupervisor::new(arbiters.len(), move |_| {
            template.build().map_err(hardy_supervisor::StartError::from)
        })
        .name("matches")
        .intensity(20, Duration::from_secs(10))
        .spread_over(arbiters.iter().map(Arbiter::handle).collect())
        .child_spec("matches");
        matches.attach(
            (0..partitions.partitions())
                .map(|i| {
                    let part = SupervisorRef::from_child_ref(partitions.nth(i).clone());
                    matches.inner.template.handle(part)
                })
                .collect(),
        );
        let storage = spec.storage;
        let mut root = Supervisor::builder()
            .name("odds")
            .strategy(Strategy::OneForOne)
            .intensity(20, Duration::from_secs(10))
            .child(spec.redis)
            .child(ChildSpec::worker("storage", move || Ok(storage())));
        if let Some((pubsub, fanout)) = spec.fanout {
            root = root
                .child(pubsub)
                .child(ChildSpec::worker("fanout", move || Ok(fanout())));
        }
        root = root.child(partitions_spec);
        if let Some(feed) = spec.feed {
            root = root.child(ChildSpec::worker("feed", move || Ok(feed())));
        }
        let root = root.start()?;
        Ok(Tree { root, arbiters })
    }

    /// The root supervisor.
    pub fn root(&self) -> &SupervisorRef {
        &self.root
    }

    /// The whole tree now.
    pub async fn snapshot(&self, matches: &Matches) -> Option<TreeView> {
        let tree = self.root.tree().await.ok()?;
        Some(matches.view_tree(&tree))
    }

    /// A cloneable handle that takes the tree's snapshot (for the status ticker).
    pub fn probe(&self, matches: &Matches) -> TreeProbe {
        TreeProbe {
            root: self.root.clone(),
            matches: matches.clone(),
        }
    }

    /// Stops the tree (children in reverse order), then the partition threads.
    pub async fn stop(self) {
        self.root.stop().await;
        for arbiter in self.arbiters {
            arbiter.stop();
        }
    }
}

/// Takes snapshots of a running tree; cheap to clone.
#[derive(Clone)]
pub struct TreeProbe {
    root: SupervisorRef,
    matches: Matches,
}

impl TreeProbe {
    /// The whole tree now (`None` if the root is gone).
    pub async fn view(&self) -> Option<TreeView> {
        let tree = self.root.tree().await.ok()?;
        Some(self.matches.view_tree(&tree))
    }
}

enum Entry {
    Starting(Vec<OddsMsg>),
    Running(ChildRef<MatchWorker>),
}

struct Inner {
    template: Arc<DynamicSupervisor<MatchWorker, MatchArgs>>,
    shared: Shared,
    partitions: OnceLock<Vec<DynamicRef<MatchWorker, MatchArgs>>>,
    table: Mutex<HashMap<u32, (Fixture, Entry)>>,
}

/// The match registry; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Matches {
    inner: Arc<Inner>,
}

/// A match's worker as the dashboard sees it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerView {
    /// The match.
    pub match_id: u32,
    /// `running`, `restarting` or `stopped`.
    pub status: &'static str,
    /// How many times its supervisor restarted it.
    pub restarts: u32,
    /// Why its last incarnation ended.
    pub last_exit: Option<String>,
}

/// One supervisor of the tree, as JSON for the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct TreeView {
    /// Its name.
    pub name: String,
    /// Its strategy, or `dynamic`.
    pub strategy: String,
    /// Its children (a dynamic supervisor's match workers are summarised in `workers`).
    pub children: Vec<NodeView>,
    /// For a dynamic supervisor: its match workers.
    pub workers: Vec<WorkerView>,
}

/// One child in a [`TreeView`].
#[derive(Debug, Clone, Serialize)]
pub struct NodeView {
    /// Its id.
    pub id: String,
    /// `worker` or `supervisor`.
    pub kind: String,
    /// `running`, `restarting` or `stopped`.
    pub status: &'static str,
    /// The current incarnation.
    pub pid: Option<u64>,
    /// How many times it was restarted.
    pub restarts: u32,
    /// Why its last incarnation ended.
    pub last_exit: Option<String>,
    /// A child supervisor's own tree.
    pub tree: Option<TreeView>,
}

fn status_name(s: ChildStatus) -> (&'static str, Option<Pid>) {
    match s {
        ChildStatus::Running(pid) => ("running", Some(pid)),
        ChildStatus::Restarting => ("restarting", None),
        ChildStatus::Undefined => ("stopped", None),
    }
}

impl Matches {
    /// A registry whose workers share `shared`.
    pub fn new(shared: Shared) -> Matches {
        let template = DynamicSupervisor::new(|args: MatchArgs| Ok(MatchWorker::new(args)))
            .name("partition")
            .intensity(200, Duration::from_secs(10));
        Matches {
            inner: Arc::new(Inner {
                template: Arc::new(template),
                shared,
                partitions: OnceLock::new(),
                table: Mutex::default(),
            }),
        }
    }

    fn attach(&self, partitions: Vec<DynamicRef<MatchWorker, MatchArgs>>) {
        if self.inner.partitions.set(partitions).is_err() {
            tracing::error!("a match registry serves one tree; the second one is ignored");
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (Fixture, Entry)>> {
        self.inner.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands `msg` to its match's worker, starting the worker on the match's first update
    /// (and again if its partition was restarted). Never waits. Must run inside an actix
    /// system (it spawns the start on the current arbiter).
    pub fn route(&self, fixture: &Fixture, msg: OddsMsg) {
        let stats = &self.inner.shared.stats;
        let mut table = self.table();
        let entry = table
            .entry(fixture.id)
            .or_insert_with(|| (fixture.clone(), Entry::Starting(Vec::new())));
        match &mut entry.1 {
            Entry::Running(child) => match child.do_send(msg) {
                Ok(()) => return,
                Err(Error::Restarting(_)) => {
                    Stats::bump(&stats.lost_in_restart);
                    return;
                }
                Err(_) => entry.1 = Entry::Starting(vec![msg]),
            },
            Entry::Starting(buf) => {
                if buf.is_empty() {
                    buf.push(msg);
                } else {
                    if buf.len() < START_BUFFER {
                        buf.push(msg);
                    } else {
                        Stats::bump(&stats.lost_in_restart);
                    }
                    return;
                }
            }
        }
        drop(table);
        let this = self.clone();
        let fixture = fixture.clone();
        actix_rt::spawn(async move { this.start_worker(fixture).await });
    }

    async fn start_worker(&self, fixture: Fixture) {
        let id = fixture.id;
        let args = MatchArgs {
            fixture,
            shared: self.inner.shared.clone(),
        };
        let started = match self.dynamic_for(id) {
            Ok(dynamic) => dynamic.start_child(args).await,
            Err(e) => Err(e),
        };
        let mut table = self.table();
        let Some(entry) = table.get_mut(&id) else {
            return;
        };
        let buffered = match std::mem::replace(&mut entry.1, Entry::Starting(Vec::new())) {
            Entry::Starting(buf) => buf,
            running @ Entry::Running(_) => {
                entry.1 = running;
                return;
            }
        };
        match started {
            Ok(child) => {
                for msg in buffered {
                    if child.do_send(msg).is_err() {
                        Stats::bump(&self.inner.shared.stats.lost_in_restart);
                    }
                }
                entry.1 = Entry::Running(child);
            }
            Err(e) => {
                tracing::warn!(match_id = id, error = %e, "could not start a match worker; the next update retries");
                for _ in buffered {
                    Stats::bump(&self.inner.shared.stats.lost_in_restart);
                }
                table.remove(&id);
            }
        }
    }

    /// The dynamic supervisor of the partition that serves `match_id` (a handle that
    /// follows the partition's restarts).
    fn dynamic_for(&self, match_id: u32) -> Result<DynamicRef<MatchWorker, MatchArgs>, Error> {
        let partitions = self.inner.partitions.get().ok_or(Error::SupervisorDown)?;
        Ok(partitions[match_id as usize % partitions.len()].clone())
    }

    /// Crashes a match's worker (the dashboard's button). False when it has none running.
    pub fn crash(&self, match_id: u32) -> bool {
        match self.table().get(&match_id) {
            Some((_, Entry::Running(child))) => child.do_send(Crash).is_ok(),
            _ => false,
        }
    }

    /// A worker's model, asked of the worker itself.
    pub async fn odds(&self, match_id: u32) -> Option<crate::model::MatchOdds> {
        let child = match self.table().get(&match_id) {
            Some((_, Entry::Running(child))) => child.clone(),
            _ => return None,
        };
        child.send(GetOdds).await.ok().flatten()
    }

    /// The pid of a match's current worker.
    pub fn pid(&self, match_id: u32) -> Option<u64> {
        match self.table().get(&match_id) {
            Some((_, Entry::Running(child))) => child.pid().map(Pid::as_u64),
            _ => None,
        }
    }

    /// How many matches have a worker (running or being started).
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no match has a worker yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tree as the dashboard shows it: the dynamic supervisors' children by match.
    pub fn view_tree(&self, tree: &SupervisorTree) -> TreeView {
        let by_id: HashMap<hardy_supervisor::ChildId, u32> = self
            .table()
            .iter()
            .filter_map(|(id, (_, e))| match e {
                Entry::Running(child) => Some((child.id().clone(), *id)),
                Entry::Starting(_) => None,
            })
            .collect();
        self.view_with(tree, &by_id)
    }

    fn view_with(
        &self,
        tree: &SupervisorTree,
        by_id: &HashMap<hardy_supervisor::ChildId, u32>,
    ) -> TreeView {
        let mut view = TreeView {
            name: tree.name.clone(),
            strategy: match tree.strategy {
                Some(s) => format!("{s:?}"),
                None => "dynamic".into(),
            },
            children: Vec::new(),
            workers: Vec::new(),
        };
        for c in &tree.children {
            let (status, pid) = status_name(c.status);
            let last_exit = c.last_exit.as_ref().map(ToString::to_string);
            if let Some(&match_id) = by_id.get(&c.id) {
                view.workers.push(WorkerView {
                    match_id,
                    status,
                    restarts: c.restarts,
                    last_exit,
                });
                continue;
            }
            view.children.push(NodeView {
                id: c.id.to_string(),
                kind: format!("{:?}", c.kind).to_lowercase(),
                status,
                pid: pid.map(Pid::as_u64),
                restarts: c.restarts,
                last_exit,
                tree: c.children.as_ref().map(|t| self.view_with(t, by_id)),
            });
        }
        view.workers.sort_by_key(|w| w.match_id);
        view
    }
}
