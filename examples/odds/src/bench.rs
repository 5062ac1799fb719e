//! The bench mode (`hardy-odds --bench`): no browser, an SSE client measures.
//!
//! 1,000 matches, the whole path (feed → feed client → match worker → hub → SSE, with
//! storage to Redis on the side). It steps the feed's rate up and reports, per step, the
//! updates per second the SSE client received and the feed-to-SSE latency (from the
//! timestamp the simulator put in each message to the moment the client parsed it);
//! the highest rate received in full is the sustained throughput. Then it holds
//! 10,000 updates/s and reports p50/p99. CPU time per thread and for redis-server says
//! where the time goes. Run it in release mode on a quiet machine.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::model::now_us;
use crate::service::{Service, ServiceConfig};

/// What the SSE client counts.
#[derive(Debug, Default, Clone)]
struct Tally {
    updates: u64,
    lagged: u64,
    latencies_us: Vec<u64>,
}

async fn sse_client(addr: std::net::SocketAddr, tx: watch::Sender<Tally>) -> std::io::Result<()> {
    let mut socket = TcpStream::connect(addr).await?;
    socket
        .write_all(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
        .await?;
    let mut buf = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 18];
    loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(2).rposition(|w| w == b"\n\n") else {
            continue;
        };
        let now = now_us();
        let (mut updates, mut lagged, mut lat) = (0, 0, Vec::new());
        for line in buf[..end].split(|&b| b == b'\n') {
            if line.starts_with(b"data: {\"m\"") {
                updates += 1;
                if let Some(ts) = field(line, b"\"ts\":") {
                    lat.push(now.saturating_sub(ts));
                }
            } else if line.starts_with(b"event: lagged") {
                lagged += 1;
            }
        }
        buf.drain(..end + 2);
        tx.send_modify(|t| {
            t.updates += updates;
            t.lagged += lagged;
            t.latencies_us.extend(lat);
        });
    }
}

