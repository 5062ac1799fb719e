//! Running one request at the node that owns its slot, following the cluster's
//! redirections.
//!
//! - `MOVED`: the command did not run; the slot is recorded at its new owner, a topology
//!   refresh is scheduled, and the command is resent there.
//! - `ASK`: the command did not run; it is sent once to the named node as `ASKING` + the
//!   command in one batch (one write, so nothing can slip between them), and the map is
//!   left alone.
//! - `TRYAGAIN`, `LOADING`, `CLUSTERDOWN`, `MASTERDOWN`, `READONLY`, a slot without an
//!   owner, a node that is reconnecting (the request was not sent): retried with a
//!   growing pause until the retry timeout.
//! - A lost connection after the request was written (`Disconnected`, `Timeout`): the
//!   command may have run, so it is never resent; the caller gets the error, and a refresh
//!   is scheduled.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::redirect::{redirect, Redirect};
use super::{ClusterError, Inner};
use crate::messages::{Batch, Command};
use crate::resp::Frame;
use crate::{cmd, Cmd, Error};

/// The first pause before retrying a command the cluster could not run yet.
pub(super) const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause between two retries.
pub(super) const MAX_PAUSE: Duration = Duration::from_millis(200);

/// What is sent: one command, or a transaction's commands (`MULTI` … `EXEC`).
pub(crate) enum Request {
    One(Cmd),
    Transaction(Vec<Cmd>),
}

/// Its reply: one frame, or one per command of the transaction.
pub(crate) enum Reply {
    One(Frame),
    Transaction(Vec<Frame>),
}

impl Request {
    fn name(&self) -> &str {
        match self {
            Request::One(c) => c.name(),
            Request::Transaction(_) => "MULTI",
        }
    }

    fn cmds(&self, asking: bool) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if asking {
            cmds.push(cmd("ASKING"));
        }
        match self {
            Request::One(c) => cmds.push(c.clone()),
            Request::Transaction(all) => cmds.extend(all.iter().cloned()),
        }
        cmds
    }
}

impl Reply {
    /// The redirection in the reply: a transaction's queued command answered `MOVED`
    /// means Redis discarded the transaction (`EXECABORT`), so nothing ran.
    fn redirect(&self, addr: &str) -> Option<Redirect> {
        match self {
            Reply::One(frame) => redirect(frame, addr),
            // A refused `MULTI` (an ACL without it) that is not itself a redirection
            // means Redis ran the queued commands one by one: never resend them; the
            // caller gets `MultiRefused`.
            Reply::Transaction(frames) => match frames.first() {
                Some(multi) if multi.is_error() && redirect(multi, addr).is_none() => None,
                _ => frames.iter().find_map(|f| redirect(f, addr)),
            },
        }
    }
}

/// A retry loop's state: redirections followed, pause, deadline. The command's name is
/// borrowed: it is only copied into an error.
struct Attempts<'a> {
    command: &'a str,
    redirects: u32,
    pause: Duration,
    started: Instant,
    deadline: Instant,
}

impl Attempts<'_> {
    fn unavailable(&self, reason: impl Into<String>) -> Error {
        ClusterError::Unavailable {
            command: self.command.to_owned(),
            waited: self.started.elapsed(),
            reason: reason.into(),
        }
        .into()
    }

    /// Waits before the next try; an error once the deadline has passed.
    async fn pause(&mut self, inner: &Inner, seen: u64, reason: &str) -> Result<(), Error> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(self.unavailable(reason));
        }
        inner.stats.retries.fetch_add(1, Ordering::Relaxed);
        let until = (now + self.pause).min(self.deadline);
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        // A new map ends the pause early: the next try uses it.
        let mut versions = inner.version_tx.subscribe();
        let _ = tokio::time::timeout_at(until, versions.wait_for(|v| *v != seen)).await;
        Ok(())
    }
}

impl Inner {
    /// Runs one command at the owner of `slot` (any primary when `None`).
    pub(crate) async fn run(self: &Arc<Self>, slot: Option<u16>, cmd: Cmd) -> Result<Frame, Error> {
        match self.run_request(slot, Request::One(cmd)).await? {
            Reply::One(frame) => Ok(frame),
            Reply::Transaction(_) => Err(Error::UnexpectedReply),
        }
    }

