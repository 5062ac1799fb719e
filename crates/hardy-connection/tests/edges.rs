//! The edges of the state machine: bytes written right before a close, steps asked for
//! together, panics anywhere, a cancelled sync start, an immediate retry that fails at once,
//! and a writer used from inside its own buffer.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::FutureExt;
use hardy_connection::{ConnState, ExitReason, Failure, Next};
use support::*;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A peer that accepts one link and returns everything it reads until end of stream.
async fn one_link_peer() -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let read_all = actix_rt::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        socket.read_to_end(&mut got).await.unwrap();
        got
    });
    (addr, read_all)
}

/// Fails the test instead of hanging when `fut` never completes.
async fn bounded<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("did not happen within 10 s")
}

fn write_quit(conn: &mut Scripted) {
    assert!(conn.writer.as_ref().expect("connected").write(b"QUIT\n"));
}

#[actix_rt::test]
async fn a_write_made_right_before_a_requested_disconnect_is_sent_then_eof() {
    let (addr, received) = one_link_peer().await;
    let mut conn = Scripted::new(addr);
    conn.on_disconnect = Box::new(|_| Next::Idle);
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    client
        .send(Run(Box::new(|conn, cx| {
            write_quit(conn);
            cx.disconnect(Failure::Requested);
        })))
        .await
        .unwrap();
    assert_eq!(received.await.unwrap(), b"QUIT\n");
}

#[actix_rt::test]
async fn a_write_made_right_before_a_stop_is_sent_then_eof() {
    let (addr, received) = one_link_peer().await;
    let conn = Scripted::new(addr);
    let log = conn.log.clone();
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    client
        .send(Run(Box::new(|conn, cx| {
            write_quit(conn);
            cx.stop(ExitReason::Shutdown);
        })))
        .await
        .unwrap();
    assert_eq!(received.await.unwrap(), b"QUIT\n");
    assert_eq!(wait_stopped(&watch).await, ExitReason::Shutdown);
    wait_for_event(&log, "stopped shutdown").await;
}

#[actix_rt::test]
async fn steps_asked_for_in_one_handler_run_in_the_order_asked() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Idle);
    let log = conn.log.clone();
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    client
        .send(Run(Box::new(|_, cx| {
            cx.disconnect(Failure::Requested);
            cx.connect();
        })))
        .await
        .unwrap();
    bounded(next_change(&mut changes, ConnState::is_connected)).await;
    assert_eq!(
        &events(&log)[3..],
        ["disconnect requested", "connect Requested 1", "connected"]
    );
    assert_eq!(client.send(Ping(1)).await.unwrap(), (1, true));
}

#[actix_rt::test]
async fn a_panic_in_a_request_handler_stops_with_its_message_and_runs_stopped() {
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    let outcome = client
        .send(Run(Box::new(|_, _| panic!("handler blew up"))))
        .await;
    assert!(outcome.is_err(), "the caller sees the mailbox close");
    expect_panic_exit(&watch, "a request handler panicked: handler blew up").await;
    wait_for_event(
        &log,
        "stopped panic: a request handler panicked: handler blew up",
    )
    .await;
}

#[actix_rt::test]
async fn a_panic_in_the_codec_stops_with_its_message_and_runs_stopped() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.reader_panics_on = Some("boom");
    let log = conn.log.clone();
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    assert!(client.send(Say("boom")).await.unwrap());
    expect_panic_exit(&watch, "the codec choked on boom").await;
    assert!(events(&log).last().unwrap().starts_with("stopped panic"));
}

#[actix_rt::test]
async fn a_panic_in_in_flight_stops_with_its_message_and_runs_stopped() {
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let arm = conn.in_flight_panics.clone();
    let log = conn.log.clone();
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    arm.set(true);
    assert!(client.send(Say("wake the reader")).await.unwrap());
    expect_panic_exit(&watch, "in_flight miscounted").await;
    assert!(events(&log).last().unwrap().starts_with("stopped panic"));
}

