//! Sharded Pub/Sub (`SSUBSCRIBE`) on a cluster: a shard channel lives on the node that owns
//! its slot, so each subscribed slot gets a Pub/Sub connection that connects wherever the
//! slot map says, at every connect.
//!
//! When the slot moves (a migration, a failover), the old node pushes an unsolicited
//! `sunsubscribe` (or answers `MOVED`): the connection then asks for a topology refresh,
//! reconnects to the new owner and subscribes again to every channel still wanted, and
//! subscribers see [`Event::Disconnected`](crate::pubsub::Event::Disconnected) then
//! [`Event::Subscribed`](crate::pubsub::Event::Subscribed) (messages in between are lost,
//! as always with Pub/Sub).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::Inner;
use crate::pubsub::Locate;
use crate::Config;

/// How long a relocating connection waits for a fresh topology before it connects.
const REFRESH_WAIT: Duration = Duration::from_secs(1);

/// The owner of one slot, for a shard channel's connection.
pub(crate) struct SlotOwner {
    pub(crate) inner: Weak<Inner>,
    pub(crate) slot: u16,
    pub(crate) stale: AtomicBool,
}

impl Locate for SlotOwner {
    fn locate(&self) -> BoxFuture<'static, Option<Config>> {
        let inner = self.inner.upgrade();
        let stale = self.stale.swap(false, Ordering::AcqRel);
        let slot = self.slot;
        async move {
            let inner = inner?;
            if stale {
                let seen = inner.map.load().version;
                let mut versions = inner.version_tx.subscribe();
                inner.trigger_refresh();
                let _ = tokio::time::timeout(REFRESH_WAIT, versions.wait_for(|v| *v != seen)).await;
            }
            let addr = inner.map.load().owner(slot)?.addr.clone();
            inner.config.for_node(&addr).ok()
        }
        .boxed()
    }

    fn moved(&self) {
        self.stale.store(true, Ordering::Release);
    }
}

impl SlotOwner {
    pub(crate) fn new(inner: &Arc<Inner>, slot: u16) -> Arc<SlotOwner> {
        Arc::new(SlotOwner {
            inner: Arc::downgrade(inner),
            slot,
            stale: AtomicBool::new(false),
        })
    }
}
