//! 128 callers on a real 6-node cluster while it changes under them: 1,000 slots migrate,
//! a primary fails over by hand, a primary is killed. Every request gets exactly one
//! outcome, no reply goes to the wrong caller, and nothing runs more often than the
//! callers were told.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hardy_redis::cluster::{key_slot, Cluster, ClusterConfig};
use hardy_redis::{cmd, Error, Frame, Pipeline};
use hardy_testkit::RedisCluster;

const CALLERS: usize = 128;
const COUNTERS: usize = 64;
const TAGGED: usize = 512;
/// Longer than any bound inside the driver: a request still pending after this has no
/// outcome.
const OUTCOME_WITHIN: Duration = Duration::from_secs(20);

/// What the callers were told.
#[derive(Default)]
struct Ledger {
    ok: AtomicU64,
    maybe: AtomicU64,
    not_run: AtomicU64,
    misaligned: AtomicU64,
    no_outcome: AtomicU64,
    errors: Mutex<HashMap<String, u64>>,
    writes: Mutex<Vec<(String, u64)>>,
    incr_acked: Vec<AtomicU64>,
    incr_maybe: Vec<AtomicU64>,
}

impl Ledger {
    fn new() -> Ledger {
        Ledger {
            incr_acked: (0..COUNTERS).map(|_| AtomicU64::new(0)).collect(),
            incr_maybe: (0..COUNTERS).map(|_| AtomicU64::new(0)).collect(),
            ..Ledger::default()
        }
    }

    /// Counts an error; whether it may have run.
    fn failed(&self, e: &Error) -> bool {
        let kind: String = e.to_string().chars().take(60).collect();
        *self.errors.lock().unwrap().entry(kind).or_default() += 1;
        if e.maybe_executed() {
            self.maybe.fetch_add(1, Ordering::Relaxed);
            true
        } else {
            self.not_run.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: ok {} maybe {} not-run {} misaligned {} no-outcome {}; errors {:?}",
            self.ok.load(Ordering::Relaxed),
            self.maybe.load(Ordering::Relaxed),
            self.not_run.load(Ordering::Relaxed),
            self.misaligned.load(Ordering::Relaxed),
            self.no_outcome.load(Ordering::Relaxed),
            self.errors.lock().unwrap()
        );
    }
}

fn tagged(i: usize) -> String {
    format!("g:{{{i}}}")
}

async fn connect(nodes: &RedisCluster) -> Cluster {
    let config = ClusterConfig::new(nodes.addrs()).unwrap();
    let cluster = Cluster::connect(config).await.expect("cluster connects");
    let mut values = Pipeline::new();
    for i in 0..TAGGED {
        values.push(cmd("SET").arg(tagged(i)).arg(tagged(i)));
    }
    let _: Vec<Frame> = cluster.pipeline(values).await.unwrap();
    cluster
}

