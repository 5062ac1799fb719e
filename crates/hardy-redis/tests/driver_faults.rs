//! Faults on real redis-server processes: every request gets exactly one outcome (its own
//! reply or a typed error), replies never go to the wrong caller, and the connection
//! comes back by itself.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::join_all;
use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, Pipeline, Redis};
use hardy_testkit::{ClientType, RedisConfig, RedisServer};
use tokio::sync::broadcast;

fn config(server: &RedisServer) -> Config {
    Config::from_url(&server.url()).unwrap().backoff(
        Duration::from_millis(20),
        1.5,
        Duration::from_millis(200),
    )
}

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

fn is_backoff(s: &ConnState) -> bool {
    matches!(s, ConnState::Backoff { .. })
}

/// A connection to `server` made with `tune(config(server))`, then the server killed and
/// the connection backing off.
async fn backing_off(server: &mut RedisServer, tune: impl FnOnce(Config) -> Config) -> Redis {
    let redis = Redis::connect(tune(config(server))).await.unwrap();
    let mut changes = redis.state().changes();
    server.kill().unwrap();
    next_change(&mut changes, is_backoff).await;
    redis
}

/// `ECHO <tag>` answered with anything but its own tag is a misaligned reply.
async fn echo(redis: &Redis, tag: String) -> Result<(), Error> {
    let got: String = redis.command(cmd("ECHO").arg(tag.as_str())).await?;
    assert_eq!(got, tag, "a reply went to the wrong caller");
    Ok(())
}

#[actix_rt::test]
async fn killing_the_server_with_1000_commands_in_flight_gives_each_its_reply_or_disconnected() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let answered = Rc::new(Cell::new(0usize));
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let (redis, answered) = (redis.clone(), answered.clone());
            actix_rt::spawn(async move {
                let outcome = echo(&redis, format!("cmd-{i}")).await;
                answered.set(answered.get() + 1);
                outcome
            })
        })
        .collect();
    while answered.get() < 100 {
        tokio::task::yield_now().await;
    }
    let mut changes = redis.state().changes();
    server.kill().unwrap();
    let outcomes: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(outcomes.len(), 1000);
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    let lost: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(ok >= 100, "{ok} replies");
    for err in &lost {
        assert!(
            matches!(err, Error::Disconnected(_) | Error::NotConnected),
            "unexpected outcome {err:?}"
        );
    }
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    server.restart().unwrap();
    next_change(&mut changes, ConnState::is_connected).await;
    echo(&redis, "after restart".into()).await.unwrap();
}

/// The `retry_in` of a backoff state.
fn retry_in(state: ConnState) -> Duration {
    match state {
        ConnState::Backoff { retry_in, .. } => retry_in,
        other => panic!("not a backoff: {other:?}"),
    }
}

#[actix_rt::test]
async fn a_server_killed_again_soon_after_it_came_back_is_retried_from_the_first_delay() {
    // A crash loop slower than the requests, a rolling restart: the link that came back
    // answered, so its drop starts the backoff over instead of going on from the grown
    // delays of the outage before (the link was up far less than `reset_backoff_after`).
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(
        Config::from_url(&server.url())
            .unwrap()
            .backoff(Duration::from_millis(100), 2.0, Duration::from_secs(1))
            .backoff_jitter(hardy_redis::Jitter::None),
    )
    .await
    .unwrap();
    let mut changes = redis.state().changes();
    for round in 0..2 {
        server.kill().unwrap();
        // A reconnect at once (refused), then the policy's delays from the first.
        let first = retry_in(next_change(&mut changes, is_backoff).await);
        let second = retry_in(next_change(&mut changes, is_backoff).await);
        assert_eq!(
            [first, second],
            [Duration::from_millis(100), Duration::from_millis(200)],
            "round {round}"
        );
        server.restart().unwrap();
        next_change(&mut changes, ConnState::is_connected).await;
        echo(&redis, format!("round {round}")).await.unwrap();
    }
}

#[actix_rt::test]
async fn client_kill_mid_pipeline_fails_whole_pipelines_and_never_misaligns() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let sent = Rc::new(Cell::new(0usize));
    let tasks: Vec<_> = (0..40)
        .map(|p| {
            let (redis, sent) = (redis.clone(), sent.clone());
            actix_rt::spawn(async move {
                let tags: Vec<String> = (0..50).map(|i| format!("p{p}-{i}")).collect();
                let pipeline: Pipeline = tags.iter().map(|t| cmd("ECHO").arg(t.as_str())).collect();
                sent.set(sent.get() + 1);
                let outcome = redis.pipeline::<Vec<String>>(pipeline).await;
                if let Ok(replies) = &outcome {
                    assert_eq!(replies, &tags, "pipeline replies misaligned");
                }
                outcome.map(drop)
            })
        })
        .collect();
    while sent.get() < 20 {
        tokio::task::yield_now().await;
    }
    let mut changes = redis.state().changes();
    assert!(server.client_kill(ClientType::Normal).unwrap() >= 1);
    for outcome in join_all(tasks).await {
        match outcome.unwrap() {
            Ok(()) | Err(Error::Disconnected(_)) | Err(Error::NotConnected) => {}
            Err(other) => panic!("unexpected outcome {other:?}"),
        }
    }
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    next_change(&mut changes, ConnState::is_connected).await;
    echo(&redis, "after kill".into()).await.unwrap();
}

