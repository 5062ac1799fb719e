//! The `cluster` scenario: the testkit's `RedisCluster` (three primaries with a replica
//! each, `cluster-node-timeout 1000`), the clients given every node as a seed. The
//! workload's keys are not hash-tagged, so the `SET`s and the per-caller `INCR`
//! counters spread over the whole slot space.
//!
//! Faults, each over before the next (`cluster_state:ok` on every node, and the nodes
//! agreeing on every slot's owner):
//! - `migrate`: [`MIGRATE_SLOTS`] slots of one primary moved to the next one (all marked
//!   `MIGRATING`/`IMPORTING` first, so clients see `ASK` for a while, then `MOVED`);
//! - `failover`: `CLUSTER FAILOVER` on a primary's replica (coordinated: the primary
//!   stops writes until the replica has caught up, no acknowledged write is lost);
//! - `killprimary`: a primary SIGKILLed, its replica takes over; after MS the old
//!   primary restarts and rejoins as the new one's replica;
//! - `clientkill`: every node closes every client connection.
//!
//! Replication is asynchronous: `killprimary` can lose writes the dead primary
//! acknowledged but had not yet sent to its replica, whatever the client does;
//! `migrate` and `failover` cannot.
//!
//! The checks read each key from the primary that owns its slot at the end, directly
//! (a plain connection per primary, a pipeline of `GET`s per node), not through a cluster client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hardy_redis::cluster::key_slot;
use hardy_redis::{cmd, Pipeline, Redis};
use hardy_testkit::{ClientType, RedisCluster, SLOTS};

use super::Scenario;
use crate::connect::Endpoint;
use crate::kit::faults::{Inject, Kind};
use crate::kit::verify::Store;

const DEFAULT_FAULTS: &str = "migrate:6,failover:6,killprimary:6:500,clientkill:6";

/// Slots moved by one `migrate`.
pub const MIGRATE_SLOTS: usize = 200;

/// How long a restarted primary may take to rejoin as a replica.
const REJOIN: Duration = Duration::from_secs(60);

/// The cluster, shared with the fault schedule's thread.
#[derive(Clone)]
pub struct ClusterScenario {
    cluster: Arc<Mutex<RedisCluster>>,
    seeds: Vec<(String, u16)>,
    /// Faults fired so far, to rotate over the primaries.
    turn: Arc<AtomicUsize>,
}

impl ClusterScenario {
    pub fn start() -> ClusterScenario {
        let cluster = RedisCluster::start().expect("redis cluster");
        let seeds = (0..cluster.len())
            .map(|i| ("127.0.0.1".to_owned(), cluster.node(i).port()))
            .collect();
        ClusterScenario {
            cluster: Arc::new(Mutex::new(cluster)),
            seeds,
            turn: Arc::new(AtomicUsize::new(0)),
        }
    }
}

