//! The client libraries under test, each behind the same three calls, with its defaults.
//!
//! Replies are taken raw (a frame, a `redis::Value`), so that a reply meant for another
//! request is seen as such instead of failing a type conversion; errors are classified by
//! whether the command may have run, as each library reports it.

use std::net::SocketAddr;

use hardy_redis::Frame;

/// Which library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hardy,
    RedisRs,
}

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "hardy" => Some(Kind::Hardy),
            "redis-rs" => Some(Kind::RedisRs),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kind::Hardy => "hardy",
            Kind::RedisRs => "redis-rs",
        }
    }
}

/// A reply, reduced to what the invariants look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Text(String),
    Int(i64),
    Other(String),
}

/// An error surfaced to the caller.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Whether the command may have run (sent, then no reply).
    pub maybe_executed: bool,
}

/// One connection of one library, shared by every caller.
#[derive(Clone)]
pub enum Client {
    Hardy(hardy_redis::Redis),
    RedisRs(redis::aio::ConnectionManager),
}

/// Connects `kind` to `addr` with the library's defaults.
pub async fn connect(kind: Kind, addr: SocketAddr) -> Client {
    let url = format!("redis://{addr}");
    match kind {
        Kind::Hardy => connect_hardy(url.parse().expect("hardy URL")).await,
        Kind::RedisRs => {
            let client = redis::Client::open(url).expect("redis-rs URL");
            Client::RedisRs(
                client
                    .get_connection_manager()
                    .await
                    .expect("redis-rs connect"),
            )
        }
    }
}

/// Connects hardy-redis with `config` (for runs with non-default settings).
pub async fn connect_hardy(config: hardy_redis::Config) -> Client {
    Client::Hardy(
        hardy_redis::Redis::connect(config)
            .await
            .expect("hardy connect"),
    )
}

impl Client {
    /// Sends `args` and returns the raw reply, or the failure.
    pub async fn call(&self, args: &[&str]) -> Result<Reply, Failure> {
        match self {
            Client::Hardy(redis) => {
                let mut cmd = hardy_redis::cmd(args[0]);
                for arg in &args[1..] {
                    cmd.push(*arg);
                }
                match redis.command::<Frame>(cmd).await {
                    Ok(frame) => Ok(from_frame(frame)),
                    Err(e) => Err(Failure {
                        maybe_executed: e.maybe_executed(),
                    }),
                }
            }
            Client::RedisRs(manager) => {
                let mut cmd = redis::cmd(args[0]);
                for arg in &args[1..] {
                    cmd.arg(*arg);
                }
                let mut manager = manager.clone();
                match cmd.query_async::<redis::Value>(&mut manager).await {
                    Ok(value) => Ok(from_value(value)),
                    // redis-rs does not say whether a failed request was sent: count
                    // every error that is not the server's answer as "maybe executed",
                    // the allowance most favourable to it.
                    Err(e) => Err(Failure {
                        maybe_executed: e.code().is_none(),
                    }),
                }
            }
        }
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

fn from_value(value: redis::Value) -> Reply {
    match value {
        redis::Value::Int(n) => Reply::Int(n),
        redis::Value::Okay => Reply::Text("OK".into()),
        redis::Value::SimpleString(s) => Reply::Text(s),
        redis::Value::BulkString(b) => Reply::Text(String::from_utf8_lossy(&b).into_owned()),
        other => Reply::Other(format!("{other:?}")),
    }
}
