//! The same outage seen from an actix-web service under load (issue 9's Measure).
//!
//! For each client (hardy-redis with its defaults, redis-rs's `ConnectionManager` with
//! its defaults, and optionally hardy-redis with a non-default backoff): an actix-web
//! service with 2 workers whose `/incr` runs `INCR counter` through one shared client
//! (service.rs), loaded by 64 keep-alive HTTP/1.1 connections (load.rs). Steady load for
//! 2 s; redis-server SIGKILLed; restarted on the same port 2 s later; 3 s more load. Then
//! the table (report.rs): 503s while Redis is down and after the restart, time from the
//! restart to the first 200 and to a 200 on every connection, throughput, and whether
//! the counter on the server matches the 200s.
//!
//! Environment (all optional):
//! - `WEB_CLIENTS` which of `hardy,redis-rs,hardy-tuned` to run (default `hardy,redis-rs`)
//! - `WEB_ROUNDS`  rounds, each running the clients in the other order (default 2)
//! - `WEB_CONNS`   HTTP connections (default 64)
//! - `WEB_TUNED`   hardy-tuned's backoff `initial_ms:factor:max_ms` (default `100:1.5:500`)

mod load;
mod report;
mod service;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chaos::clients::{self, Client, Kind};
use hardy_testkit::{RedisServer, Reply};

/// Steady load before the kill, the outage, and load after the restart.
const BEFORE: Duration = Duration::from_secs(2);
const DOWN: Duration = Duration::from_secs(2);
const AFTER: Duration = Duration::from_secs(3);

/// A client library and its settings.
#[derive(Debug, Clone, Copy)]
pub enum Variant {
    Hardy,
    RedisRs,
    /// hardy-redis with a non-default backoff: initial, factor, max.
    HardyTuned(Duration, f64, Duration),
}

impl Variant {
    fn label(&self) -> String {
        match self {
            Variant::Hardy => "hardy (defaults)".into(),
            Variant::RedisRs => "redis-rs (defaults)".into(),
            Variant::HardyTuned(initial, factor, max) => format!(
                "hardy, NON-DEFAULT backoff {} ms × {factor} up to {} ms",
                initial.as_millis(),
                max.as_millis()
            ),
        }
    }

    /// Connects to `redis` (on the caller's actix `System`).
    pub async fn connect(self, redis: SocketAddr) -> Client {
        match self {
            Variant::Hardy => clients::connect(Kind::Hardy, redis).await,
            Variant::RedisRs => clients::connect(Kind::RedisRs, redis).await,
            Variant::HardyTuned(initial, factor, max) => {
                let config: hardy_redis::Config =
                    format!("redis://{redis}").parse().expect("hardy URL");
                clients::connect_hardy(config.backoff(initial, factor, max)).await
            }
        }
    }
}

fn variants() -> Vec<Variant> {
    let tuned = std::env::var("WEB_TUNED").unwrap_or_else(|_| "100:1.5:500".into());
    let parts: Vec<f64> = tuned
        .split(':')
        .map(|p| p.parse().expect("WEB_TUNED: initial_ms:factor:max_ms"))
        .collect();
    let [initial, factor, max] = parts[..] else {
        panic!("WEB_TUNED: initial_ms:factor:max_ms")
    };
    let ms = |v: f64| Duration::from_millis(v as u64);
    std::env::var("WEB_CLIENTS")
        .unwrap_or_else(|_| "hardy,redis-rs".into())
        .split(',')
        .map(|name| match name.trim() {
            "hardy" => Variant::Hardy,
            "redis-rs" => Variant::RedisRs,
            "hardy-tuned" => Variant::HardyTuned(ms(initial), factor, ms(max)),
            other => panic!("unknown client {other}"),
        })
        .collect()
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| v.parse().expect(name))
}

/// One client's run: service up, load, kill, restart, load, counter read.
fn run(variant: Variant, server: &mut RedisServer, conns: usize) -> report::Row {
    server.command(&["DEL", "counter"]).expect("DEL counter");
    let service = service::start(variant, server.addr());
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let load = load::start(service.addr, conns, start, stop.clone());
    thread::sleep(BEFORE);
    let kill = start.elapsed();
    server.kill().expect("SIGKILL redis-server");
    thread::sleep((kill + DOWN).saturating_sub(start.elapsed()));
    let restart = start.elapsed();
    server.restart().expect("restart redis-server");
    let ready = start.elapsed();
    thread::sleep((restart + AFTER).saturating_sub(start.elapsed()));
    stop.store(true, Ordering::Relaxed);
    let end = start.elapsed();
    let samples = load.join().expect("load thread");
    let counter = match server.command(&["GET", "counter"]).expect("GET counter") {
        Reply::Bulk(Some(v)) => String::from_utf8_lossy(&v).parse().expect("counter"),
        Reply::Bulk(None) => 0,
        other => panic!("GET counter: {other:?}"),
    };
    service.stop();
    let timeline = report::Timeline {
        kill,
        restart,
        ready,
        end,
    };
    report::analyse(&variant.label(), &samples, conns, timeline, counter)
}

fn main() {
    let variants = variants();
    let rounds = env_or("WEB_ROUNDS", 2);
    let conns = env_or("WEB_CONNS", 64);
    let mut server = RedisServer::start().expect("redis-server");
    println!(
        "actix-web, 2 workers, one shared client; {conns} keep-alive connections on POST /incr; \
         load {BEFORE:?}, redis-server SIGKILLed, restarted {DOWN:?} later, load {AFTER:?} more"
    );
    let mut rows = Vec::new();
    for round in 0..rounds {
        let mut order = variants.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for variant in order {
            let row = run(variant, &mut server, conns);
            println!(
                "round {} {}: redis-server ready {} ms after its launch",
                round + 1,
                row.client,
                row.ready_after.as_millis()
            );
            println!("{}", row.line());
            rows.push(row);
        }
    }
    println!("\n{}", report::HEADER);
    for row in &rows {
        println!("{}", row.line());
    }
}
