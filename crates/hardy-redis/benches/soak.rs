//! The soak: steady load through one hardy-redis connection for minutes, a fault every
//! 10 s, and the process's memory, file descriptors, threads and tasks sampled every 10 s
//! against bounds stated before the run.
//!
//! A `redis-server` (testkit, free loopback port) behind the testkit's `FaultProxy`; one
//! `Redis` connected through the proxy with the defaults; `--callers` tokio tasks send
//! `ECHO <own tag>`, `SET <key of a bounded set> <value>` and `INCR <own counter>` in turn,
//! paced to `--rate` commands a second in all. Every 10 s a fault, in turn: `CLIENT KILL`
//! of every client, a proxy cut of every connection, `SIGKILL` of the server then its
//! restart on the same port. Samples are taken halfway between faults.
//!
//! Bounds (checked at the end; the run exits non-zero when one fails):
//! - 0 requests without an outcome within 30 s, 0 replies that are not the request's own;
//! - RSS at the end at most `--rss-growth-mib` (default 8) above RSS after warm-up (the
//!   first sample at or after 60 s, or after a quarter of the run if shorter);
//! - tokio's alive tasks (the callers: hardy spawns no runtime task of its own) never above
//!   their count after warm-up; open file descriptors at the end at most 2 above theirs
//!   (one connect may be in flight);
//! - every fault fired.
//!
//! ```sh
//! cargo bench -p hardy-redis --bench soak                      # 10 minutes
//! cargo bench -p hardy-redis --bench soak -- --minutes 1       # a short one
//! ```
//!
//! Flags: `--minutes` (default 10, fractions allowed), `--rate` (commands/s, default
//! 2,000), `--callers` (default 16), `--rss-growth-mib` (default 8).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hardy_redis::{cmd, Frame, Redis};
use hardy_testkit::process::status_field;
use hardy_testkit::{FaultProxy, RedisServer};

const FAULT_EVERY: Duration = Duration::from_secs(10);
const OUTCOME_LIMIT: Duration = Duration::from_secs(30);

struct Settings {
    run_for: Duration,
    rate: u64,
    callers: usize,
    rss_growth_mib: u64,
}

fn settings() -> Settings {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: f64| -> f64 {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{flag}: cannot parse {v:?}"))
            })
            .unwrap_or(default)
    };
    Settings {
        run_for: Duration::from_secs_f64(get("--minutes", 10.0) * 60.0),
        rate: get("--rate", 2_000.0) as u64,
        callers: get("--callers", 16.0) as usize,
        rss_growth_mib: get("--rss-growth-mib", 8.0) as u64,
    }
}

/// Outcomes of every request, in all.
#[derive(Default)]
struct Stats {
    ok: AtomicU64,
    errors: AtomicU64,
    errors_maybe_executed: AtomicU64,
    without_outcome: AtomicU64,
    misaligned: AtomicU64,
}

impl Stats {
    fn commands(&self) -> u64 {
        self.ok.load(Ordering::SeqCst)
            + self.errors.load(Ordering::SeqCst)
            + self.without_outcome.load(Ordering::SeqCst)
    }
}

/// One line every 10 s.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss_kib: u64,
    hwm_kib: u64,
    fds: usize,
    threads: u64,
    tasks: usize,
    commands: u64,
    errors: u64,
}