fn error(what: &str) -> impl Fn(hardy_testkit::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Moves [`MIGRATE_SLOTS`] of primary `turn`'s slots to the next primary.
fn migrate(cluster: &RedisCluster, turn: usize) -> Result<(), String> {
    let primaries = cluster.primaries().map_err(error("primaries"))?;
    let from = primaries[turn % primaries.len()];
    let to = primaries[(turn + 1) % primaries.len()];
    let slots = cluster.slots_of(from).map_err(error("slots"))?;
    let start = (turn * 7919) % slots.len().max(1);
    let chosen: Vec<u16> = slots
        .iter()
        .cycle()
        .skip(start)
        .take(MIGRATE_SLOTS.min(slots.len().saturating_sub(1)))
        .copied()
        .collect();
    cluster
        .migrate_slots(chosen, from, to)
        .map_err(error("migrate"))?;
    cluster.wait_ok().map_err(error("after migrate"))
}

/// The turn's primary among those that have a replica, with one of its replicas. Right
/// after a failover or a rejoin the nodes' views may not show the new replica yet, so
/// this waits (up to [`REJOIN`]) for a view in which some primary has one.
fn primary_with_replica(cluster: &RedisCluster, turn: usize) -> Result<(usize, usize), String> {
    let deadline = Instant::now() + REJOIN;
    loop {
        let primaries = cluster.primaries().map_err(error("primaries"))?;
        let with: Vec<(usize, usize)> = primaries
            .iter()
            .filter_map(|&p| Some((p, *cluster.replicas_of(p).ok()?.first()?)))
            .collect();
        if !with.is_empty() {
            return Ok(with[turn % with.len()]);
        }
        if Instant::now() > deadline {
            return Err(format!("no primary has a replica after {REJOIN:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn failover(cluster: &RedisCluster, turn: usize) -> Result<(), String> {
    let (_, replica) = primary_with_replica(cluster, turn)?;
    cluster.failover(replica).map_err(error("CLUSTER FAILOVER"))
}

fn kill_primary(cluster: &mut RedisCluster, turn: usize, hold: Duration) -> Result<(), String> {
    let (old, _) = primary_with_replica(cluster, turn)?;
    let new = cluster.kill_primary(old).map_err(error("kill"))?;
    thread::sleep(hold);
    cluster.node_mut(old).restart().map_err(error("restart"))?;
    let deadline = Instant::now() + REJOIN;
    loop {
        let rejoined = cluster.replicas_of(new).is_ok_and(|r| r.contains(&old));
        let synced = cluster
            .node(old)
            .command(&["INFO", "replication"])
            .is_ok_and(|i| i.to_string().contains("master_link_status:up"));
        if rejoined && synced {
            return cluster.wait_ok().map_err(error("after rejoin"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "node {old} did not rejoin as a replica in {REJOIN:?}"
            ));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

impl Inject for ClusterScenario {
    fn inject(&self, kind: Kind, hold: Duration) -> Result<(), String> {
        let turn = self.turn.fetch_add(1, Ordering::SeqCst);
        let mut cluster = self.cluster.lock().expect("cluster lock");
        match kind {
            Kind::Migrate => migrate(&cluster, turn),
            Kind::Failover => failover(&cluster, turn),
            Kind::KillPrimary => kill_primary(&mut cluster, turn, hold),
            Kind::ClientKill => {
                for i in 0..cluster.len() {
                    cluster
                        .node(i)
                        .client_kill(ClientType::Normal)
                        .map_err(error("CLIENT KILL"))?;
                }
                Ok(())
            }
            other => Err(format!("{}: not a Cluster fault", other.name())),
        }
    }
}

/// Every primary at the end, read directly, each key from its slot's owner.
pub struct Owners {
    /// Slot -> index into `nodes`.
    owner: Vec<usize>,
    nodes: Vec<Redis>,
}

impl Store for Owners {
    async fn values(&self, keys: &[&str]) -> Vec<Option<String>> {
        let mut by_node: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            let node = self.owner[usize::from(key_slot(key.as_bytes()))];
            by_node.entry(node).or_default().push(i);
        }
        let mut values = vec![None; keys.len()];
        for (node, positions) in by_node {
            // One GET each (MGET needs its keys in one slot), pipelined.
            let mut gets = Pipeline::new();
            for &i in &positions {
                gets.push(cmd("GET").arg(keys[i]));
            }
            let got: Vec<Option<String>> = self.nodes[node].pipeline(gets).await.expect("GETs");
            for (i, value) in positions.into_iter().zip(got) {
                values[i] = value;
            }
        }
        values
    }
}

impl Scenario for ClusterScenario {
    type Faults = ClusterScenario;
    type Store = Owners;

    fn default_faults(&self) -> &'static str {
        DEFAULT_FAULTS
    }

    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::Migrate,
            Kind::Failover,
            Kind::KillPrimary,
            Kind::ClientKill,
        ]
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::Cluster {
            seeds: self.seeds.clone(),
        }
    }

    fn faults(&self) -> ClusterScenario {
        self.clone()
    }

    fn reset(&self) {
        let cluster = self.cluster.lock().expect("cluster lock");
        for i in cluster.primaries().expect("primaries") {
            cluster.node(i).command(&["FLUSHALL"]).expect("FLUSHALL");
        }
        cluster.wait_ok().expect("cluster ok");
    }

    async fn store(&self) -> Owners {
        let (ports, owner) = {
            let cluster = self.cluster.lock().expect("cluster lock");
            cluster.wait_ok().expect("cluster ok");
            let primaries = cluster.primaries().expect("primaries");
            let mut owner = vec![usize::MAX; usize::from(SLOTS)];
            for (n, &p) in primaries.iter().enumerate() {
                for slot in cluster.slots_of(p).expect("slots") {
                    owner[usize::from(slot)] = n;
                }
            }
            assert!(
                owner.iter().all(|&o| o != usize::MAX),
                "a slot without owner"
            );
            let ports: Vec<u16> = primaries.iter().map(|&p| cluster.node(p).port()).collect();
            (ports, owner)
        };
        let mut nodes = Vec::new();
        for port in ports {
            let config = hardy_redis::Config::new("127.0.0.1", port)
                .command_timeout(Duration::from_secs(60));
            nodes.push(Redis::connect(config).await.expect("a primary, directly"));
        }
        Owners { owner, nodes }
    }
}
