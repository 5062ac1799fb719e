//! A real 6-node Redis Cluster (3 primaries, 3 replicas): routing by key slot, hash tags,
//! multi-key commands, pipelines and transactions, typed commands, a cluster-wide scan,
//! seeds that are down.
//!
//! One cluster serves every check here (nothing in it changes the topology), so the
//! checks share one test.

use std::time::Duration;

use hardy_redis::cluster::{key_slot, Cluster, ClusterConfig, ClusterError};
use hardy_redis::{cmd, Error, Frame, Pipeline, ScanOptions, StringCommands};
use hardy_testkit::RedisCluster;

async fn connect(cluster: &RedisCluster) -> Cluster {
    let config = ClusterConfig::new(cluster.addrs()).unwrap();
    Cluster::connect(config).await.expect("cluster connects")
}

/// A key whose slot lies in `[from, to]`.
fn key_in(from: u16, to: u16, salt: &str) -> String {
    (0..)
        .map(|i| format!("{salt}:{i}"))
        .find(|k| (from..=to).contains(&key_slot(k.as_bytes())))
        .unwrap()
}

#[actix_rt::test]
async fn commands_reach_the_owner_of_their_slot() {
    let nodes = RedisCluster::start().expect("cluster");
    let cluster = connect(&nodes).await;

    every_slot_range_reaches_its_owner(&cluster, &nodes).await;
    hash_tags_keep_keys_together(&cluster).await;
    cross_slot_commands_are_refused_before_sending(&cluster).await;
    multi_key_commands_are_split_per_slot(&cluster).await;
    pipelines_keep_the_callers_order(&cluster).await;
    transactions_stay_in_one_slot(&cluster).await;
    keyless_commands_join_a_pipeline_batch(&cluster).await;
    a_scan_visits_every_primary(&cluster).await;
    typed_commands_and_broadcasts_work(&cluster).await;
    cluster.stop().await;
    assert!(
        matches!(
            cluster.ssubscribe(["after-stop"]).await,
            Err(Error::Stopped(_))
        ),
        "a stopped cluster must not start a shard Pub/Sub connection"
    );

    replicas_serve_reads_when_asked(&nodes).await;
    seeds_that_are_down_are_skipped(&nodes).await;
}

