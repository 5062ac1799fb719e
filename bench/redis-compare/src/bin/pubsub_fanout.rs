//! Pub/Sub fan-out, hardy-redis beside redis-rs (its async `PubSub`) and fred (its
//! `SubscriberClient`): 1 publisher, 100 channels, 1,000 subscribers (subscriber `i`
//! listens to channel `i % 100`, so every message is delivered to 10 subscribers).
//! Measured: messages delivered to subscribers per second, and the latency from just
//! before the `PUBLISH` call (a timestamp in the payload) to the moment the subscriber's
//! task has the message.
//!
//! Two ways of mapping subscribers to connections, each run for every library:
//! - `shared`: ONE subscribed connection per library, the 1,000 subscribers on it, in
//!   each library's own way: hardy's `PubSub` gives each subscriber its own
//!   `Subscription` stream; fred's `SubscriberClient` gives each its own broadcast
//!   receiver (`message_rx`), which sees every message and keeps its channel's; redis-rs's
//!   `PubSub` has one stream for the connection, so a dispatcher task (written here: a map
//!   from channel name to the 10 subscribers' bounded queues) hands each message on.
//! - `per-sub`: one subscribed connection per subscriber (1,000 per library), each
//!   subscribed to its one channel; Redis sends every message 10 times.
//!
//! Every subscriber is a task of its own, on the one current-thread runtime (an actix
//! `System`) shared by everything, like the SET/GET benchmark. The publisher is the
//! library's own ordinary connection (hardy `Redis`, redis-rs `MultiplexedConnection`,
//! fred `Client`) with 16 publishing tasks, round-robin over the channels, holding at most
//! `FANOUT_WINDOW` messages (default 200) not yet delivered to all their subscribers, so
//! that no buffer overflows and the latency measures the libraries, not a queue growing
//! without bound. Each library has its own channel names. The libraries take turns round
//! by round; delivered/s is the median round, the latency percentiles over all rounds.
//!
//! `cargo run --release --manifest-path bench/redis-compare/Cargo.toml --bin pubsub_fanout`
//!
//! Environment: `FANOUT_MODES` (`shared,per-sub`), `FANOUT_CLIENTS`
//! (`hardy,redis-rs,fred`), `FANOUT_ROUNDS` (3), `FANOUT_SECS` per round (2),
//! `FANOUT_WINDOW` (200), `FANOUT_PUBLISHERS` (16), `FANOUT_PUBLISHER` (`own`: each
//! library publishes with its own client; `hardy`, `redis-rs` or `fred`: every library's
//! channels are published to by that one library's client, so that only the subscribing
//! side differs).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use hdrhistogram::Histogram;

// Only its redis-server CPU reading is used here.
#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

use harness::server_cpu;

const CHANNELS: usize = 100;
const SUBSCRIBERS: usize = 1_000;
const PER_CHANNEL: u64 = (SUBSCRIBERS / CHANNELS) as u64;
const PAYLOAD_LEN: usize = 64;
/// Each subscriber's buffer, in messages (hardy's default; the same bound for the
/// redis-rs dispatcher's queues and fred's broadcast channel).
const BUFFER: usize = 1024;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Nanoseconds since the process's first call: the clock in the payload.
fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

fn payload() -> Bytes {
    let mut p = Vec::with_capacity(PAYLOAD_LEN);
    p.extend_from_slice(&now_ns().to_le_bytes());
    p.resize(PAYLOAD_LEN, b'x');
    Bytes::from(p)
}

/// What the subscribers of one library report, and the publisher's window.
struct Meter {
    published: Cell<u64>,
    delivered: Cell<u64>,
    /// Messages a subscriber's buffer dropped, or a fred receiver skipped (lagged).
    lost: Cell<u64>,
    recording: Cell<bool>,
    hist: RefCell<Histogram<u64>>,
    window: u64,
    waiting: Cell<bool>,
    progress: tokio::sync::Notify,
}

impl Meter {
    fn new(window: u64) -> Rc<Meter> {
        Rc::new(Meter {
            published: Cell::new(0),
            delivered: Cell::new(0),
            lost: Cell::new(0),
            recording: Cell::new(false),
            hist: RefCell::new(Histogram::new_with_bounds(1, 60_000_000_000, 3).unwrap()),
            window,
            waiting: Cell::new(false),
            progress: tokio::sync::Notify::new(),
        })
    }

