//! One test per answer shape of Elixir's `Connection` (reference/connection.md's checklist),
//! against a real loopback line server.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures::FutureExt;
use hardy_connection::backoff::Constant;
use hardy_connection::{ConnState, ExitReason, Next, StartError};
use support::*;
use tokio::sync::oneshot;

fn failing_first_attempt() -> Box<
    dyn FnMut(hardy_connection::ConnectInfo) -> Option<hardy_connection::ConnectFuture<Scripted>>,
> {
    Box::new(|info| {
        (info.attempt == 1).then(|| {
            async { Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into()) }
                .boxed_local()
        })
    })
}

#[actix_rt::test]
async fn init_ok_sync_connect_returns_only_once_connected() {
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let builder = conn.builder();
    let watch = builder.state_watch();
    let addr = builder.start_connected().await.expect("connects");
    assert_eq!(watch.get(), ConnState::Connected);
    assert_eq!(events(&log), ["init", "connect Init 1", "connected"]);
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, true));
}

#[actix_rt::test]
async fn init_ok_sync_connect_that_fails_returns_the_error_and_stops() {
    let conn = Scripted::new(closed_port());
    let log = conn.log.clone();
    let builder = conn.builder();
    let watch = builder.state_watch();
    let err = builder.start_connected().await.expect_err("refused");
    assert!(matches!(err, StartError::Connect(_)), "{err:?}");
    assert!(matches!(wait_stopped(&watch).await, ExitReason::Error(_)));
    let connects = events(&log)
        .iter()
        .filter(|e| e.starts_with("connect "))
        .count();
    assert_eq!(connects, 1, "a failed sync connect is not retried");
}

#[actix_rt::test]
async fn init_noconnect_stays_idle_until_a_handler_connects() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_init = Box::new(|| Next::Idle);
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, false));
    assert_eq!(watch.get(), ConnState::Disconnected);
    assert_eq!(addr.send(ConnectNow).await.unwrap(), "ok");
    wait_connected(&watch).await;
    assert_eq!(
        events(&log),
        [
            "init",
            "ping 1 connected=false",
            "handler connect",
            "connect Requested 1",
            "connected"
        ]
    );
}

#[actix_rt::test]
async fn init_connect_connects_before_the_first_message() {
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let (addr, _watch) = start(conn.builder());
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, true));
    assert_eq!(
        events(&log),
        [
            "init",
            "connect Init 1",
            "connected",
            "ping 1 connected=true"
        ]
    );
}

#[actix_rt::test]
async fn init_backoff_connects_only_after_the_delay() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_init = Box::new(|| Next::BackoffFor(Duration::from_secs(1)));
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, false));
    assert_eq!(
        watch.get(),
        ConnState::Backoff {
            attempt: 1,
            retry_in: Duration::from_secs(1)
        }
    );
    tokio::time::advance(Duration::from_millis(999)).await;
    assert_eq!(addr.send(Ping(2)).await.unwrap(), (2, false));
    tokio::time::advance(Duration::from_millis(1)).await;
    wait_connected(&watch).await;
    assert!(events(&log).contains(&"connect Backoff 1".to_string()));
}

#[actix_rt::test]
async fn init_stop_stops_before_running() {
    let mut conn = Scripted::new(closed_port());
    conn.on_init = Box::new(|| Next::Stop(ExitReason::ShutdownWith("not today".into())));
    let log = conn.log.clone();
    let builder = conn.builder();
    let watch = builder.state_watch();
    let err = builder.start_connected().await.expect_err("stopped");
    assert!(matches!(
        err,
        StartError::Stopped(ExitReason::ShutdownWith(_))
    ));
    assert_eq!(
        wait_stopped(&watch).await,
        ExitReason::ShutdownWith("not today".into())
    );
    assert_eq!(events(&log), ["init", "stopped shutdown: not today"]);
}

#[actix_rt::test]
async fn connect_backoff_retries_and_connect_is_told_backoff() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_connect = failing_first_attempt();
    let log = conn.log.clone();
    let builder = conn.builder();
    let watch = builder.state_watch();
    let mut changes = watch.changes();
    builder.start();
    wait_connected(&watch).await;
    let mut seen = Vec::new();
    while let Ok(state) = changes.try_recv() {
        seen.push(state);
    }
    assert_eq!(
        seen,
        [
            ConnState::Connecting { attempt: 1 },
            ConnState::Backoff {
                attempt: 2,
                retry_in: Duration::from_millis(100)
            },
            ConnState::Connecting { attempt: 2 },
            ConnState::Connected,
        ]
    );
    assert!(events(&log).contains(&"connect Backoff 2".to_string()));
}

