//! Reconnecting after an established link drops: at once when the link had been stable,
//! with growing delays when it keeps dropping right after connecting (a flapping peer).

mod support;

use std::time::Duration;

use hardy_connection::ConnState;
use support::*;
use tokio::sync::broadcast;

/// The next `n` transitions.
async fn next_states(changes: &mut broadcast::Receiver<ConnState>, n: usize) -> Vec<ConnState> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        seen.push(changes.recv().await.expect("state stream open"));
    }
    seen
}

fn backoff(attempt: u32, ms: u64) -> ConnState {
    ConnState::Backoff {
        attempt,
        retry_in: Duration::from_millis(ms),
    }
}

#[actix_rt::test]
async fn a_stable_link_that_drops_is_reconnected_at_once() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let builder = Scripted::new(server.addr)
        .builder()
        .backoff(exponential(100, 2.0, 400))
        .reset_backoff_after(Duration::from_secs(1));
    let (_addr, watch) = start(builder);
    wait_connected(&watch).await;
    tokio::time::advance(Duration::from_secs(1)).await;
    let mut changes = watch.changes();
    server.kick_all();
    assert_eq!(
        next_states(&mut changes, 3).await,
        [
            ConnState::Disconnected,
            ConnState::Connecting { attempt: 1 },
            ConnState::Connected
        ]
    );
    assert_eq!(server.accepted(), 2);
}

#[actix_rt::test]
async fn after_a_stable_link_drops_delays_start_only_after_a_failed_attempt() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let builder = Scripted::new(server.addr)
        .builder()
        .backoff(exponential(100, 2.0, 400))
        .reset_backoff_after(Duration::from_secs(1));
    let (_addr, watch) = start(builder);
    wait_connected(&watch).await;
    tokio::time::advance(Duration::from_secs(5)).await;
    let mut changes = watch.changes();
    server.stop();
    assert_eq!(
        next_states(&mut changes, 5).await,
        [
            ConnState::Disconnected,
            ConnState::Connecting { attempt: 1 },
            backoff(2, 100),
            ConnState::Connecting { attempt: 2 },
            backoff(3, 200),
        ]
    );
}

#[actix_rt::test]
async fn a_peer_that_accepts_and_closes_is_backed_off_with_growing_delays() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Hangup).await;
    let builder = Scripted::new(server.addr)
        .builder()
        .backoff(exponential(100, 2.0, 400))
        .reset_backoff_after(Duration::from_secs(1));
    let watch = builder.state_watch();
    let mut changes = watch.changes();
    builder.start();
    let mut delays = Vec::new();
    for _ in 0..1_000 {
        if delays.len() == 4 {
            break;
        }
        if let ConnState::Backoff { retry_in, .. } = changes.recv().await.unwrap() {
            delays.push(retry_in.as_millis());
        }
    }
    assert_eq!(delays, [100, 200, 400, 400]);
    assert!(server.accepted() >= 4);
}

/// A connection to `server` whose first two attempts are refused, with a policy of
/// 100 ms doubling to 400 ms: it is at 400 ms when the link comes up.
fn after_two_refusals(server: &LineServer) -> hardy_connection::Builder<Scripted> {
    let mut conn = Scripted::new(server.addr);
    let mut refused = 2;
    conn.on_connect = Box::new(move |_| {
        use futures::FutureExt;
        if refused == 0 {
            return None;
        }
        refused -= 1;
        Some(
            async { Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into()) }
                .boxed_local(),
        )
    });
    conn.builder()
        .backoff(exponential(100, 2.0, 400))
        .reset_backoff_after(Duration::from_secs(1))
}

#[actix_rt::test]
async fn a_link_that_stays_up_long_enough_resets_the_backoff() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let (_addr, watch) = start(after_two_refusals(&server));
    wait_connected(&watch).await;
    tokio::time::advance(Duration::from_secs(1)).await;
    let mut changes = watch.changes();
    server.stop();
    let seen = next_states(&mut changes, 3).await;
    assert_eq!(seen[2], backoff(2, 100), "{seen:?}");
}

#[actix_rt::test]
async fn a_link_the_connection_marks_stable_resets_the_backoff_however_briefly_it_was_up() {
    tokio::time::pause();
    let server = LineServer::start(Mode::Echo).await;
    let (addr, watch) = start(after_two_refusals(&server));
    wait_connected(&watch).await;
    // Up for no time at all, but the connection vouches for it (it answered, say).
    addr.send(Run(Box::new(|_, cx| cx.mark_stable())))
        .await
        .unwrap();
    let mut changes = watch.changes();
    server.stop();
    assert_eq!(
        next_states(&mut changes, 3).await,
        [
            ConnState::Disconnected,
            ConnState::Connecting { attempt: 1 },
            backoff(2, 100),
        ]
    );
}
