//! Optimistic locking: `WATCH`, reads, then `MULTI` … `EXEC`, all on one link.
//!
//! `WATCH` belongs to the socket. If the link drops after `WATCH` and the driver
//! reconnects, the new socket watches nothing, and an `EXEC` sent on it runs unguarded:
//! the very race the `WATCH` was there to catch. On a shared connection, another caller's
//! `EXEC` or `UNWATCH` clears every watch too. So a [`Watch`] remembers the link its
//! `WATCH` ran on and the connection's *watch epoch* (bumped by every `EXEC` and `UNWATCH`
//! written), and the actor checks both before writing each of its commands: when either
//! moved, the command is not sent and the caller gets [`Error::WatchAborted`], the same
//! answer as a watched key that changed. Nothing ran; re-read and retry, which
//! [`Redis::optimistic`] does.

use std::sync::atomic::{AtomicU64, Ordering};

use actix::dev::{MessageResponse, OneshotSender};
use actix::Message;
use hardy_connection::{Ctx, Handle};

use crate::client::exec_result;
use crate::conn::{Dispatch, RedisConn};
use crate::messages::refuse;
use crate::resp::Frame;
use crate::slots::Slot;
use crate::{cmd, Cmd, Error, FromRedis, Pipeline, Redis, RedisActor, ToArg};

/// Where a `WATCH` ran: the link and the watch epoch at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Session {
    link: u64,
    epoch: u64,
}

/// Link ids unique in the process, so that the links of a restarted actor (a supervised
/// connection's next incarnation) never match a session of the previous one.
static LINKS: AtomicU64 = AtomicU64::new(1);

/// A fresh link id.
pub(crate) fn next_link_id() -> u64 {
    LINKS.fetch_add(1, Ordering::Relaxed)
}

/// The session state of a connection: the current link and its watch epoch.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    /// The current link's id; 0 while disconnected.
    pub(crate) link: u64,
    epoch: u64,
}

impl Sessions {
    /// An `EXEC` or `UNWATCH` is being written: every watch on the link is cleared.
    pub(crate) fn clear_watches(&mut self) {
        self.epoch += 1;
    }

    fn current(&self) -> Session {
        Session {
            link: self.link,
            epoch: self.epoch,
        }
    }
}

/// Commands sent within a `WATCH` session: the first opens it (`session: None`), the
/// others must run on its link with its watches intact, and `ends` marks the one that
/// clears the watches (`EXEC`, `UNWATCH`).
pub(crate) struct InSession {
    cmds: Vec<Cmd>,
    session: Option<Session>,
    ends: bool,
}

/// What an [`InSession`] request is answered with: the session and the replies.
pub(crate) type SessionReply = Result<(Session, Vec<Frame>), Error>;

impl Message for InSession {
    type Result = SessionReply;
}

/// The handler's answer for an [`InSession`] request.
pub(crate) struct SessionEnqueued {
    dispatch: Dispatch,
    session: Session,
    replies: usize,
}

impl MessageResponse<RedisActor, InSession> for SessionEnqueued {
    fn handle(
        self,
        ctx: &mut actix::Context<RedisActor>,
        tx: Option<OneshotSender<<InSession as Message>::Result>>,
    ) {
        let slot = Slot::Session {
            left: self.replies,
            frames: Vec::with_capacity(self.replies),
            session: self.session,
            tx,
        };
        self.dispatch.place(slot, ctx);
    }
}

impl Handle<InSession> for RedisConn {
    type Result = SessionEnqueued;

    fn handle(&mut self, msg: InSession, cx: &mut Ctx<'_, Self>) -> SessionEnqueued {
        let now = self.sessions.current();
        let blocking = self.config.allow_blocking;
        let dispatch = if msg.session.is_none() && (now.link == 0 || self.is_loading()) {
            // A new session needs a link for its `WATCH`, and would not survive a
            // reconnect, so it does not wait for one: not sent, retry later.
            Dispatch::Fail(Error::NotConnected)
        } else if msg.session.is_some_and(|s| s != now) || now.link == 0 {
            // The link changed, or another EXEC/UNWATCH cleared the watches: what this
            // session read is no longer guarded.
            Dispatch::Fail(Error::WatchAborted)
        } else if let Some(err) = body(&msg.cmds).iter().find_map(|c| refuse(c, blocking)) {
            Dispatch::Fail(err)
        } else {
            if msg.ends {
                self.sessions.clear_watches();
            }
            self.config.note_session(&msg.cmds);
            self.dispatch_on_link(cx, |buf| {
                for cmd in &msg.cmds {
                    cmd.write_to(buf);
                }
            })
        };
        SessionEnqueued {
            dispatch,
            session: now,
            replies: msg.cmds.len(),
        }
    }
}

/// The commands to check against the refusals: a transaction's body, without its
/// `MULTI` and `EXEC`.
fn body(cmds: &[Cmd]) -> &[Cmd] {
    match cmds {
        [first, body @ .., last] if first.name() == "MULTI" && last.name() == "EXEC" => body,
        all => all,
    }
}

/// An open `WATCH` session, from [`Redis::watch`]: read with [`command`](Self::command),
/// then commit with [`exec`](Self::exec).
///
/// Every command of the session runs on the link the `WATCH` ran on, with its watches
/// still in place. If the link dropped (and the driver reconnected), or another caller's
/// `EXEC` or `UNWATCH` cleared the watches on a shared connection, the session's next
/// command is not sent and fails with [`Error::WatchAborted`]: re-read and retry (see
/// [`Redis::optimistic`]). Dropping a session without `exec` leaves its keys watched until
/// the connection's next `EXEC` or `UNWATCH`, which at worst aborts one more transaction;
/// [`unwatch`](Self::unwatch) releases them at once.
#[derive(Debug)]
pub struct Watch {
    redis: Redis,
    session: Session,
}

