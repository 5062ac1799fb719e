//! Following failovers as they are announced: `+switch-master` on a sentinel.
//!
//! A connection to the old primary may not notice a failover for a long time: Sentinel
//! closes the clients of a node it reconfigures, but a hung link sees nothing, and until
//! then writes land on a node about to be demoted. So each Sentinel connection keeps a
//! subscription on each sentinel it knows when it starts (the sentinel that led the
//! failover announces it first; the others only once they hear of it, up to two seconds
//! later), and when the service's primary moves it tells the connection actor
//! ([`SwitchMaster`]), which drops its link and connects to the announced primary at once
//! (checking `ROLE`, and asking the sentinels if that fails). The listener is a future spawned on the actor's own context:
//! it ends with the actor, incarnation by incarnation under a supervisor. Pub/Sub is lossy,
//! so it is a shortcut, not the only path: every reconnect resolves anew and `ROLE` is
//! checked, a `READONLY` reply drops the link, and the health check catches a hung one.

use std::time::Duration;

use actix::{AsyncContext, Message, WeakAddr};
use hardy_connection::{Ctx, Failure, Handle};

use crate::config::Config;
use crate::conn::RedisConn;
use crate::handshake::{self, Handshake};
use crate::resp::Frame;
use crate::sentinel::resolve::sentinel_config;
use crate::sentinel::{show, Role, Sentinel};
use crate::{cmd, Error, RedisActor};

/// The channel sentinels announce a new primary on.
const CHANNEL: &str = "+switch-master";
/// How long the subscription may stay silent before a `PING` checks it is still alive;
/// a second silence drops it.
const PING_EVERY: Duration = Duration::from_secs(5);
/// The wait before subscribing again after the subscription failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// A sentinel announced that the service's primary is now `to`.
#[derive(Debug, Clone)]
pub(crate) struct SwitchMaster {
    pub(crate) to: (String, u16),
}

impl Message for SwitchMaster {
    type Result = ();
}

impl Handle<SwitchMaster> for RedisConn {
    type Result = ();

    /// Moves the link unless it already is where it should be: a primary connection
    /// follows the primary; a replica connection leaves the replica that was promoted.
    fn handle(&mut self, SwitchMaster { to }: SwitchMaster, cx: &mut Ctx<'_, Self>) {
        let Some(group) = &self.config.sentinel else {
            return;
        };
        let on_new_primary = self.node.as_ref() == Some(&to);
        let stay = match group.role {
            Role::Primary => on_new_primary,
            Role::Replica => !on_new_primary,
        };
        if stay && cx.is_connected() {
            return;
        }
        tracing::info!(service = %group.service, primary = %show(&to.0, to.1), "Sentinel announced a new primary: reconnecting");
        if group.role == Role::Primary {
            self.hint = Some(to);
        }
        if cx.is_connected() {
            cx.disconnect(Failure::Error(Error::Disconnected(
                "Sentinel announced a failover (+switch-master)".into(),
            )));
        }
        cx.connect();
    }
}

/// Starts the listeners of a Sentinel connection that wants them: one per sentinel.
pub(crate) fn spawn_listener(config: &Config, cx: &mut Ctx<'_, RedisConn>) {
    let Some(group) = config.sentinel.clone().filter(|g| g.listen) else {
        return;
    };
    let actor = cx.address().downgrade();
    for node in group.nodes.list() {
        let fut = run(config.clone(), group.clone(), node, actor.clone());
        cx.context().spawn(actix::fut::wrap_future(fut));
    }
}

/// Subscribes on one sentinel, follows, and subscribes again when the subscription breaks.
async fn run(config: Config, group: Sentinel, node: (String, u16), actor: WeakAddr<RedisActor>) {
    loop {
        let subscribed =
            tokio::time::timeout(group.timeout, subscribe(&config, &group, &node)).await;
        let ended = match subscribed {
            Ok(Ok(hs)) => follow(hs, &group, &node, &actor).await,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::Timeout(group.timeout)),
        };
        if let Err(e) = ended {
            tracing::debug!(service = %group.service, sentinel = %show(&node.0, node.1), error = %e, "no +switch-master subscription: trying again");
        }
        if actor.upgrade().is_none() {
            return;
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

async fn subscribe(
    config: &Config,
    group: &Sentinel,
    node: &(String, u16),
) -> Result<Handshake, Error> {
    let sentinel = sentinel_config(config, group, node);
    let mut hs = handshake::session(&sentinel, sentinel.endpoint()).await?;
    let reply = hs.call(&cmd("SUBSCRIBE").arg(CHANNEL)).await?;
    if reply.is_error() {
        return Err(Error::UnexpectedReply);
    }
    Ok(hs)
}

/// Reads the subscription until it breaks; pings it when it is quiet.
async fn follow(
    mut hs: Handshake,
    group: &Sentinel,
    node: &(String, u16),
    actor: &WeakAddr<RedisActor>,
) -> Result<(), Error> {
    let mut silent = false;
    loop {
        match tokio::time::timeout(PING_EVERY, hs.read_frame()).await {
            Ok(frame) => {
                silent = false;
                let Some(to) = switched(&frame?, &group.service) else {
                    continue;
                };
                // It knows of the failover: ask it first from now on.
                group.nodes.promote(node);
                match actor.upgrade() {
                    Some(addr) => addr.do_send(SwitchMaster { to }),
                    None => return Ok(()),
                }
            }
            Err(_) if silent => {
                return Err(Error::Timeout(PING_EVERY));
            }
            Err(_) => {
                silent = true;
                hs.send(&cmd("PING")).await?;
            }
        }
    }
}

/// The new primary, from a `+switch-master` message for `service`:
/// `["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]`.
fn switched(frame: &Frame, service: &str) -> Option<(String, u16)> {
    let items = frame.value().as_slice()?;
    if items.len() != 3 || items[0].as_str()? != "message" || items[1].as_str()? != CHANNEL {
        return None;
    }
    let words: Vec<&str> = items[2].as_str()?.split(' ').collect();
    match words.as_slice() {
        [name, _, _, ip, port] if *name == service => Some(((*ip).to_owned(), port.parse().ok()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Frame {
        Frame::Array(vec![
            Frame::bulk("message"),
            Frame::bulk(CHANNEL),
            Frame::bulk(text.to_owned()),
        ])
    }

    #[test]
    fn only_the_services_own_switch_is_followed() {
        let frame = message("orders 127.0.0.1 6379 127.0.0.1 6380");
        assert_eq!(switched(&frame, "orders"), Some(("127.0.0.1".into(), 6380)));
        assert_eq!(switched(&frame, "order"), None);
        assert_eq!(switched(&message("orders 1 2 3"), "orders"), None);
        assert_eq!(switched(&Frame::bulk("PONG"), "orders"), None);
    }
}
