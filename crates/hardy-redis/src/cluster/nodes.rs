//! The node connections and the slot map that points into them.
//!
//! Each node is an ordinary Redis connection actor (its own pipelining, reconnection and
//! health check) started as a child of one dynamic supervisor, and reached through a
//! [`Redis`] handle that follows its restarts. The [`SlotMap`] is an immutable snapshot
//! (slot → node) swapped whole; callers read it without a lock, so a command goes straight
//! from the caller to the owning node's actor.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use hardy_connection::StateWatch;
use hardy_supervisor::{ChildRef, DynamicRef, DynamicSupervisor, RestartType};

use super::slot::SLOT_COUNT;
use super::topology::Shard;
use super::{ClusterConfig, Inner};
use crate::{Config, Error, Redis, RedisActor, RedisConn};

/// No node owns the slot.
const NONE: u16 = u16::MAX;

/// One node: its address and its connection.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) addr: Arc<str>,
    pub(crate) redis: Redis,
}

/// Which node serves each slot: a snapshot, replaced whole on every change.
#[derive(Debug)]
pub(crate) struct SlotMap {
    pub(crate) version: u64,
    slots: Box<[u16]>,
    primaries: Vec<Node>,
    /// Each primary's replicas (same index), when replica reads are on.
    replicas: Vec<Vec<Node>>,
    next: AtomicUsize,
}

impl SlotMap {
    pub(crate) fn empty() -> SlotMap {
        SlotMap {
            version: 0,
            slots: vec![NONE; usize::from(SLOT_COUNT)].into_boxed_slice(),
            primaries: Vec::new(),
            replicas: Vec::new(),
            next: AtomicUsize::new(0),
        }
    }

    /// A replica of `slot`'s owner, round-robin; the owner when it has none.
    pub(crate) fn reader(&self, slot: u16) -> Option<&Node> {
        let index = usize::from(*self.slots.get(usize::from(slot))?);
        match self.replicas.get(index).filter(|r| !r.is_empty()) {
            Some(replicas) => {
                Some(&replicas[self.next.fetch_add(1, Ordering::Relaxed) % replicas.len()])
            }
            None => self.primaries.get(index),
        }
    }

    /// The primary that owns `slot`, if any.
    pub(crate) fn owner(&self, slot: u16) -> Option<&Node> {
        let index = *self.slots.get(usize::from(slot))?;
        self.primaries.get(usize::from(index))
    }

    /// Any primary, round-robin (for keyless commands).
    pub(crate) fn any(&self) -> Option<&Node> {
        let n = self.primaries.len();
        (n > 0).then(|| &self.primaries[self.next.fetch_add(1, Ordering::Relaxed) % n])
    }

    /// Every primary that owns at least one slot.
    pub(crate) fn primaries(&self) -> &[Node] {
        &self.primaries
    }

    /// This map with `slot` moved to `node` (from a `MOVED`).
    pub(crate) fn with_slot(&self, version: u64, slot: u16, node: Node) -> SlotMap {
        let mut primaries = self.primaries.clone();
        let mut replicas = self.replicas.clone();
        let index = match primaries.iter().position(|n| n.addr == node.addr) {
            Some(i) => i,
            None => {
                primaries.push(node);
                replicas.push(Vec::new());
                primaries.len() - 1
            }
        };
        let mut slots = self.slots.clone();
        if let Some(entry) = slots.get_mut(usize::from(slot)) {
            *entry = u16::try_from(index).unwrap_or(NONE);
        }
        SlotMap {
            version,
            slots,
            primaries,
            replicas,
            next: AtomicUsize::new(0),
        }
    }

    /// A map from a topology: each shard's slots to its primary.
    pub(crate) fn from_shards(
        version: u64,
        shards: &[Shard],
        nodes: &HashMap<String, Node>,
    ) -> SlotMap {
        let mut map = SlotMap::empty();
        map.version = version;
        for shard in shards {
            let Some(node) = shard.primary.as_ref().and_then(|a| nodes.get(a)) else {
                continue;
            };
            let index = match map.primaries.iter().position(|n| n.addr == node.addr) {
                Some(i) => i,
                None => {
                    map.primaries.push(node.clone());
                    map.replicas.push(Vec::new());
                    map.primaries.len() - 1
                }
            };
            let replicas = shard.replicas.iter().filter_map(|a| nodes.get(a));
            map.replicas[index].extend(replicas.cloned());
            let index = u16::try_from(index).unwrap_or(NONE);
            for &(start, end) in &shard.slots {
                for slot in start..=end.min(SLOT_COUNT - 1) {
                    map.slots[usize::from(slot)] = index;
                }
            }
        }
        map
    }
}

