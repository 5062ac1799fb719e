//! `Cluster::scan` on a real 6-node cluster whose topology changes mid-scan: slots that
//! move to a node already scanned are scanned again there (duplicates, nothing missed), a
//! primary killed mid-scan is followed to its promoted replica, and slots left without
//! an owner end the stream with an error, never a silent stop.
//! The plain scan is checked in `cluster.rs`.

use std::collections::HashSet;
use std::time::Duration;

use futures::{Stream, TryStreamExt};
use hardy_redis::cluster::{Cluster, ClusterConfig, ClusterError};
use hardy_redis::{cmd, Error, ScanOptions};
use hardy_testkit::RedisCluster;

const KEYS: usize = 600;
/// Longer than any bound inside the driver.
const WITHIN: Duration = Duration::from_secs(30);

/// Connects and writes `KEYS` keys spread over every slot range.
async fn connect_with_keys(nodes: &RedisCluster) -> (Cluster, HashSet<String>) {
    let cluster = Cluster::connect(ClusterConfig::new(nodes.addrs()).unwrap())
        .await
        .expect("cluster connects");
    let keys: HashSet<String> = (0..KEYS).map(|i| format!("mid:{i}")).collect();
    let mut mset = cmd("MSET");
    for k in &keys {
        mset = mset.arg(k).arg("v");
    }
    let () = cluster.command(mset).await.unwrap();
    (cluster, keys)
}

/// A scan that has started: the first node (the owner of slot 0) is being scanned.
async fn started(
    cluster: &Cluster,
) -> (
    Vec<String>,
    std::pin::Pin<Box<impl Stream<Item = Result<String, Error>>>>,
) {
    let mut scan = Box::pin(cluster.scan::<String>(ScanOptions::new().pattern("mid:*").count(2)));
    let first = tokio::time::timeout(WITHIN, scan.try_next())
        .await
        .expect("a key in time")
        .unwrap()
        .expect("a first key");
    (vec![first], scan)
}

#[actix_rt::test]
async fn slots_that_move_to_a_scanned_node_are_scanned_again() {
    let nodes = RedisCluster::start().expect("cluster");
    let (cluster, keys) = connect_with_keys(&nodes).await;
    let (mut found, mut scan) = started(&cluster).await;

    // The last primary's upper 300 slots move to the primary being scanned.
    let (scanned, last) = (nodes.owner_of(0).unwrap(), nodes.owner_of(16_383).unwrap());
    let nodes = tokio::task::spawn_blocking(move || {
        nodes
            .migrate_slots(16_084..=16_383, last, scanned)
            .expect("migration");
        nodes.wait_ok().expect("cluster ok after the migration");
        nodes
    })
    .await
    .unwrap();
    cluster.refresh().await.unwrap();

    while let Some(key) = tokio::time::timeout(WITHIN, scan.try_next())
        .await
        .expect("the scan goes on")
        .expect("no error: nothing failed")
    {
        found.push(key);
    }
    let unique: HashSet<String> = found.iter().cloned().collect();
    assert_eq!(unique, keys, "every key, including the moved ones");
    assert!(
        found.len() > keys.len(),
        "the node that took the slots is scanned again: duplicates ({} for {})",
        found.len(),
        keys.len()
    );
    assert_eq!(nodes.owner_of(16_383).unwrap(), scanned);
    cluster.stop().await;
}

#[actix_rt::test]
async fn a_primary_killed_mid_scan_is_followed_to_its_promoted_replica() {
    let mut nodes = RedisCluster::start().expect("cluster");
    let (cluster, keys) = connect_with_keys(&nodes).await;
    let victim = nodes.owner_of(0).unwrap();
    // Its replica has every key before the kill (bounded wait on external processes).
    let replica = nodes.replicas_of(victim).unwrap()[0];
    let deadline = std::time::Instant::now() + WITHIN;
    let dbsize = |i: usize| nodes.node(i).command(&["DBSIZE"]).unwrap().to_string();
    while dbsize(replica) != dbsize(victim) {
        assert!(
            std::time::Instant::now() < deadline,
            "replica never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (mut found, mut scan) = started(&cluster).await;

    let nodes = tokio::task::spawn_blocking(move || {
        nodes.kill_primary(victim).expect("a replica takes over");
        nodes
    })
    .await
    .unwrap();
    // SCAN changes nothing: the lost step is asked again, at the promoted replica once
    // the map says it owns the slots, and the scan completes without an error.
    while let Some(key) = tokio::time::timeout(WITHIN, scan.try_next())
        .await
        .expect("the scan goes on")
        .expect("no error: the slots found their new owner within the retry timeout")
    {
        found.push(key);
    }
    let unique: HashSet<String> = found.iter().cloned().collect();
    assert_eq!(
        unique, keys,
        "every key, the killed primary's from its replica"
    );
    assert_eq!(nodes.owner_of(0).unwrap(), replica);
    drop(nodes);
    cluster.stop().await;
}

#[actix_rt::test]
async fn a_scan_whose_slots_find_no_owner_ends_with_an_error_not_in_silence() {
    let mut nodes = RedisCluster::with_shape(3, 0).expect("cluster without replicas");
    let (cluster, _keys) = connect_with_keys(&nodes).await;
    let (_, mut scan) = started(&cluster).await;
    // No replica to take over: slot 0's keys are gone until the node comes back.
    let victim = nodes.owner_of(0).unwrap();
    nodes.node_mut(victim).kill().expect("kill");
    let outcome = tokio::time::timeout(WITHIN, async {
        loop {
            match scan.try_next().await {
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => return Some(e),
            }
        }
    })
    .await
    .expect("an outcome within the retry timeout");
    let err = outcome.expect("the scan must not end in silence after losing a node");
    assert!(
        matches!(err, Error::Cluster(ClusterError::Unavailable { .. })),
        "{err:?}"
    );
    drop(nodes);
    cluster.stop().await;
}
