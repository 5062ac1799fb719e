//! [`RedisCluster`]: a real Redis Cluster (`cluster-enabled yes`) on free loopback ports,
//! with the operations cluster tests need: migrating slots, a manual failover, killing a
//! primary.
//!
//! A cluster client is only believable if it has seen `MOVED`, `ASK`, `TRYAGAIN` and a
//! failover from real servers. Each node is an ordinary [`RedisServer`] whose cluster bus
//! port is leased like its client port and set with `cluster-port` (so it need not be
//! port + 10000). The cluster is built with the `CLUSTER` commands directly (distinct
//! config epochs, `ADDSLOTSRANGE`, `MEET`, `REPLICATE`), which is faster and more
//! predictable than `redis-cli --cluster create`; every wait polls the nodes with a
//! deadline.

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::port::{free_port, PortLease};
use crate::resp::Reply;
use crate::server::{RedisConfig, RedisServer};

/// The number of hash slots of every Redis Cluster.
pub const SLOTS: u16 = 16_384;
/// How long building the cluster, a migration step, or a failover may take.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two polls of the nodes' state.
const POLL: Duration = Duration::from_millis(20);
/// Keys moved per `MIGRATE`.
const MIGRATE_BATCH: usize = 100;

/// A Redis Cluster of real `redis-server` processes on `127.0.0.1`.
///
/// Nodes are numbered in start order: the first `primaries` nodes start as primaries
/// (node `i` owning the `i`-th equal share of the 16,384 slots), then each primary's
/// replicas. Indices stay the same after a failover: ask [`primaries`](Self::primaries)
/// or [`owner_of`](Self::owner_of) for the current roles. Dropping it kills every node.
///
/// ```no_run
/// use hardy_testkit::RedisCluster;
///
/// let mut cluster = RedisCluster::start()?; // 3 primaries, 3 replicas
/// let from = cluster.owner_of(0)?;
/// let to = cluster.owner_of(16_383)?;
/// cluster.migrate_slots(0..100, from, to)?;
/// cluster.failover(cluster.replicas_of(to)?[0])?;
/// # Ok::<(), hardy_testkit::Error>(())
/// ```
pub struct RedisCluster {
    nodes: Vec<Node>,
}

struct Node {
    server: RedisServer,
    id: String,
    _bus: PortLease,
}

/// One line of `CLUSTER NODES`, as far as the fixture needs it.
#[derive(Debug, Clone)]
struct NodeLine {
    id: String,
    port: u16,
    primary: bool,
    failed: bool,
    handshake: bool,
    primary_id: Option<String>,
    slots: Vec<(u16, u16)>,
}

impl RedisCluster {
    /// Three primaries, each with one replica: six nodes.
    pub fn start() -> Result<RedisCluster> {
        RedisCluster::with_shape(3, 1)
    }

    /// `primaries` primaries (at least 1) with `replicas` replicas each, ready
    /// (`cluster_state:ok` on every node, every replica's link to its primary up).
    pub fn with_shape(primaries: usize, replicas: usize) -> Result<RedisCluster> {
        let primaries = primaries.max(1);
        let total = primaries * (1 + replicas);
        let mut nodes = Vec::with_capacity(total);
        for epoch in 1..=total {
            nodes.push(Node::start(epoch)?);
        }
        let cluster = RedisCluster { nodes };
        cluster.assign_slots(primaries)?;
        cluster.meet_all()?;
        for r in 0..primaries * replicas {
            let replica = &cluster.nodes[primaries + r];
            let primary = &cluster.nodes[r % primaries];
            replica.command(&["CLUSTER", "REPLICATE", &primary.id])?;
        }
        cluster.wait_ok()?;
        cluster.wait_replicas_synced()?;
        Ok(cluster)
    }

    /// How many nodes (dead ones included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a cluster has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `index`, to stop, kill, pause or send commands to.
    pub fn node(&self, index: usize) -> &RedisServer {
        &self.nodes[index].server
    }

    /// Node `index`, mutably (for [`RedisServer::kill`] and friends).
    pub fn node_mut(&mut self, index: usize) -> &mut RedisServer {
        &mut self.nodes[index].server
    }

