//! The typed command families against a real redis-server, over RESP3 and RESP2: each
//! family's methods give the same Rust values on both protocols.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hardy_redis::prelude::*;
use hardy_redis::{Config, Protocol};
use hardy_testkit::RedisServer;

async fn connect(server: &RedisServer, protocol: Protocol) -> Redis {
    let config = Config::from_url(&server.url()).unwrap().protocol(protocol);
    Redis::connect(config).await.expect("connect")
}

/// Runs `$body` (an async fn taking a `Redis`) once per protocol, each on a fresh server.
macro_rules! both_protocols {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            use super::*;
            #[actix_rt::test]
            async fn over_resp3() {
                let server = RedisServer::start().expect("redis-server");
                $body(connect(&server, Protocol::Resp3).await).await;
            }
            #[actix_rt::test]
            async fn over_resp2() {
                let server = RedisServer::start().expect("redis-server");
                $body(connect(&server, Protocol::Resp2).await).await;
            }
        }
    )*};
}

both_protocols! {
    strings_give_typed_values => strings;
    keys_give_typed_values => keys;
    hashes_give_typed_values => hashes;
    lists_give_typed_values => lists;
    sets_give_typed_values => sets;
    sorted_sets_give_typed_values => zsets;
    pipelines_and_transactions_take_typed_methods => pipelines;
    streams_give_typed_entries => streams;
    hyperloglog_bitmaps_and_geo_give_typed_values => hll_bits_geo;
    server_commands_give_typed_values => server;
}

async fn strings(redis: Redis) {
    redis.set("s", "hello").await.unwrap();
    let s: Option<String> = redis.get("s").await.unwrap();
    assert_eq!(s.as_deref(), Some("hello"));
    let missing: Option<String> = redis.get("nope").await.unwrap();
    assert_eq!(missing, None);

    let set: bool = redis
        .set_with("s", "x", SetOptions::new().nx())
        .await
        .unwrap();
    assert!(!set, "NX on an existing key does not set");
    let old: Option<String> = redis
        .set_with("s", "world", SetOptions::new().get().ex(100))
        .await
        .unwrap();
    assert_eq!(old.as_deref(), Some("hello"));
    assert!((1..=100).contains(&redis.ttl("s").await.unwrap()));
    let () = redis
        .set_with("s", "kept", SetOptions::new().keep_ttl())
        .await
        .unwrap();
    assert!(redis.ttl("s").await.unwrap() > 0, "KEEPTTL kept the expiry");

    redis.mset([("a", 1), ("b", 2)]).await.unwrap();
    redis.mset(BTreeMap::from([("c", 3)])).await.unwrap();
    let values: Vec<Option<i64>> = redis.mget(["a", "b", "c", "zz"]).await.unwrap();
    assert_eq!(values, [Some(1), Some(2), Some(3), None]);
    assert!(!redis.msetnx([("a", 9), ("new", 9)]).await.unwrap());
    assert!(redis.msetnx([("n1", 1), ("n2", 2)]).await.unwrap());

    assert_eq!(redis.incr("n").await.unwrap(), 1);
    assert_eq!(redis.incr_by("n", 41).await.unwrap(), 42);
    assert_eq!(redis.decr("n").await.unwrap(), 41);
    assert_eq!(redis.decr_by("n", 40).await.unwrap(), 1);
    assert_eq!(redis.incr_by_float("f", 1.5).await.unwrap(), 1.5);

    assert_eq!(redis.append("t", "Hello ").await.unwrap(), 6);
    assert_eq!(redis.append("t", "World").await.unwrap(), 11);
    assert_eq!(redis.strlen("t").await.unwrap(), 11);
    let head: String = redis.getrange("t", 0, 4).await.unwrap();
    assert_eq!(head, "Hello");
    assert_eq!(redis.setrange("t", 6, "Redis").await.unwrap(), 11);
    let t: String = redis.getex("t", ("EX", 50)).await.unwrap();
    assert_eq!(t, "Hello Redis");
    assert!(redis.ttl("t").await.unwrap() > 0);
    let t: Option<String> = redis.getdel("t").await.unwrap();
    assert_eq!(t.as_deref(), Some("Hello Redis"));
    assert_eq!(redis.exists("t").await.unwrap(), 0);
}

