//! Pub/Sub on its own connection actor, against real redis-server processes: calls return
//! once Redis confirmed, messages arrive in order, subscribers that go away are
//! unsubscribed at Redis, subscriptions come back after the link or the server drops, slow
//! subscribers follow their overflow policy; and RESP3 push frames on the ordinary
//! connection reach a push handler.

use std::time::Duration;

use actix::prelude::*;
use futures::StreamExt;
use hardy_redis::pubsub::{Event, Kind, Overflow, PubSub, PushHandler, Subscribe, Subscription};
use hardy_redis::{cmd, Config, Protocol, Redis};
use hardy_testkit::{ClientType, RedisServer, Reply};

const PATIENCE: Duration = Duration::from_secs(10);

fn config(server: &RedisServer) -> Config {
    Config::from_url(&server.url()).unwrap().backoff(
        Duration::from_millis(20),
        1.5,
        Duration::from_millis(200),
    )
}

async fn next(sub: &mut Subscription) -> Option<Event> {
    tokio::time::timeout(PATIENCE, sub.next())
        .await
        .expect("no event within 10 s")
}

async fn next_payload(sub: &mut Subscription) -> String {
    match next(sub).await {
        Some(Event::Message(m)) => m.payload_str().unwrap().to_owned(),
        other => panic!("expected a message, got {other:?}"),
    }
}

fn numsub(server: &RedisServer, verb: &str, channel: &str) -> i64 {
    match server.command(&["PUBSUB", verb, channel]).unwrap() {
        Reply::Array(Some(items)) => match items.get(1) {
            Some(Reply::Integer(n)) => *n,
            other => panic!("unexpected NUMSUB reply {other:?}"),
        },
        other => panic!("unexpected NUMSUB reply {other:?}"),
    }
}

/// Waits until every frame the Pub/Sub link received before now was handled: a fresh
/// subscriber's confirmation comes after them on the same socket, and its own message
/// after that.
async fn barrier(pubsub: &PubSub, redis: &Redis) {
    let mut marker = pubsub.subscribe(["barrier"]).await.unwrap();
    redis.publish("barrier", "now").await.unwrap();
    assert_eq!(next_payload(&mut marker).await, "now");
}

#[actix_rt::test]
async fn each_subscribe_call_returns_once_redis_confirmed_it() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let calls = (0..50).map(|i| {
        let (pubsub, redis) = (pubsub.clone(), redis.clone());
        async move {
            let channel = format!("confirm-{i}");
            let mut sub = pubsub
                .subscribe_with(
                    Subscribe::new()
                        .channel(&channel)
                        .pattern(format!("{channel}.*")),
                )
                .await
                .unwrap();
            // Confirmed: Redis already counts the subscriber, of both kinds.
            assert_eq!(redis.publish(&channel, "direct").await.unwrap(), 1);
            assert_eq!(
                redis
                    .publish(format!("{channel}.x"), "pattern")
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(next_payload(&mut sub).await, "direct");
            match next(&mut sub).await {
                Some(Event::Message(m)) => {
                    assert_eq!(m.kind, Kind::Pattern);
                    assert_eq!(
                        m.pattern.as_deref(),
                        Some(format!("{channel}.*").as_bytes())
                    );
                    assert_eq!(m.channel, format!("{channel}.x").as_bytes());
                }
                other => panic!("expected the pattern message, got {other:?}"),
            }
        }
    });
    futures::future::join_all(calls).await;
}

#[actix_rt::test]
async fn a_thousand_messages_arrive_in_order_on_each_channel() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let mut a = pubsub.subscribe(["order-a"]).await.unwrap();
    let mut b = pubsub.subscribe(["order-b"]).await.unwrap();
    let publishes = (0..1000).flat_map(|i| {
        let redis = redis.clone();
        [("order-a", i), ("order-b", i)].map(move |(ch, i)| {
            let redis = redis.clone();
            async move { redis.publish(ch, i.to_string()).await.unwrap() }
        })
    });
    // Sent concurrently, pipelined in this order on one connection.
    futures::future::join_all(publishes).await;
    for i in 0..1000 {
        assert_eq!(next_payload(&mut a).await, i.to_string());
        assert_eq!(next_payload(&mut b).await, i.to_string());
    }
    assert_eq!(a.dropped() + b.dropped(), 0);
}

#[actix_rt::test]
async fn a_dropped_subscriber_is_unsubscribed_at_redis_when_nobody_else_listens() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let first = pubsub.subscribe(["shared"]).await.unwrap();
    let second = pubsub.subscribe(["shared"]).await.unwrap();
    let shard = pubsub.ssubscribe(["shard-shared"]).await.unwrap();
    assert_eq!(numsub(&server, "NUMSUB", "shared"), 1);
    assert_eq!(numsub(&server, "SHARDNUMSUB", "shard-shared"), 1);

    drop(first);
    barrier(&pubsub, &redis).await;
    assert_eq!(
        numsub(&server, "NUMSUB", "shared"),
        1,
        "the second still listens"
    );

    drop(second);
    drop(shard);
    barrier(&pubsub, &redis).await;
    assert_eq!(numsub(&server, "NUMSUB", "shared"), 0);
    assert_eq!(numsub(&server, "SHARDNUMSUB", "shard-shared"), 0);
}

