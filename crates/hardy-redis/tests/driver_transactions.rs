//! Transactions told truthfully: `WATCH` sessions that never run `EXEC` unguarded on a new
//! link, errors inside pipelines and `EXEC` as `Error::Server` with their index, and a
//! refused `MULTI` reported as "the body may have run".

use std::time::Duration;

use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, Frame, Pipeline, Redis, ServerError};
use hardy_testkit::RedisServer;

fn config(server: &RedisServer) -> Config {
    Config::from_url(&server.url()).unwrap().backoff(
        Duration::from_millis(20),
        1.5,
        Duration::from_millis(200),
    )
}

async fn reconnected(redis: &Redis) {
    redis.state().wait_for(ConnState::is_connected).await;
}

#[actix_rt::test]
async fn a_server_kill_between_watch_and_exec_aborts_the_transaction_instead_of_running_it_unguarded(
) {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let () = redis
        .command(cmd("SET").arg("balance").arg(100))
        .await
        .unwrap();
    let tx = redis.watch("balance").await.unwrap();
    let balance: i64 = tx.command(cmd("GET").arg("balance")).await.unwrap();
    assert_eq!(balance, 100);

    let mut changes = redis.state().changes();
    server.kill().unwrap();
    loop {
        if changes.recv().await.unwrap() == ConnState::Disconnected {
            break;
        }
    }
    server.restart().unwrap();
    reconnected(&redis).await;
    // The new link watches nothing: another client changes the key meanwhile.
    let () = redis
        .command(cmd("SET").arg("balance").arg(7))
        .await
        .unwrap();

    let outcome = tx
        .exec::<()>(Pipeline::new().cmd(cmd("SET").arg("balance").arg(balance - 10)))
        .await;
    assert!(matches!(outcome, Err(Error::WatchAborted)), "{outcome:?}");
    let now: i64 = redis.command(cmd("GET").arg("balance")).await.unwrap();
    assert_eq!(now, 7, "the EXEC must not have run on the new link");
}

#[actix_rt::test]
async fn optimistic_retries_after_a_server_kill_and_applies_the_update_once() {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let () = redis.command(cmd("SET").arg("n").arg(1)).await.unwrap();
    let mut attempts = 0;
    let (doubled,): (String,) = redis
        .optimistic("n", 5, async |tx| {
            attempts += 1;
            // The restarted server starts empty (no persistence): a missing key counts as 1.
            let n: i64 = tx
                .command::<Option<i64>>(cmd("GET").arg("n"))
                .await?
                .unwrap_or(1);
            if attempts == 1 {
                let mut changes = tx_state(&redis).changes();
                server.kill().unwrap();
                while changes.recv().await.unwrap() != ConnState::Disconnected {}
                server.restart().unwrap();
                reconnected(&redis).await;
            }
            Ok(Pipeline::new().cmd(cmd("SET").arg("n").arg(n * 2)))
        })
        .await
        .unwrap();
    assert_eq!(doubled, "OK");
    assert_eq!(attempts, 2);
    // The first attempt's EXEC was never sent; the second one ran, once.
    let n: i64 = redis.command(cmd("GET").arg("n")).await.unwrap();
    assert_eq!(n, 2);
}

#[actix_rt::test]
async fn a_watch_while_the_link_is_down_fails_as_not_sent_instead_of_aborted() {
    // `WatchAborted` means "re-read and retry now"; with no link to watch on, a caller
    // following that would spin. `NotConnected` says what happened: nothing was sent.
    let mut server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let mut changes = tx_state(&redis).changes();
    server.kill().unwrap();
    while changes.recv().await.unwrap() != ConnState::Disconnected {}
    let watch = redis.watch("k").await;
    assert!(matches!(watch, Err(Error::NotConnected)), "{watch:?}");
    let mut bodies = 0;
    let outcome = redis
        .optimistic::<Vec<Frame>, _, _>("k", 5, async |_| {
            bodies += 1;
            Ok(Pipeline::new().cmd(cmd("SET").arg("k").arg("v")))
        })
        .await;
    assert!(matches!(outcome, Err(Error::NotConnected)), "{outcome:?}");
    assert_eq!(bodies, 0);
    server.restart().unwrap();
    reconnected(&redis).await;
    let tx = redis.watch("k").await.unwrap();
    let (ok,): (String,) = tx
        .exec(Pipeline::new().cmd(cmd("SET").arg("k").arg("v")))
        .await
        .unwrap();
    assert_eq!(ok, "OK");
}

fn tx_state(redis: &Redis) -> hardy_connection::StateWatch {
    redis.state().clone()
}

#[actix_rt::test]
async fn another_callers_exec_clears_the_watch_and_aborts_the_session() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let tx = redis.watch("k").await.unwrap();
    let _: Option<String> = tx.command(cmd("GET").arg("k")).await.unwrap();
    // A concurrent caller's transaction on the same socket: its EXEC unwatches every key.
    let _: Vec<Frame> = redis
        .transaction(Pipeline::new().cmd(cmd("INCR").arg("other")))
        .await
        .unwrap();
    let read = tx.command::<Option<String>>(cmd("GET").arg("k")).await;
    assert!(matches!(read, Err(Error::WatchAborted)), "{read:?}");
    let outcome = tx
        .exec::<Vec<Frame>>(Pipeline::new().cmd(cmd("SET").arg("k").arg("v")))
        .await;
    assert!(matches!(outcome, Err(Error::WatchAborted)), "{outcome:?}");
    let k: Option<String> = redis.command(cmd("GET").arg("k")).await.unwrap();
    assert_eq!(k, None);
}