async fn keys(redis: Redis) {
    redis
        .mset([("k1", "v"), ("k2", "v"), ("k3", "v")])
        .await
        .unwrap();
    assert_eq!(redis.exists(["k1", "k2", "nope"]).await.unwrap(), 2);
    assert_eq!(redis.touch(["k1", "nope"]).await.unwrap(), 1);
    assert_eq!(redis.key_type("k1").await.unwrap(), "string");
    assert_eq!(redis.key_type("nope").await.unwrap(), "none");

    assert_eq!(redis.ttl("k1").await.unwrap(), -1);
    assert_eq!(redis.ttl("nope").await.unwrap(), -2);
    assert!(redis.expire("k1", 100).await.unwrap());
    assert!(!redis
        .expire_if("k1", 50, ExpireCondition::Gt)
        .await
        .unwrap());
    assert!(redis
        .expire_if("k1", 50, ExpireCondition::Lt)
        .await
        .unwrap());
    assert!(!redis
        .expire_if("k1", 50, ExpireCondition::Nx)
        .await
        .unwrap());
    assert!(redis
        .pexpire("k1", 200_000, Some(ExpireCondition::Xx))
        .await
        .unwrap());
    assert!(redis.pttl("k1").await.unwrap() > 100_000);
    assert!(redis.persist("k1").await.unwrap());
    assert!(!redis.persist("k1").await.unwrap());
    assert!(redis.expireat("k2", 4_000_000_000, None).await.unwrap());
    assert!(redis.ttl("k2").await.unwrap() > 0);

    redis.rename("k3", "k4").await.unwrap();
    assert!(!redis.renamenx("k4", "k1").await.unwrap());
    assert!(redis.renamenx("k4", "k5").await.unwrap());
    assert!(redis.copy("k5", "k6", false).await.unwrap());
    assert!(!redis.copy("k5", "k6", false).await.unwrap());
    assert!(redis.copy("k5", "k6", true).await.unwrap());
    redis.set("int", 12).await.unwrap();
    assert_eq!(
        redis.object_encoding("int").await.unwrap().as_deref(),
        Some("int")
    );
    assert_eq!(redis.object_encoding("nope").await.unwrap(), None);
    let mut all: Vec<String> = redis.keys("k*").await.unwrap();
    all.sort();
    assert_eq!(all, ["k1", "k2", "k5", "k6"]);

    assert_eq!(redis.del(["k1", "k2", "nope"]).await.unwrap(), 2);
    assert_eq!(redis.unlink("k5").await.unwrap(), 1);
}