#[actix_rt::test]
async fn connect_stop_stops_with_that_reason() {
    let mut conn = Scripted::new(closed_port());
    conn.on_connect_failed = Box::new(|_| Next::Stop(ExitReason::Error("bad config".into())));
    let log = conn.log.clone();
    let (_addr, watch) = start(conn.builder());
    assert_eq!(
        wait_stopped(&watch).await,
        ExitReason::Error("bad config".into())
    );
    let connects = events(&log)
        .iter()
        .filter(|e| e.starts_with("connect "))
        .count();
    assert_eq!(connects, 1);
}

#[actix_rt::test]
async fn disconnect_connect_reconnects_at_once() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Connect);
    let log = conn.log.clone();
    let (_addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    server.kick_all();
    assert_eq!(changes.recv().await.unwrap(), ConnState::Disconnected);
    assert_eq!(
        changes.recv().await.unwrap(),
        ConnState::Connecting { attempt: 1 }
    );
    assert_eq!(changes.recv().await.unwrap(), ConnState::Connected);
    assert_eq!(
        &events(&log)[3..],
        ["disconnect closed", "connect Reconnect 1", "connected"]
    );
    assert_eq!(server.accepted(), 2);
}

#[actix_rt::test]
async fn disconnect_backoff_reconnects_after_the_policy_delay() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    let log = conn.log.clone();
    let (_addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    let mut changes = watch.changes();
    server.kick_all();
    let mut seen = Vec::new();
    while seen.last() != Some(&ConnState::Connected) {
        seen.push(changes.recv().await.unwrap());
    }
    assert_eq!(
        seen,
        [
            ConnState::Disconnected,
            ConnState::Backoff {
                attempt: 1,
                retry_in: Duration::from_millis(100)
            },
            ConnState::Connecting { attempt: 1 },
            ConnState::Connected,
        ]
    );
    assert!(events(&log).contains(&"connect Backoff 1".to_string()));
}

#[actix_rt::test]
async fn disconnect_noconnect_stays_disconnected_until_a_handler_connects() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Idle);
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    server.kick_all();
    watch.wait_for(|s| *s == ConnState::Disconnected).await;
    assert_eq!(addr.send(Ping(7)).await.unwrap(), (7, false));
    let connects = |log: &Log| {
        events(log)
            .iter()
            .filter(|e| e.starts_with("connect "))
            .count()
    };
    assert_eq!(connects(&log), 1);
    addr.send(ConnectNow).await.unwrap();
    wait_connected(&watch).await;
    assert_eq!(connects(&log), 2);
    assert!(events(&log).contains(&"connect Requested 1".to_string()));
}

#[actix_rt::test]
async fn disconnect_stop_stops_with_that_reason() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Stop(ExitReason::ShutdownWith("peer left".into())));
    let (_addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    server.kick_all();
    assert_eq!(
        wait_stopped(&watch).await,
        ExitReason::ShutdownWith("peer left".into())
    );
}

#[actix_rt::test]
async fn handler_disconnect_with_a_reply_replies_then_disconnects() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Idle);
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    assert_eq!(addr.send(DisconnectNow).await.unwrap(), "bye");
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, false));
    assert_eq!(
        &events(&log)[3..],
        [
            "handler disconnect connected=true",
            "disconnect requested",
            "ping 1 connected=false"
        ]
    );
}

#[actix_rt::test]
async fn handler_disconnect_without_a_reply_disconnects() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Idle);
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    addr.do_send(DropLink);
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, false));
    assert!(events(&log).contains(&"disconnect requested".to_string()));
}

#[actix_rt::test]
async fn handler_connect_cancels_the_backoff_timer_so_it_never_fires() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_connect = failing_first_attempt();
    let log = conn.log.clone();
    let builder = conn.builder().backoff(Constant(Duration::from_secs(10)));
    let (addr, watch) = start(builder);
    watch
        .wait_for(|s| matches!(s, ConnState::Backoff { .. }))
        .await;
    assert_eq!(addr.send(ConnectNow).await.unwrap(), "ok");
    wait_connected(&watch).await;
    tokio::time::advance(Duration::from_secs(11)).await;
    assert_eq!(addr.send(Ping(1)).await.unwrap(), (1, true));
    let connects: Vec<_> = events(&log)
        .into_iter()
        .filter(|e| e.starts_with("connect "))
        .collect();
    assert_eq!(connects, ["connect Init 1", "connect Requested 2"]);
    assert_eq!(server.accepted(), 1);
}

