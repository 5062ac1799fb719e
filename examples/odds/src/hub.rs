//! Fan-out of updates to browsers, and the latest odds of every match.
//!
//! Match workers publish here; every SSE stream subscribes here. It is the in-process path:
//! one `broadcast` channel, bounded, so a slow browser lags (and is told) instead of
//! holding memory. Several service instances sharing one Redis would fan out through Redis
//! Pub/Sub instead; hardy-redis has no Pub/Sub yet, and [`Hub::publish`] is the one seam
//! where that goes: publish to a channel, and let a subscriber connection feed `tx`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::model::{Fixture, MatchOdds};

/// How many events a browser may fall behind before it is told it lagged.
const CAPACITY: usize = 65_536;

/// One event for browsers, already in SSE wire form (`event: ..\ndata: ..\n\n`), shared.
pub type SseEvent = Bytes;

/// The fan-out; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<SseEvent>,
    latest: Arc<Mutex<BTreeMap<u32, MatchOdds>>>,
    fixtures: Arc<Mutex<Vec<Fixture>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Hub {
            tx: broadcast::channel(CAPACITY).0,
            latest: Arc::default(),
            fixtures: Arc::default(),
        }
    }

    /// Publishes a match's new odds to every browser, and keeps them as its latest.
    pub fn publish(&self, odds: &MatchOdds) {
        self.latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(odds.match_id, *odds);
        let _ = self.tx.send(sse("odds", &odds.to_json()));
    }

    /// Sends any other event (the dashboard's status) to every browser.
    pub fn send(&self, event: &str, json: &str) {
        let _ = self.tx.send(sse(event, json));
    }

    /// Keeps the fixtures the feed announced, and tells the browsers.
    pub fn set_fixtures(&self, fixtures: Vec<Fixture>) {
        let json = serde_json::to_string(&fixtures).unwrap_or_default();
        *self.fixtures.lock().unwrap_or_else(|p| p.into_inner()) = fixtures;
        self.send("fixtures", &json);
    }

    /// The fixtures the feed announced last.
    pub fn fixtures(&self) -> Vec<Fixture> {
        self.fixtures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A new subscription: every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SseEvent> {
        self.tx.subscribe()
    }

    /// The latest odds of every match, as published by the workers.
    pub fn latest(&self) -> Vec<MatchOdds> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.values().copied().collect()
    }

    /// The latest odds of one match.
    pub fn latest_of(&self, match_id: u32) -> Option<MatchOdds> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.get(&match_id).copied()
    }
}

/// Formats one SSE event.
pub fn sse(event: &str, json: &str) -> SseEvent {
    Bytes::from(format!("event: {event}\ndata: {json}\n\n"))
}