async fn hashes(redis: Redis) {
    assert_eq!(redis.hset("h", [("a", 1), ("b", 2)]).await.unwrap(), 2);
    assert_eq!(
        redis
            .hset("h", HashMap::from([("b", 3), ("c", 4)]))
            .await
            .unwrap(),
        1
    );
    let a: Option<i64> = redis.hget("h", "a").await.unwrap();
    assert_eq!(a, Some(1));
    let none: Option<i64> = redis.hget("h", "zz").await.unwrap();
    assert_eq!(none, None);
    assert!(!redis.hsetnx("h", "a", 9).await.unwrap());
    assert!(redis.hsetnx("h", "d", 5).await.unwrap());
    let (a, z): (Option<i64>, Option<i64>) = redis.hmget("h", ["a", "zz"]).await.unwrap();
    assert_eq!((a, z), (Some(1), None));
    let all: BTreeMap<String, i64> = redis.hgetall("h").await.unwrap();
    assert_eq!(
        all,
        BTreeMap::from([
            ("a".into(), 1),
            ("b".into(), 3),
            ("c".into(), 4),
            ("d".into(), 5)
        ])
    );
    let empty: HashMap<String, String> = redis.hgetall("nope").await.unwrap();
    assert!(empty.is_empty());
    assert!(redis.hexists("h", "a").await.unwrap());
    assert_eq!(redis.hincr_by("h", "a", 10).await.unwrap(), 11);
    assert_eq!(redis.hincr_by_float("h", "a", 0.5).await.unwrap(), 11.5);
    let fields: BTreeSet<String> = redis.hkeys("h").await.unwrap();
    assert_eq!(
        fields,
        BTreeSet::from(["a", "b", "c", "d"].map(String::from))
    );
    let mut values: Vec<String> = redis.hvals("h").await.unwrap();
    values.sort();
    assert_eq!(values, ["11.5", "3", "4", "5"]);
    assert_eq!(redis.hlen("h").await.unwrap(), 4);
    let some: Vec<String> = redis.hrandfield("h", 2).await.unwrap();
    assert_eq!(some.len(), 2);
    let pairs: Vec<(String, String)> = redis.hrandfield_withvalues("h", 10).await.unwrap();
    assert_eq!(pairs.len(), 4);
    let pairs: HashMap<String, String> = redis.hrandfield_withvalues("h", 10).await.unwrap();
    assert_eq!(pairs["b"], "3");
    assert_eq!(redis.hdel("h", ["a", "zz"]).await.unwrap(), 1);
}

async fn lists(redis: Redis) {
    assert_eq!(redis.rpush("l", ["b", "c"]).await.unwrap(), 2);
    assert_eq!(redis.lpush("l", "a").await.unwrap(), 3);
    assert_eq!(redis.rpushx("l", "d").await.unwrap(), 4);
    assert_eq!(redis.lpushx("nope", "x").await.unwrap(), 0);
    assert_eq!(redis.rpushx("nope", "x").await.unwrap(), 0);
    let all: Vec<String> = redis.lrange("l", 0, -1).await.unwrap();
    assert_eq!(all, ["a", "b", "c", "d"]);
    assert_eq!(redis.llen("l").await.unwrap(), 4);
    let second: Option<String> = redis.lindex("l", 1).await.unwrap();
    assert_eq!(second.as_deref(), Some("b"));
    let out: Option<String> = redis.lindex("l", 99).await.unwrap();
    assert_eq!(out, None);
    redis.lset("l", 1, "B").await.unwrap();
    assert_eq!(redis.linsert("l", Side::Left, "B", "a2").await.unwrap(), 5);
    assert_eq!(
        redis.linsert("l", Side::Right, "zz", "x").await.unwrap(),
        -1
    );
    assert_eq!(redis.lpos("l", "B").await.unwrap(), Some(2));
    assert_eq!(redis.lpos("l", "zz").await.unwrap(), None);
    assert_eq!(redis.rpush("l", ["d", "d"]).await.unwrap(), 7);
    assert_eq!(redis.lrem("l", 0, "d").await.unwrap(), 3);
    let first: Option<String> = redis.lpop("l", None).await.unwrap();
    assert_eq!(first.as_deref(), Some("a"));
    let last: Vec<String> = redis.rpop("l", Some(2)).await.unwrap();
    assert_eq!(last, ["c", "B"]);
    let none: Option<String> = redis.lpop("nope", None).await.unwrap();
    assert_eq!(none, None);

    redis.rpush("src", ["1", "2", "3", "4"]).await.unwrap();
    redis.ltrim("src", 0, 2).await.unwrap();
    let moved: Option<i64> = redis
        .lmove("src", "dst", Side::Right, Side::Left)
        .await
        .unwrap();
    assert_eq!(moved, Some(3));
    let popped: Option<(String, Vec<i64>)> =
        redis.lmpop(&["empty", "src"], Side::Left, 5).await.unwrap();
    assert_eq!(popped, Some(("src".into(), vec![1, 2])));
    let popped: Option<(String, Vec<i64>)> = redis.lmpop(&["empty"], Side::Left, 5).await.unwrap();
    assert_eq!(popped, None);
}

