//! RESP2 and RESP3 give the same Rust values: the same commands run over both protocols
//! against a real redis-server, and every reply converts to every supported target type
//! with the same outcome (the same value, or an error on both).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use hardy_redis::{cmd, Cmd, Config, Frame, FromRedis, Protocol, Redis, ServerError};
use hardy_testkit::RedisServer;

type Convert = fn(Frame) -> Result<String, String>;

macro_rules! targets {
    ($($t:ty),* $(,)?) => {
        vec![$((
            stringify!($t),
            (|f: Frame| <$t as FromRedis>::from_redis(f)
                .map(|v| format!("{v:?}"))
                .map_err(|e| e.to_string())) as Convert,
        )),*]
    };
}

fn targets() -> Vec<(&'static str, Convert)> {
    targets![
        String, Vec<u8>, Bytes, i64, i32, i16, u64, u32, usize, isize, f64, f32, bool, (),
        Option<String>, Option<i64>, Option<f64>, Option<bool>, Option<Vec<String>>,
        Vec<String>, Vec<Vec<u8>>, Vec<i64>, Vec<f64>, Vec<bool>, Vec<Option<String>>,
        Vec<Option<f64>>, BTreeSet<String>, Vec<(String, String)>, Vec<(String, f64)>,
        Vec<(String, i64)>, BTreeMap<String, String>, BTreeMap<String, f64>,
        BTreeMap<String, i64>, (String,), (String, String), (String, f64), (String, i64),
        (i64, String, bool), Result<String, ServerError>, Result<i64, ServerError>,
        Result<Vec<String>, ServerError>,
    ]
}

/// Commands whose replies differ in shape between RESP2 and RESP3 (doubles, maps, sets,
/// booleans, nested pairs, verbatim strings) and some that do not.
fn commands() -> Vec<Cmd> {
    let script = |body: &str| cmd("EVAL").arg(body).arg(0);
    vec![
        cmd("GET").arg("s"),
        cmd("GET").arg("num"),
        cmd("GET").arg("missing"),
        cmd("INCR").arg("counter"),
        cmd("EXISTS").arg("s"),
        cmd("TYPE").arg("s"),
        cmd("PING"),
        cmd("SET").arg("nx").arg(1).arg("NX"),
        cmd("SET").arg("s").arg("hello").arg("NX"),
        cmd("ZSCORE").arg("z").arg("three"),
        cmd("ZSCORE").arg("z").arg("half"),
        cmd("ZSCORE").arg("z").arg("zero"),
        cmd("ZSCORE").arg("z").arg("missing"),
        cmd("ZMSCORE")
            .arg("z")
            .arg("three")
            .arg("half")
            .arg("missing"),
        cmd("ZRANGE").arg("z").arg(0).arg(-1).arg("WITHSCORES"),
        cmd("ZRANGE").arg("z").arg(0).arg(0).arg("WITHSCORES"),
        cmd("ZRANGE").arg("z").arg(0).arg(-1),
        cmd("ZINCRBY").arg("zi").arg(2).arg("m"),
        cmd("INCRBYFLOAT").arg("f").arg("1.5"),
        cmd("HGETALL").arg("h"),
        cmd("HGETALL").arg("h1"),
        cmd("HGETALL").arg("missing"),
        cmd("HGET").arg("h").arg("x"),
        cmd("HMGET").arg("h").arg("x").arg("nope"),
        cmd("SMEMBERS").arg("set"),
        cmd("SMEMBERS").arg("missing"),
        cmd("SISMEMBER").arg("set").arg("a"),
        cmd("LRANGE").arg("l").arg(0).arg(-1),
        cmd("LPOS").arg("l").arg("b"),
        cmd("CONFIG").arg("GET").arg("maxmemory"),
        cmd("OBJECT").arg("ENCODING").arg("l"),
        script("return true"),
        script("return false"),
        script("return {1, 'a', true}"),
        script("return {1, 2, 3}"),
        script("return 'text'"),
        script("redis.setresp(3); return true"),
        script("redis.setresp(3); return false"),
        script("redis.setresp(3); return {double = 1.5}"),
        script("redis.setresp(3); return {double = 4}"),
        script("redis.setresp(3); return redis.call('HGETALL', 'h')"),
        script("redis.setresp(3); return redis.call('ZSCORE', 'z', 'three')"),
        script("return 7"),
        script("return redis.error_reply('ERR boom')"),
        script("return {'a', redis.error_reply('ERR inner')}"),
        cmd("INCR").arg("s"),
    ]
}

async fn replies(server: &RedisServer, protocol: Protocol) -> Vec<Frame> {
    let config = Config::from_url(&server.url()).unwrap().protocol(protocol);
    let redis = Redis::connect(config).await.unwrap();
    let setup = [
        cmd("FLUSHALL"),
        cmd("SET").arg("s").arg("hello"),
        cmd("SET").arg("num").arg("42"),
        cmd("ZADD")
            .arg("z")
            .arg(3)
            .arg("three")
            .arg(0.5)
            .arg("half")
            .arg(0)
            .arg("zero"),
        cmd("HSET").arg("h").arg("x").arg("1").arg("y").arg("2"),
        cmd("HSET").arg("h1").arg("only").arg("7"),
        cmd("SADD").arg("set").arg("a"),
        cmd("RPUSH").arg("l").arg("a").arg("b").arg("c"),
    ];
    for c in setup {
        let _: Frame = redis.command(c).await.unwrap();
    }
    let mut out = Vec::new();
    for c in commands() {
        out.push(redis.command::<Frame>(c).await.unwrap_or_else(|e| match e {
            hardy_redis::Error::Server(e) => Frame::error(e.text().to_vec()),
            other => panic!("{other}"),
        }));
    }
    out
}

#[actix_rt::test]
async fn every_target_type_converts_the_same_on_resp2_and_resp3() {
    let server = RedisServer::start().expect("redis-server");
    let resp2 = replies(&server, Protocol::Resp2).await;
    let resp3 = replies(&server, Protocol::Resp3).await;
    let mut differences = Vec::new();
    let mut checked = 0;
    for ((command, r2), r3) in commands().iter().zip(resp2).zip(resp3) {
        for (target, convert) in targets() {
            checked += 1;
            let (a, b) = (convert(r2.clone()), convert(r3.clone()));
            let same = match (&a, &b) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
            if !same {
                differences.push(format!(
                    "{command:?} as {target}:\n    RESP2 {r2:?} -> {a:?}\n    RESP3 {r3:?} -> {b:?}"
                ));
            }
        }
    }
    assert!(checked > 1000);
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
