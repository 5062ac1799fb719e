//! How soon each client library is served again once a fault is over: the lag from the
//! moment the server can answer again to the library's first successful command, fault by
//! fault. It explains the chaos runner's per-kind wall times (docs/reliability.md).
//!
//! For each client: one `redis-server` with the chaos runner's AOF settings and a dataset
//! of `RECOVERY_KEYS` keys (so a restart spends time `LOADING`), C callers sending the
//! chaos runner's `ECHO`/`SET`/`INCR` in a loop through one connection, and
//! `RECOVERY_ROUNDS` faults, each after 500 ms of steady load (so the server is killed
//! again within a second of its restart, as in the chaos runner where a fault of some
//! kind comes about once a second). `kill`: SIGKILL, down
//! `RECOVERY_HOLD_MS`, restarted on the same port; the server is ready when a probe
//! connecting every millisecond first gets `+PONG` (not `-LOADING`). `stop`: SIGSTOP for
//! `RECOVERY_HOLD_MS`; ready at the SIGCONT. The probe's own reconnects cost the server
//! the same for every client.
//!
//! Environment (all optional):
//! - `RECOVERY_CLIENTS` which of `hardy,redis-rs,fred` (default `hardy,redis-rs`)
//! - `RECOVERY_FAULT`   `kill` or `stop` (default `kill`)
//! - `RECOVERY_ROUNDS`  faults per client (default 10)
//! - `RECOVERY_HOLD_MS` how long the server stays down or frozen (default 200 / 1000)
//! - `RECOVERY_KEYS`    keys in the dataset (default 200000)
//! - `RECOVERY_CALLERS` concurrent callers (default 128)
//! - `RECOVERY_SECOND_AFTER` `1`: also measure how much of the second after the server was
//!   ready went unused at the steady rate (each round then lasts a second longer, so links
//!   outlive hardy's 1 s `reset_backoff_after`)

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chaos::clients::Kind;
use chaos::connect::{connect_to, Endpoint};
use chaos::kit::chaos_config;
use hardy_testkit::RedisServer;

/// Steady load before each fault.
const STEADY: Duration = Duration::from_millis(500);
/// The longest a probe or a client may take to be served again.
const LIMIT: Duration = Duration::from_secs(60);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: cannot parse {v:?}"))
        })
        .unwrap_or(default)
}

/// What each client goes through.
#[derive(Clone, Copy)]
struct Plan {
    fault: Fault,
    hold: Duration,
    rounds: usize,
    callers: usize,
    second_after: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Kill,
    Stop,
}

/// What the callers saw: the first success completed after the mark (the kill, or the
/// SIGCONT), and errors since the fault began.
#[derive(Default)]
struct Seen {
    first_ok: Cell<Option<Instant>>,
    errors: Cell<usize>,
    /// Successes so far.
    ok: Cell<u64>,
}

/// The instant the fault thread marks (see [`Seen`]), in nanoseconds since [`Mark::base`];
/// `u64::MAX` while no fault is under way.
struct Mark {
    base: Instant,
    at: AtomicU64,
}

impl Mark {
    fn set(&self, at: Option<Instant>) {
        let nanos = at.map_or(u64::MAX, |t| t.duration_since(self.base).as_nanos() as u64);
        self.at.store(nanos, Ordering::SeqCst);
    }

    fn passed(&self, now: Instant) -> bool {
        let at = self.at.load(Ordering::SeqCst);
        at != u64::MAX && now.duration_since(self.base).as_nanos() as u64 > at
    }
}

