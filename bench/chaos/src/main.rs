//! Chaos runner: client libraries side by side under injected faults, each request's
//! outcome recorded, and the invariants checked against the server afterwards.
//!
//! One `redis-server` with `appendonly yes` and `appendfsync always` (so an acknowledged
//! write survives a SIGKILL), a `FaultProxy` in front of it, and for each client library
//! ONE connection through the proxy, with the library's defaults (fred with the reconnect
//! policy of its README), and C concurrent callers on one actix `System` (as
//! bench/redis-compare). Each caller runs a fixed number of commands, cycling through
//! `ECHO <its own tag>`, `SET <a key never used again> <value>` and `INCR <its own
//! counter>`, while a fault schedule, paced by the callers' progress, cuts, black-holes
//! and delays the proxy, SIGKILLs and restarts, SIGSTOPs and SIGCONTs the server, and has
//! it `CLIENT KILL` its clients. Then the invariants are checked, reading the server
//! directly: 0 misaligned replies, 0 requests without an outcome within 30 s, 0 lost
//! acknowledged writes, 0 extra `INCR`s. The clients run one after the other against the
//! same server, emptied (`FLUSHALL`, AOF rewritten) between them.
//!
//! The workload, the faults and the checks are in `kit` (crates/hardy-redis/tests/
//! chaos_kit, shared with the short chaos test of the test suite); the clients in
//! `clients.rs`.
//!
//! Environment (all optional):
//! - `CHAOS_CLIENTS`  which of `hardy,redis-rs,fred` to run, in order (default all three)
//! - `CHAOS_CALLERS`  concurrent callers per client (default 128)
//! - `CHAOS_OPS`      commands per caller (default 20000)
//! - `CHAOS_FAULTS`   the fault schedule (default [`DEFAULT_FAULTS`]): see kit/faults.rs

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chaos::clients::{self, Kind};
use chaos::kit::faults::{Schedule, Targets};
use chaos::kit::{chaos_server, verify, workload};
use hardy_testkit::{FaultProxy, RedisServer};

/// 60 faults, ten of each kind, interleaved.
const DEFAULT_FAULTS: &str =
    "cut:10,blackhole:10:1000,delay:10:1000,kill:10:200,stop:10:1000,clientkill:10";

/// Longest wait for the AOF rewrite between clients.
const REWRITE_LIMIT: Duration = Duration::from_secs(120);

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
            .unwrap_or_else(|_| "hardy,redis-rs,fred".into())
            .split(',')
            .map(|name| Kind::parse(name.trim()).unwrap_or_else(|| panic!("unknown client {name}")))
            .collect();
        let schedule = std::env::var("CHAOS_FAULTS")
            .unwrap_or_else(|_| DEFAULT_FAULTS.into())
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

/// Empties the server and rewrites its AOF, so each client starts from the same state
/// (and a restart does not replay the previous client's writes).
fn reset(server: &Mutex<RedisServer>) {
    let server = server.lock().expect("server lock");
    server.command(&["FLUSHALL"]).expect("FLUSHALL");
    // Fails when a rewrite is already under way: waiting for it is as good.
    if let Err(e) = server.command(&["BGREWRITEAOF"]) {
        println!("BGREWRITEAOF: {e}");
    }
    let deadline = Instant::now() + REWRITE_LIMIT;
    loop {
        let info = server.command(&["INFO", "persistence"]).expect("INFO");
        let text = info.to_string();
        if text.contains("aof_rewrite_in_progress:0") && text.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "AOF rewrite still running after {REWRITE_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn main() {
    let settings = Settings::from_env();
    let server = chaos_server();
    let addr = server.addr();
    let proxy = Arc::new(FaultProxy::start(addr).expect("fault proxy"));
    let targets = Targets {
        proxy: proxy.clone(),
        server: Arc::new(Mutex::new(server)),
    };
    println!(
        "{} callers x {} commands per client; {} faults: {}",
        settings.callers,
        settings.ops,
        settings.schedule.len(),
        settings.schedule
    );
    let system = actix_rt::System::new();
    let rows: Vec<verify::Row> = system.block_on(async {
        let mut rows = Vec::new();
        for (n, kind) in settings.clients.iter().enumerate() {
            reset(&targets.server);
            let prefix = format!("{}{n}", kind.name());
            let client = clients::connect(*kind, proxy.addr()).await;
            let run = workload::run(
                &client,
                &prefix,
                settings.callers,
                settings.ops,
                &settings.schedule,
                &targets,
            )
            .await;
            let row = verify::check(kind.name(), run, addr).await;
            println!("{}", row.line());
            rows.push(row);
            drop(client);
            // Let the previous client's connections close before the next one starts.
            actix_rt::time::sleep(Duration::from_millis(500)).await;
        }
        rows
    });
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
