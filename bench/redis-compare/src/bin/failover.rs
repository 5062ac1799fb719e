//! Sentinel failover, side by side: how long after a fault each client's first write
//! succeeds on the new primary, for hardy-redis (`Config::sentinel`), redis-rs (its
//! `SentinelClient`, re-asked for a connection after an error, as its docs suggest) and
//! fred (`ServerConfig::Sentinel`).
//!
//! Two faults: `SENTINEL FAILOVER` (planned; writes are paused on the old primary first
//! with `CLIENT PAUSE 30000 WRITE`, so that any write that succeeds is on the new primary)
//! and `SIGKILL` of the primary (any write that succeeds is on the new primary). Each run
//! starts a fresh `SentinelGroup` (a primary, two replicas, three sentinels with
//! `down-after-milliseconds 1000`, `failover-timeout 3000`), connects the client, writes
//! once, then faults and writes in a loop: every attempt bounded by the same 250 ms
//! timeout, 10 ms between failed attempts. The clients take turns run by run.
//!
//! `cargo run --release --manifest-path bench/redis-compare/Cargo.toml --bin failover`
//!
//! Environment: `BENCH_RUNS` failovers per client and fault (default 5), `BENCH_CLIENTS`
//! a subset of `hardy,redis-rs,fred`, `BENCH_FAULTS` a subset of `failover,kill`.

use std::time::{Duration, Instant};

use hardy_testkit::SentinelGroup;

/// Every write attempt's bound, the same for every client.
const ATTEMPT: Duration = Duration::from_millis(250);
/// The pause after a failed attempt.
const RETRY: Duration = Duration::from_millis(10);
/// A run that has not written by then is reported as failed.
const GIVE_UP: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Failover,
    Kill,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Failover => "SENTINEL FAILOVER",
            Fault::Kill => "SIGKILL primary",
        }
    }
}

// One writer per run, built once: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Writer {
    Hardy(hardy_redis::Redis),
    RedisRs {
        sentinel: redis::sentinel::SentinelClient,
        conn: Option<redis::aio::MultiplexedConnection>,
    },
    Fred(fred::prelude::Client),
}

impl Writer {
    async fn connect(name: &str, group: &SentinelGroup) -> Writer {
        let addrs = group.sentinel_addrs();
        match name {
            "hardy" => {
                let config = hardy_redis::Config::sentinel(hardy_redis::Sentinel::new(
                    group.service(),
                    addrs,
                ));
                Writer::Hardy(hardy_redis::Redis::connect(config).await.expect("hardy"))
            }
            "redis-rs" => {
                let urls: Vec<String> = addrs
                    .iter()
                    .map(|(h, p)| format!("redis://{h}:{p}"))
                    .collect();
                let mut sentinel = redis::sentinel::SentinelClient::build(
                    urls,
                    group.service(),
                    None,
                    redis::sentinel::SentinelServerType::Master,
                )
                .expect("redis-rs sentinel client");
                let conn = sentinel.get_async_connection().await.expect("redis-rs");
                Writer::RedisRs {
                    sentinel,
                    conn: Some(conn),
                }
            }
            "fred" => {
                use fred::prelude::{Builder, ClientLike, Config, ReconnectPolicy, ServerConfig};
                let config = Config {
                    server: ServerConfig::new_sentinel(addrs, group.service()),
                    ..Config::default()
                };
                let client = Builder::from_config(config)
                    // hardy's default backoff's range: 100 ms, growing to 1 s.
                    .set_policy(ReconnectPolicy::new_exponential(0, 100, 1000, 2))
                    .build()
                    .expect("fred client");
                client.init().await.expect("fred connect");
                Writer::Fred(client)
            }
            other => panic!("unknown client {other}"),
        }
    }

