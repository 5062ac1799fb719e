//! The chaos runner's client-independent parts: the callers' workload, the fault schedule
//! and the invariants, checked against the server directly.
//!
//! Shared by two users, so that the figures in docs/reliability.md and the assertions in
//! the test suite come from the same code: `bench/chaos` (which includes this file by
//! path, like the fuzz targets include `fuzz_checks`, and adds redis-rs and fred behind
//! [`Client`]) and the short run in the ordinary test suite, `tests/chaos_short.rs`
//! (hardy-redis only).
//!
//! The setting: one `redis-server` with `appendonly yes` and `appendfsync always`
//! ([`chaos_server`]), so that a write acknowledged before a `SIGKILL` must still be there
//! after the restart; a `FaultProxy` in front of it; ONE connection of the client library
//! under test through the proxy, shared by C concurrent callers ([`workload`]); and a
//! fault schedule paced by the callers' progress ([`faults`]). Then [`verify`] reads the
//! server directly.

// Each user needs a different part of this module (the test no table, the bench no
// assertions).
#![allow(dead_code)]

pub mod faults;
pub mod verify;
pub mod workload;

use std::future::Future;

use hardy_redis::Frame;
use hardy_testkit::{RedisConfig, RedisServer};

/// A reply, reduced to what the invariants look at. Replies are taken raw (a frame, a
/// `redis::Value`), so that a reply meant for another request is seen as such instead of
/// failing a type conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Text(String),
    Int(i64),
    Other(String),
}

/// An error surfaced to the caller.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Whether the command may have run (sent, then no reply), as the library reports it.
    pub maybe_executed: bool,
    /// The server's error code (`LOADING` while a restarted server reads its AOF, ...)
    /// when the failure is the server's error reply: the command was refused, not lost.
    pub server: Option<String>,
}

/// The code of a server error reply: its first word.
pub fn error_code(message: &str) -> String {
    message.split_whitespace().next().unwrap_or("").to_owned()
}

/// One connection of one client library, cloned into every caller.
pub trait Client: Clone + 'static {
    /// Sends `args` and returns the raw reply, or the failure.
    fn call(&self, args: &[&str]) -> impl Future<Output = Result<Reply, Failure>>;
}

/// hardy-redis, through `Redis::command::<Frame>`.
#[derive(Clone)]
pub struct Hardy(pub hardy_redis::Redis);

impl Hardy {
    /// Connects with `config`.
    pub async fn connect(config: hardy_redis::Config) -> Hardy {
        Hardy(
            hardy_redis::Redis::connect(config)
                .await
                .expect("hardy connect"),
        )
    }
}

impl Client for Hardy {
    async fn call(&self, args: &[&str]) -> Result<Reply, Failure> {
        outcome(self.0.command::<Frame>(hardy_cmd(args)).await)
    }
}

/// `args` as a hardy-redis command.
pub fn hardy_cmd(args: &[&str]) -> hardy_redis::Cmd {
    let mut cmd = hardy_redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.push(*arg);
    }
    cmd
}

/// A hardy-redis result, as the checks see it.
pub fn outcome(result: Result<Frame, hardy_redis::Error>) -> Result<Reply, Failure> {
    match result {
        Ok(frame) => Ok(from_frame(frame)),
        Err(e) => Err(Failure {
            maybe_executed: e.maybe_executed(),
            server: match &e {
                hardy_redis::Error::Server(reply) => Some(reply.code().to_owned()),
                _ => None,
            },
        }),
    }
}

fn from_frame(frame: Frame) -> Reply {
    match frame {
        Frame::Integer(n) => Reply::Int(n),
        Frame::SimpleString(b) | Frame::BulkString(b) => {
            Reply::Text(String::from_utf8_lossy(&b).into_owned())
        }
        other => Reply::Other(format!("{other:?}")),
    }
}

/// The chaos runs' server: a write is appended to the AOF, and the file fsynced, before
/// its reply is sent (`appendfsync always`), so whatever was acknowledged survives a
/// `SIGKILL` and is reloaded by the restart on the same port. Without persistence a
/// restart would lose every write, acknowledged or not, and the check would prove nothing.
pub fn chaos_server() -> RedisServer {
    chaos_config()
        .start()
        .expect("redis-server (is it installed? scripts/ensure-redis.sh)")
}

/// [`chaos_server`]'s settings, for a scenario that adds its own (TLS).
pub fn chaos_config() -> RedisConfig {
    RedisConfig::new()
        .line("appendonly yes")
        .line("appendfsync always")
        // A restart reloads the AOF, up to about a million keys: slow on a busy machine.
        .ready_timeout(std::time::Duration::from_secs(120))
}
