//! `SCAN` over a whole cluster: each primary holds only its own slots' keys, so a
//! cluster-wide scan walks every primary's keyspace in turn, one node at a time.
//!
//! The walk is driven by slots, not by a node list fixed at the start: before each node's
//! scan it reads the current slot map and picks the owner of the first slot not covered
//! yet, and that node's slots count as covered. When the node's scan ends, its slots are
//! checked against the map again: a slot that moved meanwhile (a migration, a failover)
//! counts as uncovered, so its new owner is scanned too. The cost of that is duplicates
//! (the new owner's keys come again), never a silent stop.
//!
//! `SCAN` changes nothing, so a step lost with its node's link (not sent, or sent and
//! unanswered) is simply asked again: from the same cursor while the node still owns its
//! slots (a dropped connection, a restart), else from the start at the slots' new owners
//! (a failover). The stream ends with an error only when the slots find no reachable
//! owner within the retry timeout.

use std::time::Duration;

use futures::stream::{self, Stream, TryStreamExt};
use tokio::time::Instant;

use super::nodes::Node;
use super::route::{FIRST_PAUSE, MAX_PAUSE};
use super::slot::SLOT_COUNT;
use super::{Cluster, ClusterError};
use crate::{cmd, Error, FromRedis, ScanOptions};

/// Where a cluster-wide scan is.
struct Walk {
    cluster: Cluster,
    options: ScanOptions,
    /// Slots whose owner has been scanned whole (as the map said when its scan began).
    covered: Vec<bool>,
    /// The node being scanned, the slots it owned when its scan began, its cursor.
    current: Option<(Node, Vec<u16>, String)>,
    /// Until when a node that could not be reached is tried again (first failure + the
    /// retry timeout); cleared by a step that got a reply.
    retry_until: Option<Instant>,
    /// The next pause before trying again, growing while steps fail.
    pause: Duration,
}

impl Walk {
    /// The next node to scan: the owner of the first uncovered slot, waiting (up to the
    /// retry timeout) for a map in which it has one. `None` when every slot is covered.
    async fn next_node(&mut self) -> Result<Option<(Node, Vec<u16>)>, Error> {
        let inner = &self.cluster.inner;
        let deadline = Instant::now() + inner.config.retry_timeout;
        loop {
            let map = inner.map.load_full();
            let Some(first) = (0..SLOT_COUNT).find(|&s| !self.covered[usize::from(s)]) else {
                return Ok(None);
            };
            if let Some(owner) = map.owner(first) {
                let slots: Vec<u16> = (0..SLOT_COUNT)
                    .filter(|&s| map.owner(s).is_some_and(|n| n.addr == owner.addr))
                    .collect();
                for &s in &slots {
                    self.covered[usize::from(s)] = true;
                }
                return Ok(Some((owner.clone(), slots)));
            }
            // A slot without an owner (a primary died, its replica not promoted yet).
            inner.trigger_refresh();
            if Instant::now() >= deadline || inner.is_stopped() {
                return Err(ClusterError::Unavailable {
                    command: "SCAN".into(),
                    waited: inner.config.retry_timeout,
                    reason: format!("no reachable primary owns slot {first}"),
                }
                .into());
            }
            let mut versions = inner.version_tx.subscribe();
            let _ =
                tokio::time::timeout_at(deadline, versions.wait_for(|v| *v != map.version)).await;
        }
    }

    /// Whether `node` still owns every one of `slots` in the current map.
    fn still_owns(&self, node: &Node, slots: &[u16]) -> bool {
        let map = self.cluster.inner.map.load();
        slots
            .iter()
            .all(|&s| map.owner(s).is_some_and(|n| n.addr == node.addr))
    }

    /// After a node's scan: its slots that another node owns now are scanned again there.
    fn recheck(&mut self, node: &Node, slots: &[u16]) {
        let map = self.cluster.inner.map.load();
        for &s in slots {
            if !map.owner(s).is_some_and(|n| n.addr == node.addr) {
                self.covered[usize::from(s)] = false;
            }
        }
    }

