//! The pubsub_sse example's routes (`examples/pubsub_sse/app.rs`, included as is) served by
//! a real actix-web server on a loopback port, read as an SSE stream over a raw HTTP/1.1
//! socket, against a real redis-server.

#[path = "../examples/pubsub_sse/app.rs"]
mod app;

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use hardy::redis::pubsub::PubSub;
use hardy::redis::{Config, Redis};
use hardy_testkit::{ClientType, RedisServer, Reply};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const PATIENCE: Duration = Duration::from_secs(10);

struct Service {
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    redis: Redis,
}

fn start(server: &RedisServer) -> Service {
    let config = Config::from_url(&server.url()).unwrap().backoff(
        Duration::from_millis(20),
        1.5,
        Duration::from_millis(200),
    );
    let pubsub = web::Data::new(PubSub::start(config.clone()));
    let redis = Redis::start(config);
    let data = web::Data::new(redis.clone());
    let http = HttpServer::new(move || {
        App::new()
            .app_data(pubsub.clone())
            .app_data(data.clone())
            .configure(app::routes)
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = http.addrs()[0];
    let http = http.run();
    let handle = http.handle();
    actix_web::rt::spawn(http);
    Service {
        addr,
        handle,
        redis,
    }
}

/// Opens `GET /events/{channel}` and reads up to the `: subscribed` comment.
async fn open_events(addr: SocketAddr, channel: &str) -> BufReader<TcpStream> {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /events/{channel} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(socket);
    let status = line(&mut reader).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut event_stream = false;
    loop {
        let header = line(&mut reader).await;
        if header.is_empty() {
            break;
        }
        event_stream |= header.eq_ignore_ascii_case("content-type: text/event-stream");
    }
    assert!(event_stream, "not an event stream");
    // The body is chunked: skip chunk sizes, find the opening comment.
    next_sse_line(&mut reader, ": subscribed").await;
    reader
}

async fn line(reader: &mut BufReader<TcpStream>) -> String {
    let mut text = String::new();
    let read = tokio::time::timeout(PATIENCE, reader.read_line(&mut text))
        .await
        .expect("nothing from the service within 10 s")
        .unwrap();
    assert!(read > 0, "the service closed the stream");
    text.trim_end_matches(['\r', '\n']).to_owned()
}

/// Reads lines until one equal to `want` (chunk-size lines, blank lines and the empty
/// `data:` of a state event skipped; any other SSE line first is a failure).
async fn next_sse_line(reader: &mut BufReader<TcpStream>, want: &str) {
    for _ in 0..20 {
        let got = line(reader).await;
        if got == want {
            return;
        }
        let chunk_size = !got.is_empty() && got.chars().all(|c| c.is_ascii_hexdigit());
        assert!(
            got.is_empty() || got == "data:" || chunk_size,
            "expected {want:?}, got {got:?}"
        );
    }
    panic!("no {want:?} within 20 lines");
}

async fn post(addr: SocketAddr, path: &str, body: &str) -> String {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    answer
}

fn numsub(server: &RedisServer, channel: &str) -> i64 {
    match server.command(&["PUBSUB", "NUMSUB", channel]).unwrap() {
        Reply::Array(Some(items)) => match items.get(1) {
            Some(Reply::Integer(n)) => *n,
            other => panic!("unexpected NUMSUB reply {other:?}"),
        },
        other => panic!("unexpected NUMSUB reply {other:?}"),
    }
}

#[actix_web::test]
async fn a_browser_receives_published_messages_as_server_sent_events() {
    let server = RedisServer::start().expect("redis-server");
    let service = start(&server);
    let mut first = open_events(service.addr, "news").await;
    let mut second = open_events(service.addr, "news").await;
    assert_eq!(
        numsub(&server, "news"),
        1,
        "one Redis subscription for both browsers"
    );

    let answer = post(service.addr, "/publish/news", "hello").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    service.redis.publish("news", "two\nlines").await.unwrap();
    for browser in [&mut first, &mut second] {
        next_sse_line(browser, "data: hello").await;
        next_sse_line(browser, "data: two").await;
        assert_eq!(line(browser).await, "data: lines");
    }

    // Browsers that go away are unsubscribed, and the channel at Redis once both are gone:
    // the server notices a closed socket when it next writes to it.
    drop(first);
    drop(second);
    let mut subscribed = numsub(&server, "news");
    for _ in 0..200 {
        if subscribed == 0 {
            break;
        }
        service.redis.publish("news", "anyone?").await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        subscribed = numsub(&server, "news");
    }
    assert_eq!(subscribed, 0, "closed browsers were not unsubscribed");
    service.handle.stop(false).await;
}

#[actix_web::test]
async fn a_browser_is_told_about_an_outage_and_receives_messages_after_it() {
    let server = RedisServer::start().expect("redis-server");
    let service = start(&server);
    let mut browser = open_events(service.addr, "live").await;
    assert_eq!(server.client_kill(ClientType::PubSub).unwrap(), 1);
    next_sse_line(&mut browser, "event: disconnected").await;
    next_sse_line(&mut browser, "event: subscribed").await;
    service.redis.publish("live", "back").await.unwrap();
    next_sse_line(&mut browser, "data: back").await;
    service.handle.stop(false).await;
}