    /// One `SET`, bounded by [`ATTEMPT`].
    async fn write(&mut self) -> Result<(), String> {
        let attempt = async {
            match self {
                Writer::Hardy(redis) => redis
                    .command::<()>(hardy_redis::cmd("SET").arg("failover").arg("1"))
                    .await
                    .map_err(|e| e.to_string()),
                Writer::RedisRs { sentinel, conn } => {
                    if conn.is_none() {
                        *conn = Some(
                            sentinel
                                .get_async_connection()
                                .await
                                .map_err(|e| e.to_string())?,
                        );
                    }
                    let c = conn.as_mut().expect("set above");
                    let done: Result<(), _> = redis::cmd("SET")
                        .arg("failover")
                        .arg("1")
                        .query_async(c)
                        .await;
                    if done.is_err() {
                        // Re-resolve through the sentinels on the next attempt.
                        *conn = None;
                    }
                    done.map_err(|e| e.to_string())
                }
                Writer::Fred(client) => {
                    use fred::prelude::KeysInterface;
                    client
                        .set::<(), _, _>("failover", "1", None, None, false)
                        .await
                        .map_err(|e| e.to_string())
                }
            }
        };
        let done = tokio::time::timeout(ATTEMPT, attempt).await;
        if let (Writer::RedisRs { conn, .. }, Err(_)) = (&mut *self, &done) {
            *conn = None;
        }
        done.map_err(|_| "timed out".to_owned())?
    }

    async fn close(self) {
        if let Writer::Fred(client) = self {
            use fred::prelude::ClientLike;
            let _ = client.quit().await;
        }
    }
}

/// One run: a fresh group, the client connected, the fault, the time to the first write.
async fn run(name: &str, fault: Fault) -> Option<Duration> {
    let mut group = SentinelGroup::start().expect("sentinel group");
    let mut writer = Writer::connect(name, &group).await;
    writer.write().await.expect("a write before the fault");
    let old = group.primary_port().expect("primary");
    let start = Instant::now();
    match fault {
        Fault::Failover => {
            group
                .node(old)
                .unwrap()
                .command(&["CLIENT", "PAUSE", "30000", "WRITE"])
                .unwrap();
            group.failover().expect("SENTINEL FAILOVER");
        }
        Fault::Kill => {
            group.kill_primary().expect("SIGKILL");
        }
    }
    let took = loop {
        if writer.write().await.is_ok() {
            break Some(start.elapsed());
        }
        if start.elapsed() > GIVE_UP {
            break None;
        }
        tokio::time::sleep(RETRY).await;
    };
    writer.close().await;
    took
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let wanted = |var: &str, all: &[&'static str]| -> Vec<&'static str> {
        let list = std::env::var(var).unwrap_or_default();
        all.iter()
            .copied()
            .filter(|c| list.is_empty() || list.split(',').any(|w| w == *c))
            .collect()
    };
    let clients = wanted("BENCH_CLIENTS", &["hardy", "redis-rs", "fred"]);
    let faults: Vec<Fault> = wanted("BENCH_FAULTS", &["failover", "kill"])
        .into_iter()
        .map(|f| {
            if f == "kill" {
                Fault::Kill
            } else {
                Fault::Failover
            }
        })
        .collect();
    let sys = actix_rt::System::new();
    sys.block_on(async {
        for fault in faults {
            let mut times: Vec<Vec<Option<Duration>>> = vec![Vec::new(); clients.len()];
            for r in 0..runs {
                for (i, name) in clients.iter().enumerate() {
                    let took = run(name, fault).await;
                    eprintln!("{} run {r}: {name} {took:?}", fault.name());
                    times[i].push(took);
                }
            }
            println!(
                "\n{} ({} runs each): time to the first successful write on the new primary",
                fault.name(),
                runs
            );
            println!("| client | median | max | failed | runs |");
            println!("|---|---|---|---|---|");
            let mut medians = Vec::new();
            for (name, list) in clients.iter().zip(&times) {
                let mut ok: Vec<Duration> = list.iter().flatten().copied().collect();
                ok.sort();
                let failed = list.len() - ok.len();
                let median = ok.get(ok.len() / 2).copied();
                let max = ok.last().copied();
                medians.push((name, median));
                let all: Vec<String> = list.iter().map(|t| t.map_or("failed".into(), ms)).collect();
                println!(
                    "| {name} | {} | {} | {failed} | {} |",
                    median.map_or("-".into(), ms),
                    max.map_or("-".into(), ms),
                    all.join(", ")
                );
            }
            if let Some((_, Some(hardy))) = medians.iter().find(|(n, _)| **n == "hardy") {
                for (name, median) in &medians {
                    if let (Some(m), false) = (median, **name == "hardy") {
                        println!(
                            "hardy / {name} median: {:.2}x",
                            hardy.as_secs_f64() / m.as_secs_f64()
                        );
                    }
                }
            }
        }
    });
}
