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
//!
//! A slot's connection is held by its subscriptions ([`SlotLease`]), and the cluster's map
//! keeps only a weak reference: the last subscription dropped closes the connection and
//! takes the slot out of the map, and a later `ssubscribe` starts a new one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::Inner;
use crate::pubsub::{Locate, PubSub};
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

/// One slot's Pub/Sub connection, shared by that slot's subscriptions (each holds the
/// lease): the last one dropped stops the connection and takes the slot out of the
/// cluster's map, unless a new lease has replaced it there meanwhile.
pub(crate) struct SlotLease {
    inner: Weak<Inner>,
    slot: u16,
    /// `None` once the cluster stopped (closing the connection).
    pubsub: Mutex<Option<PubSub>>,
}

impl SlotLease {
    pub(crate) fn new(inner: &Arc<Inner>, slot: u16, pubsub: PubSub) -> Arc<SlotLease> {
        Arc::new(SlotLease {
            inner: Arc::downgrade(inner),
            slot,
            pubsub: Mutex::new(Some(pubsub)),
        })
    }

    /// The connection, unless the cluster closed it.
    pub(crate) fn pubsub(&self) -> Option<PubSub> {
        self.pubsub
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops the connection now (the cluster stopped): the subscriptions' streams end.
    pub(crate) fn close(&self) {
        let pubsub = self.pubsub.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(pubsub);
    }
}

impl Drop for SlotLease {
    fn drop(&mut self) {
        let Some(inner) = self.inner.upgrade() else {
            return;
        };
        let mut all = inner
            .shard_pubsubs
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // A concurrent ssubscribe may have put a new lease there already: keep it.
        let mine = all
            .get(&self.slot)
            .is_some_and(|lease| std::ptr::eq(lease.as_ptr(), self));
        if mine {
            all.remove(&self.slot);
        }
    }
}