fn main() {
    let s = settings();
    let server = RedisServer::start().expect("start redis-server");
    let proxy = Arc::new(FaultProxy::start(server.addr()).expect("start the proxy"));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "soak: {:.1} min, {} commands/s from {} callers through one connection, a fault every \
         {} s (CLIENT KILL, proxy cut, SIGKILL + restart); load average {}",
        s.run_for.as_secs_f64() / 60.0,
        s.rate,
        s.callers,
        FAULT_EVERY.as_secs(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    println!(
        "bounds: 0 without outcome, 0 misaligned, RSS growth after warm-up <= {} MiB, tasks \
         never above their warm-up count, fds at the end <= warm-up + 2, every fault fired",
        s.rss_growth_mib
    );
    let failures = actix_rt::System::new().block_on(run(&s, server, proxy));
    if failures.is_empty() {
        println!("\nall bounds held");
    } else {
        println!("\nFAILED:");
        for f in &failures {
            println!("  - {f}");
        }
        std::process::exit(1);
    }
}

async fn run(s: &Settings, server: RedisServer, proxy: Arc<FaultProxy>) -> Vec<String> {
    let url = format!("redis://{}", proxy.addr());
    let redis = Redis::connect(url.parse().expect("URL"))
        .await
        .expect("connect through the proxy");
    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let every = Duration::from_secs_f64(s.callers as f64 / s.rate.max(1) as f64);
    let callers: Vec<_> = (0..s.callers)
        .map(|i| {
            tokio::spawn(caller(
                redis.clone(),
                (i, s.callers),
                every,
                stats.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let faults = Arc::new(Mutex::new(Vec::new()));
    let injector = {
        let (proxy, faults, run_for) = (proxy.clone(), faults.clone(), s.run_for);
        std::thread::spawn(move || inject(server, &proxy, started, run_for, &faults))
    };
    println!("\n| t (s) | commands | errors | RSS | VmHWM | fds | threads | tokio tasks |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut samples = Vec::new();
    let mut next = FAULT_EVERY / 2;
    while next <= s.run_for {
        tokio::time::sleep_until((started + next).into()).await;
        let sample = take_sample(started, &stats);
        println!(
            "| {:.0} | {} | {} | {:.1} MiB | {:.1} MiB | {} | {} | {} |",
            sample.at.as_secs_f64(),
            sample.commands,
            sample.errors,
            sample.rss_kib as f64 / 1024.0,
            sample.hwm_kib as f64 / 1024.0,
            sample.fds,
            sample.threads,
            sample.tasks
        );
        samples.push(sample);
        next += FAULT_EVERY;
    }
    tokio::time::sleep_until((started + s.run_for).into()).await;
    stop.store(true, Ordering::SeqCst);
    for c in callers {
        let _ = tokio::time::timeout(OUTCOME_LIMIT * 2, c).await;
    }
    let wall = started.elapsed();
    let server = tokio::task::spawn_blocking(move || injector.join()).await;
    let injector_ok = matches!(server, Ok(Ok(_)));
    let fault_log = faults.lock().expect("fault log").clone();
    let end = take_sample(started, &stats);
    drop(redis);
    drop(server);
    report(s, &stats, &samples, end, &fault_log, wall, injector_ok)
}

/// One caller: ECHO, SET, INCR in turn, one every `every`, until `stop`.
async fn caller(
    redis: Redis,
    (i, callers): (usize, usize),
    every: Duration,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    // Spread over the period, so the callers' requests do not all leave at once.
    let first = tokio::time::Instant::now() + every.mul_f64(i as f64 / callers as f64);
    let mut tick = tokio::time::interval_at(first, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let counter = format!("soak:{i}:ctr");
    let mut seq: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        let tag = format!("soak:{i}:{seq}");
        let (request, want) = match seq % 3 {
            0 => (cmd("ECHO").arg(&tag), Some(tag.as_str())),
            1 => (
                cmd("SET").arg(format!("soak:{i}:k{}", seq % 100)).arg(&tag),
                Some("OK"),
            ),
            _ => (cmd("INCR").arg(&counter), None),
        };
        match tokio::time::timeout(OUTCOME_LIMIT, redis.command::<Frame>(request)).await {
            Ok(Ok(frame)) => {
                stats.ok.fetch_add(1, Ordering::SeqCst);
                let aligned = match want {
                    Some(text) => is_text(&frame, text),
                    None => matches!(frame, Frame::Integer(_)),
                };
                if !aligned {
                    stats.misaligned.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(Err(e)) => {
                stats.errors.fetch_add(1, Ordering::SeqCst);
                if e.maybe_executed() {
                    stats.errors_maybe_executed.fetch_add(1, Ordering::SeqCst);
                }
            }
            Err(_) => {
                stats.without_outcome.fetch_add(1, Ordering::SeqCst);
            }
        }
        seq += 1;
    }
}

fn is_text(frame: &Frame, want: &str) -> bool {
    matches!(frame, Frame::SimpleString(b) | Frame::BulkString(b) if b.as_ref() == want.as_bytes())
}

/// One fault injected: when, which, and whether the injection itself worked.
#[derive(Debug, Clone)]
struct Fault {
    at: Duration,
    kind: &'static str,
    /// How long the injection took (for a restart: until the server answered again).
    took: Duration,
    error: Option<String>,
}

/// Injects a fault every `FAULT_EVERY` until `run_for`, in turn: CLIENT KILL, proxy cut,
/// SIGKILL + restart (on a thread: the testkit's controls are synchronous). Hands the
/// server back, so it lives until the end of the run rather than of the faults.
fn inject(
    mut server: RedisServer,
    proxy: &FaultProxy,
    started: Instant,
    run_for: Duration,
    log: &Mutex<Vec<Fault>>,
) -> RedisServer {
    let mut n: u32 = 1;
    while FAULT_EVERY * n < run_for {
        let at = FAULT_EVERY * n;
        std::thread::sleep(at.saturating_sub(started.elapsed()));
        let began = Instant::now();
        let (kind, result) = match n % 3 {
            1 => ("CLIENT KILL", server.client_kill_all().map(|_| ())),
            2 => {
                proxy.cut();
                ("proxy cut", Ok(()))
            }
            _ => (
                "SIGKILL + restart",
                server.kill().and_then(|()| server.restart()),
            ),
        };
        log.lock().expect("fault log").push(Fault {
            at: began.duration_since(started),
            kind,
            took: began.elapsed(),
            error: result.err().map(|e| e.to_string()),
        });
        n += 1;
    }
    server
}

fn take_sample(started: Instant, stats: &Stats) -> Sample {
    Sample {
        at: started.elapsed(),
        rss_kib: status_field("VmRSS").unwrap_or(0),
        hwm_kib: status_field("VmHWM").unwrap_or(0),
        fds: std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0),
        threads: status_field("Threads").unwrap_or(0),
        tasks: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        commands: stats.commands(),
        errors: stats.errors.load(Ordering::SeqCst),
    }
}

/// Errors surfaced between the sample before `at` and the one after (the end if none).
fn errors_around(at: Duration, samples: &[Sample], end: Sample) -> u64 {
    let before = samples
        .iter()
        .rev()
        .find(|x| x.at <= at)
        .map_or(0, |x| x.errors);
    let after = samples
        .iter()
        .find(|x| x.at > at)
        .copied()
        .unwrap_or(end)
        .errors;
    after - before
}

fn report(
    s: &Settings,
    stats: &Stats,
    samples: &[Sample],
    end: Sample,
    faults: &[Fault],
    wall: Duration,
    injector_ok: bool,
) -> Vec<String> {
    let warm_at = Duration::from_secs(60).min(s.run_for / 4);
    let warm = samples
        .iter()
        .find(|x| x.at >= warm_at)
        .copied()
        .unwrap_or(end);
    let max_tasks = samples
        .iter()
        .filter(|x| x.at >= warm.at)
        .map(|x| x.tasks)
        .max()
        .unwrap_or(0);
    let expected_faults =
        ((s.run_for.as_secs_f64() / FAULT_EVERY.as_secs_f64()).ceil() as usize).saturating_sub(1);
    let commands = stats.commands();
    let load = |c: &AtomicU64| c.load(Ordering::SeqCst);
    println!("\n| figure | value |");
    println!("|---|---|");
    println!("| wall time | {:.1} s |", wall.as_secs_f64());
    println!(
        "| commands | {commands} ({:.0}/s) |",
        commands as f64 / wall.as_secs_f64()
    );
    println!("| ok | {} |", load(&stats.ok));
    println!(
        "| errors surfaced (maybe executed) | {} ({}) |",
        load(&stats.errors),
        load(&stats.errors_maybe_executed)
    );
    println!("| without outcome | {} |", load(&stats.without_outcome));
    println!("| misaligned | {} |", load(&stats.misaligned));
    for kind in ["CLIENT KILL", "proxy cut", "SIGKILL + restart"] {
        let of_kind: Vec<&Fault> = faults.iter().filter(|f| f.kind == kind).collect();
        let errors: u64 = of_kind
            .iter()
            .map(|f| errors_around(f.at, samples, end))
            .sum();
        let longest = of_kind.iter().map(|f| f.took).max().unwrap_or_default();
        println!(
            "| faults: {kind} / errors surfaced around them / longest injection | {} / {errors} / {:.0} ms |",
            of_kind.len(),
            longest.as_secs_f64() * 1e3
        );
    }
    println!(
        "| RSS after warm-up ({:.0} s) / at the end | {:.1} MiB / {:.1} MiB |",
        warm.at.as_secs_f64(),
        warm.rss_kib as f64 / 1024.0,
        end.rss_kib as f64 / 1024.0
    );
    println!(
        "| VmHWM (process high-water mark) | {:.1} MiB |",
        end.hwm_kib as f64 / 1024.0
    );
    println!(
        "| fds after warm-up / at the end | {} / {} |",
        warm.fds, end.fds
    );
    println!(
        "| tokio tasks after warm-up / max after / at the end (callers stopped) | {} / {} / {} |",
        warm.tasks, max_tasks, end.tasks
    );
    println!(
        "| threads after warm-up / at the end | {} / {} |",
        warm.threads, end.threads
    );

    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    check(
        load(&stats.without_outcome) == 0,
        format!(
            "{} requests without an outcome",
            load(&stats.without_outcome)
        ),
    );
    check(
        load(&stats.misaligned) == 0,
        format!("{} misaligned replies", load(&stats.misaligned)),
    );
    let growth = end.rss_kib.saturating_sub(warm.rss_kib);
    check(
        growth <= s.rss_growth_mib * 1024,
        format!("RSS grew {:.1} MiB after warm-up", growth as f64 / 1024.0),
    );
    check(
        max_tasks <= warm.tasks,
        format!(
            "tokio tasks reached {max_tasks}, {} after warm-up",
            warm.tasks
        ),
    );
    check(
        end.fds <= warm.fds + 2,
        format!("{} fds at the end, {} after warm-up", end.fds, warm.fds),
    );
    check(injector_ok, "the fault thread panicked".into());
    check(
        faults.len() == expected_faults,
        format!("{} faults fired of {expected_faults}", faults.len()),
    );
    for f in faults.iter().filter(|f| f.error.is_some()) {
        check(
            false,
            format!(
                "{} at {:.0} s failed: {}",
                f.kind,
                f.at.as_secs_f64(),
                f.error.as_deref().unwrap_or("")
            ),
        );
    }
    failures
}
