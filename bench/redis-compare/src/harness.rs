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
