//! Scripts that survive `SCRIPT FLUSH` and a server restart, functions, and the SCAN
//! streams visiting each element of a 10,000-key database exactly once, over RESP3 and
//! RESP2 against a real redis-server.

use std::collections::HashMap;

use futures::TryStreamExt;
use hardy_redis::prelude::*;
use hardy_redis::{Config, ConnState, Protocol};
use hardy_testkit::RedisServer;

const N: usize = 10_000;

async fn connect(server: &RedisServer, protocol: Protocol) -> Redis {
    let config = Config::from_url(&server.url()).unwrap().protocol(protocol);
    Redis::connect(config).await.expect("connect")
}

async fn script_survives_flush_and_restart(protocol: Protocol) {
    let mut server = RedisServer::start().expect("redis-server");
    let redis = connect(&server, protocol).await;
    let bump = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");

    // Never loaded: NOSCRIPT, then SCRIPT LOAD and EVALSHA, transparently.
    let n: i64 = bump.run(&redis, &["counter"], 5).await.unwrap();
    assert_eq!(n, 5);
    let n: i64 = bump.run(&redis, &["counter"], 1).await.unwrap();
    assert_eq!(n, 6);

    redis
        .command::<()>(cmd("SCRIPT").arg("FLUSH"))
        .await
        .unwrap();
    let n: i64 = bump.run(&redis, &["counter"], 1).await.unwrap();
    assert_eq!(n, 7, "ran exactly once after SCRIPT FLUSH");

    let mut changes = redis.state().changes();
    server.restart().unwrap();
    for _ in 0..100 {
        if changes.recv().await.unwrap() == ConnState::Disconnected {
            break;
        }
    }
    redis.state().wait_for(ConnState::is_connected).await;
    let n: i64 = bump.run(&redis, &["counter"], 2).await.unwrap();
    assert_eq!(n, 2, "the restarted server has no script and no counter");

    // In a pipeline, EVALSHA does not fall back: load first.
    bump.load(&redis).await.unwrap();
    let mut pipe = Pipeline::new();
    pipe.run(bump.evalsha::<i64, _>(&["counter"], 3))
        .get::<i64>("counter");
    let (n, read): (i64, i64) = redis.pipeline(pipe).await.unwrap();
    assert_eq!((n, read), (5, 5));
    let sha = redis.script_load(bump.source()).await.unwrap();
    assert_eq!(sha, bump.sha());
    let keys: i64 = redis
        .eval("return #KEYS + #ARGV", &["a", "b"], "x")
        .await
        .unwrap();
    assert_eq!(keys, 3);
}

#[actix_rt::test]
async fn script_survives_script_flush_and_server_restart_over_resp3() {
    script_survives_flush_and_restart(Protocol::Resp3).await;
}

#[actix_rt::test]
async fn script_survives_script_flush_and_server_restart_over_resp2() {
    script_survives_flush_and_restart(Protocol::Resp2).await;
}

async fn functions_load_and_call(protocol: Protocol) {
    let server = RedisServer::start().expect("redis-server");
    let redis = connect(&server, protocol).await;
    let code = "#!lua name=lib\n\
        redis.register_function('put', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\n\
        redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}";
    assert_eq!(redis.function_load(code, false).await.unwrap(), "lib");
    assert!(
        redis.function_load(code, false).await.is_err(),
        "exists already"
    );
    assert_eq!(redis.function_load(code, true).await.unwrap(), "lib");
    let () = redis.fcall("put", &["k"], "v").await.unwrap();
    let v: Option<String> = redis.fcall_ro("peek", &["k"], ()).await.unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    match redis.fcall_ro::<(), _>("put", &["k"], "w").await {
        Err(Error::Server(_)) => {}
        other => panic!("FCALL_RO of a writing function must fail, got {other:?}"),
    }
}

#[actix_rt::test]
async fn functions_load_and_call_over_resp3() {
    functions_load_and_call(Protocol::Resp3).await;
}

#[actix_rt::test]
async fn functions_load_and_call_over_resp2() {
    functions_load_and_call(Protocol::Resp2).await;
}

