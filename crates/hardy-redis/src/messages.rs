//! The request messages the Redis actor handles, usable through `Addr` or `Recipient`
//! from any thread (actix-web handlers included).
//!
//! Each handler writes the request's bytes into the link's write buffer and returns an
//! [`Enqueued`] response; actix then hands it the caller's reply sender, which becomes the
//! request's reply slot on the link's pending queue (hardy-connection's request layer). No
//! channel or boxed future is allocated per request.

use std::marker::PhantomData;

use actix::dev::{MessageResponse, OneshotSender};
use actix::Message;
use hardy_connection::{Ctx, Handle};

use crate::conn::{Dispatch, RedisConn};
use crate::resp::Frame;
use crate::slots::Slot;
use crate::{Cmd, Error, RedisActor};

/// One command; the reply is the raw [`Frame`] (an error reply is a frame too: see
/// [`Redis::command`](crate::Redis::command) for the typed, checked version).
#[derive(Debug, Clone)]
pub struct Command(pub Cmd);

impl Message for Command {
    type Result = Result<Frame, Error>;
}

/// Several commands written together and answered together, in order (a pipeline). A
/// Redis error in one element is that element's frame; the others are unaffected.
#[derive(Debug, Clone)]
pub struct Batch(pub Vec<Cmd>);

impl Message for Batch {
    type Result = Result<Vec<Frame>, Error>;
}

/// Commands whose replies are not wanted: sent between `CLIENT REPLY OFF` and
/// `CLIENT REPLY ON`, so Redis does not even send them. Answers once they are written and
/// acknowledged.
#[derive(Debug, Clone)]
pub struct NoReply(pub Vec<Cmd>);

impl Message for NoReply {
    type Result = Result<(), Error>;
}

/// The handler's answer: where the request went, waiting for actix's reply sender.
pub struct Enqueued<M: Message> {
    dispatch: Dispatch,
    slot: fn(Option<OneshotSender<<M as Message>::Result>>, usize) -> Slot,
    replies: usize,
    _msg: PhantomData<M>,
}

impl<M: Message> MessageResponse<RedisActor, M> for Enqueued<M> {
    fn handle(self, ctx: &mut actix::Context<RedisActor>, tx: Option<OneshotSender<M::Result>>) {
        self.dispatch.place((self.slot)(tx, self.replies), ctx);
    }
}

impl<M: Message> Enqueued<M> {
    fn new(
        dispatch: Dispatch,
        replies: usize,
        slot: fn(Option<OneshotSender<M::Result>>, usize) -> Slot,
    ) -> Self {
        Enqueued {
            dispatch,
            slot,
            replies,
            _msg: PhantomData,
        }
    }
}

/// Commands that would break reply matching, or other callers' commands, on a shared
/// connection. `blocking_allowed` when the connection was configured for blocking
/// commands ([`Config::allow_blocking_commands`](crate::Config::allow_blocking_commands)).
pub(crate) fn refuse(cmd: &Cmd, blocking_allowed: bool) -> Option<Error> {
    let name = cmd.name();
    if !blocking_allowed && is_blocking(cmd) {
        return Some(Error::Config(format!(
            "{name} blocks the connection until it returns: every other caller's command \
             would wait behind it (and time out), and a reply arriving after its caller gave \
             up would be lost. Lease a dedicated connection: \
             BlockingPool::new(config, max).command(...) (see docs/redis.md, blocking \
             commands), or open one of your own: \
             Redis::connect(config.allow_blocking_commands(true).no_command_timeout())"
        )));
    }
    let why = match name {
        "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" | "MONITOR" => {
            "puts the connection in a push-only mode; it cannot share a pipelined connection \
             (subscribe through hardy_redis::pubsub::PubSub)"
        }
        "UNSUBSCRIBE" | "PUNSUBSCRIBE" | "SUNSUBSCRIBE" => {
            "answers with push frames (one per channel), not one reply; it would hand other \
             callers the wrong replies"
        }
        "MULTI" | "EXEC" | "DISCARD" => {
            "would wrap other callers' commands into the transaction; use \
             Redis::transaction, which sends MULTI ... EXEC as one pipeline"
        }
        "HELLO" | "RESET" => "changes the connection's protocol state; set it in Config instead",
        "CLIENT" if matches!(cmd.args().nth(1), Some(a) if a.eq_ignore_ascii_case(b"REPLY")) => {
            "would desynchronise replies; use Redis::noreply instead"
        }
        _ => return None,
    };
    Some(Error::Config(format!("{name} {why}")))
}

