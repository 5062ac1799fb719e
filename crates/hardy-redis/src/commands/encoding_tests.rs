//! The whole command each typed method with options or several parts sends, argument by
//! argument, checked against the syntax Redis documents (no server needed).

use std::collections::HashMap;

use super::*;
use crate::commands::options::encoded;
use crate::FromRedis;

/// A handle that returns what a typed method would send.
struct Capture;

impl Execute for Capture {
    type Output<T: FromRedis + Send + 'static> = Vec<String>;

    fn run<T: FromRedis + Send + 'static>(self, cmd: TypedCmd<T>) -> Vec<String> {
        encoded(cmd.cmd())
    }
}

type Fields = HashMap<String, String>;

fn check(cases: Vec<(Vec<String>, &[&str])>) {
    for (sent, want) in cases {
        assert_eq!(sent, want);
    }
}

#[test]
fn strings_and_keys_put_options_where_redis_documents_them() {
    check(vec![
        (
            Capture.set_with::<()>("k", "v", SetOptions::new().nx().px(5)),
            &["SET", "k", "v", "NX", "PX", "5"],
        ),
        (
            Capture.getex::<String>("k", GetEx::Persist),
            &["GETEX", "k", "PERSIST"],
        ),
        (Capture.getex::<String>("k", ()), &["GETEX", "k"]),
        (
            Capture.mset([("a", 1), ("b", 2)]),
            &["MSET", "a", "1", "b", "2"],
        ),
        (
            Capture.getrange::<String>("k", 0, -1),
            &["GETRANGE", "k", "0", "-1"],
        ),
        (
            Capture.expire_if("k", 60, ExpireCondition::Gt),
            &["EXPIRE", "k", "60", "GT"],
        ),
        (Capture.pexpire("k", 1500, None), &["PEXPIRE", "k", "1500"]),
        (
            Capture.expireat("k", 17, Some(ExpireCondition::Nx)),
            &["EXPIREAT", "k", "17", "NX"],
        ),
        (Capture.copy("a", "b", true), &["COPY", "a", "b", "REPLACE"]),
        (Capture.copy("a", "b", false), &["COPY", "a", "b"]),
        (Capture.object_encoding("k"), &["OBJECT", "ENCODING", "k"]),
    ]);
}

#[test]
fn hashes_lists_and_sets_encode_counts_and_sides() {
    check(vec![
        (
            Capture.hset("h", [("f", 1), ("g", 2)]),
            &["HSET", "h", "f", "1", "g", "2"],
        ),
        (
            Capture.hrandfield_withvalues::<Fields>("h", -2),
            &["HRANDFIELD", "h", "-2", "WITHVALUES"],
        ),
        (
            Capture.lpop::<Vec<String>>("l", Some(3)),
            &["LPOP", "l", "3"],
        ),
        (Capture.rpop::<Option<String>>("l", None), &["RPOP", "l"]),
        (
            Capture.linsert("l", Side::Right, "p", "e"),
            &["LINSERT", "l", "AFTER", "p", "e"],
        ),
        (
            Capture.lmove::<Option<String>>("a", "b", Side::Right, Side::Left),
            &["LMOVE", "a", "b", "RIGHT", "LEFT"],
        ),
        (
            Capture.lmpop::<Option<(String, Vec<String>)>, _>(&["a", "b"], Side::Left, 2),
            &["LMPOP", "2", "a", "b", "LEFT", "COUNT", "2"],
        ),
        (
            Capture.spop::<Vec<String>>("s", Some(2)),
            &["SPOP", "s", "2"],
        ),
        (
            Capture.srandmember::<Vec<String>>("s", Some(-3)),
            &["SRANDMEMBER", "s", "-3"],
        ),
        (
            Capture.sintercard(&["a", "b"], Some(10)),
            &["SINTERCARD", "2", "a", "b", "LIMIT", "10"],
        ),
        (Capture.sintercard(&["a"], None), &["SINTERCARD", "1", "a"]),
    ]);
}