    /// Deliveries owed: published × 10 − delivered − lost.
    fn outstanding(&self) -> u64 {
        (self.published.get() * PER_CHANNEL).saturating_sub(self.delivered.get() + self.lost.get())
    }

    fn deliver(&self, payload: &[u8]) {
        self.delivered.set(self.delivered.get() + 1);
        if self.recording.get() {
            if let Some(stamp) = payload.get(..8) {
                let sent = u64::from_le_bytes(stamp.try_into().unwrap());
                let _ = self
                    .hist
                    .borrow_mut()
                    .record(now_ns().saturating_sub(sent).max(1));
            }
        }
        self.wake();
    }

    fn lose(&self, n: u64) {
        self.lost.set(self.lost.get() + n);
        self.wake();
    }

    fn wake(&self) {
        if self.waiting.get() && self.outstanding() <= self.window * PER_CHANNEL / 2 {
            self.waiting.set(false);
            self.progress.notify_waiters();
        }
    }

    /// Waits until fewer than `window` messages' deliveries are owed; false after 2 s
    /// without progress (messages lost).
    async fn admit(&self) -> bool {
        while self.outstanding() >= self.window * PER_CHANNEL {
            let notified = self.progress.notified();
            self.waiting.set(true);
            if tokio::time::timeout(Duration::from_secs(2), notified)
                .await
                .is_err()
            {
                return false;
            }
        }
        true
    }
}

/// A library's publisher.
#[derive(Clone)]
enum Publisher {
    Hardy(hardy_redis::Redis),
    RedisRs(redis::aio::MultiplexedConnection),
    Fred(fred::prelude::Client),
}

impl Publisher {
    async fn publish(&self, channel: &str, payload: Bytes) {
        match self {
            Publisher::Hardy(r) => {
                r.publish(channel, &payload).await.expect("hardy PUBLISH");
            }
            Publisher::RedisRs(c) => {
                let mut c = c.clone();
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(&payload[..])
                    .query_async::<i64>(&mut c)
                    .await
                    .expect("redis-rs PUBLISH");
            }
            Publisher::Fred(c) => {
                use fred::prelude::PubsubInterface;
                c.publish::<i64, _, _>(channel, payload)
                    .await
                    .expect("fred PUBLISH");
            }
        }
    }
}

/// One library set up for one mode: its publisher, channels and subscribers' meter.
struct Setup {
    name: String,
    connections: usize,
    publisher: Publisher,
    channels: Rc<Vec<String>>,
    meter: Rc<Meter>,
    /// Keeps the subscribed connections (and their tasks) alive for the run.
    _keep: Vec<Box<dyn std::any::Any>>,
}

fn channel_names(prefix: &str) -> Rc<Vec<String>> {
    Rc::new(
        (0..CHANNELS)
            .map(|i| format!("{prefix}:chan:{i:03}"))
            .collect(),
    )
}

async fn publisher(name: &str, port: u16) -> Publisher {
    match name {
        "hardy" => Publisher::Hardy(
            hardy_redis::Redis::connect(hardy_redis::Config::new("127.0.0.1", port))
                .await
                .expect("hardy connect"),
        ),
        "redis-rs" => Publisher::RedisRs(
            redis::Client::open(format!("redis://127.0.0.1:{port}"))
                .expect("client")
                .get_multiplexed_async_connection()
                .await
                .expect("redis-rs connect"),
        ),
        "fred" => {
            use fred::prelude::{Builder, ClientLike, Config};
            let config =
                Config::from_url(&format!("redis://127.0.0.1:{port}")).expect("fred config");
            let client = Builder::from_config(config).build().expect("fred client");
            client.init().await.expect("fred connect");
            Publisher::Fred(client)
        }
        other => panic!("unknown publisher {other}"),
    }
}