    /// One `SCAN` step: the next batch of keys, or `None` when the whole cluster is done.
    async fn step<K: FromRedis>(&mut self) -> Result<Option<Vec<K>>, Error> {
        let (node, slots, cursor) = match self.current.take() {
            Some(current) => current,
            None => match self.next_node().await? {
                Some((node, slots)) => (node, slots, String::from("0")),
                None => return Ok(None),
            },
        };
        let scan = cmd("SCAN").arg(&cursor).arg(&self.options);
        let (next, batch): (String, Vec<K>) = match node.redis.command(scan).await {
            Ok(reply) => reply,
            Err(
                e @ (Error::NotConnected
                | Error::Stopped(_)
                | Error::Disconnected(_)
                | Error::Io(_)
                | Error::Timeout(_)),
            ) => {
                if self.cluster.inner.is_stopped() {
                    return Err(e);
                }
                self.pause(&node, &e).await?;
                if self.still_owns(&node, &slots) {
                    self.current = Some((node, slots, cursor));
                } else {
                    for &s in &slots {
                        self.covered[usize::from(s)] = false;
                    }
                }
                return Ok(Some(Vec::new()));
            }
            Err(e) => return Err(e),
        };
        self.retry_until = None;
        self.pause = FIRST_PAUSE;
        if next == "0" {
            self.recheck(&node, &slots);
        } else {
            self.current = Some((node, slots, next));
        }
        Ok(Some(batch))
    }

    /// Asks for a topology read and waits a short, growing pause, or less if a new map
    /// comes; an error once the retry timeout since the first failed step has passed.
    async fn pause(&mut self, node: &Node, e: &Error) -> Result<(), Error> {
        let inner = &self.cluster.inner;
        let now = Instant::now();
        let until = *self
            .retry_until
            .get_or_insert_with(|| now + inner.config.retry_timeout);
        if now >= until {
            return Err(ClusterError::Unavailable {
                command: "SCAN".into(),
                waited: inner.config.retry_timeout,
                reason: format!("{} is unreachable ({e})", node.addr),
            }
            .into());
        }
        let wake = (now + self.pause).min(until);
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        let seen = inner.map.load().version;
        let mut versions = inner.version_tx.subscribe();
        inner.trigger_refresh();
        let _ = tokio::time::timeout_at(wake, versions.wait_for(|v| *v != seen)).await;
        Ok(())
    }
}

impl Cluster {
    /// `SCAN` over every primary in turn (`MATCH`, `COUNT` and `TYPE` from `options`, as
    /// [`ScanCommands::scan`](crate::ScanCommands::scan)): a stream of the whole
    /// cluster's keys, one `SCAN` step per request, one node at a time.
    ///
    /// Which node comes next is read from the slot map when its scan begins, so a scan
    /// follows the topology. Redis guarantees, per node, that a key present for the
    /// whole scan is returned; here a key whose slot moves during the scan (a migration,
    /// a failover) may come twice (the slot's new owner is scanned too), and a key being
    /// migrated while its node is scanned may be missed. A node whose link drops mid-scan
    /// is asked again from the same cursor once it is back, or its slots are scanned from
    /// the start at their new owner after a failover; when they find no reachable owner
    /// within the retry timeout the stream ends with
    /// [`ClusterError::Unavailable`]: it never stops early in silence. See docs/redis.md,
    /// "Redis Cluster".
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use hardy_redis::cluster::Cluster;
    /// use hardy_redis::ScanOptions;
    ///
    /// # async fn demo(cluster: Cluster) -> Result<(), hardy_redis::Error> {
    /// let sessions: Vec<String> = cluster
    ///     .scan(ScanOptions::new().pattern("session:*").count(500))
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn scan<K: FromRedis + Send + 'static>(
        &self,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<K, Error>> + Send + 'static {
        let walk = Walk {
            cluster: self.clone(),
            options,
            covered: vec![false; usize::from(SLOT_COUNT)],
            current: None,
            retry_until: None,
            pause: FIRST_PAUSE,
        };
        let batches = stream::try_unfold(walk, |mut walk| async move {
            Ok::<_, Error>(
                walk.step::<K>()
                    .await?
                    .map(|batch| (stream::iter(batch.into_iter().map(Ok)), walk)),
            )
        });
        batches.try_flatten()
    }
}
