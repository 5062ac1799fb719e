//! Throughput of the RESP hot paths, with no benchmark framework so it adds no
//! dependency: decoding pipelined small replies and one large bulk string, building and
//! writing commands, and converting replies to Rust types.
//!
//! Run with `cargo bench -p hardy-redis --bench resp`. Figures are for comparing changes
//! side by side on one machine, not absolute claims.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use hardy_redis::resp::{Frame, RespDecoder};
use hardy_redis::{Cmd, FromRedis};
use tokio_util::codec::Decoder;

/// Runs `op` (which performs `per_call` operations) for about half a second and prints
/// the time per operation.
fn bench(name: &str, per_call: u64, mut op: impl FnMut()) {
    op(); // warm up
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < Duration::from_millis(500) {
        op();
        calls += 1;
    }
    let per_op = started.elapsed().as_nanos() as f64 / (calls * per_call) as f64;
    println!("{name:<48} {per_op:>10.1} ns/op");
}

fn main() {
    let replies: Vec<u8> = b"$5\r\nvalue\r\n".repeat(1000);
    bench("decode 1000 pipelined GET replies", 1000, || {
        let mut decoder = RespDecoder::default();
        let mut buf = BytesMut::from(&replies[..]);
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            black_box(frame);
        }
    });

    let mut big = b"$1048576\r\n".to_vec();
    big.resize(big.len() + (1 << 20), b'x');
    big.extend_from_slice(b"\r\n");
    bench("decode 1 MiB bulk string in 64 KiB reads", 1, || {
        let mut decoder = RespDecoder::default();
        let mut buf = BytesMut::new();
        for chunk in big.chunks(64 << 10) {
            buf.extend_from_slice(chunk);
            if let Some(frame) = decoder.decode(&mut buf).unwrap() {
                black_box(frame);
            }
        }
    });

    let mut out = BytesMut::with_capacity(1 << 16);
    bench("build and write SET key 16-byte-value", 1, || {
        let cmd = Cmd::new("SET").arg("key:12345").arg("0123456789abcdef");
        cmd.write_to(&mut out);
        if out.len() > 1 << 15 {
            out.clear();
        }
    });

    bench("build and write ZADD key 1.5 member 42", 1, || {
        let cmd = Cmd::new("ZADD")
            .arg("scores")
            .arg(1.5)
            .arg("member")
            .arg(42);
        cmd.write_to(&mut out);
        if out.len() > 1 << 15 {
            out.clear();
        }
    });

    let hgetall = Frame::Array(
        (0..20)
            .flat_map(|i| [Frame::bulk(format!("field{i}")), Frame::bulk(i.to_string())])
            .collect(),
    );
    bench(
        "convert 20-field HGETALL to HashMap<String, i64>",
        1,
        || {
            let map = std::collections::HashMap::<String, i64>::from_redis(hgetall.clone());
            black_box(map.unwrap());
        },
    );
}
