//! The Pub/Sub connection as a [`Connection`]: its own socket, in subscribed mode, holding
//! who listens to what, confirming subscriptions, fanning messages out, and restoring
//! every subscription after a reconnect.
//!
//! The subscriber table lives in a cell shared with the handle's factory, so a supervised
//! restart of the actor keeps the subscribers: the new incarnation resubscribes them at
//! its first connect, like a reconnect.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::AsyncContext;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use hardy_connection::{
    ConnectFuture, ConnectInfo, Connection, Ctx, ExitReason, Failure, Handle, LinkWriter, Next,
    ProbeFuture,
};
use tokio::sync::oneshot;
use tokio_util::codec::FramedRead;

use super::event::{Kind, Message, Topic};
use super::sink::{Delivered, Overflow, Sink};
use super::Event;
use crate::config::Config;
use crate::handshake::{self, Link};
use crate::resp::{Frame, ProtocolError, RespDecoder, ServerError};
use crate::{cmd, Error};

/// How often subscribers whose recipient stopped are looked for.
const SWEEP: Duration = Duration::from_secs(1);

/// A subscriber as the table keeps it.
pub(crate) struct Subscriber {
    pub(crate) topics: Vec<Topic>,
    pub(crate) sink: Sink,
    pub(crate) overflow: Overflow,
    /// The `subscribe` call waiting for Redis's first confirmation.
    pub(crate) reply: Option<oneshot::Sender<Result<(), Error>>>,
    /// Told [`Event::Disconnected`] and not yet [`Event::Subscribed`].
    pub(crate) down: bool,
}

/// Every live subscriber, by id; shared by the incarnations of a supervised actor.
#[derive(Default)]
pub(crate) struct Table {
    pub(crate) subscribers: HashMap<u64, Subscriber>,
}

pub(crate) type SharedTable = Arc<Mutex<Table>>;

/// Where a connection that follows a moving server connects: a Redis Cluster shard
/// channel's subscriptions live on whichever node owns the channel's slot now.
pub(crate) trait Locate: Send + Sync {
    /// The node to connect to now; `None` keeps the configured one.
    fn locate(&self) -> futures::future::BoxFuture<'static, Option<Config>>;
    /// The node said it no longer serves the slot: look again before the next connect.
    fn moved(&self);
}

/// The Pub/Sub protocol state behind a [`PubSubActor`](super::PubSubActor).
pub struct PubSubConn {
    config: Arc<Config>,
    table: SharedTable,
    /// Whether a supervisor may start another incarnation with the same table: if not,
    /// stopping ends every subscriber's stream.
    supervised: bool,
    writer: Option<LinkWriter>,
    /// Subscribers of each topic Redis confirmed on the current link.
    listeners: HashMap<Topic, Vec<u64>>,
    /// Subscribers of each topic whose confirmation is awaited on the current link.
    waiting: HashMap<Topic, Vec<u64>>,
    /// How many topics each subscriber still waits for on the current link.
    unconfirmed: HashMap<u64, usize>,
    /// The health check's `PING`s written on the current link, oldest first, each waiting
    /// for its pong (`["pong", ""]` on RESP2, `PONG` on RESP3).
    pongs: VecDeque<oneshot::Sender<()>>,
    /// Set for a cluster shard subscription: where to connect, asked at every connect.
    locate: Option<Arc<dyn Locate>>,
    /// The node no longer serves a wanted shard channel: reconnect to its new owner.
    relocate: bool,
}

impl PubSubConn {
    pub(crate) fn new(config: Arc<Config>, table: SharedTable, supervised: bool) -> Self {
        PubSubConn {
            config,
            table,
            supervised,
            writer: None,
            listeners: HashMap::new(),
            waiting: HashMap::new(),
            unconfirmed: HashMap::new(),
            pongs: VecDeque::new(),
            locate: None,
            relocate: false,
        }
    }