async fn sets(redis: Redis) {
    assert_eq!(redis.sadd("a", ["x", "y", "z"]).await.unwrap(), 3);
    assert_eq!(redis.sadd("b", ["y", "z", "w"]).await.unwrap(), 3);
    assert_eq!(redis.srem("b", ["w", "nope"]).await.unwrap(), 1);
    let members: BTreeSet<String> = redis.smembers("a").await.unwrap();
    assert_eq!(members, BTreeSet::from(["x", "y", "z"].map(String::from)));
    assert!(redis.sismember("a", "x").await.unwrap());
    assert_eq!(
        redis.smismember("a", ["x", "q"]).await.unwrap(),
        [true, false]
    );
    assert_eq!(redis.scard("a").await.unwrap(), 3);
    let inter: BTreeSet<String> = redis.sinter(["a", "b"]).await.unwrap();
    assert_eq!(inter, BTreeSet::from(["y", "z"].map(String::from)));
    let union: BTreeSet<String> = redis.sunion(["a", "b"]).await.unwrap();
    assert_eq!(union.len(), 3);
    let diff: Vec<String> = redis.sdiff(["a", "b"]).await.unwrap();
    assert_eq!(diff, ["x"]);
    assert_eq!(redis.sinterstore("i", ["a", "b"]).await.unwrap(), 2);
    assert_eq!(redis.sunionstore("u", ["a", "b"]).await.unwrap(), 3);
    assert_eq!(redis.sdiffstore("d", ["a", "b"]).await.unwrap(), 1);
    assert_eq!(redis.sintercard(&["a", "b"], None).await.unwrap(), 2);
    assert_eq!(redis.sintercard(&["a", "b"], Some(1)).await.unwrap(), 1);
    assert!(redis.smove("a", "b", "x").await.unwrap());
    assert!(!redis.smove("a", "b", "x").await.unwrap());
    let sample: Vec<String> = redis.srandmember("b", Some(2)).await.unwrap();
    assert_eq!(sample.len(), 2);
    let one: Option<String> = redis.srandmember("b", None).await.unwrap();
    assert!(one.is_some());
    let popped: Option<String> = redis.spop("u", None).await.unwrap();
    assert!(popped.is_some());
    let popped: Vec<String> = redis.spop("u", Some(5)).await.unwrap();
    assert_eq!(popped.len(), 2);
}

