//! Fan-out across service instances that share one Redis, through Redis Pub/Sub.
//!
//! Every instance shows every match's odds to its browsers, wherever the match's worker
//! runs. The [`Fanout`] actor does two things:
//!
//! - **publish**: it drains the hub's outbox (the odds this instance's workers published,
//!   and the fixtures its feed announced) and sends them to the channel [`CHANNEL`], in
//!   batches (one `PUBLISH` per batch of up to [`BATCH`] updates). The fixtures are also
//!   kept under [`FIXTURES_KEY`], for instances that start later. While Redis is down the
//!   batches are counted as unpublished and dropped, not queued: Pub/Sub keeps nothing
//!   for an absent subscriber anyway, and other instances' browsers get the current odds
//!   from `odds:latest` once Redis is back. The workers never wait for this: the outbox
//!   is a bounded channel, and falling behind it is counted the same way.
//! - **subscribe**: one [`Subscription`](hardy_redis::pubsub::Subscription) on [`CHANNEL`]
//!   (over the supervised Pub/Sub connection, a sibling in the tree) feeds what other
//!   instances published into the local hub, hence to this instance's browsers. A message
//!   carries its publisher's instance id on its first line: an instance skips its own, so
//!   its browsers never get an update twice.
//!
//! The loss window: updates published while the Pub/Sub link of a receiving instance is
//! down (from [`Event::Disconnected`] to [`Event::Subscribed`]) never reach it; Redis
//! Pub/Sub is at-most-once. A browser that connects afterwards, or the next update of each
//! match, brings it back to the current odds.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures::StreamExt;
use hardy_redis::pubsub::{Event, PubSub, Subscribe};
use hardy_redis::{cmd, Redis};
use serde::Serialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::hub::{Hub, Outgoing};
use crate::model::{Fixture, MatchOdds};
use crate::status::LinkView;

/// The channel instances publish their updates to.
pub const CHANNEL: &str = "odds:updates";
/// The key holding the fixtures the feed announced last (JSON), for late instances.
pub const FIXTURES_KEY: &str = "odds:fixtures";
/// The most updates in one `PUBLISH`.
pub const BATCH: usize = 512;
/// The subscription's buffer, in messages (batches); a full one drops the oldest.
const SUBSCRIPTION_BUFFER: usize = 4_096;
/// How long reading the stored fixtures may wait for Redis.
const FIXTURES_TIMEOUT: Duration = Duration::from_millis(500);

/// The fan-out's counters, shared by its incarnations.
#[derive(Debug, Default)]
pub struct FanoutStats {
    /// Local updates sent to the channel.
    pub published: AtomicU64,
    /// Local updates not sent: Redis was down, a `PUBLISH` failed, or the outbox overflowed.
    pub unpublished: AtomicU64,
    /// Updates received from other instances and delivered to this one's browsers.
    pub received: AtomicU64,
    /// Messages of other instances lost to a full subscription buffer.
    pub overflowed: AtomicU64,
    /// Times the Pub/Sub link dropped (each one a window where messages are lost).
    pub outages: AtomicU64,
}

/// The fan-out as the dashboard shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutView {
    /// This instance's id (the first line of each message it publishes).
    pub instance: String,
    /// The Pub/Sub connection.
    pub pubsub: LinkView,
    /// See [`FanoutStats::published`].
    pub published: u64,
    /// See [`FanoutStats::unpublished`].
    pub unpublished: u64,
    /// See [`FanoutStats::received`].
    pub received: u64,
    /// See [`FanoutStats::overflowed`].
    pub overflowed: u64,
    /// See [`FanoutStats::outages`].
    pub outages: u64,
}

/// What one message on [`CHANNEL`] carries, after its publisher's id.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A batch of odds, in the order the publisher's workers produced them.
    Odds(Vec<MatchOdds>),
    /// The fixtures the publisher's feed announced.
    Fixtures(Vec<Fixture>),
}

impl Payload {
    /// The message: `<instance>\n<kind>\n<json>`.
    pub fn encode(&self, instance: &str) -> Vec<u8> {
        let (kind, json) = match self {
            Payload::Odds(odds) => ("odds", serde_json::to_vec(odds)),
            Payload::Fixtures(list) => ("fixtures", serde_json::to_vec(list)),
        };
        let mut out = format!("{instance}\n{kind}\n").into_bytes();
        out.extend_from_slice(&json.unwrap_or_default());
        out
    }