async fn setup_hardy(port: u16, mode: &str, window: u64) -> Setup {
    use hardy_redis::pubsub::{Event, PubSub, Subscribe};
    let config = || hardy_redis::Config::new("127.0.0.1", port);
    let channels = channel_names(&format!("hardy:{mode}"));
    let meter = Meter::new(window);
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let shared = PubSub::start(config());
    for i in 0..SUBSCRIBERS {
        let pubsub = if mode == "shared" {
            shared.clone()
        } else {
            PubSub::start(config())
        };
        let mut sub = pubsub
            .subscribe_with(
                Subscribe::new()
                    .channel(&channels[i % CHANNELS])
                    .buffer(BUFFER),
            )
            .await
            .expect("hardy SUBSCRIBE");
        let meter = meter.clone();
        actix_rt::spawn(async move {
            let mut seen = 0;
            while let Some(event) = sub.next().await {
                if let Event::Message(m) = event {
                    meter.deliver(&m.payload);
                }
                let dropped = sub.dropped();
                if dropped > seen {
                    meter.lose(dropped - seen);
                    seen = dropped;
                }
            }
        });
        keep.push(Box::new(pubsub));
    }
    let connections = if mode == "shared" { 1 } else { SUBSCRIBERS };
    keep.push(Box::new(shared));
    Setup {
        name: "hardy".into(),
        connections,
        publisher: publisher("hardy", port).await,
        channels,
        meter,
        _keep: keep,
    }
}

async fn setup_redis_rs(port: u16, mode: &str, window: u64) -> Setup {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("client");
    let channels = channel_names(&format!("redis-rs:{mode}"));
    let meter = Meter::new(window);
    if mode == "shared" {
        let mut pubsub = client.get_async_pubsub().await.expect("redis-rs pubsub");
        pubsub
            .subscribe(&channels[..])
            .await
            .expect("redis-rs SUBSCRIBE");
        let mut routes: HashMap<String, Vec<tokio::sync::mpsc::Sender<Rc<redis::Msg>>>> =
            HashMap::new();
        for i in 0..SUBSCRIBERS {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Rc<redis::Msg>>(BUFFER);
            routes
                .entry(channels[i % CHANNELS].clone())
                .or_default()
                .push(tx);
            let meter = meter.clone();
            actix_rt::spawn(async move {
                while let Some(msg) = rx.recv().await {
                    meter.deliver(msg.get_payload_bytes());
                }
            });
        }
        let mut stream = pubsub.into_on_message();
        let dispatch_meter = meter.clone();
        actix_rt::spawn(async move {
            while let Some(msg) = stream.next().await {
                let msg = Rc::new(msg);
                if let Some(subs) = routes.get(msg.get_channel_name()) {
                    for tx in subs {
                        if tx.try_send(msg.clone()).is_err() {
                            dispatch_meter.lose(1);
                        }
                    }
                }
            }
        });
    } else {
        for i in 0..SUBSCRIBERS {
            let mut pubsub = client.get_async_pubsub().await.expect("redis-rs pubsub");
            pubsub
                .subscribe(&channels[i % CHANNELS])
                .await
                .expect("redis-rs SUBSCRIBE");
            let mut stream = pubsub.into_on_message();
            let meter = meter.clone();
            actix_rt::spawn(async move {
                while let Some(msg) = stream.next().await {
                    meter.deliver(msg.get_payload_bytes());
                }
            });
        }
    }
    Setup {
        name: "redis-rs".into(),
        connections: if mode == "shared" { 1 } else { SUBSCRIBERS },
        publisher: publisher("redis-rs", port).await,
        channels,
        meter,
        _keep: Vec::new(),
    }
}

