//! Sentinel against real processes: a primary, two replicas and three sentinels
//! (hardy-testkit's `SentinelGroup`), failed over by `SENTINEL FAILOVER`, `SIGKILL` and
//! `SIGSTOP`. Every request gets exactly one outcome, replies stay aligned, and the
//! connection ends up on the new primary and never writes to the old one.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use hardy_redis::{cmd, BlockingPool, Config, ConnState, Error, Pool, Redis, Role, Sentinel};
use hardy_testkit::{Reply, SentinelGroup};

const NAME: &str = "hardy-sentinel-test";
/// Bound on every wait for the sentinels (a failover takes 1–5 s here).
const FAILOVER_WAIT: Duration = Duration::from_secs(25);

fn config(group: &SentinelGroup) -> Config {
    Config::sentinel(Sentinel::new(group.service(), group.sentinel_addrs()))
        .client_name(NAME)
        .backoff(Duration::from_millis(50), 1.5, Duration::from_millis(300))
}

/// Polls the sentinels from async code (the testkit's own wait blocks the thread, and
/// the actors under test share it) until they agree on a primary other than `old`.
async fn new_primary(group: &SentinelGroup, old: u16) -> u16 {
    let deadline = Instant::now() + FAILOVER_WAIT;
    loop {
        if let Some(port) = group.new_primary(old) {
            return port;
        }
        assert!(
            Instant::now() < deadline,
            "no new primary within {FAILOVER_WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Retries `SET` until one succeeds; returns how long that took.
async fn first_write(redis: &Redis, key: &str) -> Duration {
    let start = Instant::now();
    loop {
        match redis.command::<()>(cmd("SET").arg(key).arg("v")).await {
            Ok(()) => return start.elapsed(),
            Err(e) => assert!(e.is_transient(), "a write failed for good: {e}"),
        }
        assert!(
            start.elapsed() < FAILOVER_WAIT,
            "no successful write within {FAILOVER_WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The port of the node a connection talks to, as the node itself says.
async fn port_of(redis: &Redis) -> u16 {
    let info: String = redis.command(cmd("INFO").arg("server")).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("tcp_port:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("tcp_port in INFO server")
}

fn info_field(reply: &Reply, key: &str) -> Option<String> {
    reply.to_string().lines().find_map(|l| {
        l.strip_prefix(&format!("{key}:"))
            .map(|v| v.trim().to_owned())
    })
}

/// What 128 callers saw.
#[derive(Default)]
struct Tally {
    requests: usize,
    outcomes: usize,
    misaligned: usize,
    acked: Vec<String>,
    acked_after_switch: usize,
    errors: Vec<String>,
}

impl Tally {
    /// One caller's outcome: `(reply matched, was a write)`, or an error.
    fn record(&mut self, outcome: Result<(bool, bool), Error>, tag: String, switched: bool) {
        self.outcomes += 1;
        match outcome {
            Ok((false, _)) => self.misaligned += 1,
            Ok((true, true)) => {
                self.acked.push(tag);
                if switched {
                    self.acked_after_switch += 1;
                }
            }
            Ok((true, false)) => {}
            Err(Error::Disconnected(_) | Error::NotConnected | Error::Timeout(_)) => {}
            Err(e) => self.errors.push(e.to_string()),
        }
    }
}

#[actix_rt::test]
async fn a_sentinel_failover_under_128_callers_loses_no_acknowledged_write_and_leaves_the_old_primary_alone(
) {
    let group = SentinelGroup::start().expect("sentinel group");
    let old = group.primary_port().unwrap();
    let redis = Redis::connect(config(&group)).await.unwrap();
    assert_eq!(port_of(&redis).await, old);

    let tally = Rc::new(RefCell::new(Tally::default()));
    let stop = Rc::new(std::cell::Cell::new(false));
    let switched = Rc::new(std::cell::Cell::new(false));
    let callers: Vec<_> = (0..128)
        .map(|c| {
            let (redis, tally, stop, switched) =
                (redis.clone(), tally.clone(), stop.clone(), switched.clone());
            actix_rt::spawn(async move {
                let mut n = 0u64;
                while !stop.get() {
                    n += 1;
                    let tag = format!("c{c}-{n}");
                    tally.borrow_mut().requests += 1;
                    let outcome = if n % 2 == 0 {
                        redis
                            .command::<String>(cmd("SET").arg(format!("k:{tag}")).arg(tag.as_str()))
                            .await
                            .map(|ok| (ok == "OK", true))
                    } else {
                        redis
                            .command::<String>(cmd("ECHO").arg(tag.as_str()))
                            .await
                            .map(|echo| (echo == tag, false))
                    };
                    let failed = outcome.is_err();
                    tally.borrow_mut().record(outcome, tag, switched.get());
                    if failed {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    // Redis replication is asynchronous: a write the old primary acknowledges after the
    // replica's promotion and before clients move is lost whatever the client does. An
    // operator's planned failover (and Redis's own FAILOVER command) pauses writes on the
    // old primary first; so does this test, so that what it measures is the driver.
    group
        .node(old)
        .unwrap()
        .command(&["CLIENT", "PAUSE", "20000", "WRITE"])
        .unwrap();
    group.failover().unwrap();
    let new = new_primary(&group, old).await;
    switched.set(true);
    let took = first_write(&redis, "after-switch").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.set(true);
    for caller in join_all(callers).await {
        caller.unwrap();
    }

    let t = std::mem::take(&mut *tally.borrow_mut());
    assert_eq!(t.misaligned, 0, "replies went to the wrong caller");
    assert_eq!(t.outcomes, t.requests, "every request gets an outcome");
    assert!(
        t.errors.is_empty(),
        "unexpected errors: {:?}",
        &t.errors[..t.errors.len().min(5)]
    );
    assert!(
        t.acked_after_switch > 0,
        "writes succeed on the new primary afterwards"
    );
    assert_eq!(port_of(&redis).await, new);

    // Every acknowledged write is on the new primary (read there directly, not through
    // Sentinel).
    let direct = Redis::connect(Config::new("127.0.0.1", new)).await.unwrap();
    for chunk in t.acked.chunks(500) {
        let mut mget = cmd("MGET");
        for tag in chunk {
            mget = mget.arg(format!("k:{tag}"));
        }
        let values: Vec<Option<String>> = direct.command(mget).await.unwrap();
        for (tag, value) in chunk.iter().zip(values) {
            assert_eq!(
                value.as_deref(),
                Some(tag.as_str()),
                "acknowledged write k:{tag} lost"
            );
        }
    }

    // The old primary got no write from the driver after the switch: a write sent to it
    // after its demotion would be refused (READONLY, counted in its errorstats), and one
    // sent before would still be waiting on the write pause, on a connection of ours.
    let old_node = group.node(old).unwrap();
    let errors = old_node.command(&["INFO", "errorstats"]).unwrap();
    assert_eq!(info_field(&errors, "errorstat_READONLY"), None, "{errors}");
    let clients = old_node.command(&["CLIENT", "LIST"]).unwrap().to_string();
    assert!(
        !clients.contains(&format!("name={NAME}")),
        "a connection of ours is still on the old primary:\n{clients}"
    );
    eprintln!(
        "{} requests, {} acknowledged writes ({} after the switch), first write on the new primary {took:?} after the sentinels agreed",
        t.requests,
        t.acked.len(),
        t.acked_after_switch
    );
}

#[actix_rt::test]
async fn the_primary_killed_with_sigkill_is_failed_over_and_the_connection_follows() {
    let mut group = SentinelGroup::start().expect("sentinel group");
    let redis = Redis::connect(config(&group)).await.unwrap();
    redis
        .command::<()>(cmd("SET").arg("before").arg("1"))
        .await
        .unwrap();
    let started = Instant::now();
    let old = group.kill_primary().unwrap();
    let took = first_write(&redis, "after-kill").await;
    let new = new_primary(&group, old).await;
    assert_eq!(port_of(&redis).await, new);
    let role: Vec<hardy_redis::Frame> = redis.command(cmd("ROLE")).await.unwrap();
    assert_eq!(role[0].as_str(), Some("master"));
    eprintln!(
        "first write {took:?} after SIGKILL ({:?} in all)",
        started.elapsed()
    );
}

#[actix_rt::test]
async fn a_frozen_primary_is_caught_by_the_health_check_and_the_failover_followed() {
    let mut group = SentinelGroup::start().expect("sentinel group");
    // No +switch-master listener: only the health check can notice the frozen node.
    let config = Config::sentinel(
        Sentinel::new(group.service(), group.sentinel_addrs()).listen_for_failovers(false),
    )
    .client_name(NAME)
    .health_check(Duration::from_millis(300))
    .command_timeout(Duration::from_millis(500))
    .backoff(Duration::from_millis(50), 1.5, Duration::from_millis(300));
    let redis = Redis::connect(config).await.unwrap();
    let mut changes = redis.state().changes();
    let old = group.pause_primary().unwrap();
    // Nothing is sent meanwhile: the link can only drop by the health check.
    let dropped = tokio::time::timeout(FAILOVER_WAIT, async {
        loop {
            if !changes.recv().await.unwrap().is_connected() {
                return;
            }
        }
    })
    .await;
    assert!(
        dropped.is_ok(),
        "the health check did not drop the frozen link"
    );
    let new = new_primary(&group, old).await;
    first_write(&redis, "after-freeze").await;
    assert_eq!(port_of(&redis).await, new);
    group.node(old).unwrap().resume().unwrap();
}

#[actix_rt::test]
async fn with_every_sentinel_down_the_connection_backs_off_then_connects_when_they_are_back() {
    let mut group = SentinelGroup::start().expect("sentinel group");
    for sentinel in group.sentinels_mut() {
        sentinel.stop().unwrap();
    }
    let err = Redis::connect(config(&group)).await.unwrap_err();
    assert!(matches!(err, Error::SentinelUnreachable(_)), "{err}");
    for (_, port) in group.sentinel_addrs() {
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }

    let redis = Redis::start(config(&group));
    let mut state = redis.state().subscribe();
    tokio::time::timeout(
        Duration::from_secs(5),
        state.wait_for(|s| matches!(s, ConnState::Backoff { attempt, .. } if *attempt >= 3)),
    )
    .await
    .expect("backs off, attempt after attempt")
    .unwrap();
    let refused = redis
        .command::<()>(cmd("SET").arg("k").arg("v"))
        .await
        .unwrap_err();
    assert!(
        refused.is_transient() && !refused.maybe_executed(),
        "{refused}"
    );

    for sentinel in group.sentinels_mut() {
        sentinel.restart().unwrap();
    }
    tokio::time::timeout(FAILOVER_WAIT, state.wait_for(ConnState::is_connected))
        .await
        .expect("connects once the sentinels are back")
        .unwrap();
    first_write(&redis, "k").await;
}

#[actix_rt::test]
async fn a_replica_connection_reads_from_a_replica_and_errors_say_which_part_failed() {
    let group = SentinelGroup::start().expect("sentinel group");
    let primary = group.primary_port().unwrap();
    let redis = Redis::connect(config(&group)).await.unwrap();
    redis
        .command::<()>(cmd("SET").arg("shared").arg("1"))
        .await
        .unwrap();
    redis
        .command::<i64>(cmd("WAIT").arg(2).arg(2000))
        .await
        .ok();

    let replica = Redis::connect(
        Config::sentinel(
            Sentinel::new(group.service(), group.sentinel_addrs()).role(Role::Replica),
        )
        .client_name(NAME),
    )
    .await
    .unwrap();
    assert_ne!(port_of(&replica).await, primary);
    let role: Vec<hardy_redis::Frame> = replica.command(cmd("ROLE")).await.unwrap();
    assert_eq!(role[0].as_str(), Some("slave"));
    let value: Option<String> = replica.command(cmd("GET").arg("shared")).await.unwrap();
    assert_eq!(value.as_deref(), Some("1"));
    let refused = replica
        .command::<()>(cmd("SET").arg("x").arg("1"))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::ReadOnly(_)), "{refused}");
    assert!(!refused.maybe_executed());
    // A replica connection keeps its link after a refused write.
    assert!(replica.state().get().is_connected());

    let unknown = Redis::connect(Config::sentinel(Sentinel::new(
        "nope",
        group.sentinel_addrs(),
    )))
    .await
    .unwrap_err();
    assert!(
        matches!(unknown, Error::SentinelUnknownService(_)),
        "{unknown}"
    );
    assert!(unknown.to_string().contains("\"nope\""), "{unknown}");

    // The sentinels work; the data node refuses the password: a handshake error, not a
    // "primary not found".
    for node in group.nodes() {
        node.command(&["ACL", "SETUSER", "app", "on", ">right", "~*", "+@all"])
            .unwrap();
    }
    let refused = Redis::connect(config(&group).username("app").password("wrong"))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Handshake { .. }), "{refused}");

    // Each connection's +switch-master listener lives as long as its connection.
    let listeners = || sentinel_subscribers(&group);
    assert!(listeners() >= 2, "one listener per live connection");
    drop((redis, replica));
    let deadline = Instant::now() + Duration::from_secs(5);
    while listeners() > 0 {
        assert!(
            Instant::now() < deadline,
            "a listener outlived its connection"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pub/Sub clients on all the sentinels: the connections' listeners (sentinels subscribe
/// on the data nodes, not on each other).
fn sentinel_subscribers(group: &SentinelGroup) -> usize {
    group
        .sentinels()
        .iter()
        .map(|s| {
            let list = s.command(&["CLIENT", "LIST", "TYPE", "pubsub"]).unwrap();
            list.to_string().lines().filter(|l| !l.is_empty()).count()
        })
        .sum()
}

#[actix_rt::test]
async fn a_pool_a_supervised_connection_and_a_blocking_pool_all_follow_a_failover() {
    let group = SentinelGroup::start().expect("sentinel group");
    let arbiters: Vec<actix_rt::Arbiter> = (0..2).map(|_| actix_rt::Arbiter::new()).collect();
    let pool = Pool::builder(config(&group))
        .spread_over(arbiters.iter().map(actix_rt::Arbiter::handle).collect())
        .start()
        .await
        .unwrap();
    // A supervised connection (its listeners live on each incarnation) and a blocking pool
    // (each leased connection resolves on connect) with the same Sentinel config.
    let (spec, supervised) = hardy_redis::child_spec("cache", config(&group));
    let sup = hardy_supervisor::Supervisor::builder()
        .child(spec)
        .start()
        .unwrap();
    let queues = BlockingPool::new(config(&group), 1);

    let old = group.primary_port().unwrap();
    group.failover().unwrap();
    let new = new_primary(&group, old).await;
    first_write(&supervised, "supervised").await;
    assert_eq!(port_of(&supervised).await, new);
    queues
        .command::<Option<(String, String)>>(cmd("BLPOP").arg("jobs").arg(0.1))
        .await
        .unwrap();
    let queue_port: String = queues.command(cmd("INFO").arg("server")).await.unwrap();
    assert!(queue_port.contains(&format!("tcp_port:{new}\r")));
    sup.stop().await;
    for i in 0..pool.len() {
        let start = Instant::now();
        loop {
            let info: Result<String, Error> =
                pool.member(i).command(cmd("INFO").arg("server")).await;
            if info
                .as_deref()
                .is_ok_and(|info| info.contains(&format!("tcp_port:{new}\r")))
            {
                break;
            }
            assert!(
                start.elapsed() < FAILOVER_WAIT,
                "member {i} is not on the new primary: {info:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let done: Result<(), Error> = pool
            .member(i)
            .command(cmd("SET").arg(format!("m{i}")).arg(1))
            .await;
        done.unwrap();
    }
    pool.stop().await;
}