fn field(line: &[u8], key: &[u8]) -> Option<u64> {
    let at = line.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = line[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// CPU time (ticks) per thread of this process, and of one other process.
fn cpu_ticks(pid: Option<u32>) -> (BTreeMap<u32, (String, u64)>, u64) {
    let mut threads = BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for entry in dir.flatten() {
            let tid: u32 = entry.file_name().to_string_lossy().parse().unwrap_or(0);
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            threads.insert(tid, (comm.trim().to_string(), ticks(&stat)));
        }
    }
    let other = pid
        .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .map_or(0, |s| ticks(&s));
    (threads, other)
}

fn ticks(stat: &str) -> u64 {
    // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}

struct Step {
    target: f64,
    sent: f64,
    received: f64,
    p50: f64,
    p99: f64,
    lagged: u64,
    dropped: u64,
    stored: f64,
}

async fn measure(
    service: &Service,
    tally: &mut watch::Receiver<Tally>,
    rate: f64,
    warm: Duration,
    hold: Duration,
    redis_pid: Option<u32>,
    show_cpu: bool,
) -> Step {
    let sim = service
        .sim()
        .expect("the bench starts the instance that runs the feed");
    sim.set_rate(rate);
    tokio::time::sleep(warm).await;
    let dropped0 = service.queue.stats().dropped;
    let sent0 = sim.stats().updates;
    let stored0 = service.queue.stats().stored;
    let start = tally.borrow().clone();
    let (cpu0, redis0) = cpu_ticks(redis_pid);
    let t0 = Instant::now();
    tokio::time::sleep(hold).await;
    let secs = t0.elapsed().as_secs_f64();
    let end = tally.borrow().clone();
    let sent1 = sim.stats().updates;
    let (cpu1, redis1) = cpu_ticks(redis_pid);
    let mut lat = end.latencies_us[start.latencies_us.len()..].to_vec();
    lat.sort_unstable();
    if show_cpu {
        let hz = 100.0;
        println!("    CPU over {secs:.1} s (% of one core):");
        for (tid, (name, t1)) in &cpu1 {
            let t0 = cpu0.get(tid).map_or(0, |(_, t)| *t);
            let pct = (t1 - t0) as f64 / hz / secs * 100.0;
            if pct >= 1.0 {
                println!("      thread {tid:>7} {name:<16} {pct:5.1} %");
            }
        }
        println!(
            "      redis-server             {:5.1} %",
            (redis1 - redis0) as f64 / hz / secs * 100.0
        );
    }
    Step {
        target: rate,
        sent: (sent1 - sent0) as f64 / secs,
        received: (end.updates - start.updates) as f64 / secs,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        lagged: end.lagged - start.lagged,
        dropped: service.queue.stats().dropped - dropped0,
        stored: (service.queue.stats().stored - stored0) as f64 / secs,
    }
}

/// Runs the benchmark and prints its figures.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = ServiceConfig::default();
    config.sim.matches = 1_000;
    config.sim.rate = 1_000.0;
    config.sim.bursts = false;
    config.sim.malformed_every = 0;
    config.sim.disconnect_every_s = 0;
    // One instance: the in-process path, as the figures in docs/benchmarks.md were taken.
    config.fanout = false;
    config.queue_bound = 100_000;
    let service = Service::start(config).await?;
    let (tx, mut tally) = watch::channel(Tally::default());
    // The client runs on a thread of its own, so that measuring does not slow the service.
    let addr = service.addr();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(rt) = rt {
            let _ = rt.block_on(sse_client(addr, tx));
        }
    });
    tally
        .wait_for(|t| t.updates > 1_000)
        .await
        .map_err(|_| "the SSE client ended")?;
    let redis_pid = redis_pid(&service).await;
    println!("hardy-odds bench: 1,000 matches, feed → worker → SSE (+ storage), one SSE client");
    println!(
        "  {:>9} {:>9} {:>10} {:>9} {:>9} {:>7} {:>9} {:>8}",
        "target/s", "sent/s", "received/s", "p50 ms", "p99 ms", "lagged", "stored/s", "q.drop"
    );
    let mut sustained = 0.0;
    // ODDS_BENCH_RATES=5000,10000 overrides the steps.
    let rates: Vec<f64> = std::env::var("ODDS_BENCH_RATES")
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            vec![
                10_000.0, 20_000.0, 30_000.0, 40_000.0, 50_000.0, 60_000.0, 80_000.0,
            ]
        });
    for rate in rates {
        let s = measure(
            &service,
            &mut tally,
            rate,
            Duration::from_secs(2),
            Duration::from_secs(4),
            redis_pid,
            false,
        )
        .await;
        println!(
            "  {:>9.0} {:>9.0} {:>10.0} {:>9.1} {:>9.1} {:>7} {:>9.0} {:>8}",
            s.target, s.sent, s.received, s.p50, s.p99, s.lagged, s.stored, s.dropped
        );
        // Sustained: the feed reached (about) the target, everything it sent reached the
        // SSE client with p99 under 100 ms, and storage kept up (nothing dropped).
        let kept_up = s.sent >= 0.9 * s.target
            && s.received >= 0.97 * s.sent
            && s.lagged == 0
            && s.p99 < 100.0
            && s.dropped == 0;
        if kept_up {
            sustained = s.received;
        } else {
            break;
        }
    }
    println!(
        "  highest sustained: {sustained:.0} updates/s (all the feed sent received, p99 < 100 ms, storage keeping up)"
    );
    println!("  at 10,000 updates/s for 10 s:");
    let s = measure(
        &service,
        &mut tally,
        10_000.0,
        Duration::from_secs(3),
        Duration::from_secs(10),
        redis_pid,
        true,
    )
    .await;
    println!(
        "    received {:.0}/s, feed-to-SSE latency p50 {:.2} ms, p99 {:.2} ms, lagged {}, queue dropped {}",
        s.received, s.p50, s.p99, s.lagged, s.dropped
    );
    let q = service.queue.stats();
    println!(
        "    storage: {} stored, queue high water {}",
        q.stored, q.high_water
    );
    service.stop().await;
    Ok(())
}

async fn redis_pid(service: &Service) -> Option<u32> {
    let info: String = service
        .redis
        .command(hardy_redis::cmd("INFO").arg("server"))
        .await
        .ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|p| p.trim().parse().ok())
}
