//! hardy-redis side by side with redis-rs (`MultiplexedConnection`), fred and
//! `redis-benchmark`, against one local `redis-server`.
//!
//! For each caller count C, each client library gets ONE connection and C concurrent
//! tasks on ONE current-thread runtime (an actix `System`, which is a tokio current-thread
//! runtime with a `LocalSet`; the same runtime and the same harness for every library).
//! Each task runs SET k v / GET k pairs in a loop: 16-byte keys spread over 256 keys,
//! 64-byte values. A cell is a warm-up, then three rounds (the libraries taking turns, so
//! that a change in the machine's load hits them alike) of a fixed count of operations or
//! at most a second, whichever comes first; every operation's latency goes into a
//! histogram, and ops/s is the median round.
//! Then `redis-benchmark -t set,get` runs against the same server with the same key space
//! and value size, without and with `-P 16`.
//!
//! Environment (all optional; for profiling a reduced run):
//! - `BENCH_CALLERS`  caller counts, e.g. `1,16,128,512` (default)
//! - `BENCH_CLIENTS`  which of `hardy,hardy-typed,redis-rs,fred` to run (default: all
//!   four; `hardy-typed` is hardy-redis through its typed methods, on a second connection)
//! - `BENCH_OPS`      operations per cell, split over the rounds (default 300000)
//! - `BENCH_SECS`     time limit per cell in seconds, split over the rounds (default 3)
//! - `BENCH_ROUNDS`   rounds per cell, the libraries taking turns (default 3)
//! - `BENCH_WARMUP_MS` warm-up per cell (default 300)
//! - `BENCH_RB`       `0` skips redis-benchmark
//! - `BENCH_TLS`      `1`: the server serves TLS only (a certificate generated for the run);
//!   every library connects over TLS with rustls (ring provider), verifying against the
//!   run's CA; redis-benchmark is skipped
//! - `BENCH_NO_TIMEOUTS` `1` turns off the per-request timeouts that hardy (5 s) and
//!   redis-rs (500 ms) arm by default (fred has none by default), to see their cost

use std::process::Command as Process;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;

mod harness;

use harness::{env_or, server_stats, Acc, CellSetup, Cellv, Client, Limits, KEYS};

const VALUE_LEN: usize = 64;

#[derive(Clone)]
struct Hardy(hardy_redis::Redis);

