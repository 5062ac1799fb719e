//! Commands, typed conversions, pipelines, transactions and noreply against a real
//! redis-server, over RESP3 and RESP2.

use std::collections::HashMap;

use bytes::Bytes;
use hardy_redis::{cmd, Config, Error, Frame, Pipeline, Protocol, Redis, ServerError};
use hardy_testkit::RedisServer;

fn config(server: &RedisServer, protocol: Protocol) -> Config {
    Config::from_url(&server.url()).unwrap().protocol(protocol)
}

async fn every_reply_type_converts(protocol: Protocol) {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server, protocol))
        .await
        .expect("connect");

    let () = redis
        .command(cmd("SET").arg("s").arg("hello"))
        .await
        .unwrap();
    let s: String = redis.command(cmd("GET").arg("s")).await.unwrap();
    assert_eq!(s, "hello");
    let raw: Vec<u8> = redis.command(cmd("GET").arg("s")).await.unwrap();
    assert_eq!(raw, b"hello");
    let bytes: Bytes = redis.command(cmd("GET").arg("s")).await.unwrap();
    assert_eq!(&bytes[..], b"hello");
    let missing: Option<String> = redis.command(cmd("GET").arg("nope")).await.unwrap();
    assert_eq!(missing, None);

    let n: i64 = redis.command(cmd("INCRBY").arg("n").arg(41)).await.unwrap();
    assert_eq!(n, 41);
    let n: u32 = redis.command(cmd("INCR").arg("n")).await.unwrap();
    assert_eq!(n, 42);
    let f: f64 = redis
        .command(cmd("INCRBYFLOAT").arg("f").arg(1.5))
        .await
        .unwrap();
    assert_eq!(f, 1.5);
    let exists: bool = redis.command(cmd("EXISTS").arg("s")).await.unwrap();
    assert!(exists);

    let _: i64 = redis
        .command(cmd("RPUSH").arg("l").arg(["a", "b", "c"].as_slice()))
        .await
        .unwrap();
    let list: Vec<String> = redis
        .command(cmd("LRANGE").arg("l").arg(0).arg(-1))
        .await
        .unwrap();
    assert_eq!(list, ["a", "b", "c"]);

    let _: i64 = redis
        .command(cmd("HSET").arg("h").arg("x").arg(1).arg("y").arg(2))
        .await
        .unwrap();
    let map: HashMap<String, i64> = redis.command(cmd("HGETALL").arg("h")).await.unwrap();
    assert_eq!(map, HashMap::from([("x".into(), 1), ("y".into(), 2)]));

    let (a, b): (String, i64) = redis.command(cmd("MGET").arg("s").arg("n")).await.unwrap();
    assert_eq!((a.as_str(), b), ("hello", 42));

    match redis.command::<i64>(cmd("GET").arg("s")).await {
        Err(Error::Type(e)) => assert!(e.to_string().contains("hello"), "{e}"),
        other => panic!("expected a type error, got {other:?}"),
    }
    match redis.command::<i64>(cmd("INCR").arg("s")).await {
        Err(Error::Server(e)) => assert_eq!(e.code(), "ERR"),
        other => panic!("expected a server error, got {other:?}"),
    }
    let raw: Frame = redis.command(cmd("INCR").arg("s")).await.unwrap_err_frame();
    assert!(raw.is_error());
}

/// A test-only shortcut: a Redis error reply kept as a frame.
trait ErrFrame {
    fn unwrap_err_frame(self) -> Frame;
}
impl ErrFrame for Result<Frame, Error> {
    fn unwrap_err_frame(self) -> Frame {
        match self {
            Err(Error::Server(e)) => Frame::error(e.text().to_vec()),
            other => panic!("expected a server error, got {other:?}"),
        }
    }
}

#[actix_rt::test]
async fn every_reply_type_converts_over_resp3() {
    every_reply_type_converts(Protocol::Resp3).await;
}

#[actix_rt::test]
async fn every_reply_type_converts_over_resp2() {
    every_reply_type_converts(Protocol::Resp2).await;
}

#[actix_rt::test]
async fn a_pipeline_is_answered_in_order_and_one_error_does_not_fail_the_others() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server, Protocol::Resp3))
        .await
        .unwrap();
    let p = Pipeline::new()
        .cmd(cmd("SET").arg("k").arg("v"))
        .cmd(cmd("INCR").arg("k"))
        .cmd(cmd("GET").arg("k"))
        .cmd(cmd("ECHO").arg("last"));
    let replies: Vec<Result<Frame, ServerError>> = redis.pipeline(p).await.unwrap();
    assert_eq!(replies.len(), 4);
    assert_eq!(replies[0].as_ref().unwrap().as_bytes(), Some(&b"OK"[..]));
    assert!(replies[1].is_err());
    assert_eq!(replies[2].as_ref().unwrap().as_bytes(), Some(&b"v"[..]));
    assert_eq!(replies[3].as_ref().unwrap().as_bytes(), Some(&b"last"[..]));
    let typed: (String, String) = redis
        .pipeline(
            Pipeline::new()
                .cmd(cmd("ECHO").arg("a"))
                .cmd(cmd("ECHO").arg("b")),
        )
        .await
        .unwrap();
    assert_eq!(typed, ("a".into(), "b".into()));
}