/// 10,000 string keys, plus a hash, a set and a sorted set of 10,000 elements each.
async fn populate(redis: &Redis) {
    let mut pipe = Pipeline::new();
    for chunk in (0..N).collect::<Vec<_>>().chunks(1000) {
        let keys: Vec<(String, usize)> = chunk.iter().map(|i| (format!("k:{i}"), *i)).collect();
        let fields: Vec<(String, usize)> = chunk.iter().map(|i| (format!("f{i}"), *i)).collect();
        let members: Vec<String> = chunk.iter().map(|i| format!("m{i}")).collect();
        let scored: Vec<(usize, String)> = chunk.iter().map(|i| (*i, format!("m{i}"))).collect();
        pipe.mset(keys)
            .hset("hash", fields)
            .sadd("set", members)
            .zadd("zset", scored);
    }
    let _: Vec<Frame> = redis.pipeline(pipe).await.unwrap();
    assert_eq!(redis.dbsize().await.unwrap(), N as u64 + 3);
}

/// Counts how often each element came, and checks every one of `0..N` came exactly once.
fn assert_each_once(seen: impl IntoIterator<Item = usize>, what: &str) {
    let mut counts = vec![0u32; N];
    for i in seen {
        counts[i] += 1;
    }
    let wrong: Vec<(usize, u32)> = counts
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| *c != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "{what}: elements not seen exactly once: {:?}",
        &wrong[..wrong.len().min(10)]
    );
}

async fn scans_visit_each_element_once(protocol: Protocol) {
    let server = RedisServer::start().expect("redis-server");
    let redis = connect(&server, protocol).await;
    populate(&redis).await;

    let keys: Vec<String> = redis
        .scan(ScanOptions::new().pattern("k:*").count(500))
        .try_collect()
        .await
        .unwrap();
    assert_each_once(keys.iter().map(|k| k[2..].parse().unwrap()), "SCAN");

    let typed: Vec<String> = redis
        .scan(ScanOptions::new().key_type("hash"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(typed, ["hash"]);

    let fields: Vec<(String, usize)> = redis
        .hscan("hash", ScanOptions::new().count(300))
        .try_collect()
        .await
        .unwrap();
    assert!(fields
        .iter()
        .all(|(f, v)| f[1..].parse::<usize>().unwrap() == *v));
    assert_each_once(fields.iter().map(|(_, v)| *v), "HSCAN");

    let members: Vec<String> = redis
        .sscan("set", ScanOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert_each_once(members.iter().map(|m| m[1..].parse().unwrap()), "SSCAN");

    let scored: Vec<(String, f64)> = redis
        .zscan("zset", ScanOptions::new().count(1000))
        .try_collect()
        .await
        .unwrap();
    assert!(scored
        .iter()
        .all(|(m, s)| m[1..].parse::<f64>().unwrap() == *s));
    assert_each_once(scored.iter().map(|(_, s)| *s as usize), "ZSCAN");

    let few: HashMap<String, usize> = redis
        .hscan("hash", ScanOptions::new().pattern("f1?"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(few.len(), 10);
    assert_eq!(few["f17"], 17);

    let none: Vec<String> = redis
        .sscan("nope", ScanOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[actix_rt::test]
async fn scan_streams_visit_every_element_of_10k_exactly_once_over_resp3() {
    scans_visit_each_element_once(Protocol::Resp3).await;
}

#[actix_rt::test]
async fn scan_streams_visit_every_element_of_10k_exactly_once_over_resp2() {
    scans_visit_each_element_once(Protocol::Resp2).await;
}

#[actix_rt::test]
async fn a_pool_runs_scripts_with_their_fallback_and_scans_like_one_connection() {
    let server = RedisServer::start().expect("redis-server");
    let config = Config::from_url(&server.url()).unwrap();
    let pool = hardy_redis::Pool::builder(config)
        .size(2)
        .start()
        .await
        .unwrap();
    let bump = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let n: i64 = bump.run(&pool, &["counter"], 5).await.unwrap();
    assert_eq!(n, 5);
    pool.command::<()>(cmd("SCRIPT").arg("FLUSH"))
        .await
        .unwrap();
    let n: i64 = bump.run(&pool, &["counter"], 1).await.unwrap();
    assert_eq!(n, 6, "ran exactly once after SCRIPT FLUSH");

    let keys: Vec<(String, usize)> = (0..N).map(|i| (format!("p:{i}"), i)).collect();
    pool.mset(keys).await.unwrap();
    let seen: Vec<String> = pool
        .scan(ScanOptions::new().pattern("p:*").count(500))
        .try_collect()
        .await
        .unwrap();
    assert_each_once(
        seen.iter().map(|k| k[2..].parse::<usize>().unwrap()),
        "pool scan",
    );
    let fields: Vec<(String, i64)> = pool
        .hscan("nohash", ScanOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert!(fields.is_empty());
}