    /// Runs `request` at the owner of `slot`, following redirections.
    pub(crate) async fn run_request(
        self: &Arc<Self>,
        slot: Option<u16>,
        request: Request,
    ) -> Result<Reply, Error> {
        let started = Instant::now();
        let mut tries = Attempts {
            command: request.name(),
            redirects: 0,
            pause: FIRST_PAUSE,
            started,
            deadline: started + self.config.retry_timeout,
        };
        let mut ask: Option<String> = None;
        // A replica may answer a read; after any redirection, only the primary.
        let mut replica = match &request {
            Request::One(c) => self.config.read_from_replicas && self.keys.load().is_readonly(c),
            Request::Transaction(_) => false,
        };
        loop {
            let map = self.map.load_full();
            let asking = ask.is_some();
            // Borrowed from the map (no handle cloned per command), or the asked node.
            let asked;
            let node = match (ask.take(), slot) {
                (Some(addr), _) => {
                    asked = self.nodes.get(&addr, &self.config).await?;
                    Some(&asked)
                }
                (None, Some(slot)) if replica => map.reader(slot),
                (None, Some(slot)) => map.owner(slot),
                (None, None) => map.any(),
            };
            let Some(node) = node else {
                self.trigger_refresh();
                let reason = match slot {
                    Some(slot) => format!("no reachable primary owns slot {slot}"),
                    None => "no primary is known".to_owned(),
                };
                tries.pause(self, map.version, &reason).await?;
                continue;
            };
            let sent = match (&request, asking) {
                (Request::One(c), false) => {
                    node.redis.call(Command(c.clone())).await.map(Reply::One)
                }
                (Request::One(_), true) => node
                    .redis
                    .call(Batch(request.cmds(true)))
                    .await
                    .map(|mut frames| Reply::One(frames.pop().unwrap_or(Frame::Null))),
                (Request::Transaction(_), _) => node
                    .redis
                    .call(Batch(request.cmds(asking)))
                    .await
                    .map(|mut frames| {
                        if asking {
                            frames.remove(0);
                        }
                        Reply::Transaction(frames)
                    }),
            };
            let reply = match sent {
                Ok(reply) => reply,
                // Not sent: the node is reconnecting or its actor is between lives.
                Err(e @ (Error::NotConnected | Error::Stopped(_) | Error::QueueFull(_))) => {
                    if self.stopped.load(Ordering::Acquire) {
                        return Err(e);
                    }
                    self.trigger_refresh();
                    replica = false;
                    let reason = format!("{} is unreachable ({e})", node.addr);
                    tries.pause(self, map.version, &reason).await?;
                    continue;
                }
                Err(e) => {
                    if matches!(e, Error::Disconnected(_) | Error::Io(_) | Error::Timeout(_)) {
                        self.trigger_refresh();
                    }
                    return Err(e);
                }
            };
            let Some(redirect) = reply.redirect(&node.addr) else {
                return Ok(reply);
            };
            replica = false;
            match redirect {
                Redirect::Moved { slot, addr } => {
                    tries.redirects += 1;
                    self.stats.moved.fetch_add(1, Ordering::Relaxed);
                    self.record_moved(slot, &addr).await?;
                    self.trigger_refresh();
                    if tries.redirects > self.config.max_redirects {
                        return Err(too_many(&tries, format!("MOVED {slot} {addr}")));
                    }
                }
                Redirect::Ask { addr } => {
                    tries.redirects += 1;
                    self.stats.ask.fetch_add(1, Ordering::Relaxed);
                    if tries.redirects > self.config.max_redirects {
                        return Err(too_many(&tries, format!("ASK {addr}")));
                    }
                    ask = Some(addr);
                }
                Redirect::Retry { refresh } => {
                    if refresh {
                        self.trigger_refresh();
                    }
                    let reason = match &reply {
                        Reply::One(f) => {
                            String::from_utf8_lossy(f.error_message().unwrap_or_default())
                                .into_owned()
                        }
                        Reply::Transaction(_) => "the cluster asked to retry".to_owned(),
                    };
                    tries.pause(self, map.version, &reason).await?;
                }
            }
        }
    }

    /// Points `slot` at `addr` in a new map (the node's connection started if new).
    async fn record_moved(self: &Arc<Self>, slot: u16, addr: &str) -> Result<(), Error> {
        let node = self.nodes.get(addr, &self.config).await?;
        let current = self.map.load_full();
        if current.owner(slot).is_some_and(|n| *n.addr == *addr) {
            return Ok(());
        }
        let version = self.next_version();
        self.map
            .store(Arc::new(current.with_slot(version, slot, node)));
        self.version_tx.send_replace(version);
        Ok(())
    }
}

fn too_many(tries: &Attempts, last: String) -> Error {
    ClusterError::TooManyRedirects {
        command: tries.command.to_owned(),
        count: tries.redirects,
        last,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Frame {
        Frame::SimpleError(bytes::Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn a_transaction_whose_multi_was_refused_is_never_redirected() {
        // MULTI refused by an ACL: the queued commands ran one by one, the second met a
        // migrating slot. Resending the transaction would run the first one again.
        let reply = Reply::Transaction(vec![
            error("NOPERM this user has no permissions to run the 'multi' command"),
            Frame::SimpleString("OK".into()),
            error("ASK 42 127.0.0.1:7001"),
            error("ERR EXEC without MULTI"),
        ]);
        assert_eq!(reply.redirect("127.0.0.1:7000"), None);
    }

    #[test]
    fn a_queued_command_redirected_inside_multi_redirects_the_transaction() {
        let reply = Reply::Transaction(vec![
            Frame::SimpleString("OK".into()),
            error("MOVED 42 127.0.0.1:7001"),
            error("EXECABORT Transaction discarded because of previous errors."),
        ]);
        assert_eq!(
            reply.redirect("127.0.0.1:7000"),
            Some(Redirect::Moved {
                slot: 42,
                addr: "127.0.0.1:7001".into()
            })
        );
    }
}