async fn zsets(redis: Redis) {
    let board = [(1.0, "a"), (2.0, "b"), (3.0, "c")];
    assert_eq!(redis.zadd("z", board).await.unwrap(), 3);
    assert_eq!(
        redis
            .zadd_with("z", ZAddOptions::new().gt().ch(), [(0.5, "a"), (2.5, "b")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        redis
            .zadd_incr("z", ZAddOptions::new(), 1.0, "c")
            .await
            .unwrap(),
        Some(4.0)
    );
    assert_eq!(
        redis
            .zadd_incr("z", ZAddOptions::new().nx(), 1.0, "c")
            .await
            .unwrap(),
        None
    );
    assert_eq!(redis.zscore("z", "b").await.unwrap(), Some(2.5));
    assert_eq!(redis.zscore("z", "nope").await.unwrap(), None);
    assert_eq!(
        redis.zmscore("z", ["a", "nope"]).await.unwrap(),
        [Some(1.0), None]
    );
    assert_eq!(redis.zincr_by("z", 0.5, "a").await.unwrap(), 1.5);
    assert_eq!(redis.zrank("z", "a").await.unwrap(), Some(0));
    assert_eq!(redis.zrevrank("z", "a").await.unwrap(), Some(2));
    assert_eq!(redis.zrank("z", "nope").await.unwrap(), None);
    assert_eq!(redis.zcard("z").await.unwrap(), 3);
    assert_eq!(redis.zcount("z", "(1.5", "+inf").await.unwrap(), 2);

    let by_rank: Vec<String> = redis.zrange("z", ZRange::index(0, -1)).await.unwrap();
    assert_eq!(by_rank, ["a", "b", "c"]);
    let rev: Vec<String> = redis.zrange("z", ZRange::index(0, 1).rev()).await.unwrap();
    assert_eq!(rev, ["c", "b"]);
    let scored: Vec<(String, f64)> = redis
        .zrange_withscores("z", ZRange::score(2, "+inf").limit(0, 5))
        .await
        .unwrap();
    assert_eq!(scored, [("b".into(), 2.5), ("c".into(), 4.0)]);
    let scored: BTreeMap<String, f64> = redis
        .zrange_withscores("z", ZRange::index(0, 0))
        .await
        .unwrap();
    assert_eq!(scored, BTreeMap::from([("a".into(), 1.5)]));
    redis
        .zadd("lex", [(0, "a"), (0, "b"), (0, "c")])
        .await
        .unwrap();
    let lex: Vec<String> = redis.zrange("lex", ZRange::lex("[b", "+")).await.unwrap();
    assert_eq!(lex, ["b", "c"]);
    assert_eq!(
        redis
            .zrangestore("top", "z", ZRange::index(0, 1).rev())
            .await
            .unwrap(),
        2
    );

    redis.zadd("y", [(10.0, "b"), (20.0, "d")]).await.unwrap();
    let union: Vec<(String, f64)> = redis
        .zunion(&["z", "y"], Some(Aggregate::Max))
        .await
        .unwrap();
    assert_eq!(
        union,
        [
            ("a".into(), 1.5),
            ("c".into(), 4.0),
            ("b".into(), 10.0),
            ("d".into(), 20.0)
        ]
    );
    let inter: Vec<(String, f64)> = redis.zinter(&["z", "y"], None).await.unwrap();
    assert_eq!(inter, [("b".into(), 12.5)]);
    assert_eq!(redis.zunionstore("zu", &["z", "y"], None).await.unwrap(), 4);
    assert_eq!(
        redis
            .zinterstore("zi", &["z", "y"], Some(Aggregate::Min))
            .await
            .unwrap(),
        1
    );

    let low: Vec<(String, f64)> = redis.zpopmin("zu", 1).await.unwrap();
    assert_eq!(low, [("a".into(), 1.5)]);
    let high: Vec<(String, f64)> = redis.zpopmax("zu", 2).await.unwrap();
    assert_eq!(high, [("d".into(), 20.0), ("b".into(), 12.5)]);
    assert_eq!(redis.zremrangebyscore("z", "-inf", "(2").await.unwrap(), 1);
    assert_eq!(redis.zremrangebyrank("z", 0, 0).await.unwrap(), 1);
    assert_eq!(redis.zrem("z", ["c", "nope"]).await.unwrap(), 1);
}

async fn pipelines(redis: Redis) {
    let mut pipe = Pipeline::new();
    pipe.set("p", 1)
        .incr("p")
        .hset("ph", [("f", "v")])
        .get::<String>("p");
    let ((), n, added, p): ((), i64, u64, String) = redis.pipeline(pipe).await.unwrap();
    assert_eq!((n, added, p.as_str()), (2, 1, "2"));

    let mut tx = Pipeline::new();
    tx.incr_by("p", 10).zadd("pz", [(1, "m")]).zscore("pz", "m");
    let (n, added, score): (i64, u64, Option<f64>) = redis.transaction(tx).await.unwrap();
    assert_eq!((n, added, score), (12, 1, Some(1.0)));

    let watch = redis.watch("p").await.unwrap();
    let current: i64 = watch.get("p").await.unwrap();
    let mut tx = Pipeline::new();
    tx.set("p", current * 2);
    let ((),): ((),) = watch.exec(tx).await.unwrap();
    let p: i64 = redis.get("p").await.unwrap();
    assert_eq!(p, 24);
}

async fn streams(redis: Redis) {
    let id = redis.xadd("st", "1-0", [("k", "a")]).await.unwrap();
    assert_eq!(id, "1-0");
    redis
        .xadd("st", "2-0", [("k", "b"), ("n", "2")])
        .await
        .unwrap();
    let id = redis
        .xadd_with(
            "st",
            XAddOptions::new().trim(XTrim::maxlen(3)),
            "3-0",
            [("k", "c")],
        )
        .await
        .unwrap();
    assert_eq!(id.as_deref(), Some("3-0"));
    let none = redis
        .xadd_with("nope", XAddOptions::new().nomkstream(), "*", [("k", "v")])
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(redis.xlen("st").await.unwrap(), 3);

    let all: Vec<StreamEntry> = redis.xrange("st", "-", "+", None).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[1].id, "2-0");
    assert_eq!(
        all[1].fields,
        HashMap::from([("k".into(), "b".into()), ("n".into(), "2".into())])
    );
    let ordered: Vec<StreamEntry<Vec<(String, String)>>> =
        redis.xrevrange("st", "+", "-", Some(1)).await.unwrap();
    assert_eq!(
        ordered,
        [StreamEntry {
            id: "3-0".into(),
            fields: vec![("k".into(), "c".into())]
        }]
    );

    let reads: StreamReads<HashMap<String, String>> =
        redis.xread(Some(10), &["st"], &["1-0"]).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].0, "st");
    assert_eq!(
        reads[0].1.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["2-0", "3-0"]
    );
    let nothing: StreamReads<HashMap<String, String>> =
        redis.xread(None, &["st"], &["3-0"]).await.unwrap();
    assert!(nothing.is_empty());

    redis.xgroup_create("st", "g", "0", false).await.unwrap();
    redis.xgroup_create("mk", "g", "$", true).await.unwrap();
    assert!(redis.xgroup_createconsumer("st", "g", "c1").await.unwrap());
    let got: StreamReads<HashMap<String, String>> = redis
        .xreadgroup("g", "c1", Some(2), false, &["st"], &[">"])
        .await
        .unwrap();
    assert_eq!(got[0].1.len(), 2);
    let pending = redis.xpending("st", "g").await.unwrap();
    assert_eq!(
        pending,
        XPendingSummary {
            count: 2,
            smallest: Some("1-0".into()),
            largest: Some("2-0".into()),
            consumers: vec![("c1".into(), 2)],
        }
    );
    let detail = redis
        .xpending_range("st", "g", None, "-", "+", 10, Some("c1"))
        .await
        .unwrap();
    assert_eq!(
        detail
            .iter()
            .map(|p| (p.0.as_str(), p.1.as_str(), p.3))
            .collect::<Vec<_>>(),
        [("1-0", "c1", 1), ("2-0", "c1", 1)]
    );
    assert_eq!(redis.xack("st", "g", ["1-0"]).await.unwrap(), 1);
    let claimed: Vec<StreamEntry> = redis.xclaim("st", "g", "c2", 0, ["2-0"]).await.unwrap();
    assert_eq!(claimed[0].id, "2-0");
    let auto: XAutoClaim = redis
        .xautoclaim("st", "g", "c3", 0, "0-0", Some(10))
        .await
        .unwrap();
    assert_eq!(auto.next, "0-0");
    assert_eq!(auto.claimed.len(), 1);
    assert!(auto.deleted.is_empty());

    let info: HashMap<String, Frame> = redis.xinfo_stream("st").await.unwrap();
    assert_eq!(info["length"].as_integer(), Some(3));
    let groups: Vec<HashMap<String, Frame>> = redis.xinfo_groups("st").await.unwrap();
    assert_eq!(groups[0]["name"].as_str(), Some("g"));

    assert_eq!(redis.xgroup_delconsumer("st", "g", "c3").await.unwrap(), 1);
    assert!(redis.xgroup_destroy("st", "g").await.unwrap());
    assert_eq!(redis.xdel("st", ["1-0", "9-0"]).await.unwrap(), 1);
    assert_eq!(redis.xtrim("st", XTrim::maxlen(1)).await.unwrap(), 1);
}

