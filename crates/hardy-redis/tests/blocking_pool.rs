//! Dedicated connections for blocking commands: they never hold up the shared connection,
//! their timeout follows the command's block timeout, a cancelled one never hands its
//! reply to the next caller, and the set of connections is bounded.

use std::time::Duration;

use futures::future::join_all;
use hardy_redis::{cmd, BlockingPool, Config, Error, Frame, Redis};
use hardy_testkit::RedisServer;

fn config(server: &RedisServer) -> Config {
    Config::from_url(&server.url()).unwrap()
}

const WAIT: Duration = Duration::from_secs(10);

#[actix_rt::test]
async fn a_blpop_on_a_lease_leaves_a_thousand_shared_commands_unaffected() {
    let server = RedisServer::start().expect("redis-server");
    let shared = Redis::connect(config(&server)).await.unwrap();
    let queues = BlockingPool::new(config(&server), 2);
    let mut lease = queues.lease().await.unwrap();
    let mut blpop =
        Box::pin(lease.command::<Option<(String, String)>>(cmd("BLPOP").arg("jobs").arg(0)));
    assert!(futures::poll!(blpop.as_mut()).is_pending());

    let incrs = (0..1000).map(|_| shared.command::<i64>(cmd("INCR").arg("counter")));
    let replies = tokio::time::timeout(WAIT, join_all(incrs)).await.unwrap();
    let mut values: Vec<i64> = replies.into_iter().map(Result::unwrap).collect();
    values.sort_unstable();
    assert_eq!(values, (1..=1000).collect::<Vec<_>>());
    assert!(futures::poll!(blpop.as_mut()).is_pending());

    let _: i64 = shared
        .command(cmd("LPUSH").arg("jobs").arg("job-1"))
        .await
        .unwrap();
    let job = tokio::time::timeout(WAIT, blpop).await.unwrap().unwrap();
    assert_eq!(job, Some(("jobs".into(), "job-1".into())));
}

async fn client_ids(redis: &Redis) -> String {
    redis.command(cmd("CLIENT").arg("LIST")).await.unwrap()
}