fn main() {
    let clients: Vec<Kind> = std::env::var("RECOVERY_CLIENTS")
        .unwrap_or_else(|_| "hardy,redis-rs".into())
        .split(',')
        .map(|n| Kind::parse(n.trim()).unwrap_or_else(|| panic!("unknown client {n:?}")))
        .collect();
    let fault = match std::env::var("RECOVERY_FAULT").as_deref() {
        Ok("stop") => Fault::Stop,
        Ok("kill") | Err(_) => Fault::Kill,
        Ok(other) => panic!("RECOVERY_FAULT: {other:?}: kill or stop"),
    };
    let rounds: usize = env_or("RECOVERY_ROUNDS", 10);
    let default_hold = if fault == Fault::Kill { 200 } else { 1000 };
    let hold = Duration::from_millis(env_or("RECOVERY_HOLD_MS", default_hold));
    let keys: usize = env_or("RECOVERY_KEYS", 200_000);
    let callers: usize = env_or("RECOVERY_CALLERS", 128);
    let second_after = env_or("RECOVERY_SECOND_AFTER", 0u8) == 1;
    println!(
        "{} x {rounds}, hold {hold:?}, {keys} keys, {callers} callers",
        if fault == Fault::Kill { "kill" } else { "stop" }
    );
    println!("client     lag after ready, ms: median (min-max)   errors/round   load ms (median)");
    let system = actix_rt::System::new();
    for kind in clients {
        let server = chaos_config()
            .line("enable-debug-command yes")
            .start()
            .expect("redis-server");
        let keys_arg = keys.to_string();
        server
            .command(&["DEBUG", "POPULATE", &keys_arg])
            .expect("DEBUG POPULATE");
        server.command(&["BGREWRITEAOF"]).expect("BGREWRITEAOF");
        wait_rewrite(&server);
        let addr = server.addr();
        let server = Arc::new(Mutex::new(server));
        let plan = Plan {
            fault,
            hold,
            rounds,
            callers,
            second_after,
        };
        let (lags, errors, loads) = system.block_on(measure(kind, addr, server, plan));
        println!(
            "{:<10} {:>8.1} ({:.1}-{:.1}) {:>18.0} {:>14.0}",
            kind.name(),
            median(&lags),
            lags.iter().cloned().fold(f64::INFINITY, f64::min),
            lags.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            errors as f64 / rounds as f64,
            median(&loads)
        );
    }
}

