//! Liveness with the defaults, and what a caller gets during an outage.
//!
//! A black-holed link (the peer vanished without closing: a failover, a partition) is
//! dropped by the default health check when idle, and after a few command timeouts in a
//! row when busy. A caller arriving while the link is down waits for the reconnect for a
//! bounded time (within its command timeout), however long the outage has lasted.

use std::time::Duration;

use futures::future::join_all;
use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, Redis};
use hardy_testkit::{FaultProxy, RedisServer};
use tokio::sync::broadcast;
use tokio::time::{timeout, Instant};

async fn next_change(
    changes: &mut broadcast::Receiver<ConnState>,
    mut pred: impl FnMut(&ConnState) -> bool,
) -> ConnState {
    loop {
        let state = changes.recv().await.expect("state stream");
        if pred(&state) {
            return state;
        }
    }
}

async fn echo(redis: &Redis, tag: &str) -> Result<(), Error> {
    let got: String = redis.command(cmd("ECHO").arg(tag)).await?;
    assert_eq!(got, tag, "a reply went to the wrong caller");
    Ok(())
}

fn through(proxy: &FaultProxy) -> Config {
    Config::new("127.0.0.1", proxy.addr().port())
}

#[actix_rt::test]
async fn a_busy_black_holed_link_is_dropped_after_consecutive_timeouts_with_the_defaults() {
    let server = RedisServer::start().expect("redis-server");
    let proxy = FaultProxy::start(server.addr()).expect("proxy");
    let redis = Redis::connect(through(&proxy)).await.unwrap();
    let mut changes = redis.state().changes();
    proxy.blackhole(true);
    tokio::time::pause();
    let started = Instant::now();
    let tags: Vec<String> = (0..3).map(|i| format!("lost-{i}")).collect();
    let outcomes = join_all(tags.iter().map(|tag| echo(&redis, tag))).await;
    for outcome in outcomes {
        assert!(matches!(outcome, Err(Error::Timeout(_))), "{outcome:?}");
    }
    let down = timeout(
        Duration::from_secs(1),
        next_change(&mut changes, |s| *s == ConnState::Disconnected),
    )
    .await;
    assert!(down.is_ok(), "the link stayed up after 3 timeouts in a row");
    // Dropped by the timeouts (5 s), not by the health check (10 s + 5 s).
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    proxy.blackhole(false);
}

#[actix_rt::test]
async fn an_idle_black_holed_link_is_dropped_by_the_default_health_check() {
    let server = RedisServer::start().expect("redis-server");
    let proxy = FaultProxy::start(server.addr()).expect("proxy");
    let redis = Redis::connect(through(&proxy)).await.unwrap();
    let mut changes = redis.state().changes();
    proxy.blackhole(true);
    tokio::time::pause();
    let started = Instant::now();
    let down = timeout(
        Duration::from_secs(60),
        next_change(&mut changes, |s| *s == ConnState::Disconnected),
    )
    .await;
    assert!(down.is_ok(), "a half-open link stayed up for a minute");
    assert!(
        started.elapsed() <= Duration::from_secs(16),
        "{:?}",
        started.elapsed()
    );
    proxy.blackhole(false);
}

#[actix_rt::test]
async fn a_caller_arriving_during_a_short_outage_waits_for_the_reconnect() {
    let server = RedisServer::start().expect("redis-server");
    let proxy = FaultProxy::start(server.addr()).expect("proxy");
    let redis = Redis::connect(through(&proxy)).await.unwrap();
    // Cut after cut, each link lives only as long as one command: a link that answered
    // requests is reconnected at once every time, not damped as a flapping peer would be
    // (500 ms, 750 ms, 1.1 s, ...).
    echo(&redis, "before the cuts").await.unwrap();
    for round in 0..8 {
        let mut changes = redis.state().changes();
        proxy.cut();
        next_change(&mut changes, |s| !s.is_connected()).await;
        let started = std::time::Instant::now();
        // Sent while the link is down: it waits for the reconnect instead of failing.
        echo(&redis, &format!("after cut {round}")).await.unwrap();
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_millis(400),
            "round {round}: {waited:?}"
        );
    }
}

#[actix_rt::test]
async fn during_a_long_outage_each_caller_waits_its_own_bounded_time() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(Config::from_url(&server.url()).unwrap())
        .await
        .unwrap();
    let mut changes = redis.state().changes();
    server.kill().unwrap();
    next_change(&mut changes, |s| matches!(s, ConnState::Backoff { .. })).await;
    tokio::time::pause();

    // Each request made during the outage waits up to `reconnect_wait` (1 s) from when
    // it was made, then fails with NotConnected (never sent): late in an outage as early
    // in it, so a caller that retries on error meets one error a second, not thousands.
    for round in 0..3 {
        let started = Instant::now();
        let outcome = echo(&redis, "waits").await;
        assert!(matches!(outcome, Err(Error::NotConnected)), "{outcome:?}");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(1) && waited <= Duration::from_millis(1100),
            "round {round}: waited {waited:?}"
        );
    }

    tokio::time::resume();
    server.restart().unwrap();
    redis.state().wait_for(ConnState::is_connected).await;
    echo(&redis, "back").await.unwrap();
}

#[actix_rt::test]
async fn the_reconnect_wait_stays_within_the_command_timeout() {
    let mut server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url())
        .unwrap()
        .command_timeout(Duration::from_millis(300));
    let redis = Redis::connect(config).await.unwrap();
    let mut changes = redis.state().changes();
    server.kill().unwrap();
    next_change(&mut changes, |s| matches!(s, ConnState::Backoff { .. })).await;
    tokio::time::pause();
    let started = Instant::now();
    let outcome = echo(&redis, "short deadline").await;
    assert!(matches!(outcome, Err(Error::NotConnected)), "{outcome:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited <= Duration::from_millis(400),
        "waited {waited:?}"
    );
}
