//! Chaos runner: client libraries side by side under injected faults, each request's
//! outcome recorded, and the invariants checked against the server afterwards.
//!
//! One `redis-server`, a `FaultProxy` in front of it, and for each client library ONE
//! connection through the proxy, with the library's defaults, and C concurrent callers on
//! one actix `System` (as bench/redis-compare). Each caller runs a fixed number of
//! commands, cycling through `ECHO <its own tag>`, `SET <a key never used again> <value>`
//! and `INCR <its own counter>`, while a fault schedule runs against the proxy. Then the
//! invariants are checked, reading the server directly:
//!
//! - **misaligned**: a reply that is not the request's own (an `ECHO` with another tag, a
//!   `SET` not answered `OK`, an `INCR` out of its counter's possible range): must be 0;
//! - **without outcome**: a request with neither reply nor error after 30 s: must be 0;
//! - **lost acked writes**: a `SET` acknowledged whose key is missing or wrong, or a
//!   counter below its acknowledged `INCR`s: must be 0;
//! - **extra INCRs**: a counter above its acknowledged `INCR`s plus those reported
//!   "maybe executed": a command run twice by a silent retry; must be 0.
//!
//! And the cost: errors surfaced to callers, and wall time.
//!
//! Environment (all optional):
//! - `CHAOS_CLIENTS`  which of `hardy,redis-rs` to run (default both)
//! - `CHAOS_CALLERS`  concurrent callers per client (default 128)
//! - `CHAOS_OPS`      commands per caller (default 20000)
//! - `CHAOS_FAULTS`   the fault schedule, e.g. `cut:50:100` (default): see faults.rs
//!
//! This is the seed of a chaos runner: more fault kinds go into `faults.rs`, more client
//! libraries into `clients.rs`, more invariants into `verify.rs`.

mod faults;
mod verify;
mod workload;

use std::sync::Arc;
use std::time::Duration;

use chaos::clients;
use clients::Kind;
use faults::Schedule;
use hardy_testkit::{FaultProxy, RedisServer};

/// What the runner was asked to do.
struct Settings {
    clients: Vec<Kind>,
    callers: usize,
    ops: usize,
    schedule: Schedule,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: cannot parse {v:?}"))
        })
        .unwrap_or(default)
}

impl Settings {
    fn from_env() -> Settings {
        let clients = std::env::var("CHAOS_CLIENTS")
            .unwrap_or_else(|_| "hardy,redis-rs".into())
            .split(',')
            .map(|name| Kind::parse(name.trim()).unwrap_or_else(|| panic!("unknown client {name}")))
            .collect();
        let schedule = std::env::var("CHAOS_FAULTS")
            .unwrap_or_else(|_| "cut:50:100".into())
            .parse()
            .unwrap_or_else(|e| panic!("CHAOS_FAULTS: {e}"));
        Settings {
            clients,
            callers: env_or("CHAOS_CALLERS", 128),
            ops: env_or("CHAOS_OPS", 20_000),
            schedule,
        }
    }
}

fn main() {
    let settings = Settings::from_env();
    let server = RedisServer::start().expect("redis-server");
    let proxy = Arc::new(FaultProxy::start(server.addr()).expect("fault proxy"));
    println!(
        "{} callers x {} commands per client; faults: {}",
        settings.callers, settings.ops, settings.schedule
    );
    let system = actix_rt::System::new();
    let rows: Vec<verify::Row> = system.block_on(async {
        let mut rows = Vec::new();
        for (n, kind) in settings.clients.iter().enumerate() {
            let prefix = format!("{}{n}", kind.name());
            let client = clients::connect(*kind, proxy.addr()).await;
            let run = workload::run(&client, &prefix, &settings, &proxy).await;
            let row = verify::check(kind.name(), &prefix, run, server.addr()).await;
            println!("{}", row.line());
            rows.push(row);
            // Let the previous client's reconnects settle before the next one starts.
            actix_rt::time::sleep(Duration::from_millis(500)).await;
        }
        rows
    });
    println!();
    verify::print_table(&rows);
    let broken: Vec<_> = rows
        .iter()
        .filter(|r| !r.holds())
        .map(|r| r.client)
        .collect();
    if !broken.is_empty() {
        println!("\ninvariants broken by: {}", broken.join(", "));
    }
}
