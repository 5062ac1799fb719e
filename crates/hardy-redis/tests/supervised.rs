//! The Redis actor as a supervised child: its exit reason reaches the supervisor, and the
//! handle keeps working across restarts.

use std::time::Duration;

use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, ExitReason};
use hardy_supervisor::Supervisor;
use hardy_testkit::RedisServer;

#[actix_rt::test]
async fn a_connection_that_exits_on_disconnection_is_restarted_and_the_handle_follows() {
    let mut server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url())
        .unwrap()
        .exit_on_disconnection(true)
        .backoff(Duration::from_millis(20), 1.5, Duration::from_millis(200));
    let (spec, redis) = hardy_redis::child_spec("redis", config);
    let sup = Supervisor::builder()
        .intensity(5, Duration::from_secs(5))
        .child(spec)
        .start()
        .unwrap();
    let mut changes = redis.state().changes();
    redis.state().wait_for(ConnState::is_connected).await;
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");

    server.kill().unwrap();
    let stopped = loop {
        if let ConnState::Stopped(reason) = changes.recv().await.unwrap() {
            break reason;
        }
    };
    assert!(
        matches!(stopped, ExitReason::Error(ref m) if m.contains("disconnected")),
        "{stopped:?}"
    );
    server.restart().unwrap();
    loop {
        if changes.recv().await.unwrap() == ConnState::Connected {
            break;
        }
    }
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");

    let tree = sup.tree().await.unwrap();
    let child = tree.child("redis").expect("redis child");
    assert_eq!(child.restarts, 1);
    assert!(matches!(&child.last_exit, Some(ExitReason::Error(m)) if m.contains("disconnected")));
    sup.stop().await;
    assert!(matches!(
        redis.command::<String>(cmd("PING")).await,
        Err(Error::Stopped(_))
    ));
}

#[actix_rt::test]
async fn a_request_in_flight_when_the_supervisor_stops_the_connection_gets_disconnected() {
    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap();
    let (spec, redis) = hardy_redis::child_spec("redis", config);
    let sup = Supervisor::builder().child(spec).start().unwrap();
    redis.state().wait_for(ConnState::is_connected).await;
    server.pause().unwrap();
    let in_flight = {
        let redis = redis.clone();
        actix_rt::spawn(async move { redis.command::<String>(cmd("ECHO").arg("x")).await })
    };
    // Let the request reach the actor and be written before the stop.
    let mut events = sup.subscribe().await.unwrap();
    tokio::task::yield_now().await;
    sup.terminate_child("redis").await.unwrap();
    while !matches!(
        events.recv().await.unwrap().kind,
        hardy_supervisor::EventKind::Exited { .. }
    ) {}
    match in_flight.await.unwrap() {
        Err(Error::Disconnected(_)) => {}
        other => panic!("a request that may have run must say so, got {other:?}"),
    }
    server.resume().unwrap();
    sup.stop().await;
}

#[actix_rt::test]
async fn a_handle_made_from_a_spec_of_your_own_follows_a_terminate_and_restart() {
    use hardy_redis::{Redis, StateWatch};
    use hardy_supervisor::{ChildSpec, RestartType};

    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap();
    let state = StateWatch::new();
    let shared = state.clone();
    let spec = ChildSpec::worker("cache", move || {
        Ok(Redis::builder(config.clone())
            .with_state_watch(shared.clone())
            .build())
    })
    .restart(RestartType::Transient);
    let redis = Redis::from_child_ref(spec.child_ref().unwrap(), state);
    let sup = Supervisor::builder().child(spec).start().unwrap();
    redis.state().wait_for(ConnState::is_connected).await;
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");

    sup.terminate_child("cache").await.unwrap();
    // Not running: nothing is sent, and the handle says the connection stopped.
    assert!(redis.addr().is_none());
    let outcome = redis.command::<String>(cmd("PING")).await;
    assert!(matches!(outcome, Err(Error::Stopped(_))), "{outcome:?}");

    sup.restart_child("cache").await.unwrap();
    redis.state().wait_for(ConnState::is_connected).await;
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
    sup.stop().await;
}

#[actix_rt::test]
async fn the_deprecated_shutdown_message_still_stops_the_connection() {
    let server = RedisServer::start().expect("redis-server");
    let redis = hardy_redis::Redis::connect(Config::from_url(&server.url()).unwrap())
        .await
        .unwrap();
    let mut changes = redis.state().changes();
    #[allow(deprecated)]
    redis.addr().unwrap().do_send(hardy_redis::Shutdown);
    let reason = loop {
        if let ConnState::Stopped(reason) = changes.recv().await.unwrap() {
            break reason;
        }
    };
    assert_eq!(reason, ExitReason::Shutdown);
}
