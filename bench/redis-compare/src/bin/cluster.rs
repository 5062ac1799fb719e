//! hardy-redis's `Cluster` side by side with redis-rs (`cluster-async`) and fred (a
//! clustered config), against one local Redis Cluster; then the time each takes to write
//! again to a killed primary's slots.
//!
//! Throughput: a 3-primary cluster (no replicas) from hardy-testkit on loopback. For each
//! caller count C, each library gets one cluster client (one connection per primary)
//! and C concurrent tasks on ONE current-thread runtime (an actix `System`: the same
//! runtime and the same harness for every library). Each task runs SET k v / GET k pairs:
//! 16-byte keys spread over 256 keys (so over all three primaries), 64-byte values. A
//! cell is a warm-up, then rounds (the libraries taking turns) of a fixed count of
//! operations or a time limit; ops/s is the median round, latency over all rounds.
//!
//! Recovery: for each library in turn, a fresh 3-primary + 3-replica cluster
//! (`cluster-node-timeout 1000`); the library connects and writes, the primary owning
//! slot 0 is killed (`SIGKILL`), and the library retries `SET` of a key in slot 0 (every
//! 10 ms, each error or attempt pending over 5 s counted) until one succeeds: the time
//! from the kill to that success. fred is given a reconnect policy and a 5 s command
//! timeout (its defaults have neither, and a command to the dead node never returns).
//!
//! Environment (all optional):
//! - `BENCH_CALLERS`   caller counts (default `16,128,512`)
//! - `BENCH_CLIENTS`   which of `hardy,redis-rs,fred` (default all three)
//! - `BENCH_OPS`       operations per cell, split over the rounds (default 300000)
//! - `BENCH_SECS`      time limit per cell in seconds, split over the rounds (default 3)
//! - `BENCH_ROUNDS`    rounds per cell (default 3)
//! - `BENCH_WARMUP_MS` warm-up per cell (default 300)
//! - `BENCH_RECOVERY`  recovery rounds per library, the libraries taking turns (default 3;
//!   `0` skips the recovery measurement): the median and the range are shown

use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hardy_testkit::RedisCluster;

#[path = "../harness.rs"]
mod harness;

use harness::{env_or, server_stats, Acc, CellSetup, Cellv, Client, Limits, ServerStats, KEYS};

const VALUE_LEN: usize = 64;
/// A key in slot 0, owned by the first primary.
fn slot0_key() -> String {
    (0..)
        .map(|i| format!("recovery:{i}"))
        .find(|k| hardy_redis::cluster::key_slot(k.as_bytes()) == 0)
        .expect("some key hashes to slot 0")
}

/// A cluster client under test: the shared SET/GET of [`Client`], and a SET that
/// reports its error (the recovery measurement counts failed writes).
trait TrySet: Client {
    async fn try_set(&self, key: &str, value: &Bytes) -> Result<(), String>;
}

#[derive(Clone)]
struct Hardy(hardy_redis::cluster::Cluster);