async fn replicas_serve_reads_when_asked(nodes: &RedisCluster) {
    let config = ClusterConfig::new(nodes.addrs())
        .unwrap()
        .read_from_replicas(true);
    let cluster = Cluster::connect(config).await.unwrap();
    let key = key_in(0, 5000, "replicated");
    let () = cluster
        .command(cmd("SET").arg(&key).arg("v"))
        .await
        .unwrap();
    // Replication is asynchronous: the replica sees the write a little later.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let got: Option<String> = cluster.command(cmd("GET").arg(&key)).await.unwrap();
        if got.as_deref() == Some("v") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never saw the write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let owner = nodes.owner_of(key_slot(key.as_bytes())).unwrap();
    let replica = nodes.replicas_of(owner).unwrap()[0];
    // CLUSTER SHARDS calls a replica "loading" until the cluster has gossiped its
    // replication offset: until then reads go to the primary. Re-read until it is used.
    let served = |node: usize| {
        nodes
            .node(node)
            .command(&["INFO", "commandstats"])
            .unwrap()
            .to_string()
            .contains("cmdstat_get:")
    };
    while !served(replica) {
        assert!(
            tokio::time::Instant::now() < deadline + Duration::from_secs(5),
            "the replica never served a GET"
        );
        cluster.refresh().await.unwrap();
        let got: Option<String> = cluster.command(cmd("GET").arg(&key)).await.unwrap();
        assert!(got.is_none() || got.as_deref() == Some("v"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let primary_stats = nodes
        .node(owner)
        .command(&["INFO", "commandstats"])
        .unwrap()
        .to_string();
    assert!(primary_stats.contains("cmdstat_set:"));
    cluster.stop().await;
}

async fn every_slot_range_reaches_its_owner(cluster: &Cluster, nodes: &RedisCluster) {
    // A key in each sixteenth of the slot space, written through the cluster, is on the
    // node that owns its slot and no other.
    for part in 0..16u16 {
        let (from, to) = (part * 1024, part * 1024 + 1023);
        let key = key_in(from, to, "range");
        let () = cluster
            .command(cmd("SET").arg(&key).arg(part))
            .await
            .unwrap();
        let owner = nodes.owner_of(key_slot(key.as_bytes())).unwrap();
        let there = nodes.node(owner).command(&["GET", &key]).unwrap();
        assert_eq!(there.to_string(), part.to_string(), "{key} on node {owner}");
        let back: u16 = cluster.command(cmd("GET").arg(&key)).await.unwrap();
        assert_eq!(back, part);
    }
}

async fn hash_tags_keep_keys_together(cluster: &Cluster) {
    let () = cluster
        .command(cmd("MSET").arg("{tag}:a").arg(1).arg("{tag}:b").arg(2))
        .await
        .unwrap();
    let sum: i64 = cluster
        .command(
            cmd("EVAL")
                .arg("return redis.call('GET', KEYS[1]) + redis.call('GET', KEYS[2])")
                .arg(2)
                .arg("{tag}:a")
                .arg("{tag}:b"),
        )
        .await
        .unwrap();
    assert_eq!(sum, 3);
}

async fn cross_slot_commands_are_refused_before_sending(cluster: &Cluster) {
    let (a, b) = (key_in(0, 100, "x"), key_in(16_000, 16_383, "y"));
    let err = cluster
        .command::<i64>(cmd("SUNIONSTORE").arg("dest").arg(&a).arg(&b))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Cluster(ClusterError::CrossSlot { .. })),
        "{err}"
    );
    assert!(!err.maybe_executed());
    let scan = cluster
        .command::<Frame>(cmd("SCAN").arg(0))
        .await
        .unwrap_err();
    assert!(matches!(
        scan,
        Error::Cluster(ClusterError::Unsupported { .. })
    ));
}

async fn multi_key_commands_are_split_per_slot(cluster: &Cluster) {
    let keys: Vec<String> = (0..3u16)
        .map(|i| key_in(i * 5461, i * 5461 + 5000, "multi"))
        .collect();
    let mut mset = cmd("MSET");
    for (i, k) in keys.iter().enumerate() {
        mset = mset.arg(k).arg(i);
    }
    let () = cluster.command(mset).await.unwrap();
    let mut mget = cmd("MGET");
    for k in keys.iter().rev() {
        mget = mget.arg(k);
    }
    let values: Vec<Option<u32>> = cluster.command(mget.arg("missing")).await.unwrap();
    assert_eq!(values, vec![Some(2), Some(1), Some(0), None]);
    let mut exists = cmd("EXISTS");
    for k in &keys {
        exists = exists.arg(k);
    }
    let n: i64 = cluster.command(exists).await.unwrap();
    assert_eq!(n, 3);
    let mut del = cmd("DEL");
    for k in &keys {
        del = del.arg(k);
    }
    let n: i64 = cluster.command(del).await.unwrap();
    assert_eq!(n, 3);
}

async fn pipelines_keep_the_callers_order(cluster: &Cluster) {
    // 30 commands over the three primaries, interleaved.
    let keys: Vec<String> = (0..30u16)
        .map(|i| key_in((i % 3) * 5462, (i % 3) * 5462 + 5000, &format!("pipe{i}")))
        .collect();
    let mut pipe = Pipeline::new();
    for (i, k) in keys.iter().enumerate() {
        pipe.push(cmd("SET").arg(k).arg(i));
        pipe.push(cmd("GET").arg(k));
    }
    pipe.push(cmd("INCR").arg(&keys[0]).arg("extra"));
    let outcomes = cluster.pipeline_each(pipe).await;
    assert_eq!(outcomes.len(), 61);
    for (i, pair) in outcomes.chunks(2).take(30).enumerate() {
        assert_eq!(pair[0].as_ref().unwrap().as_str(), Some("OK"));
        assert_eq!(
            pair[1].as_ref().unwrap().as_str(),
            Some(i.to_string().as_str())
        );
    }
    // A Redis error is that element's own outcome.
    assert!(outcomes[60].as_ref().unwrap().is_error());

    // A command the connection refuses before writing (a blocking one) refuses its
    // node's batch unsent: the others still run, and it gets its own refusal, not
    // "may have run".
    let same_node = key_in(0, 5000, "refused");
    let mut pipe = Pipeline::new();
    pipe.push(cmd("SET").arg(&same_node).arg("a"));
    pipe.push(cmd("BLPOP").arg(&same_node).arg(1));
    pipe.push(cmd("GET").arg(&same_node));
    let outcomes = cluster.pipeline_each(pipe).await;
    assert_eq!(outcomes[0].as_ref().unwrap().as_str(), Some("OK"));
    assert!(
        matches!(outcomes[1], Err(Error::Config(_))),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(outcomes[2].as_ref().unwrap().as_str(), Some("a"));

    let typed: (String, u32) = cluster
        .pipeline(
            Pipeline::new()
                .cmd(cmd("SET").arg(&keys[1]).arg(7))
                .cmd(cmd("GET").arg(&keys[1])),
        )
        .await
        .unwrap();
    assert_eq!(typed, ("OK".to_owned(), 7));
}

async fn transactions_stay_in_one_slot(cluster: &Cluster) {
    let (n,): (i64,) = cluster
        .transaction(
            Pipeline::new()
                .cmd(cmd("SET").arg("{acct}:a").arg(1))
                .cmd(cmd("INCR").arg("{acct}:a"))
                .cmd(cmd("PING")),
        )
        .await
        .map(|(_, n, _): ((), i64, String)| (n,))
        .unwrap();
    assert_eq!(n, 2);
    let err = cluster
        .transaction::<Frame>(
            Pipeline::new()
                .cmd(cmd("INCR").arg(key_in(0, 10, "t")))
                .cmd(cmd("INCR").arg(key_in(16_000, 16_383, "t"))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Cluster(ClusterError::CrossSlotTransaction { .. })
        ),
        "{err}"
    );
}

async fn keyless_commands_join_a_pipeline_batch(cluster: &Cluster) {
    // Keyless commands between keyed ones on all three primaries, and a pipeline of
    // keyless commands only: each reply in its place.
    let keys: Vec<String> = (0..3u16)
        .map(|i| key_in(i * 5462, i * 5462 + 5000, "keyless"))
        .collect();
    let mut pipe = Pipeline::new();
    for (i, k) in keys.iter().enumerate() {
        pipe.push(cmd("ECHO").arg(format!("before {i}")));
        pipe.push(cmd("SET").arg(k).arg(i));
        pipe.push(cmd("PING"));
        pipe.push(cmd("GET").arg(k));
    }
    let outcomes = cluster.pipeline_each(pipe).await;
    assert_eq!(outcomes.len(), 12);
    for (i, four) in outcomes.chunks(4).enumerate() {
        let text: Vec<Option<&str>> = four.iter().map(|o| o.as_ref().unwrap().as_str()).collect();
        let before = format!("before {i}");
        let value = i.to_string();
        assert_eq!(
            text,
            [
                Some(before.as_str()),
                Some("OK"),
                Some("PONG"),
                Some(value.as_str())
            ]
        );
    }
    let echoes: Vec<String> = cluster
        .pipeline((0..20).fold(Pipeline::new(), |p, i| p.cmd(cmd("ECHO").arg(i))))
        .await
        .unwrap();
    assert_eq!(echoes, (0..20).map(|i| i.to_string()).collect::<Vec<_>>());
}

async fn a_scan_visits_every_primary(cluster: &Cluster) {
    use futures::TryStreamExt;
    use std::collections::HashSet;

    // 300 keys over the whole slot range, a hash among them.
    let keys: Vec<String> = (0..300).map(|i| format!("scan:{i}")).collect();
    let mut mset = cmd("MSET");
    for k in &keys {
        mset = mset.arg(k).arg("v");
    }
    let () = cluster.command(mset).await.unwrap();
    let () = cluster
        .command(cmd("HSET").arg("scan:hash").arg("f").arg("v"))
        .await
        .map(|_: i64| ())
        .unwrap();
    let owners: HashSet<String> = keys
        .iter()
        .filter_map(|k| cluster.owner_of(key_slot(k.as_bytes())))
        .collect();
    assert_eq!(owners.len(), 3, "the keys span the three primaries");

    let found: Vec<String> = cluster
        .scan(ScanOptions::new().pattern("scan:*").count(20))
        .try_collect()
        .await
        .unwrap();
    let unique: HashSet<&String> = found.iter().collect();
    assert_eq!(
        unique.len(),
        found.len(),
        "no topology change: no duplicate"
    );
    let mut expected: HashSet<&String> = keys.iter().collect();
    let hash = "scan:hash".to_owned();
    expected.insert(&hash);
    assert_eq!(unique, expected);

    let hashes: Vec<String> = cluster
        .scan(ScanOptions::new().pattern("scan:*").key_type("hash"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hashes, ["scan:hash"]);

    // SCAN through `command` would see one node: refused, naming the method to use.
    let err = cluster
        .command::<Frame>(cmd("SCAN").arg(0))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Cluster(ClusterError::Unsupported { .. }))
            && err.to_string().contains("Cluster::scan"),
        "{err}"
    );
}

async fn typed_commands_and_broadcasts_work(cluster: &Cluster) {
    cluster.set("typed", "yes").await.unwrap();
    let got: Option<String> = cluster.get("typed").await.unwrap();
    assert_eq!(got.as_deref(), Some("yes"));
    let keys: Vec<String> = cluster.command(cmd("KEYS").arg("range:*")).await.unwrap();
    assert_eq!(keys.len(), 16);
    let size: i64 = cluster.command(cmd("DBSIZE")).await.unwrap();
    assert!(size >= 16, "{size}");
    let () = cluster.command(cmd("FLUSHALL")).await.unwrap();
    let size: i64 = cluster.command(cmd("DBSIZE")).await.unwrap();
    assert_eq!(size, 0);
    // A broadcast that one node refuses (the last, so the others' `OK`s come first): its
    // error reply is the command's answer, not the combination of the rest.
    let library =
        "#!lua name=hardylib\nredis.register_function('hardy_one', function() return 1 end)";
    let (_, last) = cluster.primaries().pop().unwrap();
    let _: String = last
        .command(cmd("FUNCTION").arg("LOAD").arg(library))
        .await
        .unwrap();
    let refused = cluster
        .command::<String>(cmd("FUNCTION").arg("LOAD").arg(library))
        .await;
    assert!(
        matches!(&refused, Err(Error::Server(e)) if e.code() == "ERR"),
        "{refused:?}"
    );
    let () = cluster.command(cmd("FUNCTION").arg("FLUSH")).await.unwrap();
    assert_eq!(cluster.primaries().len(), 3);
}

async fn seeds_that_are_down_are_skipped(nodes: &RedisCluster) {
    // Two addresses nothing listens on, then the real nodes.
    let dead: Vec<String> = (0..2)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        })
        .collect();
    let seeds: Vec<String> = dead.iter().cloned().chain(nodes.addrs()).collect();
    let config = ClusterConfig::new(seeds).unwrap().node_config(
        hardy_redis::Config::new("unused", 0).connect_timeout(Duration::from_millis(500)),
    );
    let cluster = Cluster::connect(config)
        .await
        .expect("a later seed answers");
    let pong: String = cluster.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
    cluster.stop().await;

    let config = ClusterConfig::new(dead).unwrap().node_config(
        hardy_redis::Config::new("unused", 0).connect_timeout(Duration::from_millis(500)),
    );
    let err = Cluster::connect(config).await.unwrap_err();
    assert!(
        matches!(err, Error::Cluster(ClusterError::NoTopology(_))),
        "{err}"
    );
}
