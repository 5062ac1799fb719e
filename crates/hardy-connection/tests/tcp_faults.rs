//! Real loopback TCP faults: refused connects, a peer that closes, a server restarted on
//! the same port, a connect that never completes, and a peer that stops answering.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use hardy_connection::backoff::Constant;
use hardy_connection::ConnState;
use support::*;

#[actix_rt::test]
async fn refused_connects_back_off_growing_then_capped() {
    tokio::time::pause();
    let conn = Scripted::new(closed_port());
    let builder = conn.builder().backoff(exponential(100, 2.0, 400));
    let watch = builder.state_watch();
    let mut changes = watch.changes();
    builder.start();
    let mut delays = Vec::new();
    let mut attempts = Vec::new();
    while delays.len() < 5 {
        if let ConnState::Backoff { attempt, retry_in } = changes.recv().await.unwrap() {
            delays.push(retry_in.as_millis());
            attempts.push(attempt);
        }
    }
    assert_eq!(delays, [100, 200, 400, 400, 400]);
    assert_eq!(attempts, [2, 3, 4, 5, 6]);
}

#[actix_rt::test]
async fn a_peer_that_closes_triggers_disconnect_closed_then_a_reconnect() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    server.kick_all();
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    next_change(&mut changes, ConnState::is_connected).await;
    assert!(events(&log).contains(&"disconnect closed".to_string()));
    assert_eq!(server.accepted(), 2);
    // The new link works: a line written is echoed back.
    assert!(addr.send(Say("hello")).await.unwrap());
    wait_for_event(&log, "incoming hello").await;
}

#[actix_rt::test]
async fn a_server_restarted_on_the_same_port_is_reconnected_after_backoff() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let port = server.addr;
    let conn = Scripted::new(port);
    let builder = conn.builder().backoff(Constant(Duration::from_secs(1)));
    let (_addr, watch) = start(builder);
    wait_connected(&watch).await;
    server.stop();
    // Refused attempts back off while the server is down...
    watch
        .wait_for(|s| matches!(s, ConnState::Backoff { attempt: 2, .. }))
        .await;
    // ...and the next attempt after it is back connects.
    let again = LineServer::restart_on(port, Mode::Echo).await;
    wait_connected(&watch).await;
    assert_eq!(again.accepted(), 1);
}

/// A listener whose accept queue is full: further connects get no answer at all.
fn full_backlog() -> (socket2::Socket, Vec<std::net::TcpStream>, SocketAddr) {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    listener.bind(&any.into()).expect("bind");
    listener.listen(0).expect("listen");
    let addr = listener
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut queued = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => queued.push(s),
            Err(_) => return (listener, queued, addr),
        }
    }
    panic!("the accept queue never filled up");
}

#[actix_rt::test]
async fn connect_timeout_fires_when_the_peer_never_completes_the_handshake() {
    let (_listener, _queued, addr) = full_backlog();
    tokio::time::pause();
    let conn = Scripted::new(addr);
    let log = conn.log.clone();
    let builder = conn
        .builder()
        .connect_timeout(Duration::from_secs(2))
        .backoff(Constant(Duration::from_secs(60)));
    let (_addr, watch) = start(builder);
    watch
        .wait_for(|s| matches!(s, ConnState::Backoff { .. }))
        .await;
    assert!(
        events(&log).contains(&"connect_failed connect timed out after 2s".to_string()),
        "{:?}",
        events(&log)
    );
}

#[actix_rt::test]
async fn the_health_check_disconnects_a_peer_that_stopped_answering() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Silent).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let builder = conn
        .builder()
        .health_check(Duration::from_secs(1), Duration::from_millis(500))
        .backoff(Constant(Duration::from_secs(60)));
    let (_addr, watch) = start(builder);
    let mut changes = watch.changes();
    next_change(&mut changes, ConnState::is_connected).await;
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    assert!(events(&log).contains(&"disconnect health_check_timeout".to_string()));
}

#[actix_rt::test]
async fn the_health_check_keeps_a_link_whose_peer_answers() {
    // Real time: a paused clock would auto-advance past the probe deadline while the
    // answer is still in the kernel.
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let builder = conn
        .builder()
        .health_check(Duration::from_millis(20), Duration::from_secs(5));
    let (_addr, watch) = start(builder);
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    wait_for_events(&log, "pong", 3).await;
    assert!(changes.try_recv().is_err(), "no state change while healthy");
    assert_eq!(server.accepted(), 1);
}

#[actix_rt::test]
async fn an_exhausted_backoff_policy_stops_the_actor_with_an_error() {
    tokio::time::pause();
    let conn = Scripted::new(closed_port());
    let policy =
        hardy_connection::backoff::from_iter(|| std::iter::repeat(Duration::from_secs(1)).take(2));
    let (_addr, watch) = start(conn.builder().backoff(policy));
    match wait_stopped(&watch).await {
        hardy_connection::ExitReason::Error(msg) => {
            assert!(
                msg.contains("gave up after 3 failed connect attempts"),
                "{msg}"
            )
        }
        other => panic!("expected an error exit, got {other:?}"),
    }
}
