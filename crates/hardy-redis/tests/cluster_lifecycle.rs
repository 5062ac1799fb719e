//! What a cluster handle leaves running, on a real 6-node cluster: a slot's shard Pub/Sub
//! connection closes with its last subscription (and a later `ssubscribe` opens a new
//! one, also while other arbiters subscribe and drop on the same slot), and dropping the
//! last `Cluster` handle closes every connection it opened, as `stop()` does.

use std::time::{Duration, Instant};

use futures::StreamExt;
use hardy_redis::cluster::{key_slot, Cluster, ClusterConfig};
use hardy_redis::pubsub::{Event, Subscription};
use hardy_redis::{cmd, Error};
use hardy_testkit::RedisCluster;

const WITHIN: Duration = Duration::from_secs(10);

async fn connect(nodes: &RedisCluster) -> Cluster {
    Cluster::connect(ClusterConfig::new(nodes.addrs()).unwrap())
        .await
        .expect("cluster connects")
}

/// How many client connections node `i` has (the asking one included).
fn clients(nodes: &RedisCluster, i: usize) -> usize {
    let list = nodes.node(i).command(&["CLIENT", "LIST"]).unwrap();
    list.to_string().lines().count()
}

/// Polls (bounded) until node `i` has `n` clients.
async fn wait_clients(nodes: &RedisCluster, i: usize, n: usize) {
    let deadline = Instant::now() + WITHIN;
    loop {
        let now = clients(nodes, i);
        if now == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "node {i} has {now} clients, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn message(s: &mut Subscription) -> Vec<u8> {
    loop {
        let event = tokio::time::timeout(WITHIN, s.next())
            .await
            .expect("an event in time")
            .expect("stream open");
        if let Event::Message(m) = event {
            return m.payload.to_vec();
        }
    }
}

async fn publish(cluster: &Cluster, channel: &str, text: &str) -> i64 {
    cluster
        .command(cmd("SPUBLISH").arg(channel).arg(text))
        .await
        .unwrap()
}

#[actix_rt::test]
async fn a_slots_pubsub_connection_closes_with_its_last_subscription() {
    let nodes = RedisCluster::start().expect("cluster");
    let cluster = connect(&nodes).await;
    let owner = nodes.owner_of(key_slot(b"lease")).unwrap();
    let base = clients(&nodes, owner);

    // Two subscriptions in one slot share one connection.
    let first = cluster.ssubscribe(["lease"]).await.unwrap();
    let mut second = cluster.ssubscribe(["{lease}:b"]).await.unwrap();
    assert_eq!(clients(&nodes, owner), base + 1);
    drop(first);
    assert_eq!(publish(&cluster, "{lease}:b", "still").await, 1);
    assert_eq!(message(&mut second).await, b"still");
    assert_eq!(clients(&nodes, owner), base + 1);

    // The last one closes it.
    drop(second);
    wait_clients(&nodes, owner, base).await;

    // A new subscription opens a new one, which works.
    let mut again = cluster.ssubscribe(["lease"]).await.unwrap();
    assert_eq!(publish(&cluster, "lease", "again").await, 1);
    assert_eq!(message(&mut again).await, b"again");

    // A subscription under way (it holds the slot's connection while Redis confirms)
    // when the last other one is dropped keeps the connection.
    let (mut kept, ()) = futures::join!(cluster.ssubscribe(["lease"]), async { drop(again) });
    let kept_ok = kept.as_mut().unwrap();
    assert_eq!(clients(&nodes, owner), base + 1);
    assert_eq!(publish(&cluster, "lease", "kept").await, 1);
    assert_eq!(message(kept_ok).await, b"kept");
    drop(kept);
    wait_clients(&nodes, owner, base).await;

    // Two other arbiters subscribe and drop on the same slot at once, many times.
    let mut workers = Vec::new();
    for w in 0..2 {
        let arbiter = actix_rt::Arbiter::new();
        let cluster = cluster.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        arbiter.spawn(async move {
            let mut outcome = Ok(());
            for i in 0..50 {
                let channel = if (i + w) % 2 == 0 {
                    "lease"
                } else {
                    "{lease}:b"
                };
                if let Err(e) = cluster.ssubscribe([channel]).await {
                    outcome = Err(e);
                    break;
                }
            }
            let _ = tx.send(outcome);
        });
        workers.push((arbiter, rx));
    }
    for (arbiter, rx) in workers {
        let outcome: Result<(), Error> = tokio::time::timeout(WITHIN, rx)
            .await
            .expect("the worker finishes in time")
            .unwrap();
        if let Err(e) = outcome {
            panic!("an ssubscribe failed: {e:?}");
        }
        arbiter.stop();
    }
    wait_clients(&nodes, owner, base).await;
    let mut last = cluster.ssubscribe(["lease"]).await.unwrap();
    assert_eq!(publish(&cluster, "lease", "last").await, 1);
    assert_eq!(message(&mut last).await, b"last");
    drop(last);
    wait_clients(&nodes, owner, base).await;
    cluster.stop().await;
}

#[actix_rt::test]
async fn dropping_the_last_handle_stops_the_cluster() {
    let nodes = RedisCluster::start().expect("cluster");
    let primaries = nodes.primaries().unwrap();
    let base: Vec<usize> = primaries.iter().map(|&i| clients(&nodes, i)).collect();

    let cluster = connect(&nodes).await;
    let (_, node) = cluster.primaries()[0].clone();
    let mut news = cluster.ssubscribe(["news"]).await.unwrap();
    let news_owner = nodes.owner_of(key_slot(b"news")).unwrap();
    let with_pubsub = |i: usize| usize::from(i == news_owner);
    for (&i, &n) in primaries.iter().zip(&base) {
        assert_eq!(clients(&nodes, i), n + 1 + with_pubsub(i));
    }

    // A clone keeps it running.
    let clone = cluster.clone();
    drop(cluster);
    let pong: String = node.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");

    drop(clone);
    let deadline = Instant::now() + WITHIN;
    loop {
        match node.command::<String>(cmd("PING")).await {
            Err(Error::Stopped(_)) => break,
            other => assert!(Instant::now() < deadline, "still running: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The shard subscription's stream ends, and every connection is closed.
    let ended = tokio::time::timeout(WITHIN, async { while news.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the subscription's stream must end");
    for (&i, &n) in primaries.iter().zip(&base) {
        wait_clients(&nodes, i, n).await;
    }
}
