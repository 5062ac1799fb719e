//! An actix-web key-value service on one shared Redis connection.
//!
//! - `PUT /kv/{key}` stores the request body, `GET /kv/{key}` returns it (404 if missing);
//! - `GET /health` shows the connection's state (200 when connected, 503 otherwise);
//! - driver errors become HTTP statuses with the error's text: `NotConnected` 503,
//!   `Timeout` 504, a Redis error reply (e.g. `WRONGTYPE`) 400.
//!
//! One [`Redis`] handle serves every worker thread: its actor runs on the main System
//! arbiter, and the handle (`Send + Clone`) is shared as `web::Data<Redis>`. Requests from
//! all workers pipeline on its one socket. The routes are in `web_service/app.rs`, which
//! `tests/web_service.rs` tests.
//!
//! ```text
//! cargo run -p hardy --example web_service                  # its own redis-server, port 8080
//! REDIS_URL=redis://127.0.0.1:6379 PORT=9000 cargo run -p hardy --example web_service
//! curl -X PUT --data hello localhost:8080/kv/greeting; curl localhost:8080/kv/greeting
//! curl localhost:8080/health
//! cargo run -p hardy --example web_service -- --self-test  # PUT + GET over a raw socket, exit 0
//! ```

#[path = "web_service/app.rs"]
mod app;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use hardy::redis::{Config, Redis};
use hardy_testkit::RedisServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type AnyError = Box<dyn std::error::Error>;

#[actix_web::main]
async fn main() -> ExitCode {
    let self_test = std::env::args().any(|arg| arg == "--self-test");
    match run(self_test).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("web_service: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(self_test: bool) -> Result<(), AnyError> {
    // Without REDIS_URL, a redis-server of our own, gone when `_own_server` is dropped.
    let (config, _own_server) = match std::env::var("REDIS_URL") {
        Ok(url) => (Config::from_url(&url)?, None),
        Err(_) => {
            let server = RedisServer::start()?;
            println!("started redis-server on 127.0.0.1:{}", server.port());
            (Config::from_url(&server.url())?, Some(server))
        }
    };
    // Async connect: the service starts even while Redis is down (then /health says so and
    // requests get 503); requests sent during the first connect wait for it.
    let redis = Redis::start(config);
    let data = web::Data::new(redis);

    let bind: SocketAddr = if self_test {
        ([127, 0, 0, 1], 0).into()
    } else {
        let port = std::env::var("PORT").map_or(Ok(8080), |p| p.parse())?;
        ([127, 0, 0, 1], port).into()
    };
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(app::routes))
        .workers(2)
        .bind(bind)?;
    let addr = server.addrs()[0];
    let server = server.run();

    if !self_test {
        println!("listening on http://{addr} (GET/PUT /kv/{{key}}, GET /health); Ctrl-C stops");
        return Ok(server.await?);
    }
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);
    let outcome = tokio::time::timeout(Duration::from_secs(10), self_test_round_trip(addr)).await;
    handle.stop(true).await;
    running.await??;
    match outcome {
        Ok(result) => result,
        Err(_) => Err("the self-test did not finish within 10 s".into()),
    }
}

/// `PUT` then `GET` over a raw HTTP/1.1 socket: the service works end to end.
async fn self_test_round_trip(addr: SocketAddr) -> Result<(), AnyError> {
    let (status, _) = http(addr, "PUT", "/kv/self-test", "it works").await?;
    println!("PUT /kv/self-test -> {status}");
    if status != 204 {
        return Err(format!("PUT answered {status}, expected 204").into());
    }
    let (status, body) = http(addr, "GET", "/kv/self-test", "").await?;
    println!("GET /kv/self-test -> {status} {body:?}");
    if (status, body.as_str()) != (200, "it works") {
        return Err(format!("GET answered {status} {body:?}, expected 200 \"it works\"").into());
    }
    let (status, body) = http(addr, "GET", "/health", "").await?;
    println!("GET /health -> {status} {body:?}");
    println!("self-test passed");
    Ok(())
}

/// One request on a fresh connection (`Connection: close`, so the answer ends at EOF).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), AnyError> {
    let mut socket = TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or("the answer has no end of headers")?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("the answer has no status line")?;
    Ok((status, body.to_string()))
}
