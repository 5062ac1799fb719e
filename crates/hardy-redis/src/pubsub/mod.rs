//! Redis Pub/Sub on its own connection actor, and RESP3 push frames on the ordinary one.
//!
//! A subscribed connection accepts no other commands, so Pub/Sub gets its own socket and
//! actor ([`PubSub`]); the subscriptions are its state. Each subscriber (one `subscribe`
//! call) receives [`Event`]s on a bounded [`Subscription`] stream or on an actix
//! `Recipient`; when it goes away, channels nobody listens to any more are unsubscribed
//! at Redis. After a reconnect, the actor subscribes again to every channel still wanted
//! and tells each subscriber [`Event::Disconnected`] then [`Event::Subscribed`]: messages
//! published in between are lost (Redis Pub/Sub is at-most-once).
//!
//! Publishing goes through the ordinary handle: [`Redis::publish`](crate::Redis::publish)
//! and [`Redis::spublish`](crate::Redis::spublish). Push frames (`CLIENT TRACKING`
//! invalidations, RESP3 Pub/Sub on a shared connection) reaching the ordinary connection
//! go to the [`PushHandler`] set with [`Config::push_handler`](crate::Config::push_handler).

mod conn;
mod event;
mod handle;
mod publish;
mod push;
mod sink;

pub(crate) use conn::Locate;
pub use conn::PubSubConn;
pub use event::{Event, Kind, Message};
pub use handle::{child_spec, PubSub, PubSubActor, Subscribe, START_WAIT};
pub use push::{Push, PushHandler, PushStream};
pub use sink::{Overflow, RecipientSubscriber, Subscription, DEFAULT_BUFFER};
