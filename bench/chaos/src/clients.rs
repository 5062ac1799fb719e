//! The client libraries under test, each behind the kit's [`Client`](crate::kit::Client)
//! with its defaults (fred with a reconnect policy, since it has none by default).
//!
//! Replies are taken raw (a frame, a `redis::Value`, a `fred` value), so that a reply meant
//! for another request is seen as such instead of failing a type conversion; errors are
//! classified by whether the command may have run, as each library reports it.

use std::net::SocketAddr;

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

/// fred's reconnect policy here: the one its README shows (exponential from 100 ms,
/// doubling, up to 30 s, never giving up). Without one, fred does not reconnect at all.
pub const FRED_POLICY: (u32, u32, u32, u32) = (0, 100, 30_000, 2);

/// One connection of one library, shared by every caller.
#[derive(Clone)]
pub enum Client {
    Hardy(crate::kit::Hardy),
    RedisRs(redis::aio::ConnectionManager),
    Fred(fred::prelude::Client),
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
        Kind::Fred => {
            use fred::prelude::{Builder, ClientLike, Config, ReconnectPolicy};
            let config = Config::from_url(&url).expect("fred URL");
            let (attempts, min, max, base) = FRED_POLICY;
            let client = Builder::from_config(config)
                .set_policy(ReconnectPolicy::new_exponential(attempts, min, max, base))
                .build()
                .expect("fred client");
            client.init().await.expect("fred connect");
            Client::Fred(client)
        }
    }
}

/// Connects hardy-redis with `config` (for runs with non-default settings).
pub async fn connect_hardy(config: hardy_redis::Config) -> Client {
    Client::Hardy(crate::kit::Hardy::connect(config).await)
}

impl Client {
    /// Sends `args` and returns the raw reply, or the failure.
    pub async fn call(&self, args: &[&str]) -> Result<Reply, Failure> {
        match self {
            Client::Hardy(hardy) => crate::kit::Client::call(hardy, args).await,
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
                        server: e.code().map(str::to_owned),
                    }),
                }
            }
            Client::Fred(client) => {
                use fred::prelude::ClientLike;
                use fred::types::CustomCommand;
                let command = CustomCommand::new(args[0].to_owned(), None::<u16>, false);
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