#[test]
fn sorted_sets_encode_flags_ranges_and_aggregates() {
    check(vec![
        (
            Capture.zadd_with("z", ZAddOptions::new().xx().gt().ch(), [(1.5, "a")]),
            &["ZADD", "z", "XX", "GT", "CH", "1.5", "a"],
        ),
        (
            Capture.zadd_incr("z", ZAddOptions::new().nx(), 2.0, "a"),
            &["ZADD", "z", "NX", "INCR", "2.0", "a"],
        ),
        (
            Capture.zrange::<Vec<String>>("z", ZRange::score(1, 5).rev().limit(0, 10)),
            &[
                "ZRANGE", "z", "1", "5", "BYSCORE", "REV", "LIMIT", "0", "10",
            ],
        ),
        (
            Capture.zrange_withscores::<Vec<(String, f64)>>("z", ZRange::index(0, -1)),
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ),
        (
            Capture.zrangestore("dst", "z", ZRange::lex("[a", "[c")),
            &["ZRANGESTORE", "dst", "z", "[a", "[c", "BYLEX"],
        ),
        (
            Capture.zpopmin::<Vec<(String, f64)>>("z", 2),
            &["ZPOPMIN", "z", "2"],
        ),
        (
            Capture.zremrangebyscore("z", "-inf", "(5"),
            &["ZREMRANGEBYSCORE", "z", "-inf", "(5"],
        ),
        (
            Capture.zunion::<Vec<(String, f64)>, _>(&["a", "b"], Some(Aggregate::Min)),
            &["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
        ),
        (
            Capture.zinterstore("dst", &["a", "b"], None),
            &["ZINTERSTORE", "dst", "2", "a", "b"],
        ),
    ]);
}

#[test]
fn streams_encode_trimming_ranges_and_claims() {
    check(vec![
        (
            Capture.xadd_with(
                "s",
                XAddOptions::new().trim(XTrim::minid("5-0").approx().limit(10)),
                "*",
                [("f", "v")],
            ),
            &[
                "XADD", "s", "MINID", "~", "5-0", "LIMIT", "10", "*", "f", "v",
            ],
        ),
        (
            Capture.xrange::<Fields>("s", "-", "+", Some(2)),
            &["XRANGE", "s", "-", "+", "COUNT", "2"],
        ),
        (
            Capture.xread::<Fields, _, _>(None, &["a", "b"], &["0", "$"]),
            &["XREAD", "STREAMS", "a", "b", "0", "$"],
        ),
        (
            Capture.xgroup_create("s", "g", "$", true),
            &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        ),
        (
            Capture.xpending_range("s", "g", Some(1000), "-", "+", 5, Some("c")),
            &["XPENDING", "s", "g", "IDLE", "1000", "-", "+", "5", "c"],
        ),
        (
            Capture.xclaim::<Fields>("s", "g", "c", 60, ["1-0", "2-0"]),
            &["XCLAIM", "s", "g", "c", "60", "1-0", "2-0"],
        ),
        (
            Capture.xautoclaim::<Fields>("s", "g", "c", 60, "0-0", Some(10)),
            &["XAUTOCLAIM", "s", "g", "c", "60", "0-0", "COUNT", "10"],
        ),
    ]);
}

#[test]
fn bitmaps_geo_server_and_scripts_encode_their_parts() {
    check(vec![
        (
            Capture.bitcount("b", Some((0, -1))),
            &["BITCOUNT", "b", "0", "-1"],
        ),
        (Capture.bitpos("b", true, None), &["BITPOS", "b", "1"]),
        (
            Capture.geodist("g", "a", "b", GeoUnit::Kilometers),
            &["GEODIST", "g", "a", "b", "km"],
        ),
        (
            Capture.geosearch_withdist::<Vec<(String, f64)>>(
                "g",
                GeoSearch::from_member("a").by_radius(5.0, GeoUnit::Meters),
            ),
            &[
                "GEOSEARCH",
                "g",
                "FROMMEMBER",
                "a",
                "BYRADIUS",
                "5.0",
                "m",
                "WITHDIST",
            ],
        ),
        (Capture.info("memory"), &["INFO", "memory"]),
        (Capture.client_setname("w1"), &["CLIENT", "SETNAME", "w1"]),
        (
            Capture.function_load("code", true),
            &["FUNCTION", "LOAD", "REPLACE", "code"],
        ),
        (
            Capture.fcall_ro::<i64, _>("f", &["k"], ("a", 1)),
            &["FCALL_RO", "f", "1", "k", "a", "1"],
        ),
    ]);
}
