//! Supervisor costs against Erlang/OTP, on this machine.
//!
//! Four figures, measured the same way on both sides (see `bench/otp/sup_bench.erl`):
//! starting 100,000 dynamic children (one awaited `start_child` each), memory per idle child,
//! shutting all of them down, and the restart latency of one crashed child (p50/p99 over
//! 20,000 restarts: from the crash until the new incarnation's `started` has run).
//! When `erl` is on PATH the Erlang program is compiled and run too, and a side-by-side
//! table with ratios is printed.
//!
//! Run: `cargo bench -p hardy-supervisor --bench otp_compare` (env `CHILDREN`, `RESTARTS`
//! override the counts).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use actix::prelude::*;
use hardy_supervisor::{ChildSpec, DynamicSupervisor, Shutdown};
use tokio::sync::mpsc;

struct Idle;

impl Actor for Idle {
    type Context = Context<Self>;
}

/// Tells the benchmark when each incarnation has started.
struct Restarted(mpsc::UnboundedSender<Instant>);

impl Actor for Restarted {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        let _ = self.0.send(Instant::now());
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Crash;

impl Handler<Crash> for Restarted {
    type Result = ();
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("crash on purpose");
    }
}

#[derive(Debug, Default, Clone)]
struct Figures {
    start_us_per_child: f64,
    memory_bytes_per_child: f64,
    shutdown_ms: f64,
    restart_p50_us: f64,
    restart_p99_us: f64,
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

async fn measure_rust(children: usize, restarts: usize) -> Figures {
    let mut f = Figures::default();

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

    let (tx, mut rx) = mpsc::unbounded_channel();
    let sup = hardy_supervisor::Supervisor::builder()
        .intensity(u32::MAX, Duration::from_secs(1))
        .child(ChildSpec::worker("w", move || Ok(Restarted(tx.clone()))))
        .start()
        .expect("start the restart supervisor");
    rx.recv().await;
    let child = sup.child_ref::<Restarted>("w").await.expect("child ref");
    let mut lat = Vec::with_capacity(restarts);
    for _ in 0..restarts {
        let t0 = Instant::now();
        child.do_send(Crash).expect("child running");
        let started = rx.recv().await.expect("restarted");
        lat.push(started - t0);
    }
    lat.sort();
    f.restart_p50_us = percentile(&lat, 0.50);
    f.restart_p99_us = percentile(&lat, 0.99);
    sup.stop().await;
    f
}

fn measure_otp(children: usize, restarts: usize) -> Option<Figures> {
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
    let out = Command::new("erl")
        .arg("-noshell")
        .arg("-pa")
        .arg(&dir)
        .arg("-eval")
        .arg(format!("sup_bench:main({children}, {restarts}), halt()."))
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
    })
}

fn main() {
    let children: usize = std::env::var("CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let restarts: usize = std::env::var("RESTARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    // A crash report per restart would measure the panic hook, not the supervisor
    // (the Erlang side silences its logger the same way).
    std::panic::set_hook(Box::new(|_| {}));
    let rust = System::new().block_on(measure_rust(children, restarts));
    let _ = std::panic::take_hook();
    let otp = if Command::new("erl").arg("-version").output().is_ok() {
        measure_otp(children, restarts)
    } else {
        None
    };

    println!("children: {children}, restarts: {restarts}");
    println!("| figure | hardy-supervisor | Erlang/OTP | OTP ÷ hardy |\n|---|---:|---:|---:|");
    let rows: [(&str, f64, Option<f64>); 5] = [
        (
            "start one dynamic child (µs)",
            rust.start_us_per_child,
            otp.as_ref().map(|o| o.start_us_per_child),
        ),
        (
            "shut down all children (ms)",
            rust.shutdown_ms,
            otp.as_ref().map(|o| o.shutdown_ms),
        ),
        (
            "restart latency p50 (µs)",
            rust.restart_p50_us,
            otp.as_ref().map(|o| o.restart_p50_us),
        ),
        (
            "restart latency p99 (µs)",
            rust.restart_p99_us,
            otp.as_ref().map(|o| o.restart_p99_us),
        ),
        (
            "memory per idle child (bytes)",
            rust.memory_bytes_per_child,
            otp.as_ref().map(|o| o.memory_bytes_per_child),
        ),
    ];
    for (name, ours, theirs) in rows {
        match theirs {
            Some(t) => println!("| {name} | {ours:.1} | {t:.1} | {:.2}× |", t / ours),
            None => println!("| {name} | {ours:.1} | – | – |"),
        }
    }
}