/// Whether `cmd` makes Redis hold the connection until data arrives or a timeout passes:
/// `BLPOP` and friends, `XREAD`/`XREADGROUP` with `BLOCK`, `WAIT`, `WAITAOF`.
fn is_blocking(cmd: &Cmd) -> bool {
    match cmd.name() {
        "BLPOP" | "BRPOP" | "BLMOVE" | "BRPOPLPUSH" | "BZPOPMIN" | "BZPOPMAX" | "BLMPOP"
        | "BZMPOP" | "WAIT" | "WAITAOF" => true,
        // The options come before STREAMS; after it, a key or ID could be named "block".
        "XREAD" | "XREADGROUP" => cmd
            .args()
            .skip(1)
            .take_while(|a| !a.eq_ignore_ascii_case(b"STREAMS"))
            .any(|a| a.eq_ignore_ascii_case(b"BLOCK")),
        _ => false,
    }
}

/// The refusals for a pipeline: as for single commands, except that a whole transaction
/// (`MULTI` first, `EXEC` or `DISCARD` last, none in between) is written as one piece and
/// cannot take in other callers' commands.
fn first_refusal(cmds: &[Cmd], blocking_allowed: bool) -> Option<Error> {
    // A cluster's `ASKING` goes right before the transaction it lets in.
    let cmds = match cmds {
        [asking, rest @ ..] if asking.name() == "ASKING" => rest,
        all => all,
    };
    let body = match cmds {
        [first, body @ .., last]
            if first.name() == "MULTI" && matches!(last.name(), "EXEC" | "DISCARD") =>
        {
            body
        }
        all => all,
    };
    body.iter().find_map(|cmd| refuse(cmd, blocking_allowed))
}

impl Handle<Command> for RedisConn {
    type Result = Enqueued<Command>;

    fn handle(&mut self, Command(cmd): Command, cx: &mut Ctx<'_, Self>) -> Enqueued<Command> {
        let dispatch = match refuse(&cmd, self.config.allow_blocking) {
            Some(err) => Dispatch::Fail(err),
            None => {
                if cmd.name() == "UNWATCH" {
                    self.sessions.clear_watches();
                }
                self.config.note_session(std::slice::from_ref(&cmd));
                self.dispatch(cx, |buf| cmd.write_to(buf))
            }
        };
        Enqueued::new(dispatch, 1, |tx, _| Slot::One(tx))
    }
}

impl Handle<Batch> for RedisConn {
    type Result = Enqueued<Batch>;

    fn handle(&mut self, Batch(cmds): Batch, cx: &mut Ctx<'_, Self>) -> Enqueued<Batch> {
        let dispatch = if let Some(err) = first_refusal(&cmds, self.config.allow_blocking) {
            Dispatch::Fail(err)
        } else if cmds.is_empty() {
            Dispatch::Fail(Error::Config(
                "an empty pipeline: add commands first".into(),
            ))
        } else {
            if cmds.iter().any(|c| matches!(c.name(), "EXEC" | "UNWATCH")) {
                self.sessions.clear_watches();
            }
            self.config.note_session(&cmds);
            self.dispatch(cx, |buf| {
                buf.reserve(cmds.iter().map(Cmd::encoded_len).sum());
                for cmd in &cmds {
                    cmd.write_to(buf);
                }
            })
        };
        Enqueued::new(dispatch, cmds.len(), |tx, n| Slot::Many {
            left: n,
            frames: Vec::with_capacity(n),
            tx,
        })
    }
}

impl Handle<NoReply> for RedisConn {
    type Result = Enqueued<NoReply>;

    fn handle(&mut self, NoReply(cmds): NoReply, cx: &mut Ctx<'_, Self>) -> Enqueued<NoReply> {
        let blocking = self.config.allow_blocking;
        let dispatch = match cmds.iter().find_map(|cmd| refuse(cmd, blocking)) {
            Some(err) => Dispatch::Fail(err),
            None => {
                if cmds.iter().any(|c| c.name() == "UNWATCH") {
                    self.sessions.clear_watches();
                }
                self.config.note_session(&cmds);
                self.dispatch(cx, |buf| {
                    crate::cmd("CLIENT").arg("REPLY").arg("OFF").write_to(buf);
                    for cmd in &cmds {
                        cmd.write_to(buf);
                    }
                    crate::cmd("CLIENT").arg("REPLY").arg("ON").write_to(buf);
                })
            }
        };
        Enqueued::new(dispatch, cmds.len(), |tx, n| Slot::NoReply {
            commands: n,
            discard: None,
            refused: None,
            tx,
        })
    }
}

/// Stops the connection actor with `ExitReason::Shutdown`. Requests still awaiting
/// replies get `Disconnected`.
#[deprecated(
    note = "send hardy_connection's `Stop::default()` (re-exported as `hardy_redis::Stop`), \
            which every connection understands"
)]
#[derive(Debug, Clone, Copy)]
pub struct Shutdown;

#[allow(deprecated)]
impl Message for Shutdown {
    type Result = ();
}

#[allow(deprecated)]
impl Handle<Shutdown> for RedisConn {
    type Result = ();

    fn handle(&mut self, _: Shutdown, cx: &mut Ctx<'_, Self>) {
        Handle::handle(self, hardy_connection::Stop::default(), cx);
    }
}