    /// The publisher's id and the payload; `None` for a message of another shape.
    pub fn decode(message: &[u8]) -> Option<(&str, Payload)> {
        let mut parts = message.splitn(3, |&b| b == b'\n');
        let from = std::str::from_utf8(parts.next()?).ok()?;
        let kind = parts.next()?;
        let json = parts.next()?;
        let payload = match kind {
            b"odds" => Payload::Odds(serde_json::from_slice(json).ok()?),
            b"fixtures" => Payload::Fixtures(serde_json::from_slice(json).ok()?),
            _ => return None,
        };
        Some((from, payload))
    }

    /// The publisher's id alone (cheap: an instance skips its own messages unparsed).
    pub fn sender(message: &[u8]) -> Option<&[u8]> {
        message.split(|&b| b == b'\n').next()
    }
}

/// Everything the fan-out works with; cheap to clone.
#[derive(Clone)]
pub struct FanoutParts {
    /// This instance's id.
    pub instance: Arc<str>,
    /// The local fan-out to browsers.
    pub hub: Hub,
    /// The ordinary connection (`PUBLISH`, `SET`, `GET`).
    pub redis: Redis,
    /// The Pub/Sub connection (supervised: the handle follows its restarts).
    pub pubsub: PubSub,
    /// The counters.
    pub stats: Arc<FanoutStats>,
}

impl FanoutParts {
    /// The fan-out now, for the dashboard.
    pub fn view(&self) -> FanoutView {
        let s = &self.stats;
        FanoutView {
            instance: self.instance.to_string(),
            pubsub: LinkView::of(&self.pubsub.state_watch().get()),
            published: s.published.load(Relaxed),
            unpublished: s.unpublished.load(Relaxed),
            received: s.received.load(Relaxed),
            overflowed: s.overflowed.load(Relaxed),
            outages: s.outages.load(Relaxed),
        }
    }
}

/// The fan-out actor; see the module docs. Its subscription ending (the Pub/Sub actor
/// gone for good) stops it, and its supervisor starts it again.
pub struct Fanout {
    parts: FanoutParts,
}

impl Fanout {
    /// A fan-out actor over `parts`.
    pub fn new(parts: FanoutParts) -> Self {
        Fanout { parts }
    }
}

impl Actor for Fanout {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.spawn(publish(self.parts.clone()).into_actor(self));
        ctx.spawn(
            receive(self.parts.clone())
                .into_actor(self)
                .map(|(), _, ctx| ctx.stop()),
        );
    }
}

/// The publishing side: outbox → `PUBLISH`, never queueing while Redis is down.
async fn publish(parts: FanoutParts) {
    let mut outbox = parts.hub.outgoing();
    let stats = &parts.stats;
    // A new incarnation writes the fixtures again: the last one may have died before.
    let known = parts.hub.fixtures();
    let mut fixtures = (!known.is_empty()).then_some(known);
    loop {
        let mut odds = Vec::new();
        let mut take = |item: Result<Outgoing, u64>| match item {
            Ok(Outgoing::Odds(o)) => odds.push(o),
            Ok(Outgoing::Fixtures(list)) => fixtures = Some(list),
            Err(lost) => {
                stats.unpublished.fetch_add(lost, Relaxed);
            }
        };
        match outbox.recv().await {
            Ok(item) => take(Ok(item)),
            Err(RecvError::Lagged(n)) => take(Err(n)),
            Err(RecvError::Closed) => return,
        }
        for _ in 1..BATCH {
            match outbox.try_recv() {
                Ok(item) => take(Ok(item)),
                Err(TryRecvError::Lagged(n)) => take(Err(n)),
                Err(_) => break,
            }
        }
        if !parts.redis.state().get().is_connected() {
            stats.unpublished.fetch_add(odds.len() as u64, Relaxed);
            continue;
        }
        if let Some(list) = &fixtures {
            if publish_fixtures(&parts, list).await {
                fixtures = None;
            }
        }
        if odds.is_empty() {
            continue;
        }
        let n = odds.len() as u64;
        let message = Payload::Odds(odds).encode(&parts.instance);
        match parts.redis.publish(CHANNEL, message).await {
            Ok(_) => stats.published.fetch_add(n, Relaxed),
            // It may have run: counted as unpublished, never sent again.
            Err(_) => stats.unpublished.fetch_add(n, Relaxed),
        };
    }
}