/// One caller: tagged GETs, SETs of fresh keys, INCRs of shared counters, in turn.
async fn caller(cluster: Cluster, ledger: Arc<Ledger>, stop: Arc<AtomicBool>, me: usize) {
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        match n % 3 {
            0 => {
                let key = tagged((me * 7919 + n as usize) % TAGGED);
                let got = tokio::time::timeout(
                    OUTCOME_WITHIN,
                    cluster.command::<Option<String>>(cmd("GET").arg(&key)),
                )
                .await;
                match got {
                    Ok(Ok(Some(value))) if value == key => {
                        ledger.ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Ok(_)) => {
                        ledger.misaligned.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Err(e)) => {
                        ledger.failed(&e);
                    }
                    Err(_) => {
                        ledger.no_outcome.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            1 => {
                let key = format!("w:{me}:{n}");
                let set = cluster.command::<()>(cmd("SET").arg(&key).arg(n));
                match tokio::time::timeout(OUTCOME_WITHIN, set).await {
                    Ok(Ok(())) => {
                        ledger.ok.fetch_add(1, Ordering::Relaxed);
                        ledger.writes.lock().unwrap().push((key, n));
                    }
                    Ok(Err(e)) => {
                        ledger.failed(&e);
                    }
                    Err(_) => {
                        ledger.no_outcome.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            _ => {
                let c = (me + n as usize) % COUNTERS;
                let incr = cluster.command::<i64>(cmd("INCR").arg(format!("c:{c}")));
                match tokio::time::timeout(OUTCOME_WITHIN, incr).await {
                    Ok(Ok(_)) => {
                        ledger.ok.fetch_add(1, Ordering::Relaxed);
                        ledger.incr_acked[c].fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Err(e)) => {
                        if ledger.failed(&e) {
                            ledger.incr_maybe[c].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        ledger.no_outcome.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

/// Runs the callers around `change` (a blocking cluster operation) and returns what they
/// were told, and the nodes back.
async fn under_load(
    cluster: &Cluster,
    nodes: RedisCluster,
    change: impl FnOnce(&mut RedisCluster) + Send + 'static,
) -> (Arc<Ledger>, RedisCluster) {
    let ledger = Arc::new(Ledger::new());
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..CALLERS)
        .map(|me| actix_rt::spawn(caller(cluster.clone(), ledger.clone(), stop.clone(), me)))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let nodes = tokio::task::spawn_blocking(move || {
        let mut nodes = nodes;
        change(&mut nodes);
        nodes
    })
    .await
    .expect("the change ran");
    let before = ledger.ok.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }
    assert!(
        ledger.ok.load(Ordering::Relaxed) > before,
        "callers made progress after the change"
    );
    (ledger, nodes)
}

/// Every acknowledged write is present; returns how many were missing.
async fn missing_writes(cluster: &Cluster, ledger: &Ledger) -> usize {
    let writes = ledger.writes.lock().unwrap().clone();
    let mut missing = 0;
    for chunk in writes.chunks(1_000) {
        let mut gets = Pipeline::new();
        for (key, _) in chunk {
            gets.push(cmd("GET").arg(key));
        }
        let outcomes = cluster.pipeline_each(gets).await;
        for ((key, value), got) in chunk.iter().zip(outcomes) {
            let got = got.unwrap_or_else(|e| panic!("GET {key}: {e}"));
            if got.as_str() != Some(value.to_string().as_str()) {
                missing += 1;
            }
        }
    }
    missing
}

/// Each counter ran at most as often as acknowledged or reported maybe-executed, and,
/// when nothing may have been lost, at least as often as acknowledged.
async fn check_counters(cluster: &Cluster, ledger: &Ledger, may_lose: bool) {
    for c in 0..COUNTERS {
        let value: Option<u64> = cluster
            .command(cmd("GET").arg(format!("c:{c}")))
            .await
            .unwrap();
        let value = value.unwrap_or(0);
        let acked = ledger.incr_acked[c].load(Ordering::Relaxed);
        let maybe = ledger.incr_maybe[c].load(Ordering::Relaxed);
        assert!(
            value <= acked + maybe,
            "c:{c} = {value}, more than {acked} acknowledged + {maybe} maybe"
        );
        if !may_lose {
            assert!(
                value >= acked,
                "c:{c} = {value}, fewer than {acked} acknowledged"
            );
        }
    }
}

fn assert_every_request_answered(ledger: &Ledger) {
    assert_eq!(
        ledger.misaligned.load(Ordering::Relaxed),
        0,
        "misaligned replies"
    );
    assert_eq!(
        ledger.no_outcome.load(Ordering::Relaxed),
        0,
        "requests without outcome"
    );
}

#[actix_rt::test]
async fn callers_keep_working_while_1000_slots_migrate() {
    let nodes = RedisCluster::start().expect("cluster");
    let cluster = connect(&nodes).await;
    let (from, to) = (nodes.owner_of(0).unwrap(), nodes.owner_of(16_383).unwrap());
    let (ledger, nodes) = under_load(&cluster, nodes, move |nodes| {
        let moved = nodes.migrate_slots(0..1_000, from, to).expect("migration");
        eprintln!("migrated {moved} keys");
        nodes.wait_ok().expect("cluster ok after the migration");
    })
    .await;
    ledger.report("migration");
    let stats = cluster.stats();
    eprintln!("{stats:?}");
    assert!(
        stats.ask > 0 && stats.moved > 0,
        "ASK during, MOVED after: {stats:?}"
    );
    assert_every_request_answered(&ledger);
    // Redirections are followed: nothing fails during a migration.
    assert_eq!(ledger.maybe.load(Ordering::Relaxed), 0);
    assert_eq!(ledger.not_run.load(Ordering::Relaxed), 0);
    assert_eq!(missing_writes(&cluster, &ledger).await, 0);
    check_counters(&cluster, &ledger, false).await;
    assert_eq!(nodes.owner_of(999).unwrap(), to);
    cluster.refresh().await.unwrap();
    assert_eq!(
        cluster.owner_of(999).as_deref(),
        Some(nodes.addrs()[to].as_str())
    );
    cluster.stop().await;
}

#[actix_rt::test]
async fn callers_keep_working_through_a_manual_failover() {
    let nodes = RedisCluster::start().expect("cluster");
    let cluster = connect(&nodes).await;
    let primary = nodes.owner_of(0).unwrap();
    let replica = nodes.replicas_of(primary).unwrap()[0];
    let (ledger, nodes) = under_load(&cluster, nodes, move |nodes| {
        nodes.failover(replica).expect("failover");
    })
    .await;
    ledger.report("failover");
    eprintln!("{:?}", cluster.stats());
    assert_every_request_answered(&ledger);
    // A manual failover loses no acknowledged write.
    assert_eq!(missing_writes(&cluster, &ledger).await, 0);
    check_counters(&cluster, &ledger, false).await;
    assert_eq!(nodes.owner_of(0).unwrap(), replica);
    cluster.stop().await;
}

#[actix_rt::test]
async fn callers_recover_after_a_primary_is_killed() {
    let nodes = RedisCluster::start().expect("cluster");
    let cluster = connect(&nodes).await;
    let primary = nodes.owner_of(0).unwrap();
    let (ledger, nodes) = under_load(&cluster, nodes, move |nodes| {
        nodes.kill_primary(primary).expect("a replica takes over");
    })
    .await;
    ledger.report("kill");
    eprintln!("{:?}", cluster.stats());
    assert_every_request_answered(&ledger);
    // Replication is asynchronous: a write acknowledged just before the kill may be
    // lost with the primary. Only those may be missing.
    let missing = missing_writes(&cluster, &ledger).await;
    eprintln!("acknowledged writes lost with the killed primary: {missing}");
    check_counters(&cluster, &ledger, true).await;
    // The slots have a new owner, and the cluster handle follows it.
    let owner = nodes.owner_of(0).unwrap();
    assert_ne!(owner, primary);
    let () = cluster
        .command(cmd("SET").arg("{0}after").arg(1))
        .await
        .unwrap();
    cluster.stop().await;
}

#[actix_rt::test]
async fn shard_subscriptions_follow_their_slot_when_it_migrates() {
    use futures::StreamExt;
    use hardy_redis::cluster::key_slot;
    use hardy_redis::pubsub::{Event, Subscription};

    async fn next(s: &mut Subscription) -> Event {
        tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .expect("an event in time")
            .expect("stream open")
    }

    let nodes = RedisCluster::with_shape(3, 0).expect("cluster");
    let cluster = Cluster::connect(ClusterConfig::new(nodes.addrs()).unwrap())
        .await
        .unwrap();
    let mut news = cluster.ssubscribe(["news"]).await.unwrap();
    let publish = |text: &'static str| {
        let cluster = cluster.clone();
        async move {
            let n: i64 = cluster
                .command(cmd("SPUBLISH").arg("news").arg(text))
                .await
                .unwrap();
            n
        }
    };
    assert_eq!(publish("before").await, 1);
    match next(&mut news).await {
        Event::Message(m) => assert_eq!(&m.payload[..], b"before"),
        other => panic!("{other:?}"),
    }

    let slot = key_slot(b"news");
    let from = nodes.owner_of(slot).unwrap();
    let to = (from + 1) % 3;
    let nodes = tokio::task::spawn_blocking(move || {
        nodes.migrate_slots([slot], from, to).unwrap();
        nodes.wait_ok().unwrap();
        nodes
    })
    .await
    .unwrap();
    assert_eq!(next(&mut news).await, Event::Disconnected);
    assert_eq!(next(&mut news).await, Event::Subscribed);
    // Published at the new owner, received through the moved subscription.
    assert_eq!(publish("after").await, 1);
    match next(&mut news).await {
        Event::Message(m) => assert_eq!(&m.payload[..], b"after"),
        other => panic!("{other:?}"),
    }
    assert_eq!(nodes.owner_of(slot).unwrap(), to);
    cluster.stop().await;
}

/// One node that refuses the handshake (here: `READONLY`, for replica reads, denied by its
/// ACL alone) must not take the others down: its connection backs off instead of
/// stopping, so its supervisor never
/// reaches its restart intensity, and it comes back once the node accepts it again.
#[actix_rt::test]
async fn a_node_refusing_the_handshake_does_not_stop_the_others() {
    let nodes = RedisCluster::with_shape(3, 0).expect("cluster");
    let config = ClusterConfig::new(nodes.addrs())
        .unwrap()
        .read_from_replicas(true)
        .retry_timeout(Duration::from_millis(500));
    let cluster = Cluster::connect(config).await.unwrap();
    let bad = nodes.primaries().unwrap()[0];
    let bad_slot = nodes.slots_of(bad).unwrap()[0];
    let good_slot = (0..16384u16)
        .find(|s| nodes.owner_of(*s).unwrap() != bad)
        .unwrap();
    let key_for = |slot: u16| {
        (0..)
            .map(|i| format!("refusal:{i}"))
            .find(|k| key_slot(k.as_bytes()) == slot)
            .unwrap()
    };
    let (bad_key, good_key) = (key_for(bad_slot), key_for(good_slot));
    let () = cluster
        .command(cmd("SET").arg(&bad_key).arg("1"))
        .await
        .unwrap();

    nodes
        .node(bad)
        .command(&["ACL", "SETUSER", "default", "-readonly"])
        .unwrap();
    nodes.node(bad).client_kill_all().unwrap();
    // Far more reconnect attempts than the node supervisor's intensity (100 in 10 s)
    // would allow if each refusal stopped the connection.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while tokio::time::Instant::now() < deadline {
        let _ = cluster.command::<Frame>(cmd("GET").arg(&bad_key)).await;
        let () = cluster
            .command(cmd("SET").arg(&good_key).arg("2"))
            .await
            .expect("the other nodes keep serving");
    }
    nodes
        .node(bad)
        .command(&["ACL", "SETUSER", "default", "+readonly"])
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match cluster.command::<String>(cmd("GET").arg(&bad_key)).await {
            Ok(v) => {
                assert_eq!(v, "1");
                break;
            }
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
            }
            Err(e) => panic!("the node never came back: {e}"),
        }
    }
    cluster.stop().await;
}

/// A transaction whose slot is migrating, for a key already on the target: the source
/// answers `ASK` (and discards the transaction), and the transaction goes to the target
/// as `ASKING` + `MULTI` … `EXEC` in one write.
#[actix_rt::test]
async fn a_transaction_on_a_migrating_slot_follows_ask() {
    let nodes = RedisCluster::with_shape(3, 0).expect("cluster");
    let cluster = Cluster::connect(ClusterConfig::new(nodes.addrs()).unwrap())
        .await
        .unwrap();
    let key = "{moving}:counter";
    let slot = key_slot(key.as_bytes());
    let from = nodes.owner_of(slot).unwrap();
    let to = nodes
        .primaries()
        .unwrap()
        .into_iter()
        .find(|&p| p != from)
        .unwrap();
    let (from_id, to_id) = (nodes.node_id(from).to_owned(), nodes.node_id(to).to_owned());
    let slot_arg = slot.to_string();
    nodes
        .node(to)
        .command(&["CLUSTER", "SETSLOT", &slot_arg, "IMPORTING", &from_id])
        .unwrap();
    nodes
        .node(from)
        .command(&["CLUSTER", "SETSLOT", &slot_arg, "MIGRATING", &to_id])
        .unwrap();

    // The key exists nowhere yet: the source asks for it to go to the target.
    let tx = Pipeline::new()
        .cmd(cmd("INCR").arg(key))
        .cmd(cmd("INCR").arg(key));
    let replies: Vec<i64> = cluster.transaction(tx).await.expect("ASK followed");
    assert_eq!(replies, vec![1, 2]);
    assert!(cluster.stats().ask >= 1);
    // It ran at the target, once (the replies say 1 then 2), and not at the source.
    let count = |node: usize| {
        nodes
            .node(node)
            .command(&["CLUSTER", "COUNTKEYSINSLOT", &slot_arg])
            .unwrap()
            .as_integer()
    };
    assert_eq!((count(from), count(to)), (Some(0), Some(1)));
    cluster.stop().await;
}
