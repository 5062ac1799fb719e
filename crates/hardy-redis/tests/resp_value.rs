//! `FromRedis`: which frames each Rust type accepts, how RESP2 and RESP3 shapes of the
//! same reply convert alike, and what a mismatch says.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bytes::Bytes;
use hardy_redis::resp::{Frame, ServerError};
use hardy_redis::{FromRedis, TypeError};

fn conv<T: FromRedis>(frame: Frame) -> Result<T, TypeError> {
    T::from_redis(frame)
}

fn bulk(s: &str) -> Frame {
    Frame::bulk(s.to_owned())
}

fn mismatch_message<T: FromRedis + std::fmt::Debug>(frame: Frame) -> String {
    match conv::<T>(frame) {
        Err(e @ TypeError::Mismatch { .. }) => e.to_string(),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn frame_converts_to_itself_even_when_it_is_an_error() {
    let err = Frame::error("ERR x");
    assert_eq!(conv::<Frame>(err.clone()).unwrap(), err);
}

#[test]
fn strings_come_from_every_string_like_frame_and_numbers() {
    assert_eq!(conv::<String>(Frame::simple("OK")).unwrap(), "OK");
    assert_eq!(conv::<String>(bulk("héllo")).unwrap(), "héllo");
    assert_eq!(
        conv::<String>(Frame::VerbatimString {
            format: *b"txt",
            data: Bytes::from_static(b"Some string"),
        })
        .unwrap(),
        "Some string"
    );
    assert_eq!(
        conv::<String>(Frame::BigNumber(Bytes::from_static(b"123"))).unwrap(),
        "123"
    );
    assert_eq!(conv::<String>(Frame::Integer(-5)).unwrap(), "-5");
    assert_eq!(conv::<String>(Frame::Double(1.5)).unwrap(), "1.5");
    assert_eq!(conv::<String>(Frame::Double(2.0)).unwrap(), "2");
    assert_eq!(
        conv::<String>(Frame::Double(f64::NEG_INFINITY)).unwrap(),
        "-inf"
    );
}

#[test]
fn string_rejects_invalid_utf8_and_non_strings() {
    let message = mismatch_message::<String>(Frame::bulk(vec![0xff, 0xfe]));
    assert_eq!(
        message,
        r#"expected UTF-8 text, got bulk string "\xff\xfe""#
    );
    assert_eq!(
        mismatch_message::<String>(Frame::Array(vec![])),
        "expected a string, got array of 0 elements"
    );
    assert_eq!(
        mismatch_message::<String>(Frame::Null),
        "expected a string, got null"
    );
}

#[test]
fn bytes_are_binary_and_share_the_reply_buffer() {
    let payload = Bytes::from_static(b"\x00\r\n\xff");
    let got = conv::<Bytes>(Frame::BulkString(payload.clone())).unwrap();
    assert_eq!(got.as_ptr(), payload.as_ptr());
    assert_eq!(
        conv::<Vec<u8>>(Frame::BulkString(payload)).unwrap(),
        b"\x00\r\n\xff"
    );
    assert_eq!(conv::<Vec<u8>>(Frame::Integer(7)).unwrap(), b"7");
    // As RESP2 sends a boolean: `:1`.
    assert_eq!(conv::<Vec<u8>>(Frame::Boolean(true)).unwrap(), b"1");
}

#[test]
fn integers_come_from_integers_digit_strings_big_numbers_and_booleans() {
    assert_eq!(conv::<i64>(Frame::Integer(i64::MIN)).unwrap(), i64::MIN);
    assert_eq!(conv::<i64>(bulk("-17")).unwrap(), -17);
    assert_eq!(conv::<i64>(Frame::simple("3")).unwrap(), 3);
    assert_eq!(
        conv::<i64>(Frame::BigNumber(Bytes::from_static(b"12"))).unwrap(),
        12
    );
    assert_eq!(conv::<i64>(Frame::Boolean(true)).unwrap(), 1);
    assert_eq!(conv::<u64>(bulk("18446744073709551615")).unwrap(), u64::MAX);
    assert_eq!(conv::<i32>(Frame::Integer(-2)).unwrap(), -2);
    assert_eq!(conv::<u32>(Frame::Integer(7)).unwrap(), 7);
    assert_eq!(conv::<usize>(Frame::Integer(7)).unwrap(), 7);
    assert_eq!(conv::<isize>(Frame::Integer(-7)).unwrap(), -7);
    assert_eq!(conv::<i16>(Frame::Integer(300)).unwrap(), 300);
    assert_eq!(conv::<i8>(Frame::Integer(-3)).unwrap(), -3);
    assert_eq!(conv::<u16>(Frame::Integer(300)).unwrap(), 300);
}

#[test]
fn integers_reject_garbage_and_out_of_range_values() {
    assert_eq!(
        mismatch_message::<i64>(bulk("abc")),
        r#"expected an integer, got bulk string "abc""#
    );
    assert_eq!(
        mismatch_message::<u64>(Frame::Integer(-1)),
        "expected a non-negative integer, got integer -1"
    );
    assert_eq!(
        mismatch_message::<i32>(Frame::Integer(1 << 40)),
        "expected an integer in the range of i32, got integer 1099511627776"
    );
    // As RESP2 sends a double: `"1"` reads as 1, `"1.5"` as no integer.
    assert_eq!(conv::<i64>(Frame::Double(1.0)).unwrap(), 1);
    assert!(conv::<i64>(Frame::Double(1.5)).is_err());
    assert!(conv::<i64>(bulk("1.5")).is_err());
    assert!(conv::<i64>(Frame::BigNumber(Bytes::from_static(
        b"99999999999999999999"
    )))
    .is_err());
    assert!(conv::<i64>(Frame::Null).is_err());
}

#[test]
fn long_values_are_truncated_in_error_messages() {
    let message = mismatch_message::<i64>(Frame::bulk(vec![b'9'; 10_000]));
    assert!(message.len() < 200, "{message}");
    assert!(message.contains("10000 bytes"), "{message}");
}

#[test]
fn floats_come_from_doubles_integers_and_numeric_text() {
    assert_eq!(conv::<f64>(Frame::Double(1.5)).unwrap(), 1.5);
    assert_eq!(conv::<f64>(Frame::Integer(3)).unwrap(), 3.0);
    assert_eq!(conv::<f64>(bulk("3.0000000000000001")).unwrap(), 3.0);
    assert_eq!(conv::<f64>(bulk("inf")).unwrap(), f64::INFINITY);
    assert_eq!(conv::<f64>(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
    assert!(conv::<f64>(bulk("nan")).unwrap().is_nan());
    assert_eq!(conv::<f32>(bulk("0.5")).unwrap(), 0.5);
    assert_eq!(
        mismatch_message::<f64>(bulk("x1")),
        r#"expected a number, got bulk string "x1""#
    );
}

#[test]
fn bools_accept_resp3_booleans_zero_one_ok_and_null() {
    assert!(conv::<bool>(Frame::Boolean(true)).unwrap());
    assert!(!conv::<bool>(Frame::Boolean(false)).unwrap());
    assert!(conv::<bool>(Frame::Integer(1)).unwrap());
    assert!(!conv::<bool>(Frame::Integer(0)).unwrap());
    assert!(conv::<bool>(Frame::simple("OK")).unwrap());
    assert!(!conv::<bool>(Frame::Null).unwrap());
    assert!(conv::<bool>(bulk("1")).unwrap());
    assert!(!conv::<bool>(bulk("0")).unwrap());
}

#[test]
fn bools_reject_counts_and_other_text() {
    assert!(matches!(
        conv::<bool>(Frame::Integer(2)),
        Err(TypeError::Mismatch { .. })
    ));
    assert!(conv::<bool>(bulk("yes")).is_err());
    assert!(conv::<bool>(Frame::simple("QUEUED")).is_err());
}

#[test]
fn unit_accepts_any_non_error_frame() {
    conv::<()>(Frame::simple("OK")).unwrap();
    conv::<()>(Frame::Array(vec![Frame::Null])).unwrap();
    assert!(conv::<()>(Frame::error("ERR x")).is_err());
}

#[test]
fn option_maps_null_to_none() {
    assert_eq!(conv::<Option<String>>(Frame::Null).unwrap(), None);
    assert_eq!(conv::<Option<String>>(bulk("v")).unwrap(), Some("v".into()));
    assert_eq!(conv::<Option<i64>>(Frame::Integer(1)).unwrap(), Some(1));
    assert!(conv::<Option<i64>>(bulk("x")).is_err());
    assert_eq!(
        conv::<Vec<Option<String>>>(Frame::Array(vec![bulk("a"), Frame::Null])).unwrap(),
        vec![Some("a".into()), None]
    );
}

#[test]
fn vectors_come_from_arrays_sets_and_pushes() {
    let items = vec![Frame::Integer(1), bulk("2")];
    assert_eq!(
        conv::<Vec<i64>>(Frame::Array(items.clone())).unwrap(),
        vec![1, 2]
    );
    assert_eq!(
        conv::<Vec<i64>>(Frame::Set(items.clone())).unwrap(),
        vec![1, 2]
    );
    assert_eq!(conv::<Vec<i64>>(Frame::Push(items)).unwrap(), vec![1, 2]);
    assert_eq!(conv::<Vec<i64>>(Frame::Null).unwrap(), Vec::<i64>::new());
    assert_eq!(conv::<Option<Vec<i64>>>(Frame::Null).unwrap(), None);
    assert!(conv::<Vec<i64>>(bulk("1")).is_err());
    assert!(conv::<Vec<i64>>(Frame::Array(vec![bulk("x")])).is_err());
}

#[test]
fn pairs_read_alike_from_resp2_flat_arrays_and_resp3_shapes() {
    // ZRANGE key 0 -1 WITHSCORES: RESP2 flat array, RESP3 array of pairs.
    let resp2 = Frame::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("2")]);
    let resp3 = Frame::Array(vec![
        Frame::Array(vec![bulk("a"), Frame::Double(1.5)]),
        Frame::Array(vec![bulk("b"), Frame::Double(2.0)]),
    ]);
    let expected = vec![("a".to_string(), 1.5), ("b".to_string(), 2.0)];
    assert_eq!(conv::<Vec<(String, f64)>>(resp2).unwrap(), expected);
    assert_eq!(conv::<Vec<(String, f64)>>(resp3).unwrap(), expected);
    // HGETALL in RESP3 is a map.
    let map = Frame::Map(vec![
        (bulk("a"), Frame::Double(1.5)),
        (bulk("b"), Frame::Integer(2)),
    ]);
    assert_eq!(conv::<Vec<(String, f64)>>(map).unwrap(), expected);
    assert!(conv::<Vec<(String, f64)>>(Frame::Array(vec![bulk("a")])).is_err());
}

#[test]
fn maps_come_from_resp3_maps_and_resp2_flat_arrays() {
    let resp2 = Frame::Array(vec![bulk("f1"), bulk("1"), bulk("f2"), bulk("2")]);
    let resp3 = Frame::Map(vec![
        (bulk("f1"), Frame::Integer(1)),
        (bulk("f2"), Frame::Integer(2)),
    ]);
    let expected: HashMap<String, i64> = [("f1".into(), 1), ("f2".into(), 2)].into();
    assert_eq!(
        conv::<HashMap<String, i64>>(resp2.clone()).unwrap(),
        expected
    );
    assert_eq!(conv::<HashMap<String, i64>>(resp3).unwrap(), expected);
    let sorted = conv::<BTreeMap<String, i64>>(resp2).unwrap();
    assert_eq!(sorted.keys().collect::<Vec<_>>(), ["f1", "f2"]);
    assert!(conv::<HashMap<String, i64>>(Frame::Null)
        .unwrap()
        .is_empty());
    assert_eq!(
        mismatch_message::<HashMap<String, i64>>(Frame::Array(vec![bulk("odd")])),
        "expected a map or a flat array of key/value pairs, got array of 1 elements"
    );
}

#[test]
fn sets_come_from_sets_and_arrays() {
    let set = Frame::Set(vec![bulk("b"), bulk("a"), bulk("a")]);
    let expected: HashSet<String> = ["a".into(), "b".into()].into();
    assert_eq!(conv::<HashSet<String>>(set.clone()).unwrap(), expected);
    let sorted = conv::<BTreeSet<String>>(set).unwrap();
    assert_eq!(sorted.into_iter().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn tuples_need_exactly_their_arity() {
    let reply = Frame::Array(vec![bulk("list"), bulk("item")]);
    assert_eq!(
        conv::<(String, String)>(reply).unwrap(),
        ("list".into(), "item".into())
    );
    let four = Frame::Array(vec![
        Frame::Integer(1),
        bulk("2"),
        Frame::Null,
        Frame::Double(4.0),
    ]);
    assert_eq!(
        conv::<(i64, u32, Option<String>, f64)>(four).unwrap(),
        (1, 2, None, 4.0)
    );
    assert_eq!(
        conv::<(i64, i64)>(Frame::Array(vec![Frame::Integer(1)])).unwrap_err(),
        TypeError::WrongLength {
            expected: 2,
            got: 1
        }
    );
    assert!(conv::<(i64,)>(Frame::Integer(1)).is_err());
    // BLPOP timing out: null, which Option turns into None.
    assert_eq!(conv::<Option<(String, String)>>(Frame::Null).unwrap(), None);
}

#[test]
fn error_replies_are_server_errors_not_mismatches() {
    let err = conv::<String>(Frame::error("WRONGTYPE Operation against a key")).unwrap_err();
    assert_eq!(err.server_error().map(ServerError::code), Some("WRONGTYPE"));
    assert_eq!(
        err.to_string(),
        "Redis replied with an error: WRONGTYPE Operation against a key"
    );
    let blob = Frame::BlobError(Bytes::from_static(b"SYNTAX invalid syntax"));
    assert!(matches!(
        conv::<Option<i64>>(blob),
        Err(TypeError::ServerError(_))
    ));
    // Nested in an EXEC reply, the whole conversion fails with the server error...
    let exec = Frame::Array(vec![
        Frame::simple("OK"),
        Frame::error("ERR value is not an integer"),
    ]);
    assert!(matches!(
        conv::<Vec<String>>(exec.clone()),
        Err(TypeError::ServerError(_))
    ));
    // ...unless the caller asks for per-element results.
    let results = conv::<Vec<Result<String, ServerError>>>(exec).unwrap();
    assert_eq!(results[0], Ok("OK".into()));
    assert_eq!(results[1].as_ref().unwrap_err().code(), "ERR");
}

#[test]
fn attributes_are_looked_through() {
    let annotated = |frame| Frame::Attribute {
        attrs: vec![(Frame::simple("ttl"), Frame::Integer(1))],
        frame: Box::new(frame),
    };
    assert_eq!(conv::<i64>(annotated(Frame::Integer(5))).unwrap(), 5);
    assert_eq!(conv::<Option<i64>>(annotated(Frame::Null)).unwrap(), None);
    assert_eq!(
        conv::<Vec<i64>>(Frame::Array(vec![annotated(Frame::Integer(1))])).unwrap(),
        vec![1]
    );
    assert!(matches!(
        conv::<i64>(annotated(Frame::error("ERR x"))),
        Err(TypeError::ServerError(_))
    ));
}

#[test]
fn maps_also_come_from_resp3_arrays_of_pairs() {
    // RESP3 ZRANGE ... WITHSCORES / HRANDFIELD ... WITHVALUES: an array of [member, score].
    let resp3 = Frame::Array(vec![
        Frame::Array(vec![bulk("a"), Frame::Double(1.5)]),
        Frame::Array(vec![bulk("b"), Frame::Double(2.0)]),
    ]);
    let resp2 = Frame::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("2")]);
    let expected: HashMap<String, f64> = [("a".into(), 1.5), ("b".into(), 2.0)].into();
    assert_eq!(
        conv::<HashMap<String, f64>>(resp3.clone()).unwrap(),
        expected
    );
    assert_eq!(conv::<HashMap<String, f64>>(resp2).unwrap(), expected);
    let sorted = conv::<BTreeMap<String, f64>>(resp3.clone()).unwrap();
    assert_eq!(
        sorted.into_iter().collect::<Vec<_>>(),
        [("a".into(), 1.5), ("b".into(), 2.0)]
    );
    assert_eq!(
        conv::<Vec<(String, f64)>>(resp3).unwrap(),
        [("a".to_string(), 1.5), ("b".to_string(), 2.0)]
    );
    // One pair: still pairs, not a flat [key, value] array of two arrays.
    let one = Frame::Array(vec![Frame::Array(vec![bulk("a"), Frame::Integer(1)])]);
    assert_eq!(
        conv::<HashMap<String, i64>>(one).unwrap(),
        HashMap::from([("a".to_string(), 1)])
    );
}

#[test]
fn flat_sequences_also_come_from_resp3_maps() {
    // RESP3 HGETALL / CONFIG GET: a map; RESP2 gave a flat array of key, value, ...
    let resp3 = Frame::Map(vec![
        (bulk("maxmemory"), bulk("0")),
        (bulk("port"), Frame::Integer(6379)),
    ]);
    let resp2 = Frame::Array(vec![
        bulk("maxmemory"),
        bulk("0"),
        bulk("port"),
        bulk("6379"),
    ]);
    let expected = ["maxmemory", "0", "port", "6379"];
    assert_eq!(conv::<Vec<String>>(resp3.clone()).unwrap(), expected);
    assert_eq!(conv::<Vec<String>>(resp2).unwrap(), expected);
    let set = conv::<BTreeSet<String>>(resp3.clone()).unwrap();
    assert_eq!(set.len(), 4);
    // Pairs still read one per entry.
    assert_eq!(
        conv::<Vec<(String, String)>>(resp3).unwrap(),
        [
            ("maxmemory".to_string(), "0".to_string()),
            ("port".to_string(), "6379".to_string())
        ]
    );
}

#[test]
fn doubles_become_text_that_reads_back_as_the_same_double() {
    for d in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1.5,
        0.1,
        1e300,
        -1e-300,
        1e16,
        1e17,
        123456789.125,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ] {
        let text = conv::<String>(Frame::Double(d)).unwrap();
        assert!(text.len() <= 24, "{d:?} became {text:?}");
        let back = conv::<f64>(bulk(&text)).unwrap();
        assert!(
            back.to_bits() == d.to_bits() || (d.is_nan() && back.is_nan()),
            "{d:?} -> {text:?} -> {back:?}"
        );
    }
    assert_eq!(conv::<String>(Frame::Double(f64::NAN)).unwrap(), "nan");
    assert_eq!(conv::<String>(Frame::Double(1e300)).unwrap(), "1e300");
    assert_eq!(conv::<String>(Frame::Double(2.0)).unwrap(), "2");
}
