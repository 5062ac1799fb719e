//! Routing a whole request: the slot of its keys, splitting the multi-key commands that
//! can be split, sending the node-wide ones to every primary, grouping a pipeline by node,
//! and keeping a transaction in one slot.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::join_all;

use super::keys::Slots;
use super::route::{Reply, Request};
use super::slot::key_slot;
use super::{ClusterError, Inner};
use crate::messages::Batch;
use crate::resp::Frame;
use crate::{cmd, Cmd, Error};

/// Where a command goes.
enum Target {
    /// The owner of this slot.
    Slot(u16),
    /// Any primary (keyless).
    Any,
    /// Keys in several slots: `(slot, key argument index)` for each key.
    Split(Vec<(u16, usize)>),
}

/// How a split or broadcast command's replies are combined.
#[derive(Clone, Copy)]
enum Combine {
    /// `MGET`: values back in key order.
    Values,
    /// `DEL`, `EXISTS`, `UNLINK`, `TOUCH`, `DBSIZE`: the counts summed.
    Sum,
    /// `MSET`, `FLUSHALL`, …: the first reply, once every part succeeded.
    AllOk,
    /// `KEYS`: the arrays concatenated.
    Concat,
}

/// Multi-key commands split per slot, and how many arguments each key carries.
fn splittable(name: &str) -> Option<(Combine, usize)> {
    Some(match name {
        "MGET" => (Combine::Values, 1),
        "DEL" | "EXISTS" | "UNLINK" | "TOUCH" => (Combine::Sum, 1),
        "MSET" => (Combine::AllOk, 2),
        _ => return None,
    })
}

/// Keyless commands that act on every primary.
fn broadcast(cmd: &Cmd) -> Option<Combine> {
    let sub = || {
        cmd.args()
            .nth(1)
            .map(|s| String::from_utf8_lossy(s).to_uppercase())
            .unwrap_or_default()
    };
    match cmd.name() {
        "FLUSHALL" | "FLUSHDB" => Some(Combine::AllOk),
        "SCRIPT" if matches!(sub().as_str(), "LOAD" | "FLUSH") => Some(Combine::AllOk),
        "FUNCTION" if matches!(sub().as_str(), "LOAD" | "FLUSH" | "DELETE") => Some(Combine::AllOk),
        "KEYS" => Some(Combine::Concat),
        "DBSIZE" => Some(Combine::Sum),
        _ => None,
    }
}

/// The reply of a split or broadcast command from its parts' replies: the first failure,
/// else the first error reply (which the caller gets as the command's reply), else the
/// parts combined ([`combine_frames`]).
fn combine_replies(
    combine: Combine,
    replies: Vec<Result<Frame, Error>>,
    orders: &[&[usize]],
    n: usize,
) -> Result<Frame, Error> {
    let mut frames = Vec::with_capacity(replies.len());
    for reply in replies {
        let frame = reply?;
        if frame.is_error() {
            return Ok(frame);
        }
        frames.push(frame);
    }
    combine_frames(combine, frames, orders, n)
}

impl Inner {
    /// Where `cmd` goes, from its keys.
    fn target(&self, cmd: &Cmd) -> Target {
        let keys = self.keys.load();
        match keys.slots(cmd) {
            Slots::None => return Target::Any,
            Slots::One(slot) => return Target::Slot(slot),
            Slots::Many => {}
        }
        // Positions are needed to split: keys are found again by argument index.
        let found = keys.keys(cmd);
        let args: Vec<&[u8]> = cmd.args().collect();
        let positions = found
            .iter()
            .filter_map(|k| {
                let i = args
                    .iter()
                    .position(|a| std::ptr::eq(a.as_ptr(), k.as_ptr()))?;
                Some((key_slot(k), i))
            })
            .collect();
        Target::Split(positions)
    }