#[actix_rt::test]
async fn messages_sent_during_connect_are_handled_after_it_in_order() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    let (open, gate) = oneshot::channel::<()>();
    let gate = Rc::new(RefCell::new(Some(gate)));
    let target = server.addr;
    conn.on_connect = Box::new(move |_| {
        let gate = gate.borrow_mut().take()?;
        Some(
            async move {
                let _ = gate.await;
                Ok(tokio::net::TcpStream::connect(target).await?)
            }
            .boxed_local(),
        )
    });
    let log = conn.log.clone();
    let (addr, watch) = start(conn.builder());
    let replies: Vec<_> = (1..=5).map(|n| addr.send(Ping(n))).collect();
    watch
        .wait_for(|s| matches!(s, ConnState::Connecting { .. }))
        .await;
    open.send(()).unwrap();
    let replies = futures::future::join_all(replies).await;
    let replies: Vec<_> = replies.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        replies,
        [(1, true), (2, true), (3, true), (4, true), (5, true)]
    );
    assert_eq!(
        &events(&log)[2..],
        [
            "connected",
            "ping 1 connected=true",
            "ping 2 connected=true",
            "ping 3 connected=true",
            "ping 4 connected=true",
            "ping 5 connected=true"
        ]
    );
}

#[actix_rt::test]
async fn a_panic_in_connect_stops_the_actor_with_that_reason() {
    let mut conn = Scripted::new(closed_port());
    conn.on_connect = Box::new(|_| panic!("boom in connect"));
    let (_addr, watch) = start(conn.builder());
    match wait_stopped(&watch).await {
        ExitReason::Panic(msg) => assert!(msg.contains("boom in connect"), "{msg}"),
        other => panic!("expected a panic exit, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_panic_inside_the_connect_future_stops_the_actor_with_that_reason() {
    let mut conn = Scripted::new(closed_port());
    conn.on_connect = Box::new(|_| Some(async { panic!("boom while connecting") }.boxed_local()));
    let (_addr, watch) = start(conn.builder());
    match wait_stopped(&watch).await {
        ExitReason::Panic(msg) => assert!(msg.contains("boom while connecting"), "{msg}"),
        other => panic!("expected a panic exit, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_panic_in_a_request_handler_is_published_as_a_panic_exit() {
    struct Explode;
    impl actix::Message for Explode {
        type Result = ();
    }
    impl hardy_connection::Handle<Explode> for Scripted {
        type Result = ();
        fn handle(&mut self, _: Explode, _cx: &mut hardy_connection::Ctx<'_, Self>) {
            panic!("handler blew up");
        }
    }
    let server = LineServer::start(Mode::Echo).await;
    let conn = Scripted::new(server.addr);
    // The panic ends the actor's task; tokio catches it, so this test's runtime goes on.
    let (addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    assert!(
        addr.send(Explode).await.is_err(),
        "the caller sees the mailbox close"
    );
    match wait_stopped(&watch).await {
        ExitReason::Panic(msg) => assert!(msg.contains("handler blew up"), "{msg}"),
        other => panic!("expected a panic exit, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_sync_start_of_a_connection_that_stays_idle_fails_instead_of_hanging() {
    let mut conn = Scripted::new(closed_port());
    conn.on_init = Box::new(|| Next::Idle);
    let err = conn.builder().start_connected().await.expect_err("idle");
    assert!(matches!(err, StartError::Idle), "{err:?}");
}

#[actix_rt::test]
async fn a_writer_kept_past_its_link_is_closed_as_soon_as_the_link_is_down() {
    let server = LineServer::start(Mode::Echo).await;
    let mut conn = Scripted::new(server.addr);
    conn.on_disconnect = Box::new(|_| Next::Idle);
    let (addr, watch) = start(conn.builder());
    wait_connected(&watch).await;
    assert_eq!(addr.send(KeptWriterOpen).await.unwrap(), Some(true));
    // Both in the mailbox: the second is handled right after the disconnect step.
    let bye = addr.send(DisconnectNow);
    let after = addr.send(KeptWriterOpen);
    assert_eq!(bye.await.unwrap(), "bye");
    assert_eq!(after.await.unwrap(), Some(false));
}
