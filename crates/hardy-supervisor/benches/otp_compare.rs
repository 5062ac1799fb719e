//! Supervisor costs against Erlang/OTP, on this machine, with both sides doing the same
//! work (see `bench/otp/sup_bench.erl` for the Erlang side):
//!
//! - **start**: `CHILDREN` dynamic children, one awaited `start_child` after another; each
//!   returns after the child's `started` (OTP: `init/1`) ran and was acknowledged;
//! - **memory per idle child**: the RSS delta of the process (`/proc/self/statm`) over those
//!   starts, divided by `CHILDREN` — measured the same way on both sides;
//! - **shutdown**: the dynamic supervisor stops all its children (5 s timeout each);
//! - **restart latency**: a child panics in a handler (OTP: a `gen_server` raises in
//!   `handle_cast`); the time runs from the crash message until the benchmark task receives
//!   the message the new incarnation sends from `started` (OTP: from `init/1`). `RESTARTS`
//!   restarts in rounds of 10 under a fresh supervisor with intensity 10 per second, so the
//!   restart window never holds more than 10 entries on either side;
//! - **restart latency without a panic** (p50): the same, the child stopping with an
//!   abnormal reason instead (`exit(reason)` + `ctx.stop()`; OTP: `{stop, crash, State}`
//!   from `handle_cast`): the supervisor's own cost, without Rust's unwinding;
//! - **restart storm**: `STORM` dynamic children crash at once; the time runs until the
//!   benchmark task has received a message from each new incarnation.
//!
//! When `erl` is on PATH the Erlang program is compiled and run twice, with its default
//! schedulers and with `+S 1` (one scheduler, like one arbiter), and a side-by-side table
//! with ratios is printed.
//!
//! Run: `cargo bench -p hardy-supervisor --bench otp_compare` (env `CHILDREN`, `RESTARTS`,
//! `STORM` override the counts).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use actix::prelude::*;
use hardy_supervisor::{ChildSpec, DynamicSupervisor, Shutdown, Supervisor};
use tokio::sync::mpsc;

struct Idle;

impl Actor for Idle {
    type Context = Context<Self>;
}

/// Tells the benchmark task when each incarnation has started, and crashes on request.
struct Notify(mpsc::UnboundedSender<()>);

impl Actor for Notify {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        let _ = self.0.send(());
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Crash;

impl Handler<Crash> for Notify {
    type Result = ();
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("crash on purpose");
    }
}

/// Stops with an abnormal reason, without a panic (OTP: `{stop, crash, State}`).
#[derive(Message)]
#[rtype(result = "()")]
struct StopAbnormally;

impl Handler<StopAbnormally> for Notify {
    type Result = ();
    fn handle(&mut self, _: StopAbnormally, ctx: &mut Context<Self>) {
        hardy_supervisor::exit(hardy_supervisor::ExitReason::error("crash"));
        ctx.stop();
    }
}

#[derive(Debug, Default, Clone)]
struct Figures {
    start_us_per_child: f64,
    memory_bytes_per_child: f64,
    shutdown_ms: f64,
    restart_p50_us: f64,
    restart_p99_us: f64,
    stop_restart_p50_us: f64,
    storm_ms: f64,
}

fn rss_bytes() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p * sorted.len() as f64).round() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e6
}

async fn start_and_shutdown(children: usize, f: &mut Figures) {
    let sup = DynamicSupervisor::new(|()| Ok(Idle))
        .shutdown(Shutdown::Timeout(Duration::from_secs(5)))
        .start()
        .expect("start the dynamic supervisor");
    let mem0 = rss_bytes();
    let t0 = Instant::now();
    for _ in 0..children {
        sup.start_child(()).await.expect("start a child");
    }
    f.start_us_per_child = t0.elapsed().as_secs_f64() * 1e6 / children as f64;
    f.memory_bytes_per_child = (rss_bytes() - mem0) / children as f64;
    let t0 = Instant::now();
    sup.stop().await;
    f.shutdown_ms = t0.elapsed().as_secs_f64() * 1e3;
}

/// Restart latencies in rounds of 10 under fresh supervisors; `panic` chooses the crash.
async fn restart_latency(restarts: usize, panic: bool) -> Vec<Duration> {
    let mut lat = Vec::with_capacity(restarts);
    while lat.len() < restarts {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sup = Supervisor::builder()
            .intensity(10, Duration::from_secs(1))
            .child(ChildSpec::worker("w", move || Ok(Notify(tx.clone()))))
            .start_async()
            .await
            .expect("start the restart supervisor");
        rx.recv().await;
        let child = sup.child_ref::<Notify>("w").await.expect("child ref");
        for _ in 0..10.min(restarts - lat.len()) {
            let t0 = Instant::now();
            if panic {
                child.do_send(Crash).expect("child running");
            } else {
                child.do_send(StopAbnormally).expect("child running");
            }
            rx.recv().await.expect("restarted");
            lat.push(t0.elapsed());
        }
        sup.stop().await;
    }
    lat.sort();
    lat
}

