//! `RedisCluster`: built ready, slots migrate, a replica takes over by failover or kill.

use hardy_testkit::{RedisCluster, Reply, SLOTS};

fn slot_of_key(cluster: &RedisCluster, key: &str) -> u16 {
    let reply = cluster
        .node(0)
        .command(&["CLUSTER", "KEYSLOT", key])
        .unwrap();
    u16::try_from(reply.as_integer().unwrap()).unwrap()
}

#[test]
fn a_cluster_starts_ready_migrates_slots_and_fails_over() {
    let mut cluster = RedisCluster::start().unwrap();
    assert_eq!(cluster.len(), 6);
    assert_eq!(cluster.primaries().unwrap(), vec![0, 1, 2]);
    let owned: usize = (0..3).map(|i| cluster.slots_of(i).unwrap().len()).sum();
    assert_eq!(owned, usize::from(SLOTS));

    // A key in slot 0's range moves with its slot.
    let key = "{a}";
    let slot = slot_of_key(&cluster, key);
    let from = cluster.owner_of(slot).unwrap();
    cluster.node(from).command(&["SET", key, "v"]).unwrap();
    let to = (from + 1) % 3;
    let moved = cluster.migrate_slots([slot], from, to).unwrap();
    assert_eq!(moved, 1);
    cluster.wait_ok().unwrap();
    assert_eq!(cluster.owner_of(slot).unwrap(), to);
    let got = cluster.node(to).command(&["GET", key]).unwrap();
    assert_eq!(got, Reply::Bulk(Some(b"v".to_vec())));

    // A manual failover swaps roles.
    let replica = cluster.replicas_of(to).unwrap()[0];
    cluster.failover(replica).unwrap();
    assert_eq!(cluster.owner_of(slot).unwrap(), replica);

    // A killed primary's replica takes over.
    let old = cluster.replicas_of(replica).unwrap()[0];
    assert_eq!(old, to);
    let promoted = cluster.kill_primary(replica).unwrap();
    assert_eq!(promoted, to);
    assert_eq!(cluster.owner_of(slot).unwrap(), to);
}

#[test]
fn a_cluster_without_replicas_has_three_primaries() {
    let cluster = RedisCluster::with_shape(3, 0).unwrap();
    assert_eq!(cluster.primaries().unwrap(), vec![0, 1, 2]);
    assert_eq!(cluster.urls().len(), 3);
}