async fn setup_fred(port: u16, mode: &str, window: u64) -> Setup {
    use fred::prelude::{
        Builder, ClientLike, Config, EventInterface, PerformanceConfig, PubsubInterface,
    };
    let config = Config::from_url(&format!("redis://127.0.0.1:{port}")).expect("fred config");
    let perf = PerformanceConfig {
        broadcast_channel_capacity: BUFFER,
        ..PerformanceConfig::default()
    };
    let channels = channel_names(&format!("fred:{mode}"));
    let meter = Meter::new(window);
    let subscriber = || async {
        let client = Builder::from_config(config.clone())
            .set_performance_config(perf.clone())
            .build_subscriber_client()
            .expect("fred subscriber client");
        client.init().await.expect("fred subscriber connect");
        client
    };
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let shared = if mode == "shared" {
        let client = subscriber().await;
        client
            .subscribe(channels.to_vec())
            .await
            .expect("fred SUBSCRIBE");
        Some(client)
    } else {
        None
    };
    for i in 0..SUBSCRIBERS {
        let mine = channels[i % CHANNELS].clone();
        let client = match &shared {
            Some(client) => client.clone(),
            None => {
                let client = subscriber().await;
                client.subscribe(&mine).await.expect("fred SUBSCRIBE");
                client
            }
        };
        let mut rx = client.message_rx();
        let meter = meter.clone();
        actix_rt::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(m) => {
                        if &*m.channel == mine.as_str() {
                            meter.deliver(m.value.as_bytes().unwrap_or_default());
                        }
                    }
                    // Skipped messages of every channel: counted whole, as a loss.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => meter.lose(n),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        if shared.is_none() {
            keep.push(Box::new(client));
        }
    }
    if let Some(client) = shared {
        keep.push(Box::new(client));
    }
    Setup {
        name: "fred".into(),
        connections: if mode == "shared" { 1 } else { SUBSCRIBERS },
        publisher: publisher("fred", port).await,
        channels,
        meter,
        _keep: keep,
    }
}

/// Process CPU time (all threads) so far.
fn process_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct Round {
    rate: f64,
    client_cpu: Duration,
    server_cpu: Duration,
    delivered: u64,
    stalled: bool,
}