    /// Runs one command wherever its keys say, splitting or broadcasting as documented on
    /// [`Cluster::command`](super::Cluster::command).
    pub(crate) async fn dispatch(self: &Arc<Self>, cmd: Cmd) -> Result<Frame, Error> {
        if cmd.name() == "SCAN" {
            return Err(ClusterError::Unsupported {
                command: "SCAN".into(),
                hint: "each primary holds its own keys: use Cluster::scan, which walks every primary in turn",
            }
            .into());
        }
        match self.target(&cmd) {
            Target::Slot(slot) => self.run(Some(slot), cmd).await,
            Target::Any => match broadcast(&cmd) {
                Some(combine) => self.broadcast(cmd, combine).await,
                None => self.run(None, cmd).await,
            },
            Target::Split(keys) => match splittable(cmd.name()) {
                Some((combine, width)) => self.split(&cmd, &keys, combine, width).await,
                None => Err(ClusterError::CrossSlot {
                    command: cmd.name().to_owned(),
                }
                .into()),
            },
        }
    }

    /// One sub-command per slot, sent concurrently, replies combined.
    async fn split(
        self: &Arc<Self>,
        cmd: &Cmd,
        keys: &[(u16, usize)],
        combine: Combine,
        width: usize,
    ) -> Result<Frame, Error> {
        let args: Vec<&[u8]> = cmd.args().collect();
        let mut by_slot: BTreeMap<u16, (Cmd, Vec<usize>)> = BTreeMap::new();
        for (n, &(slot, at)) in keys.iter().enumerate() {
            let (part, order) = by_slot
                .entry(slot)
                .or_insert_with(|| (crate::cmd(cmd.name()), Vec::new()));
            for arg in args.iter().skip(at).take(width) {
                part.push_bytes(arg);
            }
            order.push(n);
        }
        let parts: Vec<(u16, Cmd, Vec<usize>)> =
            by_slot.into_iter().map(|(s, (c, o))| (s, c, o)).collect();
        let replies = join_all(
            parts
                .iter()
                .map(|(slot, part, _)| self.run(Some(*slot), part.clone())),
        )
        .await;
        let orders: Vec<&[usize]> = parts.iter().map(|(_, _, o)| o.as_slice()).collect();
        combine_replies(combine, replies, &orders, keys.len())
    }

    /// The command on every primary, replies combined.
    async fn broadcast(self: &Arc<Self>, cmd: Cmd, combine: Combine) -> Result<Frame, Error> {
        let map = self.map.load_full();
        let primaries = map.primaries();
        if primaries.is_empty() {
            return self.run(None, cmd).await;
        }
        let replies = join_all(
            primaries
                .iter()
                .map(|n| n.redis.call(crate::messages::Command(cmd.clone()))),
        )
        .await;
        combine_replies(combine, replies, &[], 0)
    }

    /// Runs a pipeline: grouped by owning node (keyless commands with the first node's
    /// batch), one batch per node, all concurrently; redirected commands are resent one
    /// by one, in order.
    pub(crate) async fn pipeline(self: &Arc<Self>, cmds: Vec<Cmd>) -> Vec<Result<Frame, Error>> {
        let map = self.map.load_full();
        let mut outcomes: Vec<Option<Result<Frame, Error>>> =
            (0..cmds.len()).map(|_| None).collect();
        let mut slots: Vec<Option<u16>> = vec![None; cmds.len()];
        // Commands for one node, by the node's position in the map.
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut alone = Vec::new();
        let mut keyless = Vec::new();
        for (i, c) in cmds.iter().enumerate() {
            match self.target(c) {
                Target::Slot(slot) => {
                    slots[i] = Some(slot);
                    match map.owner(slot) {
                        Some(node) => {
                            let at = map
                                .primaries()
                                .iter()
                                .position(|n| n.addr == node.addr)
                                .unwrap_or(0);
                            groups.entry(at).or_default().push(i);
                        }
                        None => alone.push(i),
                    }
                }
                // Keyless ones join a node's batch below.
                Target::Any if broadcast(c).is_none() && c.name() != "SCAN" => keyless.push(i),
                // Split, broadcast or refused commands go through the single-command path.
                _ => alone.push(i),
            }
        }
        // Any primary serves a keyless command: the first node's batch takes them all,
        // each in its place in the caller's order.
        if !keyless.is_empty() {
            let at = match groups.keys().next() {
                Some(&at) => Some(at),
                None => map
                    .any()
                    .and_then(|any| map.primaries().iter().position(|n| n.addr == any.addr)),
            };
            match at {
                Some(at) => {
                    let members = groups.entry(at).or_default();
                    members.extend(keyless);
                    members.sort_unstable();
                }
                None => alone.extend(keyless),
            }
        }
        let batches = join_all(groups.iter().map(|(&at, members)| {
            let node = map.primaries()[at].clone();
            let batch: Vec<Cmd> = members.iter().map(|&i| cmds[i].clone()).collect();
            async move { (node.addr.clone(), node.redis.call(Batch(batch)).await) }
        }))
        .await;
        for ((addr, result), members) in batches.into_iter().zip(groups.values()) {
            match result {
                Ok(frames) => {
                    for (&i, frame) in members.iter().zip(frames) {
                        if super::redirect::redirect(&frame, &addr).is_some() {
                            alone.push(i);
                        } else {
                            outcomes[i] = Some(Ok(frame));
                        }
                    }
                }
                // Never sent (a refused command in the batch refuses it all, before
                // writing): each command goes again on its own, and gets its own outcome.
                Err(
                    Error::NotConnected
                    | Error::Stopped(_)
                    | Error::QueueFull(_)
                    | Error::Config(_)
                    | Error::Overloaded(_),
                ) => {
                    alone.extend(members.iter().copied());
                }
                Err(e) => {
                    self.trigger_refresh();
                    for &i in members {
                        outcomes[i] = Some(Err(same(&e)));
                    }
                }
            }
        }
        alone.sort_unstable();
        for i in alone {
            let outcome = match slots[i] {
                Some(slot) => self.run(Some(slot), cmds[i].clone()).await,
                None => self.dispatch(cmds[i].clone()).await,
            };
            outcomes[i] = Some(outcome);
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or(Err(Error::UnexpectedReply)))
            .collect()
    }

