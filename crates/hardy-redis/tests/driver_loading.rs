//! A restarted server that is still loading its dataset answers `-LOADING` to every
//! command, though it accepts connections and the handshake. The driver does not call
//! such a link connected: requests wait for the load to end (within `reconnect_wait`)
//! instead of each failing with a `LOADING` error that says only "not yet".

use std::time::Duration;

use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, Redis};
use hardy_testkit::{FaultProxy, RedisConfig, RedisServer};
use tokio::time::Instant;

/// Enough keys, each loaded 1 ms apart, for a load of about a second; replies to other
/// clients (`-LOADING`) every kilobyte of the dump.
const KEYS: usize = 1_000;

/// Writes `key:0` .. `key:{KEYS - 1}`, each holding its number.
async fn fill(redis: &Redis) {
    let mut mset = cmd("MSET");
    for i in 0..KEYS {
        mset = mset.arg(format!("key:{i}")).arg(i);
    }
    let () = redis.command(mset).await.unwrap();
}

#[actix_rt::test]
async fn requests_during_a_restarted_servers_load_wait_for_it_instead_of_failing_with_loading() {
    let mut server = RedisServer::with_config(
        RedisConfig::new()
            .line("key-load-delay 1000")
            .line("loading-process-events-interval-bytes 1024"),
    )
    .expect("redis-server");
    let config = Config::from_url(&server.url())
        .unwrap()
        .backoff(Duration::from_millis(10), 1.5, Duration::from_millis(50))
        .reconnect_wait(Duration::from_secs(20))
        .command_timeout(Duration::from_secs(30));
    let redis = Redis::connect(config).await.unwrap();
    fill(&redis).await;
    server.command(&["SAVE"]).unwrap();

    // The restart returns once the server is ready, after its load: meanwhile the
    // callers below meet it loading.
    let restart = std::thread::spawn(move || {
        server.restart().expect("restart");
        server
    });
    let started = Instant::now();
    let mut answered = 0;
    let mut loading = 0;
    while !restart.is_finished() && started.elapsed() < Duration::from_secs(30) {
        match redis.command::<String>(cmd("GET").arg("key:7")).await {
            Ok(value) => {
                assert_eq!(value, "7");
                answered += 1;
            }
            Err(Error::Server(e)) if e.code() == "LOADING" => loading += 1,
            // The kill itself: the link drops under a request in flight.
            Err(Error::Disconnected(_)) => {}
            Err(other) => panic!("unexpected error during the restart: {other:?}"),
        }
    }
    let _server = restart.join().expect("restart thread");
    assert_eq!(
        loading, 0,
        "requests got -LOADING from a server still loading"
    );
    let value: String = redis.command(cmd("GET").arg("key:999")).await.unwrap();
    assert_eq!(value, "999");
    assert!(answered > 0);
}

/// `total_connections_received` of the server's `INFO stats` (this call's own included).
fn connections_received(server: &RedisServer) -> u64 {
    let info = server.command(&["INFO", "stats"]).unwrap().to_string();
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("total_connections_received in INFO stats")
}

