//! What a subscriber receives: messages, and the state of its subscription.

use bytes::Bytes;

/// The kind of a subscription: a channel (`SUBSCRIBE`), a pattern (`PSUBSCRIBE`) or a
/// shard channel (`SSUBSCRIBE`, Redis 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A channel name, `SUBSCRIBE`.
    Channel,
    /// A glob pattern over channel names, `PSUBSCRIBE`.
    Pattern,
    /// A sharded channel, `SSUBSCRIBE` (Redis 7).
    Shard,
}

impl Kind {
    pub(crate) fn subscribe(self) -> &'static str {
        match self {
            Kind::Channel => "SUBSCRIBE",
            Kind::Pattern => "PSUBSCRIBE",
            Kind::Shard => "SSUBSCRIBE",
        }
    }

    pub(crate) fn unsubscribe(self) -> &'static str {
        match self {
            Kind::Channel => "UNSUBSCRIBE",
            Kind::Pattern => "PUNSUBSCRIBE",
            Kind::Shard => "SUNSUBSCRIBE",
        }
    }
}

/// One subscription: its kind and its channel (or pattern) name.
pub(crate) type Topic = (Kind, Bytes);

/// A message published to a channel the subscriber listens to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// How the subscriber matched it: [`Kind::Pattern`] for a pattern subscription.
    pub kind: Kind,
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched, for [`Kind::Pattern`].
    pub pattern: Option<Bytes>,
    /// The published payload.
    pub payload: Bytes,
}

impl Message {
    /// The payload as UTF-8, if it is.
    pub fn payload_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.payload).ok()
    }
}

/// What a subscriber receives.
///
/// After [`Disconnected`](Event::Disconnected) nothing arrives until
/// [`Subscribed`](Event::Subscribed): messages published in between are lost (Redis
/// Pub/Sub delivers at most once). The first subscription is confirmed by the
/// `subscribe` call returning, not by an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A published message.
    Message(Message),
    /// The Pub/Sub link dropped: messages published from now until
    /// [`Subscribed`](Event::Subscribed) are lost.
    Disconnected,
    /// Redis confirmed every subscription of this subscriber again after a reconnect.
    Subscribed,
}

impl actix::Message for Event {
    type Result = ();
}
