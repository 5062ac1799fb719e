//! The measured loop every SET/GET benchmark of this crate shares (`main.rs`, and
//! `bin/cluster.rs` through `#[path]`): one piece of code times every library, so the
//! libraries are measured the same way by construction.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;

/// Keys the callers spread over.
pub const KEYS: usize = 256;

/// One client library under test: SET and GET on a shared, cloneable handle. A failed
/// SET or GET panics (a benchmark that hides errors measures nothing).
pub trait Client: Clone + 'static {
    async fn set(&self, key: &str, value: &Bytes);
    async fn get(&self, key: &str);
}

/// Runs `callers` tasks of SET/GET pairs until `max_ops` operations were started or
/// `max_time` passed; returns (completed ops, elapsed, histogram in ns).
pub async fn phase<C: Client>(
    client: &C,
    keys: &Rc<Vec<String>>,
    value: &Bytes,
    callers: usize,
    max_ops: u64,
    max_time: Duration,
) -> (u64, Duration, Histogram<u64>) {
    let started = Rc::new(Cell::new(0u64));
    let hist = Rc::new(RefCell::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap(),
    ));
    let t0 = Instant::now();
    let deadline = t0 + max_time;
    let mut tasks = Vec::with_capacity(callers);
    for task in 0..callers {
        let client = client.clone();
        let keys = keys.clone();
        let value = value.clone();
        let started = started.clone();
        let hist = hist.clone();
        tasks.push(tokio::task::spawn_local(async move {
            let mut i = 0usize;
            loop {
                let n = started.get();
                if n >= max_ops {
                    break;
                }
                let begin = Instant::now();
                if begin >= deadline {
                    break;
                }
                started.set(n + 1);
                let key = &keys[(task * 37 + i / 2) % KEYS];
                if i.is_multiple_of(2) {
                    client.set(key, &value).await;
                } else {
                    client.get(key).await;
                }
                let ns = begin.elapsed().as_nanos() as u64;
                hist.borrow_mut().saturating_record(ns.max(1));
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.expect("a caller task panicked");
    }
    let elapsed = t0.elapsed();
    let hist = Rc::try_unwrap(hist).ok().unwrap().into_inner();
    (hist.len(), elapsed, hist)
}

/// An environment variable parsed, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Counters of the server, before and after a cell.
#[derive(Clone, Copy, Default)]
pub struct ServerStats {
    pub commands: f64,
    pub reads: f64,
    pub cpu: Duration,
}

pub fn server_stats(server: &hardy_testkit::RedisServer) -> ServerStats {
    let mut stats = ServerStats::default();
    if let Ok(hardy_testkit::Reply::Bulk(Some(text))) = server.command(&["INFO", "stats"]) {
        for line in String::from_utf8_lossy(&text).lines() {
            let mut kv = line.trim().splitn(2, ':');
            let (k, v) = (kv.next().unwrap_or(""), kv.next().unwrap_or(""));
            match k {
                "total_commands_processed" => stats.commands = v.parse().unwrap_or(0.0),
                "total_reads_processed" => stats.reads = v.parse().unwrap_or(0.0),
                _ => {}
            }
        }
    }
    stats.cpu = server_cpu(server);
    stats
}

/// CPU time used by the calling thread so far.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_THREAD_CPUTIME_ID needs nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// redis-server's CPU time so far: utime and stime, fields 14 and 15 of /proc/<pid>/stat,
/// in clock ticks (100 Hz, so 10 ms steps). Zero when unknown.
pub fn server_cpu(server: &hardy_testkit::RedisServer) -> Duration {
    let Some(stat) = server
        .pid()
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
    else {
        return Duration::ZERO;
    };
    let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Ops/s and latency of one cell.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cellv {
    pub ops: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// CPU time of the benchmark's thread per operation (the client library's own cost,
    /// runtime included; less sensitive to a busy machine than ops/s). 0 when not known.
    pub cpu_us: f64,
    /// redis-server's CPU time per operation.
    pub server_cpu_us: f64,
    /// Commands per read the server did on its sockets (INFO stats): how well the client
    /// batches its writes.
    pub cmds_per_read: f64,
}

pub struct Limits {
    pub ops: u64,
    pub time: Duration,
    pub warmup: Duration,
}

/// One library's rounds at one caller count.
pub struct Acc {
    rates: Vec<f64>,
    hist: Histogram<u64>,
    ops: u64,
    cpu: Duration,
    server_cpu: Duration,
    commands: f64,
    reads: f64,
}

impl Acc {
    pub fn new() -> Acc {
        Acc {
            rates: Vec::new(),
            hist: Histogram::new_with_bounds(1, 60_000_000_000, 3).unwrap(),
            ops: 0,
            cpu: Duration::ZERO,
            server_cpu: Duration::ZERO,
            commands: 0.0,
            reads: 0.0,
        }
    }

    /// The median round's ops/s; latency over all rounds; CPU over all rounds.
    pub fn finish(&self) -> Option<Cellv> {
        if self.rates.is_empty() {
            return None;
        }
        let mut rates = self.rates.clone();
        rates.sort_by(f64::total_cmp);
        let ops = self.ops.max(1) as f64;
        Some(Cellv {
            ops: rates[rates.len() / 2],
            p50_us: self.hist.value_at_quantile(0.50) as f64 / 1000.0,
            p99_us: self.hist.value_at_quantile(0.99) as f64 / 1000.0,
            cpu_us: self.cpu.as_secs_f64() * 1e6 / ops,
            server_cpu_us: self.server_cpu.as_secs_f64() * 1e6 / ops,
            cmds_per_read: self.commands / self.reads.max(1.0),
        })
    }

    pub fn rounds(&self) -> String {
        let r: Vec<String> = self
            .rates
            .iter()
            .map(|r| format!("{:.0}k", r / 1000.0))
            .collect();
        r.join(" ")
    }
}

/// What every library's rounds of one cell share: the key space, the value, the caller
/// count, the limits, and how to read the servers' counters (`servers`; each read costs
/// `probes` commands and reads of their own, one `INFO` per server, taken off the counts).
pub struct CellSetup<'a, S: Fn() -> ServerStats> {
    pub keys: &'a Rc<Vec<String>>,
    pub value: &'a Bytes,
    pub callers: usize,
    pub limits: &'a Limits,
    pub servers: S,
    pub probes: f64,
}

impl<S: Fn() -> ServerStats> CellSetup<'_, S> {
    /// One round of one library: a warm-up on the first round, then the measured phase.
    pub async fn round<C: Client>(&self, client: &C, first: bool, acc: &mut Acc) {
        let (keys, value, callers, limits) = (self.keys, self.value, self.callers, self.limits);
        if first && !limits.warmup.is_zero() {
            phase(client, keys, value, callers, u64::MAX, limits.warmup).await;
        }
        let before = (self.servers)();
        let cpu = thread_cpu();
        let (ops, elapsed, hist) =
            phase(client, keys, value, callers, limits.ops, limits.time).await;
        let cpu = thread_cpu() - cpu;
        let after = (self.servers)();
        acc.rates.push(ops as f64 / elapsed.as_secs_f64());
        acc.hist.add(&hist).expect("same histogram bounds");
        acc.ops += ops;
        acc.cpu += cpu;
        acc.server_cpu += after.cpu.saturating_sub(before.cpu);
        acc.commands += after.commands - before.commands - self.probes;
        acc.reads += after.reads - before.reads - self.probes;
    }
}