    /// Connects wherever `locate` says, and follows the shard channels when their node
    /// loses their slot.
    pub(crate) fn locating(mut self, locate: Arc<dyn Locate>) -> Self {
        self.locate = Some(locate);
        self
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, verb: &str, names: &[Bytes]) {
        if names.is_empty() {
            return;
        }
        if let Some(writer) = &self.writer {
            let mut command = cmd(verb);
            for name in names {
                command = command.arg(&name[..]);
            }
            writer.with_buffer(|buf| command.write_to(buf));
        }
    }

    /// Sends the subscribe commands for `topics`: one per kind, and one `SSUBSCRIBE` per
    /// shard channel (a cluster accepts one slot per command).
    fn send_subscribe(&self, topics: &[Topic]) {
        for kind in [Kind::Channel, Kind::Pattern] {
            let names: Vec<Bytes> = topics
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.clone())
                .collect();
            self.send(kind.subscribe(), &names);
        }
        for (_, name) in topics.iter().filter(|(k, _)| *k == Kind::Shard) {
            self.send(Kind::Shard.subscribe(), std::slice::from_ref(name));
        }
    }

    /// Starts waiting for `id`'s topics on the current link; answers the topics that
    /// need a command (nobody listens to or waits for them yet).
    fn watch(&mut self, id: u64, topics: &[Topic]) -> Vec<Topic> {
        let mut to_send = Vec::new();
        let mut open = 0;
        for topic in topics {
            if let Some(ids) = self.listeners.get_mut(topic) {
                ids.push(id);
                continue;
            }
            let ids = self.waiting.entry(topic.clone()).or_default();
            if ids.is_empty() {
                to_send.push(topic.clone());
            }
            ids.push(id);
            open += 1;
        }
        if open == 0 {
            self.confirmed(id);
        } else {
            self.unconfirmed.insert(id, open);
        }
        to_send
    }

    /// Every topic of `id` is confirmed on this link: answer its call, or tell it it is
    /// subscribed again.
    fn confirmed(&mut self, id: u64) {
        let mut table = self.table();
        let Some(sub) = table.subscribers.get_mut(&id) else {
            return;
        };
        let gone = match sub.reply.take() {
            Some(reply) => reply.send(Ok(())).is_err(),
            None if sub.down => {
                sub.down = false;
                sub.sink.deliver(Event::Subscribed, sub.overflow) == Delivered::Gone
            }
            None => false,
        };
        drop(table);
        if gone {
            self.forget(id);
        }
    }

    /// Redis confirmed a subscription to `topic`.
    fn on_confirm(&mut self, topic: Topic) {
        let Some(ids) = self.waiting.remove(&topic) else {
            return;
        };
        self.listeners
            .entry(topic)
            .or_default()
            .extend(ids.iter().copied());
        for id in ids {
            if let Some(open) = self.unconfirmed.get_mut(&id) {
                *open -= 1;
                if *open == 0 {
                    self.unconfirmed.remove(&id);
                    self.confirmed(id);
                }
            }
        }
    }

    fn on_message(&mut self, topic: &Topic, message: Message) {
        let Some(ids) = self.listeners.get(topic) else {
            return;
        };
        let mut gone = Vec::new();
        {
            let table = self.table();
            for id in ids {
                if let Some(sub) = table.subscribers.get(id) {
                    let event = Event::Message(message.clone());
                    if sub.sink.deliver(event, sub.overflow) == Delivered::Gone {
                        gone.push(*id);
                    }
                }
            }
        }
        for id in gone {
            self.forget(id);
        }
    }

    /// Removes a subscriber, and unsubscribes at Redis what nobody listens to any more.
    pub(crate) fn forget(&mut self, id: u64) {
        let Some(sub) = self.table().subscribers.remove(&id) else {
            return;
        };
        sub.sink.end();
        self.unconfirmed.remove(&id);
        let mut unused: Vec<Topic> = Vec::new();
        for topic in &sub.topics {
            for map in [&mut self.listeners, &mut self.waiting] {
                if let Some(ids) = map.get_mut(topic) {
                    ids.retain(|&other| other != id);
                    if ids.is_empty() {
                        map.remove(topic);
                        unused.push(topic.clone());
                    }
                }
            }
        }
        unused.retain(|t| !self.listeners.contains_key(t) && !self.waiting.contains_key(t));
        unused.sort();
        unused.dedup();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            let names: Vec<Bytes> = unused
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.clone())
                .collect();
            if kind == Kind::Shard {
                for name in &names {
                    self.send(kind.unsubscribe(), std::slice::from_ref(name));
                }
            } else {
                self.send(kind.unsubscribe(), &names);
            }
        }
    }

    /// Forgets subscribers whose stream was dropped or whose recipient stopped.
    fn sweep(&mut self) {
        let gone: Vec<u64> = self
            .table()
            .subscribers
            .iter()
            .filter(|(_, s)| s.sink.is_gone())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.forget(id);
        }
    }

    /// A Redis error on the link answers the oldest subscribe call still waiting.
    fn on_error(&mut self, error: ServerError) {
        let oldest = {
            let table = self.table();
            table
                .subscribers
                .iter()
                .filter(|(id, s)| s.reply.is_some() && self.unconfirmed.contains_key(id))
                .map(|(id, _)| *id)
                .min()
        };
        tracing::warn!(peer = %self.config.peer(), error = %error, "Redis refused a subscription");
        let Some(id) = oldest else { return };
        let reply = self
            .table()
            .subscribers
            .get_mut(&id)
            .and_then(|s| s.reply.take());
        if let Some(reply) = reply {
            let _ = reply.send(Err(Error::Server(error)));
        }
        self.forget(id);
    }

    fn incoming_frame(&mut self, frame: Frame) {
        if frame.is_error() {
            if let Ok(error) = ServerError::from_frame(frame) {
                let moved = matches!(error.code(), "MOVED" | "CLUSTERDOWN" | "TRYAGAIN");
                self.relocate |= moved && self.locate.is_some();
                self.on_error(error);
            }
            return;
        }
        if let Frame::SimpleString(text) = frame.value() {
            if text.eq_ignore_ascii_case(b"pong") {
                self.on_pong();
            }
            return;
        }
        let Some(parts) = frame.as_slice() else {
            return;
        };
        let bytes = |i: usize| {
            parts
                .get(i)
                .and_then(Frame::as_bytes)
                .map(Bytes::copy_from_slice)
        };
        let Some(verb) = parts.first().and_then(Frame::as_bytes) else {
            return;
        };
        match verb {
            b"pong" => self.on_pong(),
            b"message" | b"smessage" => {
                let kind = if verb == b"message" {
                    Kind::Channel
                } else {
                    Kind::Shard
                };
                if let (Some(channel), Some(payload)) = (bytes(1), bytes(2)) {
                    let topic = (kind, channel.clone());
                    let message = Message {
                        kind,
                        channel,
                        pattern: None,
                        payload,
                    };
                    self.on_message(&topic, message);
                }
            }
            b"pmessage" => {
                if let (Some(pattern), Some(channel), Some(payload)) =
                    (bytes(1), bytes(2), bytes(3))
                {
                    let topic = (Kind::Pattern, pattern.clone());
                    let message = Message {
                        kind: Kind::Pattern,
                        channel,
                        pattern: Some(pattern),
                        payload,
                    };
                    self.on_message(&topic, message);
                }
            }
            b"subscribe" | b"psubscribe" | b"ssubscribe" => {
                let kind = match verb {
                    b"subscribe" => Kind::Channel,
                    b"psubscribe" => Kind::Pattern,
                    _ => Kind::Shard,
                };
                if let Some(name) = bytes(1) {
                    self.on_confirm((kind, name));
                }
            }
            b"sunsubscribe" => {
                // Unsolicited when the node lost the slot; ours only come for channels
                // nobody listens to. Still wanted: subscribe again.
                if let Some(name) = bytes(1) {
                    let topic = (Kind::Shard, name);
                    if self.listeners.contains_key(&topic) {
                        if self.locate.is_some() {
                            // In a cluster the slot went elsewhere: follow it.
                            self.relocate = true;
                        } else {
                            self.send_subscribe(std::slice::from_ref(&topic));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[derive(Clone)]
/// Subscribe a new subscriber; answered once Redis confirmed all its topics.
pub(crate) struct Subscribe {
    pub(crate) id: u64,
    pub(crate) topics: Vec<Topic>,
    pub(crate) sink: Sink,
    pub(crate) overflow: Overflow,
}

impl actix::Message for Subscribe {
    type Result = Result<(), Error>;
}

/// Forget a subscriber (its stream was dropped, or the application asked).
pub(crate) struct Forget(pub(crate) u64);

impl actix::Message for Forget {
    type Result = ();
}

impl Handle<Subscribe> for PubSubConn {
    type Result = actix::ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: Subscribe, cx: &mut Ctx<'_, Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.table().subscribers.insert(
            msg.id,
            Subscriber {
                topics: msg.topics.clone(),
                sink: msg.sink,
                overflow: msg.overflow,
                reply: Some(tx),
                down: false,
            },
        );
        if cx.is_connected() && self.writer.is_some() {
            let to_send = self.watch(msg.id, &msg.topics);
            self.send_subscribe(&to_send);
        }
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err(Error::Stopped("the Pub/Sub actor stopped".into())))
        })
    }
}

impl Handle<Forget> for PubSubConn {
    type Result = ();

    fn handle(&mut self, Forget(id): Forget, _cx: &mut Ctx<'_, Self>) {
        self.forget(id);
    }
}

impl Connection for PubSubConn {
    type Transport = Link;
    type Incoming = Frame;
    type Error = Error;

    fn init(&mut self, cx: &mut Ctx<'_, Self>) -> Next {
        cx.context()
            .run_interval(SWEEP, |act, ctx| act.with_ctx(ctx, |conn, _| conn.sweep()));
        Next::Connect
    }

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let config = self.config.clone();
        let locate = self.locate.clone();
        async move {
            let located = match locate {
                Some(locate) => locate.locate().await.map(Arc::new),
                None => None,
            };
            handshake::open(located.as_ref().unwrap_or(&config), None)
                .await
                .and_then(Link::ready_now)
        }
        .boxed_local()
    }

    fn connected(&mut self, link: Link, cx: &mut Ctx<'_, Self>) {
        let (read, write) = link.stream.into_split();
        let mut frames = FramedRead::new(read, RespDecoder::new(self.config.limits));
        frames.read_buffer_mut().extend_from_slice(&link.leftover);
        cx.read(frames.map(|r| {
            r.map_err(|e| match e {
                ProtocolError::Io(io) => Error::Io(io),
                other => Error::Protocol(other),
            })
        }));
        self.writer = Some(cx.writer(write));
        self.pongs.clear();
        self.listeners.clear();
        self.waiting.clear();
        self.unconfirmed.clear();
        // Resubscribe the wanted set: every live subscriber's topics.
        self.sweep();
        let wanted: Vec<(u64, Vec<Topic>)> = self
            .table()
            .subscribers
            .iter()
            .map(|(id, s)| (*id, s.topics.clone()))
            .collect();
        let mut to_send = Vec::new();
        for (id, topics) in wanted {
            to_send.extend(self.watch(id, &topics));
        }
        self.send_subscribe(&to_send);
    }

    fn connect_failed(&mut self, failure: Failure<Error>, info: ConnectInfo) -> Next {
        match failure {
            Failure::Error(Error::Handshake { ref error, .. }) if crate::conn::busy(error) => {
                crate::conn::after_busy_refusal(&self.config, error, info)
            }
            Failure::Error(e @ (Error::Handshake { .. } | Error::Config(_))) => {
                let reason = e.to_string();
                tracing::error!(peer = %self.config.peer(), error = %reason, "Redis refused the Pub/Sub handshake: stopping");
                Next::Stop(ExitReason::Error(reason))
            }
            _ => Next::Backoff,
        }
    }

    fn disconnect(&mut self, failure: Failure<Error>, _cx: &mut Ctx<'_, Self>) -> Next {
        tracing::debug!(peer = %self.config.peer(), reason = %failure, "the Pub/Sub link dropped: resubscribing after the reconnect");
        self.writer = None;
        self.pongs.clear();
        self.listeners.clear();
        self.waiting.clear();
        self.unconfirmed.clear();
        self.tell_disconnected();
        Next::Backoff
    }

    fn incoming(&mut self, frame: Frame, cx: &mut Ctx<'_, Self>) {
        // A link that delivered a frame works: its drop is reconnected at once, with the
        // backoff started over (see `RedisConn::incoming`).
        cx.mark_stable();
        self.incoming_frame(frame);
        if std::mem::take(&mut self.relocate) {
            if let Some(locate) = &self.locate {
                locate.moved();
            }
            cx.disconnect(Failure::Error(Error::Disconnected(
                "the node no longer serves the shard channel's slot: following it".into(),
            )));
        }
    }

    /// A subscribed connection still answers `PING`: a frozen server or a black-holed
    /// link is found within the health check's deadline, and subscribers are told
    /// `Disconnected` instead of waiting in silence for messages that cannot come.
    fn health_check(&mut self, _cx: &mut Ctx<'_, Self>) -> Option<ProbeFuture<Self>> {
        let writer = self.writer.as_ref()?;
        writer.with_buffer(|buf| cmd("PING").write_to(buf));
        let (tx, rx) = oneshot::channel();
        self.pongs.push_back(tx);
        // A link that drops first fails its pongs' senders: its own disconnect path
        // reports that, so the probe itself has nothing to add.
        Some(async move { rx.await.or(Ok(())) }.boxed_local())
    }

    fn stopped(&mut self, reason: &ExitReason) {
        self.writer = None;
        let stopped: Arc<str> = format!("the Pub/Sub actor stopped: {reason}").into();
        let failed: Vec<u64> = {
            let mut table = self.table();
            let mut failed = Vec::new();
            for (id, sub) in table.subscribers.iter_mut() {
                if let Some(reply) = sub.reply.take() {
                    let _ = reply.send(Err(Error::Stopped(stopped.clone())));
                    failed.push(*id);
                }
            }
            for id in &failed {
                table.subscribers.remove(id);
            }
            failed
        };
        drop(failed);
        self.listeners.clear();
        self.waiting.clear();
        if self.supervised {
            self.tell_disconnected();
        } else {
            for (_, sub) in self.table().subscribers.drain() {
                sub.sink.end();
            }
        }
    }
}

impl PubSubConn {
    /// The oldest health-check `PING` was answered.
    fn on_pong(&mut self) {
        if let Some(waiter) = self.pongs.pop_front() {
            let _ = waiter.send(());
        }
    }

    /// Tells every subscriber whose first subscription was confirmed that the link is
    /// down.
    fn tell_disconnected(&mut self) {
        let mut gone = Vec::new();
        for (id, sub) in self.table().subscribers.iter_mut() {
            if sub.reply.is_some() || sub.down {
                continue;
            }
            sub.down = true;
            if sub.sink.deliver(Event::Disconnected, sub.overflow) == Delivered::Gone {
                gone.push(*id);
            }
        }
        for id in gone {
            if let Some(sub) = self.table().subscribers.remove(&id) {
                sub.sink.end();
            }
        }
    }
}
