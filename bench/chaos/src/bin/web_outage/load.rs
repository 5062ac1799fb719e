//! The load generator: N keep-alive HTTP/1.1 connections, each sending `POST /incr` as
//! soon as the previous answer arrived, on a runtime and thread of its own, recording
//! every response's time and status. A minimal hand-written client: the service answers
//! with `Content-Length`, never chunked.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const REQUEST: &[u8] = b"POST /incr HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";

/// What a response said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 200 with the counter's value.
    Value(i64),
    /// 503: the INCR may have run.
    MaybeRan,
    /// 503: the INCR was never sent.
    NotSent,
    /// Anything else (another status, a broken connection).
    Other,
}

/// One request: which connection, when it was sent and answered (since the run's start).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub conn: usize,
    pub sent: Duration,
    pub done: Duration,
    pub outcome: Outcome,
}

/// Starts `conns` connections to `addr`, until `stop` is set; the handle yields every
/// sample, in no particular order.
pub fn start(
    addr: SocketAddr,
    conns: usize,
    start: Instant,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<Vec<Sample>> {
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("load runtime");
        runtime.block_on(async move {
            let tasks: Vec<_> = (0..conns)
                .map(|conn| tokio::spawn(connection(conn, addr, start, stop.clone())))
                .collect();
            let mut samples = Vec::new();
            for task in tasks {
                samples.extend(task.await.expect("load connection"));
            }
            samples
        })
    })
}

async fn connection(
    conn: usize,
    addr: SocketAddr,
    start: Instant,
    stop: Arc<AtomicBool>,
) -> Vec<Sample> {
    let mut samples = Vec::with_capacity(16_384);
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let mut stream = BufReader::new(stream);
        while !stop.load(Ordering::Relaxed) {
            let sent = start.elapsed();
            let outcome = exchange(&mut stream).await;
            samples.push(Sample {
                conn,
                sent,
                done: start.elapsed(),
                outcome: outcome.unwrap_or(Outcome::Other),
            });
            if outcome.is_none() {
                break; // reconnect
            }
        }
    }
    samples
}

/// One request and its response on a keep-alive connection; `None` if it broke.
async fn exchange(stream: &mut BufReader<TcpStream>) -> Option<Outcome> {
    stream.write_all(REQUEST).await.ok()?;
    let mut line = String::new();
    stream.read_line(&mut line).await.ok()?;
    let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let mut length = 0;
    loop {
        line.clear();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.ok()?;
    let body = String::from_utf8_lossy(&body);
    Some(match (status, body.as_ref()) {
        (200, value) => value.parse().map_or(Outcome::Other, Outcome::Value),
        (503, "may have run") => Outcome::MaybeRan,
        (503, _) => Outcome::NotSent,
        _ => Outcome::Other,
    })
}
