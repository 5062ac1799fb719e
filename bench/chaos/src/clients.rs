//! The client libraries under test, each behind the kit's [`Client`](crate::kit::Client):
//! a connection, or for Sentinel and Cluster what each library offers (see
//! `connect.rs` for how each is made).
//!
//! Replies are taken raw (a frame, a `redis::Value`, a `fred` value), so that a reply meant
//! for another request is seen as such instead of failing a type conversion; errors are
//! classified by whether the command may have run, as each library reports it.

pub use crate::connect::{connect, connect_hardy, FRED_POLICY};
pub use crate::kit::{Failure, Reply};

/// Which library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hardy,
    RedisRs,
    Fred,
}

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "hardy" => Some(Kind::Hardy),
            "redis-rs" => Some(Kind::RedisRs),
            "fred" => Some(Kind::Fred),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kind::Hardy => "hardy",
            Kind::RedisRs => "redis-rs",
            Kind::Fred => "fred",
        }
    }
}

/// One connection (or cluster client) of one library, shared by every caller; made by
/// [`connect`](crate::connect::connect) for a scenario's endpoint.
#[derive(Clone)]
pub enum Client {
    Hardy(crate::kit::Hardy),
    HardyCluster(hardy_redis::cluster::Cluster),
    RedisRs(redis::aio::ConnectionManager),
    RedisRsSentinel(crate::redis_rs_sentinel::SentinelManager),
    RedisRsCluster(redis::cluster_async::ClusterConnection),
    Fred(fred::prelude::Client),
}

impl Client {
    /// Sends `args` and returns the raw reply, or the failure.
    pub async fn call(&self, args: &[&str]) -> Result<Reply, Failure> {
        match self {
            Client::Hardy(hardy) => crate::kit::Client::call(hardy, args).await,
            Client::HardyCluster(cluster) => {
                let cmd = crate::kit::hardy_cmd(args);
                crate::kit::outcome(cluster.command::<hardy_redis::Frame>(cmd).await)
            }
            Client::RedisRs(manager) => redis_rs_outcome(
                redis_cmd(args)
                    .query_async::<redis::Value>(&mut manager.clone())
                    .await,
            ),
            Client::RedisRsSentinel(sentinel) => {
                redis_rs_outcome(sentinel.query(redis_cmd(args)).await)
            }
            Client::RedisRsCluster(cluster) => redis_rs_outcome(
                redis_cmd(args)
                    .query_async::<redis::Value>(&mut cluster.clone())
                    .await,
            ),
            Client::Fred(client) => {
                use fred::prelude::ClientLike;
                use fred::types::CustomCommand;
                // The key's slot, for a clustered client (a standalone one ignores it):
                // the second argument of SET and INCR (ECHO's may go anywhere).
                let slot = args.get(1).map(|k| fred::util::redis_keyslot(k.as_bytes()));
                let command = CustomCommand::new(args[0].to_owned(), slot, false);
                let rest: Vec<String> = args[1..].iter().map(|a| (*a).to_owned()).collect();
                match client.custom::<fred::types::Value, _>(command, rest).await {
                    Ok(value) => Ok(from_fred(value)),
                    // fred does not say whether a failed request was sent either: every
                    // error counts as "maybe executed", the allowance most favourable to it.
                    Err(e) => Err(Failure {
                        maybe_executed: true,
                        server: server_code(&e),
                    }),
                }
            }
        }
    }
}

impl crate::kit::Client for Client {
    async fn call(&self, args: &[&str]) -> Result<Reply, Failure> {
        Client::call(self, args).await
    }
}

fn redis_cmd(args: &[&str]) -> redis::Cmd {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd
}

fn redis_rs_outcome(result: redis::RedisResult<redis::Value>) -> Result<Reply, Failure> {
    match result {
        Ok(value) => Ok(from_value(value)),
        // redis-rs does not say whether a failed request was sent: count every error that
        // is not the server's answer as "maybe executed", the allowance most favourable
        // to it.
        Err(e) => Err(Failure {
            maybe_executed: e.code().is_none(),
            server: e.code().map(str::to_owned),
        }),
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

/// The code of a fred error that is the server's error reply: fred keeps the reply's
/// text, which starts with an upper-case code (`LOADING`, `ERR`, `WRONGTYPE`, ...).
fn server_code(e: &fred::error::Error) -> Option<String> {
    use fred::error::ErrorKind;
    let code = crate::kit::error_code(e.details());
    let server = matches!(
        e.kind(),
        ErrorKind::Unknown | ErrorKind::InvalidArgument | ErrorKind::InvalidCommand
    ) && code.len() > 1
        && code.bytes().all(|b| b.is_ascii_uppercase());
    server.then_some(code)
}

fn from_fred(value: fred::types::Value) -> Reply {
    use fred::types::Value;
    match value {
        Value::Integer(n) => Reply::Int(n),
        Value::String(s) => Reply::Text(s.to_string()),
        Value::Bytes(b) => Reply::Text(String::from_utf8_lossy(&b).into_owned()),
        other => Reply::Other(format!("{other:?}")),
    }
}