impl Client for Hardy {
    async fn set(&self, key: &str, value: &Bytes) {
        let cmd = hardy_redis::cmd("SET").arg(key).arg(value);
        self.0.command::<()>(cmd).await.expect("hardy SET");
    }
    async fn get(&self, key: &str) {
        let cmd = hardy_redis::cmd("GET").arg(key);
        let v: Option<Bytes> = self.0.command(cmd).await.expect("hardy GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

/// The same connection through the typed methods (`redis.set(k, v)`), to show they cost
/// no more than the `cmd` path.
#[derive(Clone)]
struct HardyTyped(hardy_redis::Redis);

impl Client for HardyTyped {
    async fn set(&self, key: &str, value: &Bytes) {
        use hardy_redis::StringCommands;
        self.0.set(key, value).await.expect("hardy typed SET");
    }
    async fn get(&self, key: &str) {
        use hardy_redis::StringCommands;
        let v: Option<Bytes> = self.0.get(key).await.expect("hardy typed GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

#[derive(Clone)]
struct RedisRs(redis::aio::MultiplexedConnection);

impl Client for RedisRs {
    async fn set(&self, key: &str, value: &Bytes) {
        use redis::AsyncCommands;
        let mut conn = self.0.clone();
        let () = conn.set(key, &value[..]).await.expect("redis-rs SET");
    }
    async fn get(&self, key: &str) {
        use redis::AsyncCommands;
        let mut conn = self.0.clone();
        let v: Option<Vec<u8>> = conn.get(key).await.expect("redis-rs GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

#[derive(Clone)]
struct Fred(fred::prelude::Client);

impl Client for Fred {
    async fn set(&self, key: &str, value: &Bytes) {
        use fred::prelude::KeysInterface;
        let () = self
            .0
            .set(key, value.clone(), None, None, false)
            .await
            .expect("fred SET");
    }
    async fn get(&self, key: &str) {
        use fred::prelude::KeysInterface;
        let v: Option<Bytes> = self.0.get(key).await.expect("fred GET");
        assert_eq!(v.map(|v| v.len()), Some(VALUE_LEN));
    }
}

/// `redis-benchmark -t set,get` with the same key space and value size; SET and GET
/// together as one figure: ops/s over both tests, the higher of their p50 and p99.
fn redis_benchmark(port: u16, callers: usize, pipeline: usize) -> Option<Cellv> {
    let requests = match (callers, pipeline) {
        (_, p) if p > 1 => 1_000_000,
        (1, _) => 60_000,
        _ => 200_000,
    };
    let mut cmd = Process::new("redis-benchmark");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-t", "set,get", "-c", &callers.to_string()])
        .args(["-n", &requests.to_string(), "-d", &VALUE_LEN.to_string()])
        .args([
            "-r",
            &KEYS.to_string(),
            "-P",
            &pipeline.to_string(),
            "--csv",
        ]);
    let out = match cmd.output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            eprintln!(
                "redis-benchmark failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        Err(e) => {
            eprintln!("redis-benchmark not run: {e}");
            return None;
        }
    };
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
    // "p99_latency_ms","max_latency_ms"
    let text = String::from_utf8_lossy(&out.stdout);
    let mut secs = 0.0;
    let (mut p50, mut p99) = (0.0f64, 0.0f64);
    let mut tests = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if fields.len() < 7 || !(fields[0] == "SET" || fields[0] == "GET") {
            continue;
        }
        let rps: f64 = fields[1].parse().ok()?;
        secs += requests as f64 / rps;
        p50 = p50.max(fields[4].parse::<f64>().ok()? * 1000.0);
        p99 = p99.max(fields[6].parse::<f64>().ok()? * 1000.0);
        tests += 1;
    }
    (tests == 2).then(|| Cellv {
        ops: 2.0 * requests as f64 / secs,
        p50_us: p50,
        p99_us: p99,
        cpu_us: 0.0,
        server_cpu_us: 0.0,
        cmds_per_read: 0.0,
    })
}

fn show(c: Option<Cellv>) -> String {
    match c {
        Some(c) => format!("{:.0}k ({:.0}/{:.0})", c.ops / 1000.0, c.p50_us, c.p99_us),
        None => "-".into(),
    }
}

fn cpu(c: Option<Cellv>) -> String {
    match c {
        Some(c) if c.cpu_us > 0.0 => format!(
            "{:.2} / {:.2} / {:.1}",
            c.cpu_us, c.server_cpu_us, c.cmds_per_read
        ),
        _ => "-".into(),
    }
}

fn main() {
    let callers: Vec<usize> = std::env::var("BENCH_CALLERS")
        .unwrap_or_else(|_| "1,16,128,512".into())
        .split(',')
        .map(|s| s.trim().parse().expect("BENCH_CALLERS: numbers"))
        .collect();
    let clients =
        std::env::var("BENCH_CLIENTS").unwrap_or_else(|_| "hardy,hardy-typed,redis-rs,fred".into());
    let run = |name: &str| clients.split(',').any(|c| c.trim() == name);
    let rounds: u32 = env_or("BENCH_ROUNDS", 3u32).max(1);
    let limits = Limits {
        ops: env_or("BENCH_OPS", 300_000u64) / rounds as u64,
        time: Duration::from_secs_f64(env_or("BENCH_SECS", 3.0f64) / rounds as f64),
        warmup: Duration::from_millis(env_or("BENCH_WARMUP_MS", 300u64)),
    };
    let rb = env_or("BENCH_RB", 1u32) != 0;
    let no_timeouts = env_or("BENCH_NO_TIMEOUTS", 0u32) != 0;
    let tls = env_or("BENCH_TLS", 0u32) != 0;
    let rb = rb && !tls;

    let certs = hardy_testkit::TestCerts::generate().expect("test certificates");
    let server = if tls {
        hardy_testkit::RedisConfig::new()
            .tls(&certs, hardy_testkit::ServerCert::Localhost, false)
            .start()
            .expect("start redis-server with TLS")
    } else {
        hardy_testkit::RedisServer::start().expect("start redis-server")
    };
    let port = server.port();
    let version = Process::new("redis-server")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    eprintln!(
        "{version}; listening on {}{}",
        server.addr(),
        if tls { " (TLS only)" } else { "" }
    );
    if no_timeouts {
        eprintln!("per-request timeouts off (BENCH_NO_TIMEOUTS)");
    }

    let keys: Rc<Vec<String>> = Rc::new((0..KEYS).map(|i| format!("bench:key:{i:06}")).collect());
    assert!(keys.iter().all(|k| k.len() == 16));
    let value = Bytes::from(vec![b'v'; VALUE_LEN]);
    let url = server.url();

    struct Row {
        c: usize,
        hardy: Option<Cellv>,
        typed: Option<Cellv>,
        redis_rs: Option<Cellv>,
        fred: Option<Cellv>,
        rb: Option<Cellv>,
        rb_p16: Option<Cellv>,
    }
    let mut rows = Vec::new();
    let sys = actix_rt::System::new();
    sys.block_on(async {
        let hardy = if run("hardy") {
            let mut config = hardy_redis::Config::new("127.0.0.1", port);
            if tls {
                config = config.tls(hardy_redis::Tls::new().ca_pem(certs.ca_pem()));
            }
            if no_timeouts {
                config = config.no_command_timeout();
            }
            Some(Hardy(
                hardy_redis::Redis::connect(config)
                    .await
                    .expect("hardy connect"),
            ))
        } else {
            None
        };
        let typed = if run("hardy-typed") {
            let mut config = hardy_redis::Config::new("127.0.0.1", port);
            if tls {
                config = config.tls(hardy_redis::Tls::new().ca_pem(certs.ca_pem()));
            }
            if no_timeouts {
                config = config.no_command_timeout();
            }
            Some(HardyTyped(
                hardy_redis::Redis::connect(config)
                    .await
                    .expect("hardy connect"),
            ))
        } else {
            None
        };
        let redis_rs = if run("redis-rs") {
            let client = if tls {
                let certs = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(certs.ca_pem().as_bytes().to_vec()),
                };
                redis::Client::build_with_tls(url.as_str(), certs).expect("redis-rs TLS client")
            } else {
                redis::Client::open(url.as_str()).expect("redis-rs client")
            };
            let mut config = redis::AsyncConnectionConfig::new();
            if no_timeouts {
                config = config.set_response_timeout(None);
            }
            Some(RedisRs(
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .expect("redis-rs connect"),
            ))
        } else {
            None
        };
        let fred = if run("fred") {
            use fred::prelude::{Builder, ClientLike, Config};
            let mut config = Config::from_url(&url).expect("fred config");
            if tls {
                config.tls = Some(fred_tls(certs.ca_pem()).into());
            }
            let client = Builder::from_config(config).build().expect("fred client");
            client.init().await.expect("fred connect");
            Some(Fred(client))
        } else {
            None
        };
        // Every key exists before the first GET.
        let mut mset = vec!["MSET"];
        for k in keys.iter() {
            mset.push(k);
            mset.push(std::str::from_utf8(&value).unwrap());
        }
        server.command(&mset).expect("MSET");

        for &c in &callers {
            let mut row = Row {
                c,
                hardy: None,
                typed: None,
                redis_rs: None,
                fred: None,
                rb: None,
                rb_p16: None,
            };
            // The libraries take turns, round by round, so that a change in the machine's
            // load during a cell shifts all of them alike; each reports its median round.
            let (mut ah, mut at, mut ar, mut af) = (Acc::new(), Acc::new(), Acc::new(), Acc::new());
            let cell = CellSetup {
                keys: &keys,
                value: &value,
                callers: c,
                limits: &limits,
                servers: || server_stats(&server),
                probes: 1.0,
            };
            for r in 0..rounds {
                let first = r == 0;
                if let Some(h) = &hardy {
                    cell.round(h, first, &mut ah).await;
                }
                if let Some(t) = &typed {
                    cell.round(t, first, &mut at).await;
                }
                if let Some(x) = &redis_rs {
                    cell.round(x, first, &mut ar).await;
                }
                if let Some(f) = &fred {
                    cell.round(f, first, &mut af).await;
                }
            }
            row.hardy = ah.finish();
            row.typed = at.finish();
            row.redis_rs = ar.finish();
            row.fred = af.finish();
            for (name, acc, cell) in [
                ("hardy", &ah, row.hardy),
                ("typed", &at, row.typed),
                ("redis-rs", &ar, row.redis_rs),
                ("fred", &af, row.fred),
            ] {
                if cell.is_some() {
                    eprintln!(
                        "C={c:<4} {name:<9} {} {}  rounds: {}",
                        show(cell),
                        cpu(cell),
                        acc.rounds()
                    );
                }
            }
            if rb {
                row.rb = redis_benchmark(port, c, 1);
                eprintln!("C={c:<4} r-b       {}", show(row.rb));
                row.rb_p16 = redis_benchmark(port, c, 16);
                eprintln!("C={c:<4} r-b -P16  {}", show(row.rb_p16));
            }
            rows.push(row);
        }
    });

    println!();
    println!(
        "{version}{}",
        if tls {
            ", TLS (rustls, ring) on every client"
        } else {
            ""
        }
    );
    println!(
        "SET/GET pairs, 16-byte keys over {KEYS} keys, {VALUE_LEN}-byte values. Per library and \
         C: {} ms of warm-up, then {rounds} rounds of up to {} ops or {:.1} s, the libraries \
         taking turns; ops/s is the median round. Cells: ops/s (p50/p99 latency in µs, all \
         rounds).",
        limits.warmup.as_millis(),
        limits.ops,
        limits.time.as_secs_f64(),
    );
    println!();
    println!(
        "| C | hardy-redis | hardy typed | redis-rs | fred | redis-benchmark | redis-benchmark -P16 | hardy ÷ best peer | typed ÷ cmd |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let best = [r.redis_rs, r.fred]
            .iter()
            .flatten()
            .map(|c| c.ops)
            .fold(f64::NAN, f64::max);
        let ratio = match r.hardy {
            Some(h) if best.is_finite() => format!("{:.2}×", h.ops / best),
            _ => "-".into(),
        };
        let typed_ratio = match (r.typed, r.hardy) {
            (Some(t), Some(h)) => format!("{:.2}×", t.ops / h.ops),
            _ => "-".into(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.c,
            show(r.hardy),
            show(r.typed),
            show(r.redis_rs),
            show(r.fred),
            show(r.rb),
            show(r.rb_p16),
            ratio,
            typed_ratio
        );
    }
    println!();
    println!(
        "Where the time goes: client CPU µs/op (the benchmark thread's CPU time, runtime and \
         harness included) / redis-server CPU µs/op / commands per server socket read \
         (INFO stats; how well the client batches). Ratio: client CPU, hardy ÷ lowest peer."
    );
    println!();
    println!(
        "| C | hardy-redis | hardy typed | redis-rs | fred | hardy client CPU ÷ lowest peer |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let best = [r.redis_rs, r.fred]
            .iter()
            .flatten()
            .map(|c| c.cpu_us)
            .fold(f64::NAN, f64::min);
        let ratio = match r.hardy {
            Some(h) if best.is_finite() => format!("{:.2}×", h.cpu_us / best),
            _ => "-".into(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.c,
            cpu(r.hardy),
            cpu(r.typed),
            cpu(r.redis_rs),
            cpu(r.fred),
            ratio
        );
    }
}

/// fred's TLS: a rustls client on the ring provider trusting `ca_pem`.
fn fred_tls(ca_pem: &str) -> fred::types::config::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    fred::types::config::TlsConnector::from(config)
}
