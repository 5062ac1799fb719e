//! Finding the node to connect to: ask the sentinels in turn, connect, check `ROLE`.
//!
//! Runs inside the connection's connect future, on every connect, so a reconnect after a
//! failover goes to the new primary and a demoted primary is never used: a node whose
//! `ROLE` is not the one wanted fails the attempt ([`Error::WrongRole`], retried after the
//! backoff). The errors keep their causes apart (no sentinel reachable, the service
//! unknown to every sentinel, a sentinel refusing the credentials), since "master not
//! found" hiding an `AUTH` failure is a classic support ticket (redis-rs#1240).

use std::time::Duration;

use crate::config::{Config, Protocol};
use crate::handshake::{self, Handshake, Link};
use crate::resp::{Frame, ServerError};
use crate::sentinel::{show, Role, Sentinel};
use crate::{cmd, Error};

/// Resolves the node, connects to it, runs the handshake and checks its role.
///
/// A `hint` (the primary a sentinel just announced) is tried first, for a primary
/// connection: sentinels that have not heard of the failover yet would still name the old
/// primary, which says `master` until it is reconfigured; the announcing sentinel knows
/// better. If the hinted node does not answer as a primary, the sentinels are asked.
pub(crate) async fn open(
    config: &Config,
    group: &Sentinel,
    hint: Option<(String, u16)>,
) -> Result<Link, Error> {
    if let Some((host, port)) = hint.filter(|_| group.role == Role::Primary) {
        let node = node_config(config, &host, port);
        match connect_checked(&node, group).await {
            Ok(hs) => return Ok(hs.into_link(Some((host, port)))),
            Err(e) => {
                tracing::debug!(service = %group.service, node = %node.peer(), error = %e, "the announced primary did not answer as one: asking the sentinels")
            }
        }
    }
    let (host, port) = locate(config, group).await?;
    let node = node_config(config, &host, port);
    let hs = connect_checked(&node, group).await?;
    tracing::debug!(service = %group.service, node = %node.peer(), "connected through Sentinel");
    Ok(hs.into_link(Some((host, port))))
}

/// Connects to a data node, runs the handshake and checks its role.
async fn connect_checked(node: &Config, group: &Sentinel) -> Result<Handshake, Error> {
    let mut hs = handshake::session(node, node.endpoint()).await?;
    check_role(&mut hs, group.role, &node.peer()).await?;
    Ok(hs)
}

/// The data node's configuration: the connection's own, at the resolved address.
fn node_config(config: &Config, host: &str, port: u16) -> Config {
    let mut node = config.clone();
    node.sentinel = None;
    node.unix = None;
    node.host = host.to_owned();
    node.port = port;
    node
}

/// How to talk to one sentinel: its group's credentials and TLS, RESP2, no keepalive.
pub(super) fn sentinel_config(config: &Config, group: &Sentinel, node: &(String, u16)) -> Config {
    let mut sentinel = Config::new(node.0.clone(), node.1).protocol(Protocol::Resp2);
    sentinel.username = group.username.clone();
    sentinel.password = group.password.clone();
    sentinel.limits = config.limits;
    sentinel.tcp_keepalive = None;
    #[cfg(feature = "tls")]
    {
        sentinel.tls = group.tls.clone();
    }
    sentinel
}

/// What one sentinel said.
enum Answer {
    /// The node's address, and the other sentinels it knows.
    Found((String, u16), Vec<(String, u16)>),
    /// It answered, but knows no such node: why.
    Unknown(String),
}

/// Asks the sentinels in order; the first that knows the node is asked first next time.
async fn locate(config: &Config, group: &Sentinel) -> Result<(String, u16), Error> {
    let mut causes = Vec::new();
    let mut answered = false;
    let mut refused = None;
    for node in group.nodes.list() {
        let shown = show(&node.0, node.1);
        match tokio::time::timeout(group.timeout, ask(config, group, &node)).await {
            Ok(Ok(Answer::Found(addr, peers))) => {
                group.nodes.promote(&node);
                group.nodes.learn(peers);
                return Ok(addr);
            }
            Ok(Ok(Answer::Unknown(why))) => {
                answered = true;
                causes.push(format!("{shown}: {why}"));
            }
            Ok(Err(Error::Handshake { step, error })) => {
                causes.push(format!("{shown} refused {step}: {error}"));
                refused.get_or_insert(Error::SentinelRefused {
                    sentinel: shown,
                    error,
                });
            }
            Ok(Err(e)) => causes.push(format!("{shown}: {e}")),
            Err(_) => causes.push(format!("{shown}: no answer within {:?}", group.timeout)),
        }
    }
    let causes = causes.join("; ");
    let service = &group.service;
    if answered {
        return Err(match group.role {
            Role::Primary => Error::SentinelUnknownService(
                format!("no sentinel knows a primary for {service:?} ({causes})").into(),
            ),
            Role::Replica => Error::SentinelNoReplica(
                format!("no sentinel knows a healthy replica of {service:?} ({causes})").into(),
            ),
        });
    }
    Err(refused
        .unwrap_or_else(|| Error::SentinelUnreachable(format!("for {service:?}: {causes}").into())))
}

/// Asks one sentinel where the node is, and which other sentinels it knows.
async fn ask(config: &Config, group: &Sentinel, node: &(String, u16)) -> Result<Answer, Error> {
    let sentinel = sentinel_config(config, group, node);
    let mut hs = handshake::session(&sentinel, sentinel.endpoint()).await?;
    let found = match group.role {
        Role::Primary => primary(&mut hs, &group.service).await?,
        Role::Replica => replica(&mut hs, &group.service).await?,
    };
    let addr = match found {
        Ok(addr) => addr,
        Err(why) => return Ok(Answer::Unknown(why)),
    };
    let peers = sentinels(&mut hs, &group.service).await;
    Ok(Answer::Found(addr, peers))
}

