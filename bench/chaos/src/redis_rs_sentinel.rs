//! redis-rs through Sentinel, as its docs suggest: a `SentinelClient` asked for a
//! multiplexed connection to the current primary, and asked again after an error.
//!
//! redis-rs has no reconnecting Sentinel connection (its `ConnectionManager` keeps the
//! address it was built with, so it would redial the old primary forever). This is the
//! smallest wrapper that follows a failover, the same as bench/redis-compare's failover
//! benchmark does: the shared connection is dropped on any error that is not the
//! server's answer, or on `READONLY` (the node was demoted), and the next request
//! re-resolves the primary through the sentinels. A generation number keeps a late error
//! on the old connection from dropping a fresh one. Nothing is resent.

use std::sync::Arc;

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelServerType};
use redis::{Cmd, RedisResult, Value};
use tokio::sync::Mutex;

/// One redis-rs Sentinel client and its current connection, shared by every caller.
#[derive(Clone)]
pub struct SentinelManager(Arc<Mutex<State>>);

struct State {
    sentinel: SentinelClient,
    conn: Option<MultiplexedConnection>,
    generation: u64,
}

impl SentinelManager {
    /// Resolves the primary of `service` through `sentinels` and connects to it.
    pub async fn connect(sentinels: &[(String, u16)], service: &str) -> SentinelManager {
        let urls: Vec<String> = sentinels
            .iter()
            .map(|(h, p)| format!("redis://{h}:{p}"))
            .collect();
        let sentinel = SentinelClient::build(urls, service, None, SentinelServerType::Master)
            .expect("redis-rs sentinel client");
        let manager = SentinelManager(Arc::new(Mutex::new(State {
            sentinel,
            conn: None,
            generation: 0,
        })));
        manager
            .connection()
            .await
            .expect("redis-rs sentinel connect");
        manager
    }

    /// Sends `cmd` on the current connection (made first if there is none).
    pub async fn query(&self, cmd: Cmd) -> RedisResult<Value> {
        let (generation, mut conn) = self.connection().await?;
        let result = cmd.query_async::<Value>(&mut conn).await;
        if let Err(e) = &result {
            if e.code().is_none() || e.code() == Some("READONLY") {
                self.forget(generation).await;
            }
        }
        result
    }

    async fn connection(&self) -> RedisResult<(u64, MultiplexedConnection)> {
        let mut state = self.0.lock().await;
        if let Some(conn) = &state.conn {
            return Ok((state.generation, conn.clone()));
        }
        let conn = state.sentinel.get_async_connection().await?;
        state.generation += 1;
        state.conn = Some(conn.clone());
        Ok((state.generation, conn))
    }

    async fn forget(&self, generation: u64) {
        let mut state = self.0.lock().await;
        if state.generation == generation {
            state.conn = None;
        }
    }
}