/// Keeps the fixtures under [`FIXTURES_KEY`] and tells the other instances.
async fn publish_fixtures(parts: &FanoutParts, list: &[Fixture]) -> bool {
    let payload = Payload::Fixtures(list.to_vec());
    let json = serde_json::to_vec(list).unwrap_or_default();
    let stored = parts
        .redis
        .command::<()>(cmd("SET").arg(FIXTURES_KEY).arg(json))
        .await;
    let sent = parts
        .redis
        .publish(CHANNEL, payload.encode(&parts.instance))
        .await;
    stored.is_ok() && sent.is_ok()
}

/// The receiving side: other instances' messages → the local hub. Ends when the
/// subscription does.
async fn receive(parts: FanoutParts) {
    let options = Subscribe::new()
        .channel(CHANNEL)
        .buffer(SUBSCRIPTION_BUFFER);
    // Waits while Redis is down: the Pub/Sub actor confirms once it is connected.
    let mut sub = match parts.pubsub.subscribe_with(options).await {
        Ok(sub) => sub,
        Err(e) => {
            tracing::warn!(error = %e, "the fan-out could not subscribe; it restarts");
            return;
        }
    };
    load_fixtures(&parts).await;
    let me = parts.instance.as_bytes();
    while let Some(event) = sub.next().await {
        match event {
            Event::Message(m) => {
                if Payload::sender(&m.payload) != Some(me) {
                    deliver(&parts, &m.payload);
                }
            }
            Event::Disconnected => {
                parts.stats.outages.fetch_add(1, Relaxed);
                tracing::info!("the fan-out's Pub/Sub link dropped: other instances' updates are lost until it is back");
            }
            Event::Subscribed => load_fixtures(&parts).await,
        }
        parts.stats.overflowed.store(sub.dropped(), Relaxed);
    }
}

fn deliver(parts: &FanoutParts, message: &[u8]) {
    match Payload::decode(message) {
        Some((_, Payload::Odds(odds))) => {
            for o in &odds {
                parts.hub.deliver(o);
            }
            parts.stats.received.fetch_add(odds.len() as u64, Relaxed);
        }
        Some((_, Payload::Fixtures(list))) => parts.hub.deliver_fixtures(list),
        None => tracing::debug!("a message of another shape on {CHANNEL}: skipped"),
    }
}

/// The fixtures stored by the instance that has the feed, for an instance that has none
/// (yet): at start and after each reconnect of the Pub/Sub link.
async fn load_fixtures(parts: &FanoutParts) {
    if !parts.hub.fixtures().is_empty() {
        return;
    }
    let get = parts
        .redis
        .command::<Option<Vec<u8>>>(cmd("GET").arg(FIXTURES_KEY));
    if let Ok(Ok(Some(json))) = tokio::time::timeout(FIXTURES_TIMEOUT, get).await {
        if let Ok(list) = serde_json::from_slice::<Vec<Fixture>>(&json) {
            parts.hub.deliver_fixtures(list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odds(match_id: u32, seq: u64) -> MatchOdds {
        MatchOdds {
            match_id,
            seq,
            ts: 1,
            home: 2.0,
            draw: 3.0,
            away: 4.5,
        }
    }

    #[test]
    fn a_batch_of_odds_round_trips_with_its_sender() {
        let batch = Payload::Odds(vec![odds(1, 5), odds(2, 9)]);
        let message = batch.encode("a1");
        assert_eq!(Payload::sender(&message), Some(&b"a1"[..]));
        assert_eq!(Payload::decode(&message), Some(("a1", batch)));
    }

    #[test]
    fn fixtures_round_trip() {
        let list = vec![Fixture {
            id: 3,
            home: "Ajax".into(),
            away: "PSV".into(),
        }];
        let message = Payload::Fixtures(list.clone()).encode("b");
        assert_eq!(
            Payload::decode(&message),
            Some(("b", Payload::Fixtures(list)))
        );
    }

    #[test]
    fn a_message_of_another_shape_is_none_not_a_panic() {
        for bad in [&b""[..], b"x", b"x\nodds", b"x\nodds\n{", b"x\nother\n[]"] {
            assert_eq!(Payload::decode(bad), None, "{bad:?}");
        }
    }
}