#[actix_rt::test]
async fn a_cancelled_blpop_never_delivers_its_reply_to_the_next_caller() {
    let server = RedisServer::start().expect("redis-server");
    let shared = Redis::connect(config(&server)).await.unwrap();
    let queues = BlockingPool::new(config(&server), 1);
    let first_id: i64 = queues.command(cmd("CLIENT").arg("ID")).await.unwrap();
    assert_eq!(queues.idle(), 1);

    // The caller gives up mid-block: its future (and lease) is dropped.
    let gave_up = tokio::time::timeout(
        Duration::from_millis(100),
        queues.command::<Frame>(cmd("BLPOP").arg("jobs").arg(0)),
    )
    .await;
    assert!(gave_up.is_err());
    assert_eq!((queues.idle(), queues.leased()), (0, 0));

    // An item pushed at once: the next lease is a new connection whose replies are its
    // own, whatever became of the abandoned BLPOP.
    let _: i64 = shared
        .command(cmd("LPUSH").arg("jobs").arg("early"))
        .await
        .unwrap();
    let mut next = queues.lease().await.unwrap();
    let id: i64 = next.command(cmd("CLIENT").arg("ID")).await.unwrap();
    assert_ne!(id, first_id);
    let pong: String = next.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
    drop(next);

    // Once the abandoned connection is gone, an item pushed stays in the list for the
    // next caller (and the early one too, unless Redis served it before the close).
    let gone = format!("id={first_id} ");
    let mut closed = false;
    for _ in 0..200 {
        if !client_ids(&shared).await.contains(&gone) {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed, "the abandoned connection is closed");
    let _: i64 = shared
        .command(cmd("RPUSH").arg("jobs").arg("late"))
        .await
        .unwrap();
    let mut lease = queues.lease().await.unwrap();
    let items: Vec<String> = lease
        .command(cmd("LRANGE").arg("jobs").arg(0).arg(-1))
        .await
        .unwrap();
    assert!(
        items == ["early", "late"] || items == ["late"],
        "items left: {items:?}"
    );
    let popped: Option<(String, String)> = lease
        .command(cmd("BLPOP").arg("jobs").arg(1))
        .await
        .unwrap();
    assert_eq!(popped.map(|(_, v)| v), items.first().cloned());
}

#[actix_rt::test]
async fn leases_are_bounded_and_a_released_one_is_reused() {
    let server = RedisServer::start().expect("redis-server");
    let queues = BlockingPool::new(config(&server), 2).checkout_timeout(Duration::from_millis(50));
    let mut a = queues.lease().await.unwrap();
    let b = queues.lease().await.unwrap();
    assert_eq!(queues.leased(), 2);
    assert!(matches!(queues.try_lease().await, Err(Error::QueueFull(2))));
    assert!(matches!(queues.lease().await, Err(Error::QueueFull(2))));
    let a_id: i64 = a.command(cmd("CLIENT").arg("ID")).await.unwrap();
    drop(a);
    let mut again = queues.lease().await.unwrap();
    let again_id: i64 = again.command(cmd("CLIENT").arg("ID")).await.unwrap();
    assert_eq!(again_id, a_id);
    drop((again, b));
    assert_eq!((queues.leased(), queues.idle()), (0, 2));
}

#[actix_rt::test]
async fn a_blocking_commands_timeout_extends_to_its_own_block_time() {
    let server = RedisServer::start().expect("redis-server");
    // A command timeout shorter than the block: it is only the margin here.
    let queues = BlockingPool::new(
        config(&server).command_timeout(Duration::from_millis(400)),
        1,
    );
    let popped: Option<(String, String)> = queues
        .command(cmd("BLPOP").arg("empty").arg("0.5"))
        .await
        .unwrap();
    assert_eq!(popped, None);
    // An ordinary command that outlives the margin times out and closes the connection.
    let mut lease = queues.lease().await.unwrap();
    let slow = lease
        .command::<()>(cmd("DEBUG").arg("SLEEP").arg("1.5"))
        .await;
    match slow {
        Err(Error::Timeout(_)) => {
            assert!(lease.redis().is_none());
            assert!(matches!(
                lease.command::<String>(cmd("PING")).await,
                Err(Error::Stopped(_))
            ));
        }
        // DEBUG refused by the server's configuration: nothing to time out.
        Err(Error::Server(_)) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[actix_rt::test]
async fn the_shared_connections_refusal_points_to_the_blocking_pool() {
    let server = RedisServer::start().expect("redis-server");
    let shared = Redis::connect(config(&server)).await.unwrap();
    match shared
        .command::<Frame>(
            cmd("BLMOVE")
                .arg("a")
                .arg("b")
                .arg("LEFT")
                .arg("RIGHT")
                .arg(0),
        )
        .await
    {
        Err(Error::Config(msg)) => assert!(msg.contains("BlockingPool"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The id of the connection a fresh lease gets, and the lease.
async fn lease_id(queues: &BlockingPool) -> (hardy_redis::Lease, i64) {
    let mut lease = queues.lease().await.unwrap();
    let id: i64 = lease.command(cmd("CLIENT").arg("ID")).await.unwrap();
    (lease, id)
}

#[actix_rt::test]
async fn a_lease_returned_after_select_hands_the_next_caller_the_configured_database() {
    let server = RedisServer::start().expect("redis-server");
    let shared = Redis::connect(config(&server)).await.unwrap();
    let _: () = shared
        .command(cmd("SET").arg("k").arg("db0"))
        .await
        .unwrap();
    let queues = BlockingPool::new(config(&server), 1);

    let (mut lease, first) = lease_id(&queues).await;
    let _: () = lease.command(cmd("SELECT").arg(3)).await.unwrap();
    let in_db3: Option<String> = lease.command(cmd("GET").arg("k")).await.unwrap();
    assert_eq!(in_db3, None);
    drop(lease);
    assert_eq!(queues.idle(), 0, "the changed connection is not kept");

    let (mut lease, next) = lease_id(&queues).await;
    assert_ne!(next, first);
    let k: Option<String> = lease.command(cmd("GET").arg("k")).await.unwrap();
    assert_eq!(
        k.as_deref(),
        Some("db0"),
        "the next caller is in database 0"
    );
    drop(lease);
    // An unchanged connection is reused.
    let (_lease, again) = lease_id(&queues).await;
    assert_eq!(again, next);
}

#[actix_rt::test]
async fn a_lease_renamed_or_left_watching_is_closed_one_that_ended_its_watch_is_kept() {
    use hardy_redis::prelude::*;
    let server = RedisServer::start().expect("redis-server");
    let queues = BlockingPool::new(config(&server), 1);

    // A name set through a typed method.
    let (mut lease, first) = lease_id(&queues).await;
    lease.client_setname("worker-7").await.unwrap();
    drop(lease);
    let (mut lease, second) = lease_id(&queues).await;
    assert_ne!(second, first);
    let name: Option<String> = lease.client_getname().await.unwrap();
    assert_eq!(name, None);

    // A WATCH then EXEC through the lease's handle ends its watch: kept.
    let watch = lease.redis().unwrap().watch("k").await.unwrap();
    let (_,): (String,) = watch
        .exec(Pipeline::new().cmd(cmd("SET").arg("k").arg(1)))
        .await
        .unwrap();
    drop(lease);
    let (lease, third) = lease_id(&queues).await;
    assert_eq!(third, second);

    // A WATCH left open (a Watch session dropped before its EXEC): closed.
    let watch = lease.redis().unwrap().watch("k").await.unwrap();
    drop(watch);
    drop(lease);
    let (_lease, fourth) = lease_id(&queues).await;
    assert_ne!(fourth, third);
}

#[actix_rt::test]
async fn a_lease_whose_handle_was_cloned_out_is_not_handed_to_the_next_caller() {
    let server = RedisServer::start().expect("redis-server");
    let queues = BlockingPool::new(config(&server), 1);
    let (lease, first) = lease_id(&queues).await;
    let kept = lease.redis().unwrap().clone();
    drop(lease);
    let (_lease, next) = lease_id(&queues).await;
    assert_ne!(next, first);
    // The clone is a connection of its own now, still working.
    let id: i64 = kept.command(cmd("CLIENT").arg("ID")).await.unwrap();
    assert_eq!(id, first);
}