#[actix_rt::test]
async fn a_transaction_runs_atomically_and_reports_a_watch_abort() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server, Protocol::Resp3))
        .await
        .unwrap();
    let (set, n): (String, i64) = redis
        .transaction(
            Pipeline::new()
                .cmd(cmd("SET").arg("t").arg(10))
                .cmd(cmd("INCR").arg("t")),
        )
        .await
        .unwrap();
    assert_eq!((set.as_str(), n), ("OK", 11));

    let () = redis.command(cmd("WATCH").arg("t")).await.unwrap();
    server.command(&["SET", "t", "changed"]).unwrap();
    let aborted = redis
        .transaction::<Vec<Frame>>(Pipeline::new().cmd(cmd("INCR").arg("t")))
        .await;
    assert!(matches!(aborted, Err(Error::WatchAborted)), "{aborted:?}");

    let refused = redis
        .transaction::<Vec<Frame>>(Pipeline::new().cmd(cmd("INCR")))
        .await;
    match refused {
        Err(Error::Server(e)) => assert!(e.to_string().contains("wrong number"), "{e}"),
        other => panic!("expected the refused command's error, got {other:?}"),
    }
}

#[actix_rt::test]
async fn noreply_commands_run_without_replies() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server, Protocol::Resp3))
        .await
        .unwrap();
    let p: Pipeline = (0..100).map(|i| cmd("RPUSH").arg("q").arg(i)).collect();
    redis.noreply(p).await.unwrap();
    let len: i64 = redis.command(cmd("LLEN").arg("q")).await.unwrap();
    assert_eq!(len, 100);
}

#[actix_rt::test]
async fn commands_that_would_desynchronise_replies_are_refused_with_a_hint() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server, Protocol::Resp3))
        .await
        .unwrap();
    for bad in [
        cmd("SUBSCRIBE").arg("ch"),
        cmd("MONITOR"),
        cmd("client").arg("reply").arg("off"),
        cmd("HELLO").arg(2),
        cmd("UNSUBSCRIBE"),
        cmd("PUNSUBSCRIBE").arg("a*"),
        cmd("SUNSUBSCRIBE"),
        cmd("MULTI"),
        cmd("EXEC"),
        cmd("DISCARD"),
    ] {
        match redis.command::<Frame>(bad).await {
            Err(Error::Config(msg)) => assert!(!msg.is_empty()),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
    // A whole transaction written as one pipeline cannot take in other callers' commands.
    let whole: Vec<Frame> = redis
        .pipeline(
            Pipeline::new()
                .cmd(cmd("MULTI"))
                .cmd(cmd("ECHO").arg("x"))
                .cmd(cmd("EXEC")),
        )
        .await
        .unwrap();
    assert_eq!(whole.len(), 3);
}

#[actix_rt::test]
async fn select_client_name_and_acl_user_are_applied_by_the_handshake() {
    let server = hardy_testkit::RedisConfig::new()
        .line("user alice on >wonderland ~* &* +@all")
        .start()
        .expect("redis-server");
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let config = config(&server, protocol)
            .username("alice")
            .password("wonderland")
            .select(3)
            .client_name("hardy-test");
        let redis = Redis::connect(config).await.expect("connect as alice");
        let who: String = redis.command(cmd("ACL").arg("WHOAMI")).await.unwrap();
        assert_eq!(who, "alice");
        let name: String = redis.command(cmd("CLIENT").arg("GETNAME")).await.unwrap();
        assert_eq!(name, "hardy-test");
        let info: String = redis.command(cmd("CLIENT").arg("INFO")).await.unwrap();
        assert!(info.contains(" db=3 "), "{info}");
    }
}

#[actix_rt::test]
async fn the_handle_works_from_another_thread() {
    let server = RedisServer::start().expect("redis-server");
    let redis = Redis::connect(config(&server, Protocol::Resp3))
        .await
        .unwrap();
    let remote = redis.clone();
    // Another thread with its own runtime; this thread keeps running the actor meanwhile.
    let echoed = tokio::task::spawn_blocking(move || {
        actix_rt::System::new()
            .block_on(async move { remote.command::<String>(cmd("ECHO").arg("across")).await })
    })
    .await
    .expect("thread");
    assert_eq!(echoed.unwrap(), "across");
    let recipient = redis
        .addr()
        .expect("running")
        .recipient::<hardy_redis::Command>();
    let frame = recipient
        .send(hardy_redis::Command(cmd("ECHO").arg("via recipient")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame.as_bytes(), Some(&b"via recipient"[..]));
}