impl Redis {
    /// Sends `WATCH keys` and opens a session on the current link.
    ///
    /// While the link is down (or its server is still loading its dataset) it fails at
    /// once with [`Error::NotConnected`]: nothing was sent, retry later. A session belongs
    /// to one link, so unlike a plain command it does not wait for the reconnect.
    ///
    /// ```no_run
    /// use hardy_redis::{cmd, Error, Pipeline, Redis};
    ///
    /// # async fn demo(redis: Redis) -> Result<(), Error> {
    /// let tx = redis.watch("balance").await?;
    /// let balance: i64 = tx.command(cmd("GET").arg("balance")).await?;
    /// // Err(Error::WatchAborted) when a watched key or the link changed: retry.
    /// let (ok,): (String,) = tx
    ///     .exec(Pipeline::new().cmd(cmd("SET").arg("balance").arg(balance - 10)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn watch(&self, keys: impl ToArg) -> Result<Watch, Error> {
        let watch = cmd("WATCH").arg(keys);
        if watch.len() < 2 {
            return Err(Error::Config("WATCH needs at least one key".into()));
        }
        let (session, frames) = self.session(vec![watch], None, false).await?;
        one(frames).and_then(crate::client::expect_ok)?;
        Ok(Watch {
            redis: self.clone(),
            session,
        })
    }

    /// Optimistic locking with retries: `WATCH keys`, run `body` (which reads through the
    /// session and returns the commands to run), then `MULTI` … `EXEC` them, all on one
    /// link; when a watched key changed or the link changed meanwhile
    /// ([`Error::WatchAborted`]), start over, at most `attempts` times in all. Other errors
    /// end it at once (`body`'s own included, and [`Error::NotConnected`] from a `WATCH`
    /// while the link is down). Nothing runs twice: an aborted `EXEC` ran nothing.
    ///
    /// ```no_run
    /// use hardy_redis::{cmd, Error, Pipeline, Redis};
    ///
    /// # async fn demo(redis: Redis) -> Result<(), Error> {
    /// let (new_balance,): (i64,) = redis
    ///     .optimistic("balance", 10, async |tx| {
    ///         let balance: i64 = tx.command(cmd("GET").arg("balance")).await?;
    ///         Ok(Pipeline::new().cmd(cmd("DECRBY").arg("balance").arg(balance / 10)))
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn optimistic<T, K, F>(
        &self,
        keys: K,
        attempts: usize,
        mut body: F,
    ) -> Result<T, Error>
    where
        T: FromRedis,
        K: ToArg + Clone,
        F: AsyncFnMut(&Watch) -> Result<Pipeline, Error>,
    {
        let mut last = Error::WatchAborted;
        for _ in 0..attempts.max(1) {
            let watch = match self.watch(keys.clone()).await {
                Ok(watch) => watch,
                Err(e) => return Err(e),
            };
            let pipeline = match body(&watch).await {
                Ok(pipeline) => pipeline,
                Err(Error::WatchAborted) => {
                    last = Error::WatchAborted;
                    continue;
                }
                Err(e) => {
                    let _ = watch.unwatch().await;
                    return Err(e);
                }
            };
            match watch.exec(pipeline).await {
                Err(Error::WatchAborted) => last = Error::WatchAborted,
                outcome => return outcome,
            }
        }
        Err(last)
    }

    async fn session(
        &self,
        cmds: Vec<Cmd>,
        session: Option<Session>,
        ends: bool,
    ) -> Result<(Session, Vec<Frame>), Error> {
        self.call(InSession {
            cmds,
            session,
            ends,
        })
        .await
    }
}

fn one(frames: Vec<Frame>) -> Result<Frame, Error> {
    frames.into_iter().next().ok_or(Error::UnexpectedReply)
}

impl Watch {
    /// Sends one command (normally a read of the watched keys) in the session and
    /// converts its reply, as [`Redis::command`] does. [`Error::WatchAborted`] when the
    /// session's link or watches are gone.
    pub async fn command<T: FromRedis>(&self, cmd: Cmd) -> Result<T, Error> {
        let (_, frames) = self
            .redis
            .session(vec![cmd], Some(self.session), false)
            .await?;
        crate::client::convert(one(frames)?)
    }

    /// Runs `pipeline` as `MULTI` … `EXEC` on the session's link and converts `EXEC`'s
    /// replies, as [`Redis::transaction`] does. [`Error::WatchAborted`] when a watched key
    /// changed, or when the link or the watches were lost before `EXEC` could be sent:
    /// in both cases nothing ran.
    pub async fn exec<T: FromRedis>(self, pipeline: Pipeline) -> Result<T, Error> {
        let cmds = pipeline.into_transaction();
        let (_, frames) = self.redis.session(cmds, Some(self.session), true).await?;
        exec_result(frames)
    }

    /// Ends the session without a transaction (`UNWATCH`).
    pub async fn unwatch(self) -> Result<(), Error> {
        match self
            .redis
            .session(vec![cmd("UNWATCH")], Some(self.session), true)
            .await
        {
            // Already gone with the link: nothing left to release.
            Err(Error::WatchAborted) => Ok(()),
            other => other.map(drop),
        }
    }
}
