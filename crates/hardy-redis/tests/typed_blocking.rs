//! The typed blocking commands on a lease and on a blocking pool, against a real
//! redis-server over RESP3 and RESP2: served by a concurrent write, `None` (or nothing)
//! when their timeout passes, and the reliable-queue and stream-consumer patterns.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hardy_redis::prelude::*;
use hardy_redis::{Config, Protocol};
use hardy_testkit::RedisServer;

/// Longest any wait here may take before the test fails.
const WAIT: Duration = Duration::from_secs(10);
/// A block timeout that passes quickly.
const SHORT: Duration = Duration::from_millis(100);

fn config(server: &RedisServer, protocol: Protocol) -> Config {
    Config::from_url(&server.url()).unwrap().protocol(protocol)
}

/// Runs `$body` (an async fn taking the shared handle and a blocking pool) once per
/// protocol, each on a fresh server.
macro_rules! both_protocols {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            use super::*;
            async fn run(protocol: Protocol) {
                let server = RedisServer::start().expect("redis-server");
                let shared = Redis::connect(config(&server, protocol)).await.unwrap();
                let queues = BlockingPool::new(config(&server, protocol), 2);
                $body(shared, queues).await;
            }
            #[actix_rt::test]
            async fn over_resp3() {
                run(Protocol::Resp3).await;
            }
            #[actix_rt::test]
            async fn over_resp2() {
                run(Protocol::Resp2).await;
            }
        }
    )*};
}

both_protocols! {
    blocking_pops_are_served_by_a_concurrent_push => pops_served_by_a_push;
    blocking_commands_give_none_when_their_timeout_passes => timeouts_give_none;
    blmove_moves_a_job_to_a_processing_list_before_handing_it_over => reliable_queue;
    xread_block_is_woken_by_xadd => xread_woken_by_xadd;
    xreadgroup_block_delivers_new_entries_to_one_consumer => xreadgroup_block;
    a_lease_takes_the_typed_commands_too => lease_takes_typed_commands;
}

async fn pops_served_by_a_push(shared: Redis, queues: BlockingPool) {
    let mut lease = queues.lease().await.unwrap();
    let mut blpop = lease.blpop::<String>(["urgent", "jobs"], Duration::ZERO);
    assert!(futures::poll!(blpop.as_mut()).is_pending());
    until_blocked(&shared, 1).await;
    shared.rpush("jobs", ["job-1", "job-2"]).await.unwrap();
    let popped = tokio::time::timeout(WAIT, blpop).await.unwrap().unwrap();
    assert_eq!(popped, Some(("jobs".to_string(), "job-1".to_string())));

    let last: Option<(String, String)> = queues.brpop("jobs", WAIT).await.unwrap();
    assert_eq!(last, Some(("jobs".to_string(), "job-2".to_string())));

    let mut bzpop = lease.bzpopmin::<String>("deadlines", WAIT);
    assert!(futures::poll!(bzpop.as_mut()).is_pending());
    shared
        .zadd("deadlines", [(2.5, "b"), (1.5, "a")])
        .await
        .unwrap();
    let min = tokio::time::timeout(WAIT, bzpop).await.unwrap().unwrap();
    assert_eq!(min, Some(("deadlines".to_string(), "a".to_string(), 1.5)));
    let max: Option<(String, String, f64)> = queues.bzpopmax("deadlines", WAIT).await.unwrap();
    assert_eq!(max, Some(("deadlines".to_string(), "b".to_string(), 2.5)));

    let mut blmpop = lease.blmpop::<String, _>(&["a", "b"], Side::Right, 2, WAIT);
    assert!(futures::poll!(blmpop.as_mut()).is_pending());
    shared.rpush("b", ["1", "2", "3"]).await.unwrap();
    let batch = tokio::time::timeout(WAIT, blmpop).await.unwrap().unwrap();
    assert_eq!(
        batch,
        Some(("b".to_string(), vec!["3".to_string(), "2".to_string()]))
    );
}

async fn timeouts_give_none(shared: Redis, queues: BlockingPool) {
    let began = Instant::now();
    let none: Option<(String, String)> = queues.blpop("empty", SHORT).await.unwrap();
    assert_eq!(none, None);
    assert!(began.elapsed() >= SHORT, "it waited the block timeout");

    let mut lease = queues.lease().await.unwrap();
    let none: Option<(String, String)> = lease.brpop(["e1", "e2"], SHORT).await.unwrap();
    assert_eq!(none, None);
    let none: Option<String> = lease
        .blmove("empty", "elsewhere", Side::Left, Side::Left, SHORT)
        .await
        .unwrap();
    assert_eq!(none, None);
    let none: Option<(String, Vec<String>)> = lease
        .blmpop(&["empty"], Side::Left, 5, SHORT)
        .await
        .unwrap();
    assert_eq!(none, None);
    let none: Option<(String, String, f64)> = lease.bzpopmin("empty", SHORT).await.unwrap();
    assert_eq!(none, None);
    let none: Option<(String, String, f64)> = lease.bzpopmax("empty", SHORT).await.unwrap();
    assert_eq!(none, None);
    let nothing: Vec<(String, Vec<StreamEntry>)> = lease
        .xread_block(None, &["stream"], &["$"], SHORT)
        .await
        .unwrap();
    assert!(nothing.is_empty());

    // WAIT with no replicas to wait for: at once, none acknowledged.
    lease.set("k", 1).await.unwrap();
    assert_eq!(lease.wait(0, SHORT).await.unwrap(), 0);
    // Every command had its reply: the lease's connection is still open, and goes back.
    assert!(lease.redis().is_some());
    drop(lease);
    assert_eq!(queues.idle(), 1);
    let _: u64 = shared.dbsize().await.unwrap();
}

