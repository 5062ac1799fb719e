//! Re-reading the topology: single-flight (one read at a time, however many callers ask),
//! rate-limited (at most one per `min_refresh_interval`), from a known node first and the
//! seeds last, and applied by swapping the slot map and starting or stopping node
//! connections.
//!
//! A request that arrives while a read runs is not lost: it makes the running read go
//! round once more when it ends, so a `MOVED` seen mid-read is reflected afterwards.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::time::{sleep_until, Instant};

use super::keys::KeyTable;
use super::nodes::{Node, SlotMap};
use super::topology::{self, Shard};
use super::{ClusterError, Inner};
use crate::resp::Frame;
use crate::{cmd, Error, Redis};

impl Inner {
    /// Asks for a topology read; returns at once.
    pub(crate) fn trigger_refresh(self: &Arc<Self>) {
        if self.stopped.load(Ordering::Acquire) {
            return;
        }
        self.refresh_again.store(true, Ordering::Release);
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.clone();
        // Topology reads may open a short-lived connection (an actor): they run on the
        // arbiter the cluster was started on, whichever thread asked.
        let spawned = self.arbiter.spawn_fn(move || {
            actix_rt::spawn(inner.refresh_loop());
        });
        if !spawned {
            self.refreshing.store(false, Ordering::Release);
        }
    }

    /// Reads until nobody asked again during the last read.
    async fn refresh_loop(self: Arc<Self>) {
        loop {
            while self.refresh_again.swap(false, Ordering::AcqRel) {
                let last = *self.last_refresh.lock().unwrap_or_else(|e| e.into_inner());
                sleep_until(last + self.config.min_refresh_interval).await;
                if let Err(e) = self.refresh_now().await {
                    tracing::warn!(error = %e, "cluster topology refresh failed");
                }
            }
            self.refreshing.store(false, Ordering::Release);
            // A request that came between the last check and the flag's reset.
            if !self.refresh_again.load(Ordering::Acquire)
                || self.refreshing.swap(true, Ordering::AcqRel)
            {
                return;
            }
        }
    }

    /// Reads the topology now from the first node that answers and applies it.
    pub(crate) async fn refresh_now(self: &Arc<Self>) -> Result<(), Error> {
        *self.last_refresh.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.stats.refreshes.fetch_add(1, Ordering::Relaxed);
        let mut errors = Vec::new();
        // The map this read started from: a MOVED recorded meanwhile is newer than the
        // read, which is then dropped (the MOVED asked for another read, which follows).
        let started_from = self.map.load().version;
        let mut known = self.map.load().primaries().to_vec();
        known.extend(self.nodes.all().await);
        // Start somewhere else each time, so one sick node does not answer every refresh.
        let n = known.len().max(1);
        known.rotate_left(self.refresh_count.fetch_add(1, Ordering::Relaxed) % n);
        for node in known
            .iter()
            .filter(|n| n.redis.state().get().is_connected())
        {
            match read_topology(&node.redis, &node.addr, self.tls()).await {
                Ok(shards) => return self.apply_if_current(started_from, shards).await,
                Err(e) => errors.push(format!("{}: {e}", node.addr)),
            }
        }
        for (host, port) in &self.config.seeds {
            match self.read_from_seed(host, *port).await {
                Ok((shards, _)) => return self.apply_if_current(started_from, shards).await,
                Err(e) => errors.push(format!("{host}:{port}: {e}")),
            }
        }
        Err(ClusterError::NoTopology(errors.join("; ")).into())
    }

    /// Reads the topology (and, when `with_keys`, the key table) through a short-lived
    /// connection to a seed.
    pub(crate) async fn read_from_seed(
        &self,
        host: &str,
        port: u16,
    ) -> Result<(Vec<Shard>, Option<KeyTable>), Error> {
        let addr = format!("{host}:{port}");
        let config = self
            .config
            .for_node(&addr)?
            .reconnect_wait(std::time::Duration::ZERO);
        let redis = Redis::connect(config).await?;
        let shards = read_topology(&redis, &addr, self.tls()).await?;
        let keys = match redis.command::<Frame>(cmd("COMMAND")).await {
            Ok(reply) => Some(KeyTable::from_command_reply(&reply)),
            Err(_) => None,
        };
        Ok((shards, keys))
    }

    /// Applies a topology read unless the map changed while it ran.
    async fn apply_if_current(
        self: &Arc<Self>,
        started_from: u64,
        shards: Vec<Shard>,
    ) -> Result<(), Error> {
        if self.map.load().version != started_from {
            tracing::debug!("a cluster topology read older than the map in use: dropped");
            self.trigger_refresh();
            return Ok(());
        }
        self.apply(shards).await
    }

    /// Starts connections to new primaries, swaps the map, stops connections to nodes
    /// that left.
    pub(crate) async fn apply(self: &Arc<Self>, shards: Vec<Shard>) -> Result<(), Error> {
        let mut nodes: HashMap<String, Node> = HashMap::new();
        let replicas = shards
            .iter()
            .filter(|_| self.config.read_from_replicas)
            .flat_map(|s| s.replicas.iter());
        for addr in shards
            .iter()
            .filter_map(|s| s.primary.as_ref())
            .chain(replicas)
        {
            if !nodes.contains_key(addr) {
                nodes.insert(addr.clone(), self.nodes.get(addr, &self.config).await?);
            }
        }
        let version = self.next_version();
        let map = SlotMap::from_shards(version, &shards, &nodes);
        self.map.store(Arc::new(map));
        self.version_tx.send_replace(version);
        let keep: Vec<&str> = nodes.keys().map(String::as_str).collect();
        self.nodes.retain(&keep).await;
        Ok(())
    }

    pub(crate) fn next_version(&self) -> u64 {
        self.version.fetch_add(1, Ordering::AcqRel) + 1
    }

    fn tls(&self) -> bool {
        self.config.node.is_tls()
    }
}

/// `CLUSTER SHARDS`, or `CLUSTER SLOTS` from a server older than 7.
async fn read_topology(redis: &Redis, addr: &str, tls: bool) -> Result<Vec<Shard>, Error> {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let shards: Frame = redis
        .command::<Frame>(cmd("CLUSTER").arg("SHARDS"))
        .await
        .or_else(|e| match e {
            Error::Server(_) => Ok(Frame::Null),
            other => Err(other),
        })?;
    if let Some(parsed) = topology::from_shards(&shards, host, tls).filter(|s| !s.is_empty()) {
        return Ok(parsed);
    }
    let slots: Frame = redis.command(cmd("CLUSTER").arg("SLOTS")).await?;
    topology::from_slots(&slots, host)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ClusterError::NoTopology(format!("{addr} answered no slot ranges")).into())
}