async fn survives(mut outage: impl FnMut(&mut RedisServer)) {
    let mut server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let mut channel = pubsub.subscribe(["news"]).await.unwrap();
    let mut pattern = pubsub.psubscribe(["news.*"]).await.unwrap();
    let mut shard = pubsub.ssubscribe(["shard-news"]).await.unwrap();

    outage(&mut server);
    for sub in [&mut channel, &mut pattern, &mut shard] {
        assert_eq!(next(sub).await, Some(Event::Disconnected));
        assert_eq!(next(sub).await, Some(Event::Subscribed));
    }
    let published = async {
        assert_eq!(redis.publish("news", "after").await.unwrap(), 1);
        assert_eq!(redis.publish("news.x", "after").await.unwrap(), 1);
        assert_eq!(redis.spublish("shard-news", "after").await.unwrap(), 1);
    };
    tokio::time::timeout(PATIENCE, published).await.unwrap();
    for sub in [&mut channel, &mut pattern, &mut shard] {
        assert_eq!(next_payload(sub).await, "after");
    }
}

#[actix_rt::test]
async fn client_kill_of_the_pubsub_link_resubscribes_and_tells_subscribers() {
    survives(|server| {
        assert_eq!(server.client_kill(ClientType::PubSub).unwrap(), 1);
    })
    .await;
}

#[actix_rt::test]
async fn a_server_restart_resubscribes_and_tells_subscribers() {
    survives(|server| server.restart().unwrap()).await;
}

#[actix_rt::test]
async fn a_slow_subscriber_loses_its_oldest_messages_and_counts_them() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let mut slow = pubsub
        .subscribe_with(Subscribe::new().channel("busy").buffer(4))
        .await
        .unwrap();
    for i in 0..10 {
        redis.publish("busy", i.to_string()).await.unwrap();
    }
    barrier(&pubsub, &redis).await;
    assert_eq!(slow.dropped(), 6);
    for i in 6..10 {
        assert_eq!(next_payload(&mut slow).await, i.to_string());
    }
    // Still subscribed.
    redis.publish("busy", "later").await.unwrap();
    assert_eq!(next_payload(&mut slow).await, "later");
}

#[actix_rt::test]
async fn a_slow_subscriber_with_the_disconnect_policy_is_dropped_and_unsubscribed() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let mut slow = pubsub
        .subscribe_with(
            Subscribe::new()
                .channel("firehose")
                .buffer(4)
                .overflow(Overflow::Disconnect),
        )
        .await
        .unwrap();
    for i in 0..10 {
        redis.publish("firehose", i.to_string()).await.unwrap();
    }
    barrier(&pubsub, &redis).await;
    assert_eq!(slow.dropped(), 1);
    for i in 0..4 {
        assert_eq!(next_payload(&mut slow).await, i.to_string());
    }
    assert_eq!(next(&mut slow).await, None, "the stream ends");
    assert_eq!(numsub(&server, "NUMSUB", "firehose"), 0);
}

#[actix_rt::test]
async fn sharded_channels_deliver_spublished_messages() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let mut sub = pubsub
        .ssubscribe(["{user:1}.inbox", "{user:2}.inbox"])
        .await
        .unwrap();
    assert_eq!(numsub(&server, "SHARDNUMSUB", "{user:2}.inbox"), 1);
    assert_eq!(redis.spublish("{user:2}.inbox", "hi").await.unwrap(), 1);
    match next(&mut sub).await {
        Some(Event::Message(m)) => {
            assert_eq!(m.kind, Kind::Shard);
            assert_eq!(m.channel, "{user:2}.inbox".as_bytes());
            assert_eq!(m.payload, "hi".as_bytes());
        }
        other => panic!("expected a shard message, got {other:?}"),
    }
}

struct Collector(tokio::sync::mpsc::UnboundedSender<Event>);

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<Event> for Collector {
    type Result = ();
    fn handle(&mut self, event: Event, _: &mut Context<Self>) {
        let _ = self.0.send(event);
    }
}

#[actix_rt::test]
async fn a_recipient_receives_messages_and_its_stopping_unsubscribes_it() {
    let server = RedisServer::start().expect("redis-server");
    let pubsub = PubSub::start(config(&server));
    let redis = Redis::connect(config(&server)).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let collector = Collector(tx).start();
    pubsub
        .subscribe_recipient(
            Subscribe::new().channel("to-actor"),
            collector.clone().recipient(),
        )
        .await
        .unwrap();
    redis.publish("to-actor", "hello").await.unwrap();
    match tokio::time::timeout(PATIENCE, rx.recv()).await.unwrap() {
        Some(Event::Message(m)) => assert_eq!(m.payload, "hello".as_bytes()),
        other => panic!("expected a message, got {other:?}"),
    }
    collector.do_send(StopCollector);
    drop(collector);
    // A stopped recipient is noticed at the next message (or by the periodic sweep):
    // publish until the actor has stopped and the channel is unsubscribed.
    let mut subscribed = numsub(&server, "NUMSUB", "to-actor");
    for _ in 0..500 {
        if subscribed == 0 {
            break;
        }
        redis.publish("to-actor", "nobody").await.unwrap();
        barrier(&pubsub, &redis).await;
        subscribed = numsub(&server, "NUMSUB", "to-actor");
    }
    assert_eq!(subscribed, 0);
}

