//! Chaos runner: client libraries side by side under injected faults, each request's
//! outcome recorded, and the invariants checked against the servers afterwards.
//!
//! For each client library in turn, C concurrent callers on one actix `System` (as
//! bench/redis-compare) share ONE client of the library, with its defaults (fred with a
//! reconnect policy, since it has none by default). Each caller runs commands (until
//! `CHAOS_OPS` of them succeeded, by default: `CHAOS_PROGRESS` below), cycling through
//! `ECHO <its own tag>`, `SET <a key never used again> <value>` and `INCR <its own
//! counter>`, while a fault schedule, paced by the callers' progress,
//! hits the deployment. Then the invariants are checked, reading the servers directly: 0
//! misaligned replies, 0 requests without an outcome within 30 s, 0 lost acknowledged
//! writes, 0 extra `INCR`s. The clients run one after the other against the same
//! deployment, emptied between them.
//!
//! The scenario (`CHAOS_SCENARIO`, src/scenario/) says what is deployed and which faults
//! hit it:
//! - `single` (default): one `redis-server` with `appendonly yes` and `appendfsync
//!   always` (so an acknowledged write survives a SIGKILL) behind a `FaultProxy`; the
//!   proxy cuts, black-holes and delays, the server is SIGKILLed and restarted on the
//!   same port, SIGSTOPped and SIGCONTed, and has it `CLIENT KILL` its clients;
//! - `tls`: the same, the server serving TLS only with a certificate from a CA generated
//!   for the run; every library connects with rustls (ring) verifying against that CA,
//!   through the proxy (which forwards the encrypted bytes);
//! - `sentinel`: a primary, two replicas, three sentinels; planned `SENTINEL FAILOVER`s,
//!   the primary SIGKILLed (restarted as a replica), SIGSTOPped, `CLIENT KILL`;
//!   hardy `Config::sentinel`, fred `ServerConfig::Sentinel`, redis-rs `SentinelClient`
//!   re-asked for a connection after an error (src/redis_rs_sentinel.rs);
//! - `cluster`: three primaries with a replica each; slot migrations, `CLUSTER FAILOVER`,
//!   a primary SIGKILLed (restarted as a replica), `CLIENT KILL` on every node; hardy
//!   `Cluster`, redis-rs `cluster_async`, fred `ServerConfig::Clustered`.
//!
//! The workload, the fault schedule and the checks are in `kit` (crates/hardy-redis/tests/
//! chaos_kit, shared with the short chaos test of the test suite); the clients in
//! `clients.rs` and `connect.rs`.
//!
//! Environment (all optional):
//! - `CHAOS_SCENARIO` `single`, `tls`, `sentinel` or `cluster` (default `single`)
//! - `CHAOS_CLIENTS`  which of `hardy,redis-rs,fred` to run, in order (default all three)
//! - `CHAOS_CALLERS`  concurrent callers per client (default 128)
//! - `CHAOS_OPS`      commands per caller (default 20000); with `CHAOS_PROGRESS=successes`,
//!   successful commands per caller
//! - `CHAOS_PROGRESS` `successes` (default): each caller runs until `CHAOS_OPS` of its
//!   commands succeeded, and only successes pace the faults, so every client does the
//!   same useful work under the same faults and the wall time compares how fast each gets
//!   it done; `outcomes`: each caller sends `CHAOS_OPS` commands and every outcome,
//!   errors included, paces the faults (a client that fails fast through an outage then
//!   finishes sooner, its errors counted as work). kit/workload.rs `Progress`
//! - `CHAOS_LIMIT_SECS` the most one client's run may take (default 180)
//! - `CHAOS_FAULTS`   the fault schedule (default: the scenario's, see src/scenario/):
//!   see kit/faults.rs

use std::time::Duration;

use chaos::clients::Kind;
use chaos::kit::verify;
use chaos::kit::workload::{Progress, RUN_LIMIT};
use chaos::scenario::cluster::ClusterScenario;
use chaos::scenario::sentinel::SentinelScenario;
use chaos::scenario::single::Single;
use chaos::scenario::{self, Settings};

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

fn settings() -> Settings {
    let clients = std::env::var("CHAOS_CLIENTS")
        .unwrap_or_else(|_| "hardy,redis-rs,fred".into())
        .split(',')
        .map(|name| Kind::parse(name.trim()).unwrap_or_else(|| panic!("unknown client {name}")))
        .collect();
    let schedule = std::env::var("CHAOS_FAULTS")
        .ok()
        .map(|s| s.parse().unwrap_or_else(|e| panic!("CHAOS_FAULTS: {e}")));
    Settings {
        clients,
        callers: env_or("CHAOS_CALLERS", 128),
        ops: env_or("CHAOS_OPS", 20_000),
        progress: env_or("CHAOS_PROGRESS", Progress::Successes),
        limit: Duration::from_secs(env_or("CHAOS_LIMIT_SECS", RUN_LIMIT.as_secs())),
        schedule,
    }
}

fn main() {
    let settings = settings();
    let name = std::env::var("CHAOS_SCENARIO").unwrap_or_else(|_| "single".into());
    println!("scenario {name}");
    let rows = match name.as_str() {
        "single" => scenario::run(&Single::start(false), &settings),
        "tls" => scenario::run(&Single::start(true), &settings),
        "sentinel" => scenario::run(&SentinelScenario::start(), &settings),
        "cluster" => scenario::run(&ClusterScenario::start(), &settings),
        other => panic!("CHAOS_SCENARIO: unknown {other:?}: single, tls, sentinel or cluster"),
    };
    println!();
    verify::print_table(&rows);
    let broken: Vec<_> = rows
        .iter()
        .filter(|r| !r.holds())
        .map(|r| r.client.as_str())
        .collect();
    if !broken.is_empty() {
        println!("\ninvariants broken by: {}", broken.join(", "));
    }
}