/// A server holding [`KEYS`] keys, killed and restarting (its load takes about a second),
/// and a connection made with `config` while it loads.
async fn connected_during_a_load(
    config: impl Fn(&RedisServer) -> Config,
) -> (Redis, std::thread::JoinHandle<RedisServer>) {
    let mut server = RedisServer::with_config(
        RedisConfig::new()
            .line("key-load-delay 1000")
            .line("loading-process-events-interval-bytes 1024"),
    )
    .expect("redis-server");
    let config = config(&server);
    {
        let seed = Redis::connect(config.clone()).await.unwrap();
        fill(&seed).await;
    }
    server.command(&["SAVE"]).unwrap();
    server.kill().unwrap();
    let restart = std::thread::spawn(move || {
        server.restart().expect("restart");
        server
    });
    // Refused until the restarted server listens; then it is loading for about a second.
    let mut redis = None;
    for _ in 0..2_000 {
        if let Ok(r) = Redis::connect(config.clone()).await {
            redis = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let redis = redis.expect("no connect within 10 s");
    assert!(
        !restart.is_finished(),
        "the connect is meant to meet the server loading"
    );
    (redis, restart)
}

#[actix_rt::test]
async fn a_loading_server_is_waited_on_one_link_and_the_waiting_requests_are_answered_in_order() {
    let (redis, restart) = connected_during_a_load(|server| {
        Config::from_url(&server.url())
            .unwrap()
            .reconnect_wait(Duration::from_secs(20))
            .command_timeout(Duration::from_secs(30))
    })
    .await;
    let gets: Vec<_> = (0..20)
        .map(|i| {
            let redis = redis.clone();
            actix_rt::spawn(async move {
                redis
                    .command::<String>(cmd("GET").arg(format!("key:{i}")))
                    .await
            })
        })
        .collect();
    for (i, get) in gets.into_iter().enumerate() {
        assert_eq!(get.await.unwrap().unwrap(), i.to_string());
    }
    let server = restart.join().expect("restart thread");
    // hardy's one link (polled with PING while the server loaded) and this INFO's: no
    // reconnect every 100-200 ms, and no connect that failed on `-LOADING`.
    assert_eq!(connections_received(&server), 2);
}

#[actix_rt::test]
async fn a_request_that_outwaits_its_reconnect_wait_on_a_loading_server_is_never_sent() {
    let (redis, restart) = connected_during_a_load(|server| {
        Config::from_url(&server.url())
            .unwrap()
            .reconnect_wait(Duration::from_millis(100))
    })
    .await;
    let outcome = redis.command::<i64>(cmd("INCR").arg("not-sent")).await;
    assert!(matches!(outcome, Err(Error::NotConnected)), "{outcome:?}");
    let server = restart.join().expect("restart thread");
    let value: Option<i64> = redis.command(cmd("GET").arg("not-sent")).await.unwrap();
    assert_eq!(value, None, "the INCR ran");
    drop(server);
}

#[actix_rt::test]
async fn a_link_cut_during_the_load_is_replaced_and_the_waiting_requests_are_still_answered() {
    let proxy = std::cell::OnceCell::new();
    let (redis, restart) = connected_during_a_load(|server| {
        let proxy = proxy.get_or_init(|| FaultProxy::start(server.addr()).expect("proxy"));
        Config::new("127.0.0.1", proxy.addr().port())
            .reconnect_wait(Duration::from_secs(20))
            .command_timeout(Duration::from_secs(30))
    })
    .await;
    let get = {
        let redis = redis.clone();
        actix_rt::spawn(async move { redis.command::<String>(cmd("GET").arg("key:7")).await })
    };
    let mut changes = redis.state().changes();
    proxy.get().expect("proxy").cut();
    while changes.recv().await.unwrap() != ConnState::Disconnected {}
    redis.state().wait_for(ConnState::is_connected).await;
    assert!(
        !restart.is_finished(),
        "the new link is meant to meet the server still loading"
    );
    // Kept, never written, through the first link's loss: answered on the second.
    assert_eq!(get.await.unwrap().unwrap(), "7");
    let _server = restart.join().expect("restart thread");
    let value: String = redis.command(cmd("GET").arg("key:8")).await.unwrap();
    assert_eq!(value, "8");
}

async fn next(sub: &mut hardy_redis::pubsub::Subscription) -> Option<hardy_redis::pubsub::Event> {
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(30), sub.next())
        .await
        .expect("no event within 30 s")
}

#[actix_rt::test]
async fn a_subscriber_meeting_a_loading_server_backs_off_and_subscribes_once_it_is_ready() {
    use hardy_redis::pubsub::{Event, PubSub};

    let mut server = RedisServer::with_config(
        RedisConfig::new()
            .line("key-load-delay 1000")
            .line("loading-process-events-interval-bytes 1024"),
    )
    .expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap().backoff(
        Duration::from_millis(10),
        1.5,
        Duration::from_millis(50),
    );
    let redis = Redis::connect(config.clone()).await.unwrap();
    fill(&redis).await;
    server.command(&["SAVE"]).unwrap();
    let pubsub = PubSub::start(config);
    let mut sub = pubsub.subscribe(["news"]).await.unwrap();

    let restart = std::thread::spawn(move || {
        server.restart().expect("restart");
        server
    });
    assert_eq!(next(&mut sub).await, Some(Event::Disconnected));
    // Before the fix, the handshake met -LOADING... and the actor stopped: the stream
    // ended here instead.
    assert_eq!(next(&mut sub).await, Some(Event::Subscribed));
    let _server = restart.join().expect("restart thread");
    assert_eq!(redis.publish("news", "back").await.unwrap(), 1);
    match next(&mut sub).await {
        Some(Event::Message(m)) => assert_eq!(m.payload, "back".as_bytes()),
        other => panic!("expected the message, got {other:?}"),
    }
}

/// The handshake's `PING` only looks for a loading server: a user whose ACL does not
/// allow `PING` still connects and runs what it may.
#[actix_rt::test]
async fn a_user_without_ping_permission_still_connects() {
    let server = RedisServer::start().expect("redis-server");
    server
        .command(&["ACL", "SETUSER", "default", "-ping"])
        .unwrap();
    let redis = Redis::connect(Config::from_url(&server.url()).unwrap())
        .await
        .expect("PING refused by the ACL must not fail the connect");
    let () = redis.command(cmd("SET").arg("k").arg("v")).await.unwrap();
    let v: String = redis.command(cmd("GET").arg("k")).await.unwrap();
    assert_eq!(v, "v");
}