type NodeArgs = (Arc<Config>, StateWatch);

/// The node connections, by address, under one dynamic supervisor.
pub(crate) struct Nodes {
    sup: DynamicRef<RedisActor, NodeArgs>,
    running: tokio::sync::Mutex<HashMap<String, (Node, ChildRef<RedisActor>)>>,
    /// Told when a node's connection is lost (set once the cluster exists).
    on_lost: OnceLock<Weak<Inner>>,
    /// Running nodes the last topology read left out: closed if the next one does too.
    missing: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Nodes {
    /// Starts the (empty) supervisor on the current arbiter.
    pub(crate) fn start() -> Result<Nodes, Error> {
        let sup = DynamicSupervisor::new(|(config, state): NodeArgs| {
            Ok(Redis::builder_for(RedisConn::new(config.clone()), &config)
                .with_state_watch(state)
                .build())
        })
        .name("redis cluster nodes")
        .restart(RestartType::Transient)
        .intensity(100, std::time::Duration::from_secs(10))
        .start()
        .map_err(|e| {
            Error::Stopped(format!("the cluster's supervisor did not start: {e}").into())
        })?;
        Ok(Nodes {
            sup,
            running: tokio::sync::Mutex::new(HashMap::new()),
            on_lost: OnceLock::new(),
            missing: std::sync::Mutex::default(),
        })
    }

    /// From now on, a node whose connection drops makes `inner` re-read the topology.
    pub(crate) fn report_losses_to(&self, inner: Weak<Inner>) {
        let _ = self.on_lost.set(inner);
    }

    /// Watches a node's state: a connected link that drops asks for a refresh. Ends when
    /// the node is gone (its state handle dropped) or the cluster is.
    fn watch(&self, state: &StateWatch) {
        let Some(inner) = self.on_lost.get().cloned() else {
            return;
        };
        let mut states = state.subscribe();
        tokio::spawn(async move {
            let mut was_up = false;
            while states.changed().await.is_ok() {
                let up = states.borrow_and_update().is_connected();
                if was_up && !up {
                    match inner.upgrade() {
                        Some(inner) => inner.trigger_refresh(),
                        None => return,
                    }
                }
                was_up = up;
            }
        });
    }

    /// The connection to `addr`, started if it is new.
    pub(crate) async fn get(&self, addr: &str, config: &ClusterConfig) -> Result<Node, Error> {
        let mut running = self.running.lock().await;
        if let Some((node, _)) = running.get(addr) {
            return Ok(node.clone());
        }
        let node_config = Arc::new(config.for_node(addr)?);
        let state = StateWatch::new();
        let child = self
            .sup
            .start_child((node_config, state.clone()))
            .await
            .map_err(|e| {
                Error::Stopped(format!("the connection to {addr} did not start: {e}").into())
            })?;
        self.watch(&state);
        let node = Node {
            addr: Arc::from(addr),
            redis: Redis::from_child_ref(child.clone(), state),
        };
        running.insert(addr.to_owned(), (node.clone(), child));
        Ok(node)
    }

    /// Stops every connection whose address was not in `keep` this time nor the time
    /// before. One topology read that leaves a node out (a node briefly unhealthy, a
    /// replica loading, a read from a node whose view lags) does not cut the requests in
    /// flight on it; a node that really left is closed at the next read.
    pub(crate) async fn retain(&self, keep: &[&str]) {
        let gone: Vec<ChildRef<RedisActor>> = {
            let mut running = self.running.lock().await;
            let mut missing = self.missing.lock().unwrap_or_else(|e| e.into_inner());
            let absent: Vec<String> = running
                .keys()
                .filter(|a| !keep.contains(&a.as_str()))
                .cloned()
                .collect();
            let dead: Vec<String> = absent
                .iter()
                .filter(|a| missing.contains(*a))
                .cloned()
                .collect();
            *missing = absent.into_iter().filter(|a| !dead.contains(a)).collect();
            dead.iter()
                .filter_map(|a| running.remove(a).map(|(_, child)| child))
                .collect()
        };
        for child in gone {
            let _ = self.sup.terminate_child(&child).await;
        }
    }

    /// The running connections' handles.
    pub(crate) async fn all(&self) -> Vec<Node> {
        self.running
            .lock()
            .await
            .values()
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Stops the supervisor and every connection.
    pub(crate) async fn stop(&self) {
        self.sup.stop().await;
    }
}
