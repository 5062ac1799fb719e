//! An actix-web service with 2 workers serving `GET /get` (Redis GET of a 64-byte value)
//! and `GET /incr` (Redis INCR) through four clients: hardy-redis's single shared
//! connection (on the main arbiter), hardy-redis's `Pool` (one member on each worker's
//! arbiter, the recipe of docs/redis.md), redis-rs's multiplexed connection and a
//! deadpool-redis pool (16 connections), each loaded by `wrk` at 16 and 128 connections.
//! Prints requests per second and p99 per cell.
//!
//! `cargo run --release --manifest-path bench/redis-compare/Cargo.toml --bin pool_web`
//!
//! Every service runs at once (idle but for its turn); the clients take turns cell by cell,
//! `BENCH_ROUNDS` rounds (default 3), `BENCH_SECS` seconds per cell and round (default 3);
//! requests/s is the median round. `BENCH_CLIENTS` is a subset of
//! `hardy-single,hardy-pool,redis-rs,deadpool`. Needs `wrk` on the PATH.

use std::process::Command as Process;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use deadpool_redis::redis;

const WORKERS: usize = 2;
const VALUE_LEN: usize = 64;

#[derive(Clone)]
enum Backend {
    Single(hardy_redis::Redis),
    Pool(Arc<OnceLock<hardy_redis::Pool>>),
    RedisRs(redis::aio::MultiplexedConnection),
    Deadpool(deadpool_redis::Pool),
}