type Found = Result<(String, u16), String>;

/// `SENTINEL GET-MASTER-ADDR-BY-NAME`: `[ip, port]`, or null for an unknown name.
async fn primary(hs: &mut Handshake, service: &str) -> Result<Found, Error> {
    let reply = hs
        .call(&cmd("SENTINEL").arg("GET-MASTER-ADDR-BY-NAME").arg(service))
        .await?;
    if let Some(error) = refusal(&reply) {
        return Ok(Err(error));
    }
    Ok(match reply.as_slice() {
        Some([host, port]) => address(host.as_str(), port.as_str())
            .ok_or_else(|| format!("an address that is not host and port: {reply:?}")),
        _ if reply.is_null() => Err(format!("the service {service:?} is unknown")),
        _ => Err(format!("an unexpected reply {}", reply.kind())),
    })
}

/// `SENTINEL REPLICAS`: one healthy replica (not down, not disconnected, its link to the
/// primary up), picked at random so that many connections spread over the replicas.
async fn replica(hs: &mut Handshake, service: &str) -> Result<Found, Error> {
    let reply = hs
        .call(&cmd("SENTINEL").arg("REPLICAS").arg(service))
        .await?;
    if let Some(error) = refusal(&reply) {
        return Ok(Err(error));
    }
    let healthy: Vec<(String, u16)> = reply
        .as_slice()
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| {
            let flags = field(entry, "flags").unwrap_or("");
            let down = ["s_down", "o_down", "disconnected"]
                .iter()
                .any(|flag| flags.split(',').any(|f| f == *flag));
            let linked = field(entry, "master-link-status") == Some("ok");
            (!down && linked)
                .then(|| address(field(entry, "ip"), field(entry, "port")))
                .flatten()
        })
        .collect();
    if healthy.is_empty() {
        return Ok(Err(format!("{service:?} has no healthy replica")));
    }
    Ok(Ok(healthy[pick(healthy.len())].clone()))
}

/// `SENTINEL SENTINELS`: the other sentinels of the service (none if the sentinel will
/// not say).
async fn sentinels(hs: &mut Handshake, service: &str) -> Vec<(String, u16)> {
    let Ok(reply) = hs
        .call(&cmd("SENTINEL").arg("SENTINELS").arg(service))
        .await
    else {
        return Vec::new();
    };
    reply
        .as_slice()
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| address(field(entry, "ip"), field(entry, "port")))
        .collect()
}

/// `ROLE`: `master`, or `slave` with its link `connected`, as wanted.
async fn check_role(hs: &mut Handshake, wanted: Role, peer: &str) -> Result<(), Error> {
    let reply = hs.call(&cmd("ROLE")).await?;
    if reply.is_error() {
        return Err(match ServerError::from_frame(reply) {
            Ok(error) => Error::Handshake {
                step: "ROLE",
                error,
            },
            Err(_) => Error::UnexpectedReply,
        });
    }
    let items = reply.as_slice().unwrap_or_default();
    let role = items.first().and_then(Frame::as_str).unwrap_or("?");
    let ok = match wanted {
        Role::Primary => role == "master",
        Role::Replica => {
            role == "slave" && items.get(3).and_then(Frame::as_str) == Some("connected")
        }
    };
    if ok {
        return Ok(());
    }
    let actual = match items.get(3).and_then(Frame::as_str) {
        Some(state) if role == "slave" => format!("replica ({state})"),
        _ if role == "slave" => "replica".to_owned(),
        _ if role == "master" => "primary".to_owned(),
        _ => role.to_owned(),
    };
    Err(Error::WrongRole {
        node: peer.into(),
        expected: match wanted {
            Role::Primary => "primary",
            Role::Replica => "replica in sync",
        },
        actual: actual.into(),
    })
}

/// An error reply, as text (`-ERR No such master with that name`, `-NOPERM ...`).
fn refusal(reply: &Frame) -> Option<String> {
    reply
        .is_error()
        .then(|| String::from_utf8_lossy(reply.error_message().unwrap_or_default()).into_owned())
}

/// A field of a sentinel's entry: a flat `[key, value, ...]` array (RESP2) or a map.
fn field<'a>(entry: &'a Frame, key: &str) -> Option<&'a str> {
    match entry.value() {
        Frame::Array(items) => items
            .chunks_exact(2)
            .find(|kv| kv[0].as_str() == Some(key))
            .and_then(|kv| kv[1].as_str()),
        Frame::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .and_then(|(_, v)| v.as_str()),
        _ => None,
    }
}

fn address(host: Option<&str>, port: Option<&str>) -> Option<(String, u16)> {
    Some((host?.to_owned(), port?.parse().ok()?))
}

/// A pseudo-random index below `n` (no need for a good generator: spreading only).
fn pick(n: usize) -> usize {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .subsec_nanos() as usize;
    (nanos / 1000) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_from_flat_arrays_and_maps() {
        let flat = Frame::Array(vec![
            Frame::bulk("ip"),
            Frame::bulk("10.0.0.2"),
            Frame::bulk("port"),
            Frame::bulk("6380"),
        ]);
        assert_eq!(
            address(field(&flat, "ip"), field(&flat, "port")),
            Some(("10.0.0.2".into(), 6380))
        );
        let map = Frame::Map(vec![(Frame::bulk("flags"), Frame::bulk("slave,s_down"))]);
        assert_eq!(field(&map, "flags"), Some("slave,s_down"));
        assert_eq!(field(&map, "ip"), None);
    }
}
