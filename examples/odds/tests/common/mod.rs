//! What the pipeline and browser tests share: a service to start, an SSE client that
//! records what it receives, and bounded waits on observable conditions.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hardy_odds::model::MatchOdds;
use hardy_odds::{Service, ServiceConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// The matches every test runs with.
pub const MATCHES: u32 = 50;

/// A service for tests: 50 matches, 500 updates/s, no random faults, no bursts.
pub fn config() -> ServiceConfig {
    let mut config = ServiceConfig::default();
    config.sim.matches = MATCHES;
    config.sim.rate = 500.0;
    config.sim.bursts = false;
    config.sim.malformed_every = 0;
    config.sim.disconnect_every_s = 0;
    config.partitions = 2;
    config.status_every = Duration::from_millis(250);
    config
}

/// Waits for `fut`, failing the test with `what` after `limit`.
pub async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Polls `cond` on each status tick (250 ms) until it holds; fails after `limit`.
pub async fn until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    within(limit, what, async {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while !cond() {
            tick.tick().await;
        }
    })
    .await
}

/// What an SSE client has received.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Every `odds` event's seq, per match, in arrival order.
    pub seqs: BTreeMap<u32, Vec<u64>>,
    /// The `snapshot` event, if any.
    pub snapshot: Option<Vec<MatchOdds>>,
    /// How many `odds` events.
    pub updates: u64,
    /// How many `status` events.
    pub statuses: u64,
}

impl Seen {
    /// How many updates match `m` got.
    pub fn count(&self, m: u32) -> usize {
        self.seqs.get(&m).map_or(0, Vec::len)
    }

    /// The matches whose seqs have a gap or go backwards (`except` aside).
    pub fn gaps(&self, except: u32) -> Vec<(u32, Vec<u64>)> {
        self.seqs
            .iter()
            .filter(|(m, _)| **m != except)
            .filter(|(_, s)| s.windows(2).any(|w| w[1] != w[0] + 1))
            .map(|(m, s)| (*m, s.clone()))
            .collect()
    }
}

/// A raw-HTTP SSE client on `/events`, recording into a watch channel.
pub struct SseClient {
    pub seen: watch::Receiver<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SseClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SseClient {
    /// Connects to `addr` and starts recording.
    pub async fn connect(addr: SocketAddr) -> SseClient {
        let mut socket = TcpStream::connect(addr)
            .await
            .expect("connect to the service");
        socket
            .write_all(b"GET /events HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n")
            .await
            .expect("send the request");
        let (tx, seen) = watch::channel(Seen::default());
        let task = tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(2).rposition(|w| w == b"\n\n") else {
                    continue;
                };
                let block: Vec<u8> = buf.drain(..end + 2).collect();
                tx.send_modify(|seen| record(seen, &block));
            }
        });
        SseClient { seen, task }
    }

    /// Waits until `cond` holds on what was received; fails after `limit`.
    pub async fn wait(&mut self, limit: Duration, what: &str, cond: impl FnMut(&Seen) -> bool) {
        within(limit, what, self.seen.wait_for(cond))
            .await
            .expect("the SSE client ended");
    }

    /// A copy of what was received so far.
    pub fn now(&self) -> Seen {
        self.seen.borrow().clone()
    }
}

fn record(seen: &mut Seen, block: &[u8]) {
    let text = String::from_utf8_lossy(block);
    let mut event = "";
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(e) = line.strip_prefix("event: ") {
            event = e;
        } else if let Some(data) = line.strip_prefix("data: ") {
            match event {
                "odds" => {
                    if let Some(o) = MatchOdds::from_json(data.as_bytes()) {
                        seen.seqs.entry(o.match_id).or_default().push(o.seq);
                        seen.updates += 1;
                    }
                }
                "snapshot" => seen.snapshot = serde_json::from_str(data).ok(),
                "status" => seen.statuses += 1,
                _ => {}
            }
        }
    }
}

/// Starts a service with `config`, and an SSE client on it that has seen every match.
pub async fn start(config: ServiceConfig) -> (Service, SseClient) {
    let service = Service::start(config).await.expect("the service starts");
    let mut sse = SseClient::connect(service.addr()).await;
    sse.wait(Duration::from_secs(20), "updates for every match", |s| {
        (1..=MATCHES).all(|m| s.count(m) >= 2)
    })
    .await;
    (service, sse)
}

/// The feed simulator of an instance that runs the feed.
pub fn sim(service: &Service) -> &hardy_odds::simulator::Simulator {
    service.sim().expect("this test's instance runs the feed")
}