async fn hll_bits_geo(redis: Redis) {
    assert!(redis.pfadd("h1", ["a", "b", "c"]).await.unwrap());
    assert!(!redis.pfadd("h1", "a").await.unwrap());
    redis.pfadd("h2", ["c", "d"]).await.unwrap();
    assert_eq!(redis.pfcount("h1").await.unwrap(), 3);
    assert_eq!(redis.pfcount(["h1", "h2"]).await.unwrap(), 4);
    redis.pfmerge("h3", ["h1", "h2"]).await.unwrap();
    assert_eq!(redis.pfcount("h3").await.unwrap(), 4);

    assert!(!redis.setbit("b", 7, true).await.unwrap());
    assert!(redis.setbit("b", 7, true).await.unwrap());
    assert!(redis.getbit("b", 7).await.unwrap());
    assert!(!redis.getbit("b", 1000).await.unwrap());
    redis.setbit("b", 9, true).await.unwrap();
    assert_eq!(redis.bitcount("b", None).await.unwrap(), 2);
    assert_eq!(redis.bitcount("b", Some((1, 1))).await.unwrap(), 1);
    assert_eq!(redis.bitpos("b", true, None).await.unwrap(), 7);
    assert_eq!(redis.bitpos("b", true, Some((1, -1))).await.unwrap(), 9);

    let cities = [
        (13.361389, 38.115556, "Palermo"),
        (15.087269, 37.502669, "Catania"),
    ];
    assert_eq!(redis.geoadd("geo", cities).await.unwrap(), 2);
    let km = redis
        .geodist("geo", "Palermo", "Catania", GeoUnit::Kilometers)
        .await
        .unwrap();
    assert!((km.unwrap() - 166.27).abs() < 0.1, "{km:?}");
    assert_eq!(
        redis
            .geodist("geo", "Palermo", "Rome", GeoUnit::Meters)
            .await
            .unwrap(),
        None
    );
    let at = redis.geopos("geo", ["Palermo", "Rome"]).await.unwrap();
    let (lon, lat) = at[0].unwrap();
    assert!((lon - 13.361389).abs() < 1e-4 && (lat - 38.115556).abs() < 1e-4);
    assert_eq!(at[1], None);
    let query = GeoSearch::from_lonlat(15.0, 37.0)
        .by_radius(200.0, GeoUnit::Kilometers)
        .asc();
    let near: Vec<String> = redis.geosearch("geo", query.clone()).await.unwrap();
    assert_eq!(near, ["Catania", "Palermo"]);
    let with: Vec<(String, f64)> = redis
        .geosearch_withdist("geo", query.count(1))
        .await
        .unwrap();
    assert_eq!(with.len(), 1);
    assert_eq!(with[0].0, "Catania");
    assert!((with[0].1 - 56.44).abs() < 0.1, "{with:?}");
}

async fn server(redis: Redis) {
    assert_eq!(redis.ping().await.unwrap(), "PONG");
    let back: String = redis.echo("hi").await.unwrap();
    assert_eq!(back, "hi");
    let info = redis.info(()).await.unwrap();
    assert!(info
        .get("server", "redis_version")
        .unwrap()
        .starts_with('7'));
    let info = redis.info("memory").await.unwrap();
    assert!(info.get("memory", "used_memory").is_some());
    assert!(info.get("server", "redis_version").is_none());
    redis.mset([("a", 1), ("b", 2)]).await.unwrap();
    assert_eq!(redis.dbsize().await.unwrap(), 2);
    redis.flushdb().await.unwrap();
    assert_eq!(redis.dbsize().await.unwrap(), 0);
    let ServerTime(now) = redis.time().await.unwrap();
    let skew = now
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_else(|e| e.duration());
    assert!(skew < std::time::Duration::from_secs(5), "{skew:?}");
    assert!(redis.client_id().await.unwrap() > 0);
    redis.client_setname("typed").await.unwrap();
    assert_eq!(
        redis.client_getname().await.unwrap().as_deref(),
        Some("typed")
    );
    assert_eq!(redis.publish("news", "hello").await.unwrap(), 0);
}