#[actix_rt::test]
async fn a_panic_in_the_health_check_probe_stops_with_its_message_and_runs_stopped() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.probe_panics = true;
    let log = conn.log.clone();
    let builder = conn
        .builder()
        .health_check(Duration::from_secs(1), Duration::from_secs(1));
    let (_client, watch) = start(builder);
    expect_panic_exit(&watch, "the probe blew up").await;
    assert!(events(&log).last().unwrap().starts_with("stopped panic"));
}

#[actix_rt::test]
async fn a_cancelled_sync_start_does_not_leave_a_connected_actor_behind() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    let (open, gate) = tokio::sync::oneshot::channel::<()>();
    let mut gate = Some(gate);
    let target = server.addr;
    conn.on_connect = Box::new(move |_| {
        let gate = gate.take()?;
        Some(
            async move {
                let _ = gate.await;
                Ok(tokio::net::TcpStream::connect(target).await?)
            }
            .boxed_local(),
        )
    });
    let builder = conn.builder();
    let watch = builder.state_watch();
    let mut start = Box::pin(builder.start_connected());
    assert!(futures::poll!(&mut start).is_pending());
    watch
        .wait_for(|s| matches!(s, ConnState::Connecting { .. }))
        .await;
    drop(start); // the caller gave up (say, a timeout around it)
    open.send(()).unwrap();
    assert_eq!(bounded(wait_stopped(&watch)).await, ExitReason::Shutdown);
}

#[actix_rt::test]
async fn a_sync_start_cancelled_during_its_initial_delay_stops_the_actor() {
    let mut conn = Scripted::new(closed_port());
    conn.on_init = Box::new(|| Next::BackoffFor(Duration::from_secs(3600)));
    let builder = conn.builder();
    let watch = builder.state_watch();
    let mut start = Box::pin(builder.start_connected());
    assert!(futures::poll!(&mut start).is_pending());
    watch
        .wait_for(|s| matches!(s, ConnState::Backoff { .. }))
        .await;
    drop(start);
    assert_eq!(bounded(wait_stopped(&watch)).await, ExitReason::Shutdown);
}

#[actix_rt::test]
async fn an_immediate_retry_of_a_connect_that_fails_at_once_lets_the_arbiter_run() {
    let attempts = Rc::new(Cell::new(0u32));
    let mut conn = Scripted::new(closed_port());
    let counted = attempts.clone();
    conn.on_connect = Box::new(move |_| {
        counted.set(counted.get() + 1);
        Some(async { Err(std::io::Error::from(std::io::ErrorKind::Other).into()) }.boxed_local())
    });
    let limit = attempts.clone();
    conn.on_connect_failed = Box::new(move |_| {
        if limit.get() < 1_000 {
            Next::Connect
        } else {
            Next::Stop(ExitReason::Error("enough".into()))
        }
    });
    let seen_by_others = Rc::new(Cell::new(None));
    let seen = seen_by_others.clone();
    let counted = attempts.clone();
    let (client, watch) = start(conn.builder());
    actix_rt::spawn(async move { seen.set(Some(counted.get())) });
    assert_eq!(client.send(Ping(1)).await.unwrap(), (1, false));
    assert!(attempts.get() < 1_000, "the ping waited for every attempt");
    wait_stopped(&watch).await;
    let seen = seen_by_others.get().expect("the other task ran");
    assert!(
        seen < 1_000,
        "the other task ran only after {seen} attempts"
    );
}

#[actix_rt::test]
async fn a_writer_used_inside_its_own_buffer_closure_does_not_panic() {
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let (client, watch) = start(conn.builder());
    wait_connected(&watch).await;
    client
        .send(Run(Box::new(|conn, _| {
            let writer = conn.writer.clone().expect("connected");
            let done = writer.with_buffer(|buf| {
                buf.extend_from_slice(b"outer ");
                assert!(writer.is_open());
                writer.write(b"inner\n")
            });
            assert_eq!(done, Some(true));
        })))
        .await
        .unwrap();
    wait_for_event(&log, "incoming outer inner").await;
    assert_eq!(watch.get(), ConnState::Connected);
}