    /// Node `index`'s cluster node id.
    pub fn node_id(&self, index: usize) -> &str {
        &self.nodes[index].id
    }

    /// Every node's `redis://127.0.0.1:<port>` URL, in index order: a seed list.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.server.url()).collect()
    }

    /// Every node's `127.0.0.1:<port>`, in index order.
    pub fn addrs(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| n.server.addr().to_string())
            .collect()
    }

    /// The indices of the live nodes that are primaries now, ascending.
    pub fn primaries(&self) -> Result<Vec<usize>> {
        let view = self.view()?;
        Ok(self.indices(view.iter().filter(|l| l.primary && !l.failed)))
    }

    /// The indices of the live replicas of primary `index`.
    pub fn replicas_of(&self, index: usize) -> Result<Vec<usize>> {
        let id = &self.nodes[index].id;
        let view = self.view()?;
        Ok(self.indices(
            view.iter()
                .filter(|l| !l.failed && l.primary_id.as_deref() == Some(id.as_str())),
        ))
    }

    /// The index of the node that owns `slot` now.
    pub fn owner_of(&self, slot: u16) -> Result<usize> {
        let view = self.view()?;
        let owner = view
            .iter()
            .find(|l| l.primary && l.slots.iter().any(|&(a, b)| a <= slot && slot <= b))
            .ok_or_else(|| Error::Redis(format!("no node owns slot {slot}")))?;
        self.index_of(&owner.id)
            .ok_or_else(|| Error::Redis(format!("slot {slot}'s owner is not ours")))
    }

    /// The slots primary `index` owns now, ascending.
    pub fn slots_of(&self, index: usize) -> Result<Vec<u16>> {
        let id = &self.nodes[index].id;
        let view = self.view()?;
        Ok(view
            .iter()
            .filter(|l| &l.id == id)
            .flat_map(|l| l.slots.iter().flat_map(|&(a, b)| a..=b))
            .collect())
    }

    /// Moves `slots` from primary `from` to primary `to` as `redis-cli --cluster reshard`
    /// does, but with the whole range in flight at once (so clients see `ASK` for a
    /// while): every slot marked `IMPORTING` on `to` and `MIGRATING` on `from`, then each
    /// slot's keys moved with `MIGRATE`, then each slot assigned to `to` with
    /// `SETSLOT … NODE` on `to`, `from` and every other primary. Returns how many keys moved.
    pub fn migrate_slots(
        &self,
        slots: impl IntoIterator<Item = u16>,
        from: usize,
        to: usize,
    ) -> Result<usize> {
        let slots: Vec<String> = slots.into_iter().map(|s| s.to_string()).collect();
        let (source, target) = (&self.nodes[from], &self.nodes[to]);
        for slot in &slots {
            target.command(&["CLUSTER", "SETSLOT", slot, "IMPORTING", &source.id])?;
            source.command(&["CLUSTER", "SETSLOT", slot, "MIGRATING", &target.id])?;
        }
        let mut moved = 0;
        for slot in &slots {
            moved += self.move_keys(slot, source, target)?;
        }
        let others: Vec<&Node> = self
            .primaries()?
            .into_iter()
            .filter(|&i| i != from && i != to)
            .map(|i| &self.nodes[i])
            .collect();
        for slot in &slots {
            for node in [target, source].into_iter().chain(others.iter().copied()) {
                node.command(&["CLUSTER", "SETSLOT", slot, "NODE", &target.id])?;
            }
        }
        Ok(moved)
    }

    fn move_keys(&self, slot: &str, source: &Node, target: &Node) -> Result<usize> {
        let port = target.server.port().to_string();
        let mut moved = 0;
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let batch = MIGRATE_BATCH.to_string();
            let keys = source.command(&["CLUSTER", "GETKEYSINSLOT", slot, &batch])?;
            let keys = strings(&keys);
            if keys.is_empty() {
                return Ok(moved);
            }
            let timeout = "5000";
            let mut args = vec!["MIGRATE", "127.0.0.1", &port, "", "0", timeout, "KEYS"];
            args.extend(keys.iter().map(String::as_str));
            source.command(&args)?;
            moved += keys.len();
            if Instant::now() > deadline {
                return Err(Error::Redis(format!("slot {slot}: keys still moving")));
            }
        }
    }

    /// `CLUSTER FAILOVER` on replica `index` (a manual, coordinated failover: no write is
    /// lost), then waits until it is a primary and the cluster is ok again.
    pub fn failover(&self, index: usize) -> Result<()> {
        self.nodes[index].command(&["CLUSTER", "FAILOVER"])?;
        self.wait_until("the replica to be promoted", || {
            Ok(self.nodes[index].role()? == "master")
        })?;
        self.wait_ok()
    }

    /// Kills primary `index` (`SIGKILL`) and waits until one of its replicas has taken
    /// over its slots and the cluster is ok again. Returns the new primary's index.
    pub fn kill_primary(&mut self, index: usize) -> Result<usize> {
        let replicas = self.replicas_of(index)?;
        if replicas.is_empty() {
            return Err(Error::Redis(format!("node {index} has no replica")));
        }
        self.nodes[index].server.kill()?;
        let mut promoted = None;
        self.wait_until("a replica to take over", || {
            for &r in &replicas {
                if self.nodes[r].role()? == "master" {
                    promoted = Some(r);
                    return Ok(true);
                }
            }
            Ok(false)
        })?;
        self.wait_ok()?;
        promoted.ok_or_else(|| Error::Redis("no replica was promoted".into()))
    }

    /// Waits until every live node says `cluster_state:ok` and they agree which node owns
    /// every slot, with no slot owned by a failed node.
    pub fn wait_ok(&self) -> Result<()> {
        self.wait_until("cluster_state:ok on every node", || {
            let mut owners: Option<Vec<String>> = None;
            for node in self.live() {
                let info = node.command(&["CLUSTER", "INFO"])?.to_string();
                if !info.contains("cluster_state:ok") {
                    return Ok(false);
                }
                let lines = parse_nodes(&node.command(&["CLUSTER", "NODES"])?.to_string());
                if lines.iter().any(|l| l.failed && !l.slots.is_empty()) {
                    return Ok(false);
                }
                let mine = slot_owners(&lines);
                match &owners {
                    None => owners = Some(mine),
                    Some(seen) if *seen != mine => return Ok(false),
                    Some(_) => {}
                }
            }
            Ok(true)
        })
    }

    fn wait_replicas_synced(&self) -> Result<()> {
        self.wait_until("every replica's link to be up", || {
            for node in self.live() {
                let info = node.command(&["INFO", "replication"])?.to_string();
                if info.contains("role:slave") && !info.contains("master_link_status:up") {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn assign_slots(&self, primaries: usize) -> Result<()> {
        let share = usize::from(SLOTS) / primaries;
        for i in 0..primaries {
            let first = i * share;
            let last = if i + 1 == primaries {
                usize::from(SLOTS) - 1
            } else {
                (i + 1) * share - 1
            };
            let (first, last) = (first.to_string(), last.to_string());
            self.nodes[i].command(&["CLUSTER", "ADDSLOTSRANGE", &first, &last])?;
        }
        Ok(())
    }

    fn meet_all(&self) -> Result<()> {
        let first = &self.nodes[0];
        for node in &self.nodes[1..] {
            let port = node.server.port().to_string();
            let bus = node._bus.port().to_string();
            first.command(&["CLUSTER", "MEET", "127.0.0.1", &port, &bus])?;
        }
        let total = self.nodes.len();
        self.wait_until("every node to know every other", || {
            for node in &self.nodes {
                let lines = parse_nodes(&node.command(&["CLUSTER", "NODES"])?.to_string());
                if lines.len() != total || lines.iter().any(|l| l.handshake) {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    /// `CLUSTER NODES` from the first live node.
    fn view(&self) -> Result<Vec<NodeLine>> {
        let node = self.live().next().ok_or(Error::NotRunning)?;
        Ok(parse_nodes(
            &node.command(&["CLUSTER", "NODES"])?.to_string(),
        ))
    }

    fn live(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.server.pid().is_some())
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    fn indices<'a>(&self, lines: impl Iterator<Item = &'a NodeLine>) -> Vec<usize> {
        let mut found: Vec<usize> = lines.filter_map(|l| self.index_of(&l.id)).collect();
        found.sort_unstable();
        found
    }

    fn wait_until(&self, what: &str, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let mut last_error = None;
        while Instant::now() < deadline {
            match done() {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                // A node may refuse while it changes role (LOADING, a reset link): poll on.
                Err(e) => last_error = Some(e.to_string()),
            }
            thread::sleep(POLL);
        }
        Err(Error::Redis(format!(
            "timed out after {SETTLE_TIMEOUT:?} waiting for {what} (last error: {})",
            last_error.unwrap_or_else(|| "none".into())
        )))
    }
}

impl std::fmt::Debug for RedisCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.nodes.iter().map(|n| &n.server))
            .finish()
    }
}

impl Node {
    fn start(epoch: usize) -> Result<Node> {
        let bus = free_port()?;
        let server = RedisConfig::new()
            .line("cluster-enabled yes")
            .line("cluster-config-file nodes.conf")
            .line("cluster-node-timeout 1000")
            .line("cluster-replica-validity-factor 0")
            .line("cluster-allow-replica-migration no")
            .line(format!("cluster-port {}", bus.port()))
            .start()?;
        let node = Node {
            id: String::new(),
            server,
            _bus: bus,
        };
        node.command(&["CLUSTER", "SET-CONFIG-EPOCH", &epoch.to_string()])?;
        let id = node.command(&["CLUSTER", "MYID"])?.to_string();
        Ok(Node { id, ..node })
    }

    fn command(&self, args: &[&str]) -> Result<Reply> {
        self.server.command(args)
    }

    fn role(&self) -> Result<String> {
        let role = self.command(&["ROLE"])?;
        Ok(match role {
            Reply::Array(Some(items)) => items.first().map(|r| r.to_string()).unwrap_or_default(),
            other => other.to_string(),
        })
    }
}

fn strings(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Array(Some(items)) => items.iter().map(|r| r.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Parses `CLUSTER NODES`: `id ip:port@cport[,host] flags primary ping pong epoch link slots…`.
fn parse_nodes(text: &str) -> Vec<NodeLine> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 {
                return None;
            }
            let addr = fields[1].split('@').next()?;
            let port = addr.rsplit(':').next()?.parse().ok()?;
            let flags: Vec<&str> = fields[2].split(',').collect();
            let slots = fields[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|a| (a, a)),
                })
                .collect();
            Some(NodeLine {
                id: fields[0].to_owned(),
                port,
                primary: flags.contains(&"master"),
                failed: flags.contains(&"fail") || flags.contains(&"noaddr"),
                handshake: flags.contains(&"handshake"),
                primary_id: (fields[3] != "-").then(|| fields[3].to_owned()),
                slots,
            })
        })
        .collect()
}

/// Each slot range's owner id, sorted, so two nodes' views compare.
fn slot_owners(lines: &[NodeLine]) -> Vec<String> {
    let mut owners: HashMap<(u16, u16), &str> = HashMap::new();
    for line in lines.iter().filter(|l| l.primary) {
        for &range in &line.slots {
            owners.insert(range, &line.id);
        }
    }
    let mut list: Vec<String> = owners
        .into_iter()
        .map(|((a, b), id)| format!("{a}-{b}={id}:{}", port_of(lines, id)))
        .collect();
    list.sort();
    list
}

fn port_of(lines: &[NodeLine], id: &str) -> u16 {
    lines.iter().find(|l| l.id == id).map_or(0, |l| l.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_nodes_lines_parse_roles_and_slot_ranges() {
        let text =
            "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 5461 [5462->-b2]\n\
                    b2 127.0.0.1:7001@17001,host master,fail - 0 0 2 connected\n\
                    c3 127.0.0.1:7002@17002 slave a1 0 0 1 connected\n";
        let lines = parse_nodes(text);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].primary && !lines[0].failed);
        assert_eq!(lines[0].slots, vec![(0, 5460), (5461, 5461)]);
        assert!(lines[1].failed);
        assert_eq!(lines[2].primary_id.as_deref(), Some("a1"));
        assert_eq!(lines[2].port, 7002);
    }
}
