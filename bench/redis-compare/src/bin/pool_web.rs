//! An actix-web service with 2 workers serving `GET /get` (Redis GET of a 64-byte value)
//! and `GET /incr` (Redis INCR) through four clients: hardy-redis's single shared
//! connection (on the main arbiter), hardy-redis's `Pool` (one member on each worker's
//! arbiter, the recipe of docs/redis.md), redis-rs's multiplexed connection and a
//! deadpool-redis pool (16 connections), each loaded by `wrk` at 16 and 128 connections.
//! Prints requests per second and p99 per cell.
//!
//! `cargo run --release --manifest-path bench/redis-compare/Cargo.toml --bin pool_web`
//!
//! Environment: `BENCH_SECS` seconds per cell (default 5), `BENCH_CLIENTS` a subset of
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

async fn run_one(name: &str, url: &str, secs: u64) -> Vec<(String, usize, f64, f64, u64)> {
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
    let mut rows = Vec::new();
    // Warm-up.
    let warm = base.clone();
    tokio::task::spawn_blocking(move || wrk(&format!("{warm}/get"), 16, 1))
        .await
        .unwrap();
    for connections in [16, 128] {
        for path in ["get", "incr"] {
            let target = format!("{base}/{path}");
            let (rps, p99, errors) =
                tokio::task::spawn_blocking(move || wrk(&target, connections, secs))
                    .await
                    .unwrap();
            rows.push((format!("{name} {path}"), connections, rps, p99, errors));
        }
    }
    handle.stop(true).await;
    let _ = running.await;
    if let Some(pool) = cell.get() {
        pool.stop().await;
    }
    rows
}

#[actix_web::main]
async fn main() {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
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
    println!("actix-web, {WORKERS} workers; wrk -t2, {secs} s per cell; p99 in ms");
    println!("| client | route | wrk connections | requests/s | p99 ms | non-2xx |");
    println!("|---|---|---|---|---|---|");
    for name in &clients {
        for (label, connections, rps, p99, errors) in run_one(name, &url, secs).await {
            let (client, route) = label.split_once(' ').unwrap();
            println!("| {client} | {route} | {connections} | {rps:.0} | {p99:.2} | {errors} |");
        }
    }
}