async fn measure(
    kind: Kind,
    addr: SocketAddr,
    server: Arc<Mutex<RedisServer>>,
    plan: Plan,
) -> (Vec<f64>, usize, Vec<f64>) {
    let Plan {
        fault,
        hold,
        rounds,
        callers,
        second_after,
    } = plan;
    let client = connect_to(kind, &Endpoint::Plain(addr)).await;
    let seen = Rc::new(Seen::default());
    let mark = Arc::new(Mark {
        base: Instant::now(),
        at: AtomicU64::new(u64::MAX),
    });
    let under_way = Rc::new(Cell::new(false));
    let running = Rc::new(Cell::new(true));
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (client, seen, running) = (client.clone(), seen.clone(), running.clone());
            let (mark, under_way) = (mark.clone(), under_way.clone());
            actix_rt::spawn(async move {
                let mut n = 0u64;
                while running.get() {
                    // The chaos runner's mix: with `appendfsync always`, each write is
                    // fsynced before its reply.
                    n += 1;
                    let key = format!("k{n}");
                    let args: &[&str] = match n % 3 {
                        0 => &["ECHO", "x"],
                        1 => &["SET", &key, "v"],
                        _ => &["INCR", "ctr"],
                    };
                    let outcome = client.call(args).await;
                    let now = Instant::now();
                    if outcome.is_ok() {
                        seen.ok.set(seen.ok.get() + 1);
                    }
                    match outcome {
                        Ok(_) if seen.first_ok.get().is_none() && mark.passed(now) => {
                            seen.first_ok.set(Some(now))
                        }
                        Ok(_) => {}
                        Err(_) if under_way.get() => seen.errors.set(seen.errors.get() + 1),
                        Err(_) => {}
                    }
                }
            })
        })
        .collect();
    let lags = Rc::new(RefCell::new(Vec::new()));
    let mut loads = Vec::new();
    let mut deficits = Vec::new();
    for _ in 0..rounds {
        actix_rt::time::sleep(STEADY / 2).await;
        let (steady_from, ok_from) = (Instant::now(), seen.ok.get());
        actix_rt::time::sleep(STEADY / 2).await;
        let rate = (seen.ok.get() - ok_from) as f64 / steady_from.elapsed().as_secs_f64();
        seen.first_ok.set(None);
        under_way.set(true);
        let (server, fault_mark) = (server.clone(), mark.clone());
        let (spawned, ready) =
            tokio::task::spawn_blocking(move || inject(&server, &fault_mark, addr, fault, hold))
                .await
                .expect("fault thread");
        let deadline = Instant::now() + LIMIT;
        while seen.first_ok.get().is_none() && Instant::now() < deadline {
            actix_rt::time::sleep(Duration::from_millis(1)).await;
        }
        let first = seen.first_ok.get().expect("no success within the limit");
        under_way.set(false);
        mark.set(None);
        let lag = first.saturating_duration_since(ready).as_secs_f64() * 1e3
            - ready.saturating_duration_since(first).as_secs_f64() * 1e3;
        lags.borrow_mut().push(lag);
        if second_after {
            // How much of the second after the server was ready went unused, at the
            // steady rate measured before the fault.
            let (after_from, ok_after) = (Instant::now(), seen.ok.get());
            actix_rt::time::sleep(Duration::from_secs(1)).await;
            let done = (seen.ok.get() - ok_after) as f64;
            let span = after_from.elapsed().as_secs_f64();
            deficits.push((span - done / rate) * 1e3);
        }
        loads.push(ready.duration_since(spawned).as_secs_f64() * 1e3);
    }
    running.set(false);
    for task in tasks {
        let _ = task.await;
    }
    let lags = lags.borrow().clone();
    if second_after {
        println!(
        "{:<10} the second after ready: {:.0} ms unused at the steady rate (median; min {:.0}, max {:.0})",
        kind.name(),
        median(&deficits),
        deficits.iter().cloned().fold(f64::INFINITY, f64::min),
        deficits.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        );
    }
    (lags, seen.errors.get(), loads)
}

/// Injects one fault; returns when the server was started again (or thawed) and when it
/// could first answer.
fn inject(
    server: &Mutex<RedisServer>,
    mark: &Mark,
    addr: SocketAddr,
    fault: Fault,
    hold: Duration,
) -> (Instant, Instant) {
    match fault {
        Fault::Stop => {
            server.lock().unwrap().pause().expect("SIGSTOP");
            thread::sleep(hold);
            let now = Instant::now();
            mark.set(Some(now));
            server.lock().unwrap().resume().expect("SIGCONT");
            (now, now)
        }
        Fault::Kill => {
            server.lock().unwrap().kill().expect("kill");
            mark.set(Some(Instant::now()));
            thread::sleep(hold);
            let spawned = Instant::now();
            let probe = thread::spawn(move || probe(addr));
            server.lock().unwrap().restart().expect("restart");
            (spawned, probe.join().expect("probe"))
        }
    }
}

/// Connects (every millisecond while refused) and sends `PING` until it gets `+PONG`.
fn probe(addr: SocketAddr) -> Instant {
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(addr) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            while Instant::now() < deadline {
                let mut buf = [0u8; 64];
                if stream.write_all(b"PING\r\n").is_err() {
                    break;
                }
                match stream.read(&mut buf) {
                    Ok(n) if buf[..n].starts_with(b"+PONG") => return Instant::now(),
                    Ok(n) if n > 0 => thread::sleep(Duration::from_millis(1)),
                    _ => break,
                }
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("the server did not answer PING within {LIMIT:?}");
}

fn wait_rewrite(server: &RedisServer) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let text = server
            .command(&["INFO", "persistence"])
            .expect("INFO")
            .to_string();
        if text.contains("aof_rewrite_in_progress:0") && text.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(Instant::now() < deadline, "AOF rewrite still running");
        thread::sleep(Duration::from_millis(20));
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
