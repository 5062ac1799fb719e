//! The bounded queue between the real-time path and storage.
//!
//! Match workers push and never wait: when the queue is full (Redis down for a while), the
//! oldest entry is dropped and counted. The storage actor takes batches from the front.
//! The queue lives outside the storage actor, so a restart of that actor loses nothing.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::Notify;

use crate::model::MatchOdds;

/// The queue; cheap to clone (all clones share it).
#[derive(Clone)]
pub struct StorageQueue {
    inner: Arc<Inner>,
}

struct Inner {
    items: Mutex<VecDeque<MatchOdds>>,
    bound: usize,
    ready: Notify,
    dropped: AtomicU64,
    stored: AtomicU64,
    high_water: AtomicU64,
}

/// The queue's counters, for the dashboard and the tests.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct QueueStats {
    /// Entries waiting now.
    pub depth: usize,
    /// The bound.
    pub bound: usize,
    /// Entries dropped (oldest first) because the queue was full.
    pub dropped: u64,
    /// Entries taken care of by storage (written, or coalesced into a newer entry of the
    /// same match in the same batch).
    pub stored: u64,
    /// The greatest depth seen.
    pub high_water: u64,
}

impl StorageQueue {
    /// A queue of at most `bound` entries (at least 1).
    pub fn new(bound: usize) -> Self {
        StorageQueue {
            inner: Arc::new(Inner {
                items: Mutex::new(VecDeque::with_capacity(bound.clamp(1, 65_536))),
                bound: bound.max(1),
                ready: Notify::new(),
                dropped: AtomicU64::new(0),
                stored: AtomicU64::new(0),
                high_water: AtomicU64::new(0),
            }),
        }
    }

    fn items(&self) -> std::sync::MutexGuard<'_, VecDeque<MatchOdds>> {
        self.inner.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `odds`, dropping the oldest entry when full. Never waits.
    pub fn push(&self, odds: MatchOdds) {
        let depth = {
            let mut items = self.items();
            if items.len() >= self.inner.bound {
                items.pop_front();
                self.inner.dropped.fetch_add(1, Relaxed);
            }
            items.push_back(odds);
            items.len() as u64
        };
        self.inner.high_water.fetch_max(depth, Relaxed);
        self.inner.ready.notify_one();
    }

    /// Takes up to `max` entries from the front.
    pub fn take(&self, max: usize) -> Vec<MatchOdds> {
        let mut items = self.items();
        let n = items.len().min(max);
        items.drain(..n).collect()
    }

    /// Puts back a batch that could not be written, in front, keeping the bound (the
    /// oldest entries beyond it are dropped and counted).
    pub fn put_back(&self, batch: Vec<MatchOdds>) {
        let mut items = self.items();
        for odds in batch.into_iter().rev() {
            items.push_front(odds);
        }
        while items.len() > self.inner.bound {
            items.pop_front();
            self.inner.dropped.fetch_add(1, Relaxed);
        }
    }

    /// Counts `n` entries as written.
    pub fn stored(&self, n: usize) {
        self.inner.stored.fetch_add(n as u64, Relaxed);
    }

    /// Waits until something may be in the queue.
    pub async fn ready(&self) {
        if !self.items().is_empty() {
            return;
        }
        self.inner.ready.notified().await;
    }

    /// The counters now.
    pub fn stats(&self) -> QueueStats {
        QueueStats {
            depth: self.items().len(),
            bound: self.inner.bound,
            dropped: self.inner.dropped.load(Relaxed),
            stored: self.inner.stored.load(Relaxed),
            high_water: self.inner.high_water.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odds(seq: u64) -> MatchOdds {
        MatchOdds {
            match_id: 1,
            seq,
            ts: 0,
            home: 2.0,
            draw: 3.0,
            away: 4.0,
        }
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_it() {
        let q = StorageQueue::new(3);
        for seq in 1..=5 {
            q.push(odds(seq));
        }
        let stats = q.stats();
        assert_eq!((stats.depth, stats.dropped), (3, 2));
        let seqs: Vec<u64> = q.take(10).iter().map(|o| o.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
    }

    #[test]
    fn a_batch_put_back_keeps_its_place_and_the_bound() {
        let q = StorageQueue::new(3);
        q.push(odds(1));
        q.push(odds(2));
        let batch = q.take(2);
        q.push(odds(3));
        q.push(odds(4));
        q.put_back(batch);
        let seqs: Vec<u64> = q.take(10).iter().map(|o| o.seq).collect();
        assert_eq!(seqs, vec![2, 3, 4]);
        assert_eq!(q.stats().dropped, 1);
    }
}