/// One round: publish for `secs`, then wait (up to 5 s) until everything published was
/// delivered. Returns delivered/s over the publishing time.
async fn round(
    setup: &Setup,
    server: &hardy_testkit::RedisServer,
    time: Duration,
    publishers: usize,
    record: bool,
) -> Round {
    let meter = &setup.meter;
    meter.recording.set(record);
    let stop = Rc::new(Cell::new(false));
    let stalled = Rc::new(Cell::new(false));
    let next = Rc::new(Cell::new(0usize));
    let (cpu0, scpu0) = (process_cpu(), server_cpu(server));
    let d0 = meter.delivered.get();
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..publishers)
        .map(|_| {
            let (meter, stop, stalled, next) =
                (meter.clone(), stop.clone(), stalled.clone(), next.clone());
            let (publisher, channels) = (setup.publisher.clone(), setup.channels.clone());
            actix_rt::spawn(async move {
                while !stop.get() {
                    if !meter.admit().await {
                        stalled.set(true);
                        break;
                    }
                    let i = next.get();
                    next.set(i + 1);
                    meter.published.set(meter.published.get() + 1);
                    publisher.publish(&channels[i % CHANNELS], payload()).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(time).await;
    stop.set(true);
    let elapsed = t0.elapsed();
    let delivered = meter.delivered.get() - d0;
    for task in tasks {
        let _ = task.await;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while meter.outstanding() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (cpu, scpu) = (process_cpu() - cpu0, server_cpu(server) - scpu0);
    meter.recording.set(false);
    Round {
        rate: delivered as f64 / elapsed.as_secs_f64(),
        client_cpu: cpu,
        server_cpu: scpu,
        delivered: meter.delivered.get() - d0,
        stalled: stalled.get() || meter.outstanding() > 0,
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2}M", r / 1e6)
    } else {
        format!("{:.0}k", r / 1e3)
    }
}

fn main() {
    let modes = env_list("FANOUT_MODES", "shared,per-sub");
    let clients = env_list("FANOUT_CLIENTS", "hardy,redis-rs,fred");
    let rounds = env_or("FANOUT_ROUNDS", 3usize);
    let secs = env_or("FANOUT_SECS", 2.0f64);
    let window = env_or("FANOUT_WINDOW", 200u64);
    let publishers = env_or("FANOUT_PUBLISHERS", 16usize);
    let common = std::env::var("FANOUT_PUBLISHER").unwrap_or_else(|_| "own".into());
    let time = Duration::from_secs_f64(secs);
    now_ns();

    let server = hardy_testkit::RedisServer::start().expect("start redis-server");
    let port = server.port();
    eprintln!("redis-server on {}", server.addr());

    let sys = actix_rt::System::new();
    let mut tables = Vec::new();
    sys.block_on(async {
        for mode in &modes {
            let mut setups = Vec::new();
            for name in &clients {
                let t = Instant::now();
                let setup = match name.as_str() {
                    "hardy" => setup_hardy(port, mode, window).await,
                    "redis-rs" => setup_redis_rs(port, mode, window).await,
                    "fred" => setup_fred(port, mode, window).await,
                    other => panic!("unknown client {other}"),
                };
                let mut setup = setup;
                if common != "own" {
                    setup.publisher = publisher(&common, port).await;
                }
                eprintln!(
                    "{mode}: {name} subscribed ({} connections) in {:.1} s",
                    setup.connections,
                    t.elapsed().as_secs_f64()
                );
                setups.push(setup);
            }
            // Warm-up: a short unrecorded round each.
            for setup in &setups {
                round(
                    setup,
                    &server,
                    Duration::from_millis(300),
                    publishers,
                    false,
                )
                .await;
            }
            let mut results: Vec<Vec<Round>> = setups.iter().map(|_| Vec::new()).collect();
            for r in 0..rounds {
                for (i, setup) in setups.iter().enumerate() {
                    let res = round(setup, &server, time, publishers, true).await;
                    eprintln!(
                        "{mode} round {r}: {:<8} {} delivered/s{}",
                        setup.name,
                        fmt_rate(res.rate),
                        if res.stalled {
                            " (stalled: lost messages)"
                        } else {
                            ""
                        }
                    );
                    results[i].push(res);
                }
            }
            let mut rows = Vec::new();
            for (setup, res) in setups.iter().zip(&results) {
                let mut rates: Vec<f64> = res.iter().map(|r| r.rate).collect();
                rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let median = rates[rates.len() / 2];
                let delivered: u64 = res.iter().map(|r| r.delivered).sum();
                let per = |d: Duration| d.as_secs_f64() * 1e6 / delivered.max(1) as f64;
                let cpu: Duration = res.iter().map(|r| r.client_cpu).sum();
                let scpu: Duration = res.iter().map(|r| r.server_cpu).sum();
                let hist = setup.meter.hist.borrow();
                rows.push((
                    setup.name.clone(),
                    setup.connections,
                    median,
                    rates
                        .iter()
                        .map(|r| fmt_rate(*r))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    hist.value_at_quantile(0.5) as f64 / 1e3,
                    hist.value_at_quantile(0.99) as f64 / 1e3,
                    setup.meter.lost.get(),
                    res.iter().any(|r| r.stalled),
                    per(cpu),
                    per(scpu),
                ));
            }
            tables.push((mode.clone(), rows));
            drop(setups);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });

    println!();
    println!(
        "Pub/Sub fan-out: 1 publisher ({publishers} tasks, window {window} messages, \
         client: {}), \
         {CHANNELS} channels, {SUBSCRIBERS} subscribers ({PER_CHANNEL} per channel), \
         {PAYLOAD_LEN}-byte payloads; {rounds} rounds of {secs} s, the libraries taking turns. \
         delivered/s: median round (all rounds in brackets); latency publish → subscriber \
         task, µs, all rounds; CPU µs per delivery.",
        if common == "own" {
            "each library's own"
        } else {
            common.as_str()
        }
    );
    for (mode, rows) in tables {
        println!();
        println!("mode {mode}:");
        println!(
            "| library | subscribed connections | delivered/s | rounds | p50 µs | p99 µs | lost | client CPU µs | server CPU µs |"
        );
        println!("|---|---:|---:|---|---:|---:|---:|---:|---:|");
        for r in &rows {
            println!(
                "| {} | {} | {} | {} | {:.0} | {:.0} | {}{} | {:.2} | {:.2} |",
                r.0,
                r.1,
                fmt_rate(r.2),
                r.3,
                r.4,
                r.5,
                r.6,
                if r.7 { " (stalled)" } else { "" },
                r.8,
                r.9
            );
        }
        let hardy = rows.iter().find(|r| r.0 == "hardy").map(|r| r.2);
        let best = rows
            .iter()
            .filter(|r| r.0 != "hardy")
            .map(|r| r.2)
            .fold(0.0f64, f64::max);
        if let (Some(h), true) = (hardy, best > 0.0) {
            println!("hardy ÷ best peer (delivered/s): {:.2}×", h / best);
        }
    }
}