    /// Runs `MULTI` … `EXEC` at the owner of the transaction's one slot.
    pub(crate) async fn transaction(self: &Arc<Self>, cmds: Vec<Cmd>) -> Result<Vec<Frame>, Error> {
        let mut slot = None;
        for c in &cmds {
            let here = match self.target(c) {
                Target::Any => continue,
                Target::Slot(s) => s,
                Target::Split(keys) => {
                    let first = keys.first().map_or(0, |k| k.0);
                    let other = keys
                        .iter()
                        .map(|k| k.0)
                        .find(|&s| s != first)
                        .unwrap_or(first);
                    return Err(ClusterError::CrossSlotTransaction { first, other }.into());
                }
            };
            match slot {
                None => slot = Some(here),
                Some(first) if first != here => {
                    return Err(ClusterError::CrossSlotTransaction { first, other: here }.into())
                }
                Some(_) => {}
            }
        }
        let mut all = Vec::with_capacity(cmds.len() + 2);
        all.push(cmd("MULTI"));
        all.extend(cmds);
        all.push(cmd("EXEC"));
        match self.run_request(slot, Request::Transaction(all)).await? {
            Reply::Transaction(frames) => Ok(frames),
            Reply::One(_) => Err(Error::UnexpectedReply),
        }
    }
}

/// The same error again, for every command of a batch that shared it.
fn same(e: &Error) -> Error {
    match e {
        Error::Disconnected(why) => Error::Disconnected(why.clone()),
        Error::Timeout(after) => Error::Timeout(*after),
        other => Error::Disconnected(other.to_string().into()),
    }
}

/// Combines the parts' replies; `orders[p]` lists which of the `n` keys part `p` held.
fn combine_frames(
    combine: Combine,
    frames: Vec<Frame>,
    orders: &[&[usize]],
    n: usize,
) -> Result<Frame, Error> {
    Ok(match combine {
        Combine::Sum => Frame::Integer(frames.iter().filter_map(Frame::as_integer).sum()),
        Combine::AllOk => frames.into_iter().next().unwrap_or(Frame::Null),
        Combine::Concat => Frame::Array(
            frames
                .into_iter()
                .flat_map(|f| match f.into_value() {
                    Frame::Array(items) | Frame::Set(items) => items,
                    other => vec![other],
                })
                .collect(),
        ),
        Combine::Values => {
            let mut values = vec![Frame::Null; n];
            for (frame, order) in frames.into_iter().zip(orders) {
                let Frame::Array(items) = frame.into_value() else {
                    return Err(Error::UnexpectedReply);
                };
                for (item, &at) in items.into_iter().zip(order.iter()) {
                    values[at] = item;
                }
            }
            Frame::Array(values)
        }
    })
}
