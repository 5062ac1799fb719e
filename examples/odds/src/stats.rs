//! Counters shared by every part of the pipeline, read by the dashboard and the terminal.
//!
//! Plain atomics: the hot path pays one relaxed increment, and nobody waits for anybody to
//! read them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// The service's counters; see each field.
#[derive(Debug, Default)]
pub struct Stats {
    /// Odds messages parsed from the feed.
    pub received: AtomicU64,
    /// Updates applied by match workers and pushed to browsers.
    pub published: AtomicU64,
    /// Messages that were not well-formed XML.
    pub broken_xml: AtomicU64,
    /// Messages whose odds broke the model's invariants (each crashed its worker).
    pub out_of_range: AtomicU64,
    /// Messages for a match the fixtures do not list.
    pub unknown_match: AtomicU64,
    /// Messages that reached a worker between two incarnations, and were dropped.
    pub lost_in_restart: AtomicU64,
    /// Match workers started after a crash (restores from stored state).
    pub restores: AtomicU64,
    /// Connections made to the feed.
    pub feed_connects: AtomicU64,
}

/// A copy of the counters at one moment, as sent to the dashboard.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct StatsSnapshot {
    /// See [`Stats::received`].
    pub received: u64,
    /// See [`Stats::published`].
    pub published: u64,
    /// See [`Stats::broken_xml`].
    pub broken_xml: u64,
    /// See [`Stats::out_of_range`].
    pub out_of_range: u64,
    /// See [`Stats::unknown_match`].
    pub unknown_match: u64,
    /// See [`Stats::lost_in_restart`].
    pub lost_in_restart: u64,
    /// See [`Stats::restores`].
    pub restores: u64,
    /// See [`Stats::feed_connects`].
    pub feed_connects: u64,
}

impl Stats {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            received: self.received.load(Relaxed),
            published: self.published.load(Relaxed),
            broken_xml: self.broken_xml.load(Relaxed),
            out_of_range: self.out_of_range.load(Relaxed),
            unknown_match: self.unknown_match.load(Relaxed),
            lost_in_restart: self.lost_in_restart.load(Relaxed),
            restores: self.restores.load(Relaxed),
            feed_connects: self.feed_connects.load(Relaxed),
        }
    }
}