#[actix_rt::test]
async fn a_paused_server_times_commands_out_and_later_replies_stay_aligned() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(
        config(&server)
            .command_timeout(Duration::from_secs(2))
            .max_consecutive_timeouts(0),
    )
    .await
    .unwrap();
    server.pause().unwrap();
    tokio::time::pause();
    let stalled = join_all((0..50).map(|i| echo(&redis, format!("stalled-{i}")))).await;
    for outcome in stalled {
        assert!(matches!(outcome, Err(Error::Timeout(d)) if d == Duration::from_secs(2)));
    }
    // Back to real time: the late replies arrive now and must be discarded, not handed
    // to the next callers.
    tokio::time::resume();
    server.resume().unwrap();
    let fresh = join_all((0..200).map(|i| echo(&redis, format!("fresh-{i}")))).await;
    for outcome in fresh {
        outcome.unwrap();
    }
    assert_eq!(redis.state().get(), ConnState::Connected);
}

#[actix_rt::test]
async fn a_wrong_password_is_a_configuration_error_and_is_not_retried() {
    let server = RedisConfig::new()
        .password("right")
        .start()
        .expect("redis-server");
    let wrong = config(&server).password("wrong");
    match Redis::connect(wrong.clone()).await {
        Err(Error::Handshake { step, error }) => {
            assert_eq!(step, "HELLO");
            assert_eq!(error.code(), "WRONGPASS");
        }
        other => panic!("expected a handshake error, got {other:?}"),
    }
    let redis = Redis::start(wrong);
    let mut changes = redis.state().changes();
    let mut attempts = 0;
    loop {
        match changes.recv().await.unwrap() {
            ConnState::Connecting { .. } => attempts += 1,
            ConnState::Stopped(reason) => {
                assert!(reason.to_string().contains("WRONGPASS"), "{reason}");
                break;
            }
            ConnState::Backoff { .. } => panic!("a handshake refusal must not back off"),
            _ => {}
        }
    }
    assert_eq!(attempts, 1);
    match redis.command::<String>(cmd("PING")).await {
        Err(Error::Stopped(reason)) => assert!(reason.contains("WRONGPASS"), "{reason}"),
        other => panic!("expected Stopped, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_server_down_at_start_is_retried_with_backoff_until_it_is_up() {
    let mut server = RedisServer::start().expect("redis-server");
    server.stop().unwrap();
    let redis = Redis::start(config(&server));
    let mut changes = redis.state().changes();
    next_change(&mut changes, |s| {
        matches!(s, ConnState::Backoff { attempt: 3, .. })
    })
    .await;
    server.restart().unwrap();
    next_change(&mut changes, ConnState::is_connected).await;
    echo(&redis, "finally".into()).await.unwrap();
}

#[actix_rt::test]
async fn while_disconnected_commands_fail_at_once_with_not_connected() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server).reconnect_wait(Duration::ZERO).backoff(
        Duration::from_secs(60),
        1.0,
        Duration::from_secs(60),
    ))
    .await
    .unwrap();
    let mut changes = redis.state().changes();
    server.kill().unwrap();
    next_change(&mut changes, is_backoff).await;
    assert!(matches!(
        redis.command::<String>(cmd("PING")).await,
        Err(Error::NotConnected)
    ));
}

#[actix_rt::test]
async fn an_opt_in_queue_keeps_a_request_past_the_reconnect_wait() {
    let mut server = RedisServer::start().expect("redis-server");
    // The default reconnect_wait (1 s) with the queue on: the queue decides.
    let redis = backing_off(&mut server, |c| c.queue_while_disconnected(10)).await;
    tokio::time::pause();
    let kept = {
        let redis = redis.clone();
        actix_rt::spawn(async move { echo(&redis, "kept past the wait".into()).await })
    };
    // Three seconds: past the reconnect wait, within the 5 s command timeout.
    for _ in 0..30 {
        tokio::time::advance(Duration::from_millis(100)).await;
    }
    assert!(
        !kept.is_finished(),
        "the queued request gave up at the reconnect wait"
    );
    tokio::time::resume();
    server.restart().unwrap();
    kept.await.unwrap().unwrap();
}

#[actix_rt::test]
async fn an_opt_in_queue_keeps_commands_until_the_connection_is_back() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = backing_off(&mut server, |c| {
        c.queue_while_disconnected(10)
            .reconnect_wait(Duration::ZERO)
    })
    .await;
    let sent = Rc::new(Cell::new(0usize));
    let queued: Vec<_> = (0..10)
        .map(|i| {
            let (redis, sent) = (redis.clone(), sent.clone());
            actix_rt::spawn(async move {
                sent.set(sent.get() + 1);
                echo(&redis, format!("queued-{i}")).await
            })
        })
        .collect();
    // Once every task has run, its command is in the mailbox (a command is sent on its
    // first poll); the eleventh, behind them, finds the queue full.
    while sent.get() < 10 {
        tokio::task::yield_now().await;
    }
    let overflow = echo(&redis, "one too many".into()).await;
    assert!(
        matches!(overflow, Err(Error::QueueFull(10))),
        "{overflow:?}"
    );
    server.restart().unwrap();
    for outcome in join_all(queued).await {
        outcome.unwrap().unwrap();
    }
}