async fn reliable_queue(shared: Redis, queues: BlockingPool) {
    shared.rpush("jobs", ["j1", "j2"]).await.unwrap();
    let mut worker = queues.lease().await.unwrap();
    for expected in ["j1", "j2"] {
        let job: Option<String> = worker
            .blmove("jobs", "processing", Side::Left, Side::Right, WAIT)
            .await
            .unwrap();
        assert_eq!(job.as_deref(), Some(expected));
        // Taken, and not lost: it waits in the processing list until acknowledged.
        let processing: Vec<String> = shared.lrange("processing", 0, -1).await.unwrap();
        assert_eq!(processing, [expected]);
        assert_eq!(shared.lrem("processing", 1, expected).await.unwrap(), 1);
    }

    // An empty queue: the worker blocks until a producer pushes.
    let mut next = worker.blmove::<String>("jobs", "processing", Side::Left, Side::Right, WAIT);
    assert!(futures::poll!(next.as_mut()).is_pending());
    until_blocked(&shared, 1).await;
    shared.lpush("jobs", "j3").await.unwrap();
    let job = tokio::time::timeout(WAIT, next).await.unwrap().unwrap();
    assert_eq!(job.as_deref(), Some("j3"));
    assert_eq!(shared.llen("jobs").await.unwrap(), 0);
    assert_eq!(shared.llen("processing").await.unwrap(), 1);
}

/// Waits (bounded) until Redis reports `n` clients blocked: a blocking command sent, and
/// parked at the server.
async fn until_blocked(shared: &Redis, n: u64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let info: String = shared.command(cmd("INFO").arg("clients")).await.unwrap();
        let blocked = info
            .lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|v| v.trim().parse::<u64>().ok());
        if blocked == Some(n) {
            return;
        }
        assert!(Instant::now() < deadline, "no client blocked: {info}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn xread_woken_by_xadd(shared: Redis, queues: BlockingPool) {
    let first: String = shared
        .xadd("events", "*", [("kind", "boot")])
        .await
        .unwrap();
    let mut reader = queues.lease().await.unwrap();
    let mut read = reader.xread_block::<HashMap<String, String>, _, _>(
        Some(10),
        &["events", "other"],
        &[first.as_str(), "$"],
        WAIT,
    );
    assert!(futures::poll!(read.as_mut()).is_pending());
    until_blocked(&shared, 1).await;
    assert!(futures::poll!(read.as_mut()).is_pending());
    let id: String = shared
        .xadd("events", "*", [("kind", "login"), ("user", "ada")])
        .await
        .unwrap();
    let reads = tokio::time::timeout(WAIT, read).await.unwrap().unwrap();
    let fields = HashMap::from([
        ("kind".to_string(), "login".to_string()),
        ("user".to_string(), "ada".to_string()),
    ]);
    assert_eq!(
        reads,
        [("events".to_string(), vec![StreamEntry { id, fields }])]
    );
}

async fn xreadgroup_block(shared: Redis, queues: BlockingPool) {
    shared
        .xgroup_create("events", "mailers", "$", true)
        .await
        .unwrap();
    let nothing: Vec<(String, Vec<StreamEntry>)> = queues
        .xreadgroup_block("mailers", "w1", None, false, &["events"], &[">"], SHORT)
        .await
        .unwrap();
    assert!(nothing.is_empty());

    let mut consumer = queues.lease().await.unwrap();
    let mut read = consumer.xreadgroup_block::<Vec<(String, String)>, _, _>(
        "mailers",
        "w1",
        Some(1),
        false,
        &["events"],
        &[">"],
        WAIT,
    );
    assert!(futures::poll!(read.as_mut()).is_pending());
    let id = shared
        .xadd("events", "*", [("to", "ada@example.com")])
        .await
        .unwrap();
    let reads = tokio::time::timeout(WAIT, read).await.unwrap().unwrap();
    let [(stream, entries)] = &reads[..] else {
        panic!("one stream read: {reads:?}");
    };
    assert_eq!(stream, "events");
    assert_eq!(entries[0].id, id);
    assert_eq!(entries[0].fields, [("to".into(), "ada@example.com".into())]);
    assert_eq!(shared.xpending("events", "mailers").await.unwrap().count, 1);
    assert_eq!(shared.xack("events", "mailers", &id).await.unwrap(), 1);
}

async fn lease_takes_typed_commands(shared: Redis, queues: BlockingPool) {
    let mut lease = queues.lease().await.unwrap();
    lease.set("greeting", "hello").await.unwrap();
    let greeting: Option<String> = lease.get("greeting").await.unwrap();
    assert_eq!(greeting.as_deref(), Some("hello"));
    assert_eq!(lease.incr("n").await.unwrap(), 1);
    let n: Option<i64> = shared.get("n").await.unwrap();
    assert_eq!(n, Some(1));
}