#[actix_rt::test]
async fn a_watched_key_changed_by_another_client_aborts_and_optimistic_retries() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let other = Redis::connect(config(&server)).await.unwrap();
    let () = redis.command(cmd("SET").arg("c").arg(10)).await.unwrap();
    let mut attempts = 0;
    let (set,): (bool,) = redis
        .optimistic("c", 3, async |tx| {
            attempts += 1;
            let c: i64 = tx.command(cmd("GET").arg("c")).await?;
            if attempts == 1 {
                let () = other.command(cmd("SET").arg("c").arg(20)).await?;
            }
            Ok(Pipeline::new().cmd(cmd("SET").arg("c").arg(c + 1)))
        })
        .await
        .unwrap();
    assert!(set);
    assert_eq!(attempts, 2);
    let c: i64 = redis.command(cmd("GET").arg("c")).await.unwrap();
    assert_eq!(c, 21);
}

#[actix_rt::test]
async fn an_error_inside_a_pipeline_is_a_server_error_with_its_index() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let p = Pipeline::new()
        .cmd(cmd("SET").arg("s").arg("text"))
        .cmd(cmd("GET").arg("s"))
        .cmd(cmd("INCR").arg("s"));
    match redis.pipeline::<(String, String, i64)>(p.clone()).await {
        Err(Error::Server(e)) => {
            assert_eq!((e.code(), e.index()), ("ERR", Some(2)));
            assert!(e.to_string().contains("command 2"), "{e}");
        }
        other => panic!("expected Error::Server, got {other:?}"),
    }
    // Kept as values, the errors do not fail the call.
    let each: Vec<Result<Frame, ServerError>> = redis.pipeline(p).await.unwrap();
    assert!(each[2].is_err() && each[0].is_ok());
}

#[actix_rt::test]
async fn an_error_inside_exec_is_a_server_error_with_its_index() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    let p = Pipeline::new()
        .cmd(cmd("SET").arg("t").arg("text"))
        .cmd(cmd("INCR").arg("t"))
        .cmd(cmd("GET").arg("t"));
    match redis.transaction::<Vec<String>>(p).await {
        Err(Error::Server(e)) => assert_eq!((e.code(), e.index()), ("ERR", Some(1))),
        other => panic!("expected Error::Server, got {other:?}"),
    }
    // A command Redis refuses to queue: EXECABORT, nothing ran; the refused one's index.
    let p = Pipeline::new()
        .cmd(cmd("SET").arg("u").arg(1))
        .cmd(cmd("NOSUCHCOMMAND"));
    match redis.transaction::<Vec<Frame>>(p).await {
        Err(Error::Server(e)) => assert_eq!((e.code(), e.index()), ("ERR", Some(1))),
        other => panic!("expected Error::Server, got {other:?}"),
    }
    let u: Option<i64> = redis.command(cmd("GET").arg("u")).await.unwrap();
    assert_eq!(u, None);
}

#[actix_rt::test]
async fn a_refused_multi_is_reported_as_a_body_that_may_have_run() {
    let server = RedisServer::start().expect("redis-server");
    server
        .command(&[
            "ACL", "SETUSER", "nomulti", "on", ">pw", "~*", "&*", "+@all", "-multi",
        ])
        .unwrap();
    let redis = Redis::connect(config(&server).username("nomulti").password("pw"))
        .await
        .unwrap();
    let outcome = redis
        .transaction::<Vec<Frame>>(Pipeline::new().cmd(cmd("INCR").arg("ran")))
        .await;
    match &outcome {
        Err(e @ Error::MultiRefused(refusal)) => {
            assert_eq!(refusal.code(), "NOPERM");
            assert!(e.maybe_executed());
            assert!(e.to_string().contains("may have run"), "{e}");
        }
        other => panic!("expected MultiRefused, got {other:?}"),
    }
    // Indeed it ran, outside a transaction.
    let ran: i64 = redis.command(cmd("GET").arg("ran")).await.unwrap();
    assert_eq!(ran, 1);
}

#[actix_rt::test]
async fn a_username_without_a_password_is_a_configuration_error() {
    let server = RedisServer::start().expect("redis-server");
    let outcome = Redis::connect(config(&server).username("alice")).await;
    match outcome {
        Err(Error::Config(msg)) => assert!(msg.contains("without a password"), "{msg}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
    let url = format!("redis://alice@127.0.0.1:{}", server.port());
    assert!(matches!(Config::from_url(&url), Err(Error::Config(_))));
    // Started without waiting, it stops instead of retrying.
    let redis = Redis::start(config(&server).username("alice"));
    let stopped = redis
        .state()
        .wait_for(|s| matches!(s, ConnState::Stopped(_)))
        .await;
    assert!(
        stopped.to_string().contains("without a password"),
        "{stopped}"
    );
}

#[actix_rt::test]
async fn another_callers_unwatch_aborts_the_session_instead_of_running_exec_unguarded() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server)).await.unwrap();
    for by_noreply in [false, true] {
        let tx = redis.watch("w").await.unwrap();
        if by_noreply {
            redis
                .noreply(Pipeline::new().cmd(cmd("UNWATCH")))
                .await
                .unwrap();
        } else {
            redis.command::<()>(cmd("UNWATCH")).await.unwrap();
        }
        let outcome = tx
            .exec::<Vec<Frame>>(Pipeline::new().cmd(cmd("SET").arg("w").arg("v")))
            .await;
        assert!(matches!(outcome, Err(Error::WatchAborted)), "{outcome:?}");
    }
    let w: Option<String> = redis.command(cmd("GET").arg("w")).await.unwrap();
    assert_eq!(w, None);
}