#[actix_rt::test]
async fn commands_sent_while_connecting_wait_for_the_connect() {
    let server = RedisServer::start().expect("redis-server");
    server.pause().unwrap();
    let redis = Redis::start(config(&server));
    redis
        .state()
        .wait_for(|s| matches!(s, ConnState::Connecting { .. }))
        .await;
    let waiting: Vec<_> = (0..20)
        .map(|i| {
            let redis = redis.clone();
            actix_rt::spawn(async move { echo(&redis, format!("early-{i}")).await })
        })
        .collect();
    tokio::task::yield_now().await;
    server.resume().unwrap();
    for outcome in join_all(waiting).await {
        outcome.unwrap().unwrap();
    }
}

#[actix_rt::test]
async fn the_health_check_drops_a_half_open_link() {
    let server = RedisServer::start().expect("redis-server");
    let proxy = hardy_testkit::FaultProxy::start(server.addr()).expect("proxy");
    let config = Config::new("127.0.0.1", proxy.addr().port())
        .health_check(Duration::from_secs(1))
        .command_timeout(Duration::from_millis(500))
        .backoff(Duration::from_secs(60), 1.0, Duration::from_secs(60));
    let redis = Redis::connect(config).await.unwrap();
    let mut changes = redis.state().changes();
    // The peer stops answering without closing anything; only the probe can tell.
    proxy.blackhole(true);
    tokio::time::pause();
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    // The link had been up for a while: the first reconnect goes at once.
    assert_eq!(
        changes.recv().await.unwrap(),
        ConnState::Connecting { attempt: 1 }
    );
}

#[actix_rt::test]
async fn a_stalled_server_bounds_the_requests_in_flight() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server).max_in_flight(50))
        .await
        .unwrap();
    server.pause().unwrap();
    tokio::time::pause();
    let outcomes = join_all((0..60).map(|i| echo(&redis, format!("stalled-{i}")))).await;
    let overloaded = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Overloaded(50))))
        .count();
    let timed_out = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Timeout(_))))
        .count();
    assert_eq!((overloaded, timed_out), (10, 50));
    tokio::time::resume();
    server.resume().unwrap();
}

#[actix_rt::test]
async fn a_queued_command_still_unsent_at_its_deadline_fails_with_not_connected() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = backing_off(&mut server, |c| {
        c.queue_while_disconnected(10)
            .reconnect_wait(Duration::ZERO)
            .command_timeout(Duration::from_secs(1))
            .backoff(Duration::from_secs(60), 1.0, Duration::from_secs(60))
    })
    .await;
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let outcome = echo(&redis, "kept".into()).await;
    assert!(matches!(outcome, Err(Error::NotConnected)), "{outcome:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited <= Duration::from_millis(1100),
        "answered after {waited:?}"
    );
}

#[actix_rt::test]
async fn a_busy_server_at_handshake_is_retried_not_treated_as_a_configuration_error() {
    let server = RedisConfig::new()
        .line("maxclients 1")
        .start()
        .expect("redis-server");
    // Take the only client slot: Redis accepts the next connection and answers
    // "-ERR max number of clients reached" to its HELLO.
    let hog = std::net::TcpStream::connect(server.addr()).unwrap();
    let redis = Redis::start(config(&server));
    let mut changes = redis.state().changes();
    next_change(&mut changes, |s| {
        assert!(!matches!(s, ConnState::Stopped(_)), "stopped: {s:?}");
        matches!(s, ConnState::Backoff { attempt: 3, .. })
    })
    .await;
    drop(hog);
    next_change(&mut changes, ConnState::is_connected).await;
    echo(&redis, "room at last".into()).await.unwrap();
}

#[actix_rt::test]
async fn dropping_the_last_handle_shuts_the_connection_down() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let state = redis.state().clone();
    let mut changes = state.changes();
    let clone = redis.clone();
    drop(redis);
    echo(&clone, "still owned".into()).await.unwrap();
    drop(clone);
    let stopped = next_change(&mut changes, |s| matches!(s, ConnState::Stopped(_))).await;
    assert_eq!(
        stopped,
        ConnState::Stopped(hardy_redis::ExitReason::Shutdown)
    );
}

#[actix_rt::test]
async fn a_noreply_that_times_out_drops_the_link_since_its_reply_mode_is_unknown() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(
        config(&server)
            .command_timeout(Duration::from_secs(1))
            .backoff(Duration::from_secs(60), 1.0, Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let mut changes = redis.state().changes();
    server.pause().unwrap();
    tokio::time::pause();
    let outcome = redis
        .noreply(Pipeline::new().cmd(cmd("SET").arg("k").arg("v")))
        .await;
    assert!(matches!(outcome, Err(Error::Timeout(_))), "{outcome:?}");
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    tokio::time::resume();
    server.resume().unwrap();
}