async fn restart_storm(storm: usize, f: &mut Figures) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sup = DynamicSupervisor::new(move |()| Ok(Notify(tx.clone())))
        .intensity(10_000, Duration::from_secs(5))
        .start()
        .expect("start the storm supervisor");
    let mut children = Vec::with_capacity(storm);
    for _ in 0..storm {
        children.push(sup.start_child(()).await.expect("start a child"));
        rx.recv().await;
    }
    let t0 = Instant::now();
    for c in &children {
        c.do_send(Crash).expect("child running");
    }
    for _ in 0..storm {
        rx.recv().await.expect("restarted");
    }
    f.storm_ms = t0.elapsed().as_secs_f64() * 1e3;
    sup.stop().await;
}

async fn measure_rust(children: usize, restarts: usize, storm: usize) -> Figures {
    let mut f = Figures::default();
    start_and_shutdown(children, &mut f).await;
    let lat = restart_latency(restarts, true).await;
    f.restart_p50_us = percentile(&lat, 0.50);
    f.restart_p99_us = percentile(&lat, 0.99);
    let lat = restart_latency(restarts, false).await;
    f.stop_restart_p50_us = percentile(&lat, 0.50);
    restart_storm(storm, &mut f).await;
    f
}

fn measure_otp(children: usize, restarts: usize, storm: usize, one: bool) -> Option<Figures> {
    let erl_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/otp/sup_bench.erl");
    let dir = std::env::temp_dir().join(format!("hardy-otp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let compiled = Command::new("erlc")
        .arg("-o")
        .arg(&dir)
        .arg(&erl_src)
        .status()
        .ok()?;
    if !compiled.success() {
        eprintln!("erlc failed; skipping the OTP side");
        return None;
    }
    let mut erl = Command::new("erl");
    if one {
        erl.args(["+S", "1"]);
    }
    let out = erl
        .arg("-noshell")
        .arg("-pa")
        .arg(&dir)
        .arg("-eval")
        .arg(format!(
            "sup_bench:main({children}, {restarts}, {storm}), halt()."
        ))
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    let values: HashMap<&str, f64> = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k, v.trim().parse().ok()?))
        })
        .collect();
    let get = |k: &str| values.get(k).copied();
    Some(Figures {
        start_us_per_child: get("start_us_per_child")?,
        memory_bytes_per_child: get("memory_bytes_per_child")?,
        shutdown_ms: get("shutdown_ms")?,
        restart_p50_us: get("restart_p50_us")?,
        restart_p99_us: get("restart_p99_us")?,
        stop_restart_p50_us: get("stop_restart_p50_us")?,
        storm_ms: get("storm_ms")?,
    })
}

/// Reads one figure.
type Pick = fn(&Figures) -> f64;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let children = env_count("CHILDREN", 100_000);
    let restarts = env_count("RESTARTS", 20_000);
    let storm = env_count("STORM", 1_000);
    // A crash report per restart would measure the panic hook, not the supervisor
    // (the Erlang side silences its logger the same way).
    std::panic::set_hook(Box::new(|_| {}));
    let rust = System::new().block_on(measure_rust(children, restarts, storm));
    let _ = std::panic::take_hook();
    let has_erl = Command::new("erl").arg("-version").output().is_ok();
    let otp = has_erl
        .then(|| measure_otp(children, restarts, storm, false))
        .flatten();
    let otp1 = has_erl
        .then(|| measure_otp(children, restarts, storm, true))
        .flatten();

    println!("children: {children}, restarts: {restarts}, storm: {storm}");
    println!(
        "| figure | hardy-supervisor | OTP | OTP ÷ hardy | OTP +S 1 | OTP +S 1 ÷ hardy |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    let pick: [(&str, Pick); 7] = [
        ("start one dynamic child (µs)", |f| f.start_us_per_child),
        ("shut down all children (ms)", |f| f.shutdown_ms),
        ("restart latency p50 (µs)", |f| f.restart_p50_us),
        ("restart latency p99 (µs)", |f| f.restart_p99_us),
        ("restart latency p50, stop without a panic (µs)", |f| {
            f.stop_restart_p50_us
        }),
        ("restart storm, all running again (ms)", |f| f.storm_ms),
        ("memory per idle child (RSS bytes)", |f| {
            f.memory_bytes_per_child
        }),
    ];
    let cell = |o: &Option<Figures>, get: Pick, ours: f64| match o {
        Some(o) => format!("{:.1} | {:.2}×", get(o), get(o) / ours),
        None => "– | –".into(),
    };
    for (name, get) in pick {
        let ours = get(&rust);
        println!(
            "| {name} | {ours:.1} | {} | {} |",
            cell(&otp, get, ours),
            cell(&otp1, get, ours)
        );
    }
}
