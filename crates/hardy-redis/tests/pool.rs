//! The pool across arbiters: each arbiter's callers use the member on their own thread,
//! and one member's failure leaves the others alone.

use std::time::Duration;

use actix_rt::Arbiter;
use futures::future::join_all;
use hardy_redis::{cmd, Config, ConnState, Pool};
use hardy_testkit::RedisServer;
use tokio::sync::oneshot;

const WAIT: Duration = Duration::from_secs(10);

async fn all_connected(pool: &Pool) {
    for i in 0..pool.len() {
        let mut state = pool.member(i).redis().state().subscribe();
        tokio::time::timeout(WAIT, state.wait_for(ConnState::is_connected))
            .await
            .expect("member connects in time")
            .expect("state watch open");
    }
}

async fn client_id(pool: &Pool, member: usize) -> i64 {
    pool.member(member)
        .command(cmd("CLIENT").arg("ID"))
        .await
        .unwrap()
}

/// Runs `pool.command(CLIENT ID)` on `arbiter`: which member picked, and its client id.
async fn pick_on(arbiter: &Arbiter, pool: &Pool) -> (usize, i64, bool) {
    let (tx, rx) = oneshot::channel();
    let pool = pool.clone();
    arbiter.spawn(async move {
        let picked = pool.pick().index();
        let local = pool.status()[picked].local;
        let id: i64 = pool.command(cmd("CLIENT").arg("ID")).await.unwrap();
        let _ = tx.send((picked, id, local));
    });
    tokio::time::timeout(WAIT, rx).await.unwrap().unwrap()
}

#[actix_rt::test]
async fn requests_from_each_arbiter_use_the_member_on_that_arbiter() {
    let server = RedisServer::start().expect("redis-server");
    let arbiters: Vec<Arbiter> = (0..3).map(|_| Arbiter::new()).collect();
    let config = Config::from_url(&server.url()).unwrap();
    let pool = Pool::builder(config)
        .spread_over(arbiters.iter().map(Arbiter::handle).collect())
        .start()
        .await
        .unwrap();
    all_connected(&pool).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(client_id(&pool, i).await);
    }
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        3
    );
    for _round in 0..3 {
        for (k, arbiter) in arbiters.iter().enumerate() {
            assert_eq!(pick_on(arbiter, &pool).await, (k, ids[k], true));
        }
    }
    // The test's own thread runs no member: round-robin over all of them.
    assert!(pool.status().iter().all(|m| !m.local));
    let picked: std::collections::HashSet<usize> = (0..3).map(|_| pool.pick().index()).collect();
    assert_eq!(picked.len(), 3);
    pool.stop().await;
    for arbiter in arbiters {
        arbiter.stop();
    }
}

#[actix_rt::test]
async fn a_killed_member_reconnects_without_disturbing_the_others() {
    let server = RedisServer::start().expect("redis-server");
    let arbiters: Vec<Arbiter> = (0..3).map(|_| Arbiter::new()).collect();
    let config = Config::from_url(&server.url()).unwrap().backoff(
        Duration::from_millis(50),
        1.5,
        Duration::from_millis(200),
    );
    let pool = Pool::builder(config)
        .spread_over(arbiters.iter().map(Arbiter::handle).collect())
        .start()
        .await
        .unwrap();
    all_connected(&pool).await;
    let before: Vec<i64> = join_all((0..3).map(|i| client_id(&pool, i))).await;

    let mut changes = pool.member(1).redis().state().changes();
    let killed: i64 = pool
        .member(0)
        .command(cmd("CLIENT").arg("KILL").arg("ID").arg(before[1]))
        .await
        .unwrap();
    assert_eq!(killed, 1);
    // Member 1 goes down, then comes back (bounded by WAIT).
    let mut saw_down = false;
    tokio::time::timeout(WAIT, async {
        loop {
            match changes.recv().await.unwrap() {
                ConnState::Connected => {
                    if saw_down {
                        break;
                    }
                }
                _ => saw_down = true,
            }
        }
    })
    .await
    .expect("member 1 reconnects");

    // Same sockets for the others: not disturbed; a new one for member 1.
    let after: Vec<i64> = join_all((0..3).map(|i| client_id(&pool, i))).await;
    assert_eq!(after[0], before[0]);
    assert_eq!(after[2], before[2]);
    assert_ne!(after[1], before[1]);
    assert_eq!(pick_on(&arbiters[1], &pool).await, (1, after[1], true));
    assert!(pool
        .status()
        .iter()
        .all(|m| m.state == ConnState::Connected && m.in_flight == 0));
    pool.stop().await;
    for arbiter in arbiters {
        arbiter.stop();
    }
}

#[actix_rt::test]
async fn key_affinity_keeps_a_hash_tag_on_one_member_and_status_counts_in_flight() {
    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap();
    let (spec, pool) = Pool::builder(config).size(4).child_spec("redis-pool");
    // The handle exists before the supervisor starts.
    assert_eq!(pool.len(), 4);
    let sup = hardy_supervisor::Supervisor::builder()
        .child(spec)
        .start_async()
        .await
        .unwrap();
    all_connected(&pool).await;
    let a = pool.for_key("{user:1}:cart").index();
    assert_eq!(pool.for_key("{user:1}:orders").index(), a);
    let member = pool.for_key("{user:1}:cart");
    let id: i64 = member.command(cmd("CLIENT").arg("ID")).await.unwrap();
    assert_eq!(client_id(&pool, a).await, id);

    // A request awaiting its reply shows in the member's in-flight count.
    let mut slow = Box::pin(pool.member(2).command::<String>(cmd("PING")));
    assert!(futures::poll!(slow.as_mut()).is_pending());
    assert_eq!(pool.status()[2].in_flight, 1);
    assert_eq!(slow.await.unwrap(), "PONG");
    assert_eq!(pool.status()[2].in_flight, 0);
    sup.stop().await;
}

#[actix_rt::test]
async fn typed_commands_run_through_the_pool() {
    use hardy_redis::prelude::*;
    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap();
    let pool = Pool::builder(config).size(2).start().await.unwrap();
    all_connected(&pool).await;
    pool.set("typed:s", "hello").await.unwrap();
    let s: Option<String> = pool.get("typed:s").await.unwrap();
    assert_eq!(s.as_deref(), Some("hello"));
    assert_eq!(pool.incr("typed:n").await.unwrap(), 1);
    assert_eq!(pool.incr("typed:n").await.unwrap(), 2);
    pool.stop().await;
}
