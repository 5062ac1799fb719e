//! A ConnectionActor is a plain actix actor: a hardy supervisor runs it with no glue, and
//! sees why it stopped (a panic in connect, or giving up) as the child's exit reason.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use hardy_connection::{ExitReason, Next};
use hardy_supervisor::{ChildSpec, EventKind, RestartType, Supervisor};
use support::*;
use tokio::sync::Notify;

/// Supervises a connection to a closed port whose connect waits for a go signal (fired once
/// the test listens to the supervisor's events), then then panics or is refused; returns the
/// child's first exit reason. `adjust` sets the connection's other answers.
async fn first_exit(panics: bool, adjust: fn(&mut Scripted)) -> ExitReason {
    let (addr, go) = (closed_port(), Arc::new(Notify::new()));
    let gate = go.clone();
    let spec = ChildSpec::worker("conn", move || {
        let mut conn = Scripted::new(addr);
        let gate = gate.clone();
        conn.on_connect = Box::new(move |_| {
            let gate = gate.clone();
            Some(
                async move {
                    gate.notified().await;
                    if panics {
                        panic!("boom in connect");
                    }
                    Ok(tokio::net::TcpStream::connect(addr).await?)
                }
                .boxed_local(),
            )
        });
        adjust(&mut conn);
        Ok(conn.builder().build())
    });
    let sup = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(spec.restart(RestartType::Temporary))
        .start()
        .expect("supervisor starts");
    let mut events = sup.subscribe().await.expect("events");
    go.notify_one();
    let reason = loop {
        if let EventKind::Exited { reason, .. } = events.recv().await.expect("event").kind {
            break reason;
        }
    };
    sup.stop().await;
    reason
}

#[actix_rt::test]
async fn a_panic_in_connect_reaches_the_supervisor_as_a_panic_exit() {
    match first_exit(true, |_| {}).await {
        ExitReason::Panic(msg) => assert!(msg.contains("boom in connect"), "{msg}"),
        other => panic!("expected a panic exit, got {other:?}"),
    }
}

#[actix_rt::test]
async fn giving_up_reaches_the_supervisor_as_an_error_exit() {
    let give_up = |conn: &mut Scripted| {
        conn.on_connect_failed = Box::new(|_| Next::Stop(ExitReason::Error("bad config".into())));
    };
    assert_eq!(
        first_exit(false, give_up).await,
        ExitReason::Error("bad config".into())
    );
}

#[actix_rt::test]
async fn a_panic_in_a_request_handler_reaches_the_supervisor_with_its_message() {
    let server = LineServer::start(Mode::Echo).await;
    let addr = server.addr;
    let spec = ChildSpec::worker("conn", move || {
        let mut conn = Scripted::new(addr);
        conn.handler_panics_once_connected = true;
        Ok(conn.builder().build())
    });
    let sup = Supervisor::builder()
        .intensity(0, Duration::from_secs(5))
        .child(spec.restart(RestartType::Temporary))
        .start()
        .expect("supervisor starts");
    let mut events = sup.subscribe().await.expect("events");
    let reason = loop {
        if let EventKind::Exited { reason, .. } = events.recv().await.expect("event").kind {
            break reason;
        }
    };
    sup.stop().await;
    match reason {
        ExitReason::Panic(msg) => {
            assert!(msg.contains("handler blew up under a supervisor"), "{msg}")
        }
        other => panic!("expected a panic exit, got {other:?}"),
    }
}
