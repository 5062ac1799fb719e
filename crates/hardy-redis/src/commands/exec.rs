//! [`Execute`]: what a handle does with a [`TypedCmd`]; the one method a handle implements
//! to get every typed command.

use std::future::Future;
use std::pin::Pin;

use super::TypedCmd;
use crate::{Cmd, Error, FromRedis, Lease, Pipeline, Pool, Redis, Watch};

/// The future a connection handle's typed method returns: the reply, converted.
pub type Reply<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A handle that can run a [`TypedCmd`]: the executing half of every typed method.
///
/// | handle | `Output<T>` | typed methods |
/// |---|---|---|
/// | `&Redis` | [`Reply<T>`]: await it for the converted reply | `redis.get("k").await?` |
/// | `&Watch` | [`Reply<T>`], sent inside the `WATCH` session | `watch.get("k").await?` |
/// | `&Pool` | [`Reply<T>`], on the member the pool picks | `pool.get("k").await?` |
/// | `&mut Lease` | [`Reply<T>`], on the leased connection | `lease.get("k").await?` |
/// | `&mut Pipeline` | the pipeline, to chain more commands | `pipe.set("a", 1).incr("a")` |
///
/// Implemented for references, so a method call on an owned `Redis` borrows it. A pool or
/// cluster handle implements [`run`](Execute::run) and gets every command family.
pub trait Execute: Sized {
    /// What a typed method returns on this handle.
    type Output<T: FromRedis + Send + 'static>;

    /// Runs (or queues) `cmd`.
    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Self::Output<T>;
}

impl<'a> Execute for &'a Redis {
    type Output<T: FromRedis + Send + 'static> = Reply<'a, T>;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Reply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

impl<'a> Execute for &'a Watch {
    type Output<T: FromRedis + Send + 'static> = Reply<'a, T>;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Reply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

/// A pool runs each typed command on the member [`Pool::command`] picks (the caller's own
/// arbiter's when there is one).
impl<'a> Execute for &'a Pool {
    type Output<T: FromRedis + Send + 'static> = Reply<'a, T>;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Reply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

/// A lease runs each typed command on its own connection, as [`Lease::command`] does
/// (its blocking ones are [`BlockingCommands`](super::BlockingCommands)).
impl<'a> Execute for &'a mut Lease {
    type Output<T: FromRedis + Send + 'static> = Reply<'a, T>;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Reply<'a, T> {
        Box::pin(self.command(cmd.into_cmd()))
    }
}

impl<'a> Execute for &'a mut Pipeline {
    type Output<T: FromRedis + Send + 'static> = &'a mut Pipeline;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> &'a mut Pipeline {
        self.push(cmd.into_cmd())
    }
}

/// A handle that sends one command, awaits its reply, and can be kept (cloned into a
/// stream): [`Redis`] and [`Pool`]. What needs a reply before it sends the next command
/// takes one: a [`Script`](super::Script)'s `NOSCRIPT` fallback and the
/// [`ScanCommands`](super::ScanCommands) streams. Sealed: implemented by this crate only.
pub trait CommandHandle: Clone + Send + Sync + 'static + sealed::Sealed {
    /// Sends `cmd` and converts its reply, as [`Redis::command`] does.
    fn send_command<T: FromRedis + Send + 'static>(&self, cmd: Cmd) -> Reply<'_, T>;
}

impl CommandHandle for Redis {
    fn send_command<T: FromRedis + Send + 'static>(&self, cmd: Cmd) -> Reply<'_, T> {
        Box::pin(self.command(cmd))
    }
}

/// Each command on the member [`Pool::command`] picks: a script's reload and its retry may
/// go to different members, which is fine, since they share the server.
impl CommandHandle for Pool {
    fn send_command<T: FromRedis + Send + 'static>(&self, cmd: Cmd) -> Reply<'_, T> {
        Box::pin(self.command(cmd))
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Redis {}
    impl Sealed for crate::Pool {}
}