#[derive(Message)]
#[rtype(result = "()")]
struct StopCollector;

impl Handler<StopCollector> for Collector {
    type Result = ();
    fn handle(&mut self, _: StopCollector, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

#[actix_rt::test]
async fn a_supervised_pubsub_handle_works_once_the_supervisor_starts() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let (spec, pubsub) = hardy_redis::pubsub::child_spec("pubsub", config(&server));
    let sup = hardy_supervisor::Supervisor::builder()
        .child(spec)
        .start()
        .unwrap();
    let mut sub = pubsub.subscribe(["supervised"]).await.unwrap();
    redis.publish("supervised", "ok").await.unwrap();
    assert_eq!(next_payload(&mut sub).await, "ok");
    sup.stop().await;
}

#[actix_rt::test]
async fn a_push_handler_receives_client_tracking_invalidations_on_resp3() {
    let server = RedisServer::start().expect("redis-server");
    let (handler, mut pushes) = PushHandler::stream(16);
    let tracked = Redis::connect(
        config(&server)
            .protocol(Protocol::Resp3)
            .push_handler(handler),
    )
    .await
    .unwrap();
    let writer = Redis::connect(config(&server)).await.unwrap();
    tracked
        .command::<()>(cmd("CLIENT").arg("TRACKING").arg("ON"))
        .await
        .unwrap();
    let _: Option<String> = tracked.command(cmd("GET").arg("cached")).await.unwrap();
    writer
        .command::<()>(cmd("SET").arg("cached").arg("new"))
        .await
        .unwrap();
    let push = tokio::time::timeout(PATIENCE, pushes.next())
        .await
        .unwrap()
        .expect("a push");
    assert_eq!(push.0[0].as_str(), Some("invalidate"));
    let keys = push.0[1].as_slice().expect("the invalidated keys");
    assert_eq!(keys[0].as_str(), Some("cached"));
}

async fn frozen_server_is_noticed(protocol: Protocol) {
    let server = RedisServer::start().expect("redis-server");
    let watched = config(&server)
        .protocol(protocol)
        .health_check(Duration::from_millis(100))
        .command_timeout(Duration::from_millis(300))
        .connect_timeout(Duration::from_millis(300));
    let pubsub = PubSub::start(watched);
    let mut sub = pubsub.subscribe(["news"]).await.unwrap();

    server.pause().unwrap();
    let told = tokio::time::timeout(PATIENCE, sub.next()).await;
    server.resume().unwrap();
    assert_eq!(
        told.expect("a frozen server must be noticed by the health check"),
        Some(Event::Disconnected)
    );
    assert_eq!(next(&mut sub).await, Some(Event::Subscribed));
    let redis = Redis::connect(config(&server)).await.unwrap();
    assert_eq!(redis.publish("news", "back").await.unwrap(), 1);
    assert_eq!(next_payload(&mut sub).await, "back");
}

#[actix_rt::test]
async fn the_health_check_notices_a_frozen_server_on_a_subscribed_resp2_link() {
    frozen_server_is_noticed(Protocol::Resp2).await;
}

#[actix_rt::test]
async fn the_health_check_notices_a_frozen_server_on_a_subscribed_resp3_link() {
    frozen_server_is_noticed(Protocol::Resp3).await;
}

#[actix_rt::test]
async fn the_health_check_keeps_a_quiet_subscribed_link_up() {
    let server = RedisServer::start().expect("redis-server");
    // A probe whose pong went unmatched would time out within 100 ms and drop the link.
    let pubsub = PubSub::start(
        config(&server)
            .health_check(Duration::from_millis(20))
            .command_timeout(Duration::from_millis(100)),
    );
    let mut sub = pubsub.subscribe(["quiet"]).await.unwrap();
    // Many probes come and go while nothing is published (counted by Redis itself): each
    // pong is matched, none times out, and the subscriber sees no outage.
    let pings = || match server.command(&["INFO", "commandstats"]).unwrap() {
        Reply::Bulk(Some(text)) => String::from_utf8_lossy(&text)
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_ping:calls="))
            .and_then(|rest| rest.split(',').next()?.parse::<u64>().ok())
            .unwrap_or(0),
        other => panic!("unexpected INFO reply {other:?}"),
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while pings() < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no health checks ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let redis = Redis::connect(config(&server)).await.unwrap();
    redis.publish("quiet", "still here").await.unwrap();
    assert_eq!(next_payload(&mut sub).await, "still here");
}