impl Client for Hardy {
    async fn set(&self, key: &str, value: &Bytes) {
        self.try_set(key, value).await.expect("SET");
    }
    async fn get(&self, key: &str) {
        let cmd = hardy_redis::cmd("GET").arg(key);
        let v: Option<Bytes> = self.0.command(cmd).await.expect("hardy GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

impl TrySet for Hardy {
    async fn try_set(&self, key: &str, value: &Bytes) -> Result<(), String> {
        let cmd = hardy_redis::cmd("SET").arg(key).arg(value);
        self.0.command::<()>(cmd).await.map_err(|e| e.to_string())
    }
}

#[derive(Clone)]
struct RedisRs(redis::cluster_async::ClusterConnection);

impl Client for RedisRs {
    async fn set(&self, key: &str, value: &Bytes) {
        self.try_set(key, value).await.expect("SET");
    }
    async fn get(&self, key: &str) {
        use redis::AsyncCommands;
        let mut conn = self.0.clone();
        let v: Option<Vec<u8>> = conn.get(key).await.expect("redis-rs GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

impl TrySet for RedisRs {
    async fn try_set(&self, key: &str, value: &Bytes) -> Result<(), String> {
        use redis::AsyncCommands;
        let mut conn = self.0.clone();
        conn.set::<_, _, ()>(key, &value[..])
            .await
            .map_err(|e| e.to_string())
    }
}

#[derive(Clone)]
struct Fred(fred::prelude::Client);

impl Client for Fred {
    async fn set(&self, key: &str, value: &Bytes) {
        self.try_set(key, value).await.expect("SET");
    }
    async fn get(&self, key: &str) {
        use fred::prelude::KeysInterface;
        let v: Option<Bytes> = self.0.get(key).await.expect("fred GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

impl TrySet for Fred {
    async fn try_set(&self, key: &str, value: &Bytes) -> Result<(), String> {
        use fred::prelude::KeysInterface;
        self.0
            .set::<(), _, _>(key, value.clone(), None, None, false)
            .await
            .map_err(|e| e.to_string())
    }
}

async fn hardy(cluster: &RedisCluster) -> Hardy {
    let config = hardy_redis::cluster::ClusterConfig::new(cluster.addrs()).expect("seeds");
    Hardy(
        hardy_redis::cluster::Cluster::connect(config)
            .await
            .expect("hardy connect"),
    )
}

async fn redis_rs(cluster: &RedisCluster) -> RedisRs {
    let client = redis::cluster::ClusterClient::new(cluster.urls()).expect("redis-rs client");
    RedisRs(
        client
            .get_async_connection()
            .await
            .expect("redis-rs connect"),
    )
}

async fn fred(cluster: &RedisCluster) -> Fred {
    use fred::prelude::{Builder, ClientLike, Config, ServerConfig};
    let hosts: Vec<(String, u16)> = cluster
        .addrs()
        .iter()
        .map(|a| {
            let (h, p) = a.rsplit_once(':').unwrap();
            (h.to_owned(), p.parse().unwrap())
        })
        .collect();
    let config = Config {
        server: ServerConfig::new_clustered(hosts),
        ..Config::default()
    };
    // fred's defaults have no reconnect policy and no command timeout: a command to a
    // dead node would wait forever. Give it a reconnect policy (100 ms × 2 up to 1 s) and a
    // 5 s command timeout, hardy's default.
    let client = Builder::from_config(config)
        .set_policy(fred::prelude::ReconnectPolicy::new_exponential(
            0, 100, 1_000, 2,
        ))
        .with_connection_config(|c| c.internal_command_timeout = Duration::from_secs(5))
        .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(5))
        .build()
        .expect("fred client");
    client.init().await.expect("fred connect");
    Fred(client)
}

/// The three primaries' counters summed.
fn servers_stats(nodes: &RedisCluster) -> ServerStats {
    let mut sum = ServerStats::default();
    for i in 0..nodes.len() {
        let one = server_stats(nodes.node(i));
        sum.commands += one.commands;
        sum.reads += one.reads;
        sum.cpu += one.cpu;
    }
    sum
}

/// Kill the primary of slot 0 under `client`, and time its first successful write there.
async fn recovery<C: TrySet>(nodes: &mut RedisCluster, client: &C) -> (Duration, u32) {
    let value = Bytes::from_static(b"v");
    let key = slot0_key();
    client
        .try_set(&key, &value)
        .await
        .expect("write before the kill");
    let primary = nodes.owner_of(0).expect("slot 0's owner");
    nodes.node_mut(primary).kill().expect("kill");
    let killed = Instant::now();
    let mut errors = 0;
    loop {
        // The same outer bound for every library: an attempt still pending after 5 s
        // counts as failed.
        match tokio::time::timeout(Duration::from_secs(5), client.try_set(&key, &value)).await {
            Ok(Ok(())) => return (killed.elapsed(), errors),
            _ => errors += 1,
        }
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "no recovery in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn show(c: Option<Cellv>) -> String {
    match c {
        Some(c) => format!("{:.0}k ({:.0}/{:.0})", c.ops / 1000.0, c.p50_us, c.p99_us),
        None => "-".into(),
    }
}

fn show_cpu(c: Option<Cellv>) -> String {
    match c {
        Some(c) => format!(
            "{:.2} / {:.2} / {:.1}",
            c.cpu_us, c.server_cpu_us, c.cmds_per_read
        ),
        None => "-".into(),
    }
}

fn main() {
    let callers: Vec<usize> = std::env::var("BENCH_CALLERS")
        .unwrap_or_else(|_| "16,128,512".into())
        .split(',')
        .map(|s| s.trim().parse().expect("BENCH_CALLERS: numbers"))
        .collect();
    let clients = std::env::var("BENCH_CLIENTS").unwrap_or_else(|_| "hardy,redis-rs,fred".into());
    let run = |name: &str| clients.split(',').any(|c| c.trim() == name);
    let rounds: u32 = env_or("BENCH_ROUNDS", 3u32).max(1);
    let limits = Limits {
        ops: env_or("BENCH_OPS", 300_000u64) / rounds as u64,
        time: Duration::from_secs_f64(env_or("BENCH_SECS", 3.0f64) / rounds as f64),
        warmup: Duration::from_millis(env_or("BENCH_WARMUP_MS", 300u64)),
    };
    let keys: Rc<Vec<String>> = Rc::new((0..KEYS).map(|i| format!("bench:key:{i:06}")).collect());
    let value = Bytes::from(vec![b'v'; VALUE_LEN]);

    let sys = actix_rt::System::new();
    let mut rows = Vec::new();
    let mut recoveries = Vec::new();
    sys.block_on(async {
        let nodes = RedisCluster::with_shape(3, 0).expect("start a 3-primary cluster");
        eprintln!("cluster: {:?}", nodes.addrs());
        let h = if run("hardy") {
            Some(hardy(&nodes).await)
        } else {
            None
        };
        let r = if run("redis-rs") {
            Some(redis_rs(&nodes).await)
        } else {
            None
        };
        let f = if run("fred") {
            Some(fred(&nodes).await)
        } else {
            None
        };
        // Every key exists before the first GET.
        if let Some(h) = &h {
            for k in keys.iter() {
                h.set(k, &value).await;
            }
        } else if let Some(r) = &r {
            for k in keys.iter() {
                r.set(k, &value).await;
            }
        } else if let Some(f) = &f {
            for k in keys.iter() {
                f.set(k, &value).await;
            }
        }
        for &c in &callers {
            let (mut ah, mut ar, mut af) = (Acc::new(), Acc::new(), Acc::new());
            let cell = CellSetup {
                keys: &keys,
                value: &value,
                callers: c,
                limits: &limits,
                servers: || servers_stats(&nodes),
                probes: nodes.len() as f64,
            };
            for n in 0..rounds {
                let first = n == 0;
                if let Some(h) = &h {
                    cell.round(h, first, &mut ah).await;
                }
                if let Some(r) = &r {
                    cell.round(r, first, &mut ar).await;
                }
                if let Some(f) = &f {
                    cell.round(f, first, &mut af).await;
                }
            }
            let row = (c, ah.finish(), ar.finish(), af.finish());
            eprintln!(
                "C={c:<4} hardy {} [{}] rounds {}  redis-rs {} [{}] rounds {}  fred {} [{}] rounds {}",
                show(row.1),
                show_cpu(row.1),
                ah.rounds(),
                show(row.2),
                show_cpu(row.2),
                ar.rounds(),
                show(row.3),
                show_cpu(row.3),
                af.rounds()
            );
            rows.push(row);
        }
        if let Some(h) = &h {
            h.0.stop().await;
        }
        drop(nodes);

        let rounds = env_or("BENCH_RECOVERY", 3u32);
        for round in 0..rounds {
            for name in ["hardy", "redis-rs", "fred"].into_iter().filter(|n| run(n)) {
                let mut nodes = RedisCluster::start().expect("start a 3+3 cluster");
                let (took, errors) = match name {
                    "hardy" => {
                        let h = hardy(&nodes).await;
                        let out = recovery(&mut nodes, &h).await;
                        h.0.stop().await;
                        out
                    }
                    "redis-rs" => {
                        let r = redis_rs(&nodes).await;
                        recovery(&mut nodes, &r).await
                    }
                    _ => {
                        let f = fred(&nodes).await;
                        recovery(&mut nodes, &f).await
                    }
                };
                eprintln!("recovery {name} (round {round}): {took:?} ({errors} failed writes)");
                recoveries.push((name, took, errors));
            }
        }
    });

    println!();
    println!(
        "SET/GET pairs on a 3-primary cluster, 16-byte keys over {KEYS} keys, {VALUE_LEN}-byte \
         values. Per library and C: {} ms of warm-up, then {rounds} rounds of up to {} ops or \
         {:.1} s, the libraries taking turns; ops/s is the median round. Cells: ops/s \
         (p50/p99 latency in µs, all rounds).",
        limits.warmup.as_millis(),
        limits.ops,
        limits.time.as_secs_f64(),
    );
    println!();
    println!(
        "| C | hardy-redis Cluster | redis-rs cluster-async | fred clustered | hardy ÷ best peer |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (c, h, r, f) in &rows {
        let best = [r, f]
            .iter()
            .filter_map(|x| x.map(|x| x.ops))
            .fold(f64::NAN, f64::max);
        let ratio = match h {
            Some(h) if best.is_finite() => format!("{:.2}×", h.ops / best),
            _ => "-".into(),
        };
        println!(
            "| {c} | {} | {} | {} | {ratio} |",
            show(*h),
            show(*r),
            show(*f)
        );
    }
    println!();
    println!(
        "CPU per operation, all rounds: the benchmark's thread (client library and runtime) µs / \
         the three redis-servers together µs / commands per server read (how well the client \
         batches its writes; the servers' CPU is sampled in 10 ms ticks)."
    );
    println!();
    println!("| C | hardy-redis Cluster | redis-rs cluster-async | fred clustered |");
    println!("|---:|---:|---:|---:|");
    for (c, h, r, f) in &rows {
        println!(
            "| {c} | {} | {} | {} |",
            show_cpu(*h),
            show_cpu(*r),
            show_cpu(*f)
        );
    }
    if !recoveries.is_empty() {
        println!();
        println!("Recovery from a killed primary (3+3 cluster, cluster-node-timeout 1000 ms): time from SIGKILL to the first successful SET to its slots, retrying every 10 ms; a fresh cluster per round, the libraries taking turns.");
        println!();
        println!("| library | recovery, median (min–max) | rounds | failed writes meanwhile (all rounds) |");
        println!("|---|---:|---:|---:|");
        for name in ["hardy", "redis-rs", "fred"] {
            let mut times: Vec<f64> = recoveries
                .iter()
                .filter(|r| r.0 == name)
                .map(|r| r.1.as_secs_f64())
                .collect();
            if times.is_empty() {
                continue;
            }
            times.sort_by(f64::total_cmp);
            let errors: u32 = recoveries.iter().filter(|r| r.0 == name).map(|r| r.2).sum();
            println!(
                "| {name} | {:.2} s ({:.2}–{:.2}) | {} | {errors} |",
                times[times.len() / 2],
                times[0],
                times[times.len() - 1],
                times.len()
            );
        }
    }
}
