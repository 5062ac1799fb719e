//! `Cmd`: what bytes each kind of argument becomes, and what `Debug` may show.

use bytes::{Bytes, BytesMut};
use hardy_redis::resp::{Frame, RespDecoder, RespEncoder};
use hardy_redis::{cmd, Cmd, ToArg};
use tokio_util::codec::{Decoder, Encoder};

fn wire(cmd: &Cmd) -> Vec<u8> {
    let mut out = BytesMut::new();
    cmd.write_to(&mut out);
    assert_eq!(out.len(), cmd.encoded_len());
    out.to_vec()
}

fn args(cmd: &Cmd) -> Vec<Vec<u8>> {
    cmd.args().map(<[u8]>::to_vec).collect()
}

fn strings(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn command_is_a_resp_array_of_bulk_strings() {
    let set = Cmd::new("SET").arg("key").arg("value");
    assert_eq!(
        wire(&set),
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
    );
    assert_eq!(set.len(), 3);
    assert!(!set.is_empty());
}

#[test]
fn name_is_upper_cased_on_the_wire_and_in_name() {
    let get = cmd("get").arg("k");
    assert_eq!(get.name(), "GET");
    assert_eq!(wire(&get), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(cmd("client").arg("setname").arg("x").name(), "CLIENT");
}

#[test]
fn encoded_command_decodes_as_the_same_arguments() {
    let set = Cmd::new("SET").arg(&b"k\r\ney"[..]).arg("").arg(-1);
    let mut buf = BytesMut::from(&wire(&set)[..]);
    let frame = RespDecoder::default().decode(&mut buf).unwrap().unwrap();
    assert_eq!(
        frame,
        Frame::Array(vec![
            Frame::bulk("SET"),
            Frame::bulk(&b"k\r\ney"[..]),
            Frame::bulk(""),
            Frame::bulk("-1"),
        ])
    );
}

#[test]
fn write_to_appends_so_commands_coalesce_in_one_buffer() {
    let mut out = BytesMut::new();
    Cmd::new("PING").write_to(&mut out);
    Cmd::new("GET").arg("a").write_to(&mut out);
    assert_eq!(
        &out[..],
        b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
    );
    let mut encoded = BytesMut::new();
    RespEncoder::new()
        .encode(&Cmd::new("PING"), &mut encoded)
        .unwrap();
    assert_eq!(&encoded[..], b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(
        Cmd::new("PING").to_bytes(),
        Bytes::from_static(b"*1\r\n$4\r\nPING\r\n")
    );
}

#[test]
fn string_and_byte_types_are_one_argument_each() {
    let c = Cmd::new("X")
        .arg("str")
        .arg(String::from("string"))
        .arg(&b"slice"[..])
        .arg(b"array")
        .arg(vec![b'v', b'e', b'c'])
        .arg(Bytes::from_static(b"bytes"))
        .arg(BytesMut::from(&b"bytesmut"[..]));
    assert_eq!(
        args(&c),
        strings(&["X", "str", "string", "slice", "array", "vec", "bytes", "bytesmut"])
    );
}

#[test]
fn integers_are_decimal_including_extremes() {
    let c = Cmd::new("X")
        .arg(0i32)
        .arg(-7i8)
        .arg(i64::MIN)
        .arg(u64::MAX)
        .arg(65535u16)
        .arg(usize::MAX)
        .arg(isize::MIN)
        .arg(i128::MIN)
        .arg(u128::MAX);
    let expected = [
        "X".to_string(),
        "0".into(),
        "-7".into(),
        i64::MIN.to_string(),
        u64::MAX.to_string(),
        "65535".into(),
        usize::MAX.to_string(),
        isize::MIN.to_string(),
        i128::MIN.to_string(),
        u128::MAX.to_string(),
    ];
    assert_eq!(
        args(&c),
        expected
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect::<Vec<_>>()
    );
}

#[test]
fn floats_read_back_exactly_and_infinities_use_redis_spelling() {
    let c = Cmd::new("X")
        .arg(1.5f64)
        .arg(0.1f64)
        .arg(-2.0f64)
        .arg(1e300f64)
        .arg(f64::INFINITY)
        .arg(f64::NEG_INFINITY)
        .arg(0.25f32);
    assert_eq!(
        args(&c),
        strings(&["X", "1.5", "0.1", "-2.0", "1e300", "inf", "-inf", "0.25"])
    );
}

#[test]
fn bools_are_one_and_zero() {
    assert_eq!(
        args(&Cmd::new("X").arg(true).arg(false)),
        strings(&["X", "1", "0"])
    );
}

#[test]
fn collections_expand_into_several_arguments() {
    let c = Cmd::new("MSET").arg(vec![("a", 1), ("b", 2)]);
    assert_eq!(args(&c), strings(&["MSET", "a", "1", "b", "2"]));
    let c = Cmd::new("DEL")
        .arg(["k1", "k2"])
        .arg(&vec![String::from("k3")][..]);
    assert_eq!(args(&c), strings(&["DEL", "k1", "k2", "k3"]));
    let c = Cmd::new("X")
        .arg(("a", 1u32, 2.5f64))
        .arg(("b", "c", "d", 4));
    assert_eq!(
        args(&c),
        strings(&["X", "a", "1", "2.5", "b", "c", "d", "4"])
    );
    assert_eq!(c.len(), 8);
}

#[test]
fn option_none_adds_no_argument() {
    let ex: Option<(&str, u64)> = None;
    let c = Cmd::new("SET").arg("k").arg("v").arg(ex);
    assert_eq!(c.len(), 3);
    let c = Cmd::new("SET").arg("k").arg("v").arg(Some(("EX", 10u64)));
    assert_eq!(args(&c), strings(&["SET", "k", "v", "EX", "10"]));
}

#[test]
fn push_builds_in_place() {
    let mut c = Cmd::new("RPUSH");
    c.push("list");
    for i in 0..3 {
        c.push(i);
    }
    assert_eq!(args(&c), strings(&["RPUSH", "list", "0", "1", "2"]));
}

#[test]
fn user_types_implement_to_arg() {
    struct Point(i32, i32);
    impl ToArg for Point {
        fn write_args(&self, cmd: &mut Cmd) {
            cmd.push(self.0).push(self.1);
        }
    }
    let c = Cmd::new("X").arg(Point(1, -2));
    assert_eq!(args(&c), strings(&["X", "1", "-2"]));
}

// ---- Debug ----

fn debug(c: &Cmd) -> String {
    format!("{c:?}")
}

#[test]
fn debug_shows_name_count_and_arguments() {
    let shown = debug(&Cmd::new("SET").arg("key").arg(1));
    assert_eq!(
        shown,
        r#"Cmd { name: "SET", argc: 3, args: ["SET", "key", "1"] }"#
    );
}

#[test]
fn debug_truncates_long_arguments_and_long_argument_lists() {
    let shown = debug(&Cmd::new("SET").arg("k").arg(vec![b'x'; 1 << 20]));
    assert!(shown.len() < 200, "{shown}");
    assert!(shown.contains("1048576 bytes"), "{shown}");
    let many: Vec<u32> = (0..1000).collect();
    let shown = debug(&Cmd::new("DEL").arg(many));
    assert!(shown.contains("985 more"), "{shown}");
    assert!(shown.len() < 300, "{shown}");
}

#[test]
fn debug_redacts_auth_password() {
    let shown = debug(&cmd("AUTH").arg("hunter2"));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
}

#[test]
fn debug_redacts_acl_auth_password_but_shows_the_user() {
    let shown = debug(&cmd("auth").arg("alice").arg("hunter2"));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("alice"), "{shown}");
}

#[test]
fn debug_redacts_hello_auth_password() {
    let shown = debug(
        &cmd("HELLO")
            .arg(3)
            .arg("auth")
            .arg("alice")
            .arg("hunter2")
            .arg("SETNAME")
            .arg("app"),
    );
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("alice") && shown.contains("app"), "{shown}");
}

#[test]
fn debug_redacts_other_commands_carrying_passwords() {
    for c in [
        cmd("MIGRATE")
            .arg(("h", 6379, "", 0, 5000))
            .arg(("AUTH", "hunter2")),
        cmd("MIGRATE")
            .arg(("h", 6379, "", 0, 5000))
            .arg(("AUTH2", "u", "hunter2")),
        cmd("CONFIG").arg(("SET", "requirepass", "hunter2")),
        cmd("CONFIG").arg(("SET", "maxmemory", "1gb", "masterauth", "hunter2")),
        cmd("ACL").arg(("SETUSER", "alice", "on", ">hunter2", "~*")),
    ] {
        let shown = debug(&c);
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn f32_is_sent_as_its_own_shortest_text() {
    let c = Cmd::new("X")
        .arg(0.1f32)
        .arg(1.1f32)
        .arg(-3.3f32)
        .arg(f32::INFINITY)
        .arg(f32::NEG_INFINITY)
        .arg(f32::MAX);
    assert_eq!(
        args(&c),
        strings(&["X", "0.1", "1.1", "-3.3", "inf", "-inf", "3.4028235e38"])
    );
}

#[test]
fn debug_redacts_sentinel_and_tls_passwords() {
    for c in [
        cmd("SENTINEL").arg(("SET", "mymaster", "auth-pass", "hunter2")),
        cmd("sentinel")
            .arg((
                "set",
                "mymaster",
                "down-after-milliseconds",
                1000,
                "AUTH-PASS",
            ))
            .arg("hunter2"),
        cmd("SENTINEL").arg(("CONFIG", "SET", "sentinel-pass", "hunter2")),
        cmd("sentinel").arg((
            "config",
            "set",
            "resolve-hostnames",
            "yes",
            "Sentinel-Pass",
            "hunter2",
        )),
        cmd("CONFIG").arg(("SET", "tls-key-file-pass", "hunter2")),
        cmd("config").arg(("set", "TLS-CLIENT-KEY-FILE-PASS", "hunter2")),
    ] {
        let shown = debug(&c);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
    // Other settings stay visible.
    let shown = debug(&cmd("SENTINEL").arg(("SET", "mymaster", "quorum", "2")));
    assert!(!shown.contains("<redacted>"), "{shown}");
}