impl Backend {
    async fn get(&self) -> Result<Vec<u8>, String> {
        let get = || hardy_redis::cmd("GET").arg("bench:value");
        match self {
            Backend::Single(r) => r.command(get()).await.map_err(|e| e.to_string()),
            Backend::Pool(cell) => match cell.get() {
                Some(pool) => pool.command(get()).await.map_err(|e| e.to_string()),
                None => Err("the pool is starting".into()),
            },
            Backend::RedisRs(c) => {
                let mut c = c.clone();
                redis::cmd("GET")
                    .arg("bench:value")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
            Backend::Deadpool(p) => {
                let mut c = p.get().await.map_err(|e| e.to_string())?;
                redis::cmd("GET")
                    .arg("bench:value")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    async fn incr(&self) -> Result<i64, String> {
        let incr = || hardy_redis::cmd("INCR").arg("bench:counter");
        match self {
            Backend::Single(r) => r.command(incr()).await.map_err(|e| e.to_string()),
            Backend::Pool(cell) => match cell.get() {
                Some(pool) => pool.command(incr()).await.map_err(|e| e.to_string()),
                None => Err("the pool is starting".into()),
            },
            Backend::RedisRs(c) => {
                let mut c = c.clone();
                redis::cmd("INCR")
                    .arg("bench:counter")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
            Backend::Deadpool(p) => {
                let mut c = p.get().await.map_err(|e| e.to_string())?;
                redis::cmd("INCR")
                    .arg("bench:counter")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }
}

async fn get(backend: web::Data<Backend>) -> HttpResponse {
    match backend.get().await {
        Ok(v) => HttpResponse::Ok().body(v),
        Err(e) => HttpResponse::ServiceUnavailable().body(e),
    }
}

async fn incr(backend: web::Data<Backend>) -> HttpResponse {
    match backend.incr().await {
        Ok(n) => HttpResponse::Ok().body(n.to_string()),
        Err(e) => HttpResponse::ServiceUnavailable().body(e),
    }
}

/// Requests per second and p99 (ms) from wrk's output.
fn wrk(url: &str, connections: usize, secs: u64) -> (f64, f64, u64) {
    let out = Process::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{secs}s"),
            "--latency",
        ])
        .arg(url)
        .output()
        .expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| parse_latency(v.trim()))
        .unwrap_or(f64::NAN);
    let errors = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (rps, p99, errors)
}

fn parse_latency(v: &str) -> f64 {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().map(|n| n * scale).unwrap_or(f64::NAN)
}

/// One client's actix-web service, running until `stop`.
struct Service {
    name: String,
    base: String,
    handle: actix_web::dev::ServerHandle,
    running: actix_rt::task::JoinHandle<std::io::Result<()>>,
    pool: Arc<OnceLock<hardy_redis::Pool>>,
}

impl Service {
    async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.running.await;
        if let Some(pool) = self.pool.get() {
            pool.stop().await;
        }
    }
}

async fn start(name: &str, url: &str) -> Service {
    let config: hardy_redis::Config = url.parse().expect("config");
    let cell: Arc<OnceLock<hardy_redis::Pool>> = Arc::default();
    let backend = match name {
        "hardy-single" => {
            Backend::Single(hardy_redis::Redis::connect(config.clone()).await.unwrap())
        }
        "hardy-pool" => Backend::Pool(cell.clone()),
        "redis-rs" => Backend::RedisRs(
            redis::Client::open(url)
                .unwrap()
                .get_multiplexed_async_connection()
                .await
                .unwrap(),
        ),
        "deadpool" => {
            let mut cfg = deadpool_redis::Config::from_url(url);
            cfg.pool = Some(deadpool_redis::PoolConfig::new(16));
            Backend::Deadpool(
                cfg.create_pool(Some(deadpool_redis::Runtime::Tokio1))
                    .unwrap(),
            )
        }
        other => panic!("unknown client {other}"),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let data = web::Data::new(backend);
    let server = HttpServer::new(move || {
        let _ = tx.send(actix_rt::Arbiter::current());
        App::new()
            .app_data(data.clone())
            .route("/get", web::get().to(get))
            .route("/incr", web::get().to(incr))
    })
    .workers(WORKERS)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    let running = actix_rt::spawn(server);
    let mut workers = Vec::new();
    while workers.len() < WORKERS {
        workers.extend(rx.recv().await);
    }
    if name == "hardy-pool" {
        let pool = hardy_redis::Pool::builder(config)
            .spread_over(workers)
            .start()
            .await
            .unwrap();
        for i in 0..pool.len() {
            let mut state = pool.member(i).redis().state().subscribe();
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                state.wait_for(hardy_redis::ConnState::is_connected),
            )
            .await;
        }
        let _ = cell.set(pool);
    }
    let base = format!("http://127.0.0.1:{port}");
    // Warm-up.
    let warm = base.clone();
    tokio::task::spawn_blocking(move || wrk(&format!("{warm}/get"), 16, 1))
        .await
        .unwrap();
    Service {
        name: name.to_string(),
        base,
        handle,
        running,
        pool: cell,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[actix_web::main]
async fn main() {
    let env = |name: &str, default: u64| -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let secs = env("BENCH_SECS", 3);
    let rounds = env("BENCH_ROUNDS", 3) as usize;
    let clients: Vec<String> = std::env::var("BENCH_CLIENTS")
        .unwrap_or_else(|_| "hardy-single,hardy-pool,redis-rs,deadpool".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    let server = hardy_testkit::RedisServer::start().expect("start redis-server");
    let url = server.url();
    let setup = hardy_redis::Redis::connect(url.parse().unwrap())
        .await
        .unwrap();
    setup
        .command::<()>(
            hardy_redis::cmd("SET")
                .arg("bench:value")
                .arg(vec![b'x'; VALUE_LEN]),
        )
        .await
        .unwrap();
    // Every service runs for the whole benchmark (idle but for its turn), so that the
    // clients can take turns cell by cell within each round.
    let mut services = Vec::new();
    for name in &clients {
        services.push(start(name, &url).await);
    }
    let cells: Vec<(usize, &str)> = [16, 128]
        .into_iter()
        .flat_map(|c| ["get", "incr"].into_iter().map(move |p| (c, p)))
        .collect();
    // results[cell][service] = [(rps, p99, non-2xx)] per round
    let mut results = vec![vec![Vec::new(); services.len()]; cells.len()];
    for round in 0..rounds {
        for (ci, (connections, path)) in cells.iter().enumerate() {
            for (si, service) in services.iter().enumerate() {
                let target = format!("{}/{path}", service.base);
                let connections = *connections;
                let (rps, p99, errors) =
                    tokio::task::spawn_blocking(move || wrk(&target, connections, secs))
                        .await
                        .unwrap();
                eprintln!(
                    "round {round}: {} {path} c={connections}: {rps:.0} req/s, p99 {p99:.2} ms",
                    service.name
                );
                results[ci][si].push((rps, p99, errors));
            }
        }
    }
    println!(
        "actix-web, {WORKERS} workers; wrk -t2, {rounds} rounds of {secs} s per cell, the \
         clients taking turns cell by cell; requests/s: median round (all rounds in \
         brackets); p99: median round's p99 of the rounds, in ms"
    );
    println!(
        "| route | wrk connections | client | requests/s | rounds | p99 ms | non-2xx | ÷ best peer |"
    );
    println!("|---|---:|---|---:|---|---:|---:|---:|");
    for (ci, (connections, path)) in cells.iter().enumerate() {
        let medians: Vec<f64> = results[ci]
            .iter()
            .map(|r| median(r.iter().map(|x| x.0).collect()))
            .collect();
        for (si, service) in services.iter().enumerate() {
            let rows = &results[ci][si];
            let rps = medians[si];
            let p99 = median(rows.iter().map(|x| x.1).collect());
            let errors: u64 = rows.iter().map(|x| x.2).sum();
            let all = rows
                .iter()
                .map(|x| format!("{:.0}", x.0))
                .collect::<Vec<_>>()
                .join(" / ");
            // hardy's rows against the best of the non-hardy clients.
            let best_peer = services
                .iter()
                .zip(&medians)
                .filter(|(s, _)| !s.name.starts_with("hardy"))
                .map(|(_, m)| *m)
                .fold(0.0f64, f64::max);
            let ratio = if service.name.starts_with("hardy") && best_peer > 0.0 {
                format!("{:.2}×", rps / best_peer)
            } else {
                String::new()
            };
            println!(
                "| {path} | {connections} | {} | {rps:.0} | {all} | {p99:.2} | {errors} | {ratio} |",
                service.name
            );
        }
    }
    for service in services {
        service.stop().await;
    }
}
