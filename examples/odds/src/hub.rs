//! Fan-out of updates to browsers, and the latest odds of every match.
//!
//! Match workers publish here; every SSE stream subscribes here. The in-process path is
//! one `broadcast` channel, bounded, so a slow browser lags (and is told) instead of
//! holding memory. [`Hub::publish`] delivers to this instance's browsers at once, and also
//! puts the update in a second bounded channel, the outbox, which the fan-out actor
//! ([`crate::fanout`]) drains into Redis Pub/Sub for the other instances sharing the
//! Redis; what they publish comes back through [`Hub::deliver`], to the browsers only (an
//! instance's own messages are recognised by its id and skipped, so nothing arrives twice).
//! Neither path waits for Redis: with Redis down, browsers of this instance still get
//! every update of the matches this instance runs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::model::{Fixture, MatchOdds};

/// How many events a browser may fall behind before it is told it lagged.
const CAPACITY: usize = 65_536;

/// One event for browsers, already in SSE wire form (`event: ..\ndata: ..\n\n`), shared.
pub type SseEvent = Bytes;

/// What this instance has for the other instances (the fan-out actor's input).
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// Odds a local match worker published.
    Odds(MatchOdds),
    /// The fixtures the feed announced to this instance.
    Fixtures(Vec<Fixture>),
}

/// The fan-out; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<SseEvent>,
    outbox: broadcast::Sender<Outgoing>,
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
            outbox: broadcast::channel(CAPACITY).0,
            latest: Arc::default(),
            fixtures: Arc::default(),
        }
    }

    /// Publishes a match's new odds (from a local worker) to every browser and to the
    /// outbox, and keeps them as its latest. Never waits.
    pub fn publish(&self, odds: &MatchOdds) {
        self.latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(odds.match_id, *odds);
        let _ = self.tx.send(sse("odds", &odds.to_json()));
        let _ = self.outbox.send(Outgoing::Odds(*odds));
    }

    /// Delivers odds another instance published to this instance's browsers, and keeps
    /// them as the match's latest; odds older than what it has are skipped.
    pub fn deliver(&self, odds: &MatchOdds) {
        {
            let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            if matches!(latest.get(&odds.match_id), Some(o) if o.seq > odds.seq) {
                return;
            }
            latest.insert(odds.match_id, *odds);
        }
        let _ = self.tx.send(sse("odds", &odds.to_json()));
    }

    /// What local workers and the feed publish from now on, for the other instances; a
    /// bounded channel (a receiver that falls behind is told how much it lost).
    pub fn outgoing(&self) -> broadcast::Receiver<Outgoing> {
        self.outbox.subscribe()
    }

    /// Sends any other event (the dashboard's status) to every browser.
    pub fn send(&self, event: &str, json: &str) {
        let _ = self.tx.send(sse(event, json));
    }

    /// Keeps the fixtures the feed announced, and tells the browsers and the outbox.
    pub fn set_fixtures(&self, fixtures: Vec<Fixture>) {
        let _ = self.outbox.send(Outgoing::Fixtures(fixtures.clone()));
        self.deliver_fixtures(fixtures);
    }

    /// Keeps fixtures another instance announced, and tells the browsers if they changed.
    pub fn deliver_fixtures(&self, fixtures: Vec<Fixture>) {
        let json = serde_json::to_string(&fixtures).unwrap_or_default();
        {
            let mut current = self.fixtures.lock().unwrap_or_else(|p| p.into_inner());
            if *current == fixtures {
                return;
            }
            *current = fixtures;
        }
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
