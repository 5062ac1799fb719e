//! The RESP codec against hand-written wire bytes: every RESP2 and RESP3 type round-trips,
//! and every kind of malformed or oversized input is rejected with its own error.

use bytes::{Bytes, BytesMut};
use hardy_redis::resp::{Frame, Limits, ProtocolError, RespDecoder, RespEncoder};
use tokio_util::codec::{Decoder, Encoder};

fn decode_all(wire: &[u8]) -> Result<Vec<Frame>, ProtocolError> {
    decode_with(RespDecoder::default(), wire)
}

fn decode_with(mut decoder: RespDecoder, wire: &[u8]) -> Result<Vec<Frame>, ProtocolError> {
    let mut buf = BytesMut::from(wire);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode(&mut buf)? {
        frames.push(frame);
    }
    assert!(buf.is_empty(), "left over: {buf:?}");
    Ok(frames)
}

fn decode_one(wire: &[u8]) -> Frame {
    let mut frames = decode_all(wire).expect("valid RESP");
    assert_eq!(frames.len(), 1, "{frames:?}");
    frames.remove(0)
}

fn encode(frame: &Frame) -> Vec<u8> {
    let mut out = BytesMut::new();
    RespEncoder::new()
        .encode(frame, &mut out)
        .expect("encodable");
    out.to_vec()
}

/// Decodes `wire`, checks the frame, and checks that encoding it gives `wire` back.
fn assert_round_trip(wire: &[u8], expected: Frame) {
    assert_eq!(decode_one(wire), expected);
    assert_eq!(
        encode(&expected),
        wire,
        "{:?}",
        String::from_utf8_lossy(wire)
    );
}

fn bulk(s: &str) -> Frame {
    Frame::bulk(s.to_owned())
}

#[test]
fn resp2_scalars_round_trip() {
    assert_round_trip(b"+OK\r\n", Frame::simple("OK"));
    assert_round_trip(b"+\r\n", Frame::simple(""));
    assert_round_trip(
        b"-ERR unknown command\r\n",
        Frame::error("ERR unknown command"),
    );
    assert_round_trip(b":0\r\n", Frame::Integer(0));
    assert_round_trip(b":-42\r\n", Frame::Integer(-42));
    assert_round_trip(b":9223372036854775807\r\n", Frame::Integer(i64::MAX));
    assert_round_trip(b":-9223372036854775808\r\n", Frame::Integer(i64::MIN));
    assert_round_trip(b"$5\r\nhello\r\n", bulk("hello"));
    assert_round_trip(b"$0\r\n\r\n", bulk(""));
}

#[test]
fn bulk_strings_are_binary_safe() {
    let data: &[u8] = b"a\r\nb\0\xff\r\n";
    assert_round_trip(b"$8\r\na\r\nb\0\xff\r\n\r\n", Frame::bulk(data.to_vec()));
}

#[test]
fn integer_with_plus_sign_decodes() {
    assert_eq!(decode_one(b":+7\r\n"), Frame::Integer(7));
}

#[test]
fn all_null_encodings_decode_to_null() {
    assert_eq!(decode_one(b"$-1\r\n"), Frame::Null);
    assert_eq!(decode_one(b"*-1\r\n"), Frame::Null);
    assert_eq!(decode_one(b"_\r\n"), Frame::Null);
    let mut out = BytesMut::new();
    RespEncoder::resp2().encode(&Frame::Null, &mut out).unwrap();
    assert_eq!(&out[..], b"$-1\r\n");
    assert_eq!(encode(&Frame::Null), b"_\r\n");
}

#[test]
fn arrays_round_trip_including_empty_and_nested() {
    assert_round_trip(b"*0\r\n", Frame::Array(vec![]));
    assert_round_trip(
        b"*3\r\n$3\r\nfoo\r\n:1\r\n*2\r\n*0\r\n_\r\n",
        Frame::Array(vec![
            bulk("foo"),
            Frame::Integer(1),
            Frame::Array(vec![Frame::Array(vec![]), Frame::Null]),
        ]),
    );
    // RESP2 null inside an array is re-encoded as RESP3 `_` by the default encoder.
    assert_eq!(
        decode_one(b"*2\r\n*-1\r\n_\r\n"),
        Frame::Array(vec![Frame::Null, Frame::Null])
    );
}

#[test]
fn resp3_scalars_round_trip() {
    assert_round_trip(b"_\r\n", Frame::Null);
    assert_round_trip(b"#t\r\n", Frame::Boolean(true));
    assert_round_trip(b"#f\r\n", Frame::Boolean(false));
    assert_round_trip(b",1.23\r\n", Frame::Double(1.23));
    assert_round_trip(b",-0.5\r\n", Frame::Double(-0.5));
    assert_round_trip(b",1e300\r\n", Frame::Double(1e300));
    assert_round_trip(b",inf\r\n", Frame::Double(f64::INFINITY));
    assert_round_trip(b",-inf\r\n", Frame::Double(f64::NEG_INFINITY));
    assert_round_trip(b",nan\r\n", Frame::Double(f64::NAN));
    assert_round_trip(
        b"(3492890328409238509324850943850943825024385\r\n",
        Frame::BigNumber(Bytes::from_static(
            b"3492890328409238509324850943850943825024385",
        )),
    );
    assert_round_trip(b"(-12\r\n", Frame::BigNumber(Bytes::from_static(b"-12")));
    assert_round_trip(
        b"=15\r\ntxt:Some string\r\n",
        Frame::VerbatimString {
            format: *b"txt",
            data: Bytes::from_static(b"Some string"),
        },
    );
    assert_round_trip(
        b"!21\r\nSYNTAX invalid syntax\r\n",
        Frame::BlobError(Bytes::from_static(b"SYNTAX invalid syntax")),
    );
}

#[test]
fn resp3_doubles_in_other_spellings_decode() {
    assert_eq!(decode_one(b",10\r\n"), Frame::Double(10.0));
    assert_eq!(decode_one(b",1.5E3\r\n"), Frame::Double(1500.0));
    assert_eq!(decode_one(b",+inf\r\n"), Frame::Double(f64::INFINITY));
}

#[test]
fn resp3_aggregates_round_trip() {
    assert_round_trip(
        b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
        Frame::Map(vec![
            (Frame::simple("first"), Frame::Integer(1)),
            (Frame::simple("second"), Frame::Integer(2)),
        ]),
    );
    assert_round_trip(b"%0\r\n", Frame::Map(vec![]));
    assert_round_trip(
        b"~3\r\n+orange\r\n+apple\r\n#t\r\n",
        Frame::Set(vec![
            Frame::simple("orange"),
            Frame::simple("apple"),
            Frame::Boolean(true),
        ]),
    );
    assert_round_trip(
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        Frame::Push(vec![bulk("message"), bulk("ch"), bulk("hi")]),
    );
    assert_round_trip(
        b"%1\r\n*1\r\n:1\r\n%1\r\n_\r\n~0\r\n",
        Frame::Map(vec![(
            Frame::Array(vec![Frame::Integer(1)]),
            Frame::Map(vec![(Frame::Null, Frame::Set(vec![]))]),
        )]),
    );
}

#[test]
fn attribute_wraps_the_frame_it_annotates() {
    // The example from the RESP3 specification.
    let wire = b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n";
    let expected = Frame::Attribute {
        attrs: vec![(
            Frame::simple("key-popularity"),
            Frame::Map(vec![
                (bulk("a"), Frame::Double(0.1923)),
                (bulk("b"), Frame::Double(0.0012)),
            ]),
        )],
        frame: Box::new(Frame::Array(vec![
            Frame::Integer(2039123),
            Frame::Integer(9543892),
        ])),
    };
    assert_round_trip(wire, expected.clone());
    assert_eq!(
        expected.into_value(),
        Frame::Array(vec![Frame::Integer(2039123), Frame::Integer(9543892)])
    );
}

#[test]
fn attribute_inside_an_array_does_not_count_as_an_element() {
    let frames = decode_all(b"*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n").unwrap();
    assert_eq!(
        frames,
        vec![Frame::Array(vec![
            Frame::Integer(1),
            Frame::Attribute {
                attrs: vec![(Frame::simple("ttl"), Frame::Integer(3600))],
                frame: Box::new(Frame::Integer(2)),
            },
        ])]
    );
}

#[test]
fn several_frames_in_one_buffer_decode_in_order() {
    let frames = decode_all(b"+OK\r\n:1\r\n$-1\r\n*1\r\n+x\r\n").unwrap();
    assert_eq!(
        frames,
        vec![
            Frame::simple("OK"),
            Frame::Integer(1),
            Frame::Null,
            Frame::Array(vec![Frame::simple("x")]),
        ]
    );
}

#[test]
fn decoded_bulk_strings_share_the_read_buffer() {
    let mut buf = BytesMut::from(&b"$5\r\nhello\r\n"[..]);
    let start = buf.as_ptr() as usize;
    let frame = RespDecoder::default().decode(&mut buf).unwrap().unwrap();
    let Frame::BulkString(data) = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(data.as_ptr() as usize, start + 4, "payload was copied");
}

#[test]
fn incomplete_frames_wait_for_more_bytes() {
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::new();
    for chunk in [&b"*2\r"[..], b"\n$3\r\nfo", b"o\r\n:", b"12", b"\r", b"\n"] {
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(chunk);
    }
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(Frame::Array(vec![bulk("foo"), Frame::Integer(12)]))
    );
}

#[test]
fn announced_bulk_length_pre_sizes_the_buffer() {
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::from(&b"$1000000\r\nabc"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    assert!(buf.capacity() >= 1_000_012, "capacity {}", buf.capacity());
}

#[test]
fn truncated_stream_at_eof_is_an_error() {
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::from(&b"$5\r\nhel"[..]);
    assert!(matches!(
        decoder.decode_eof(&mut buf),
        Err(ProtocolError::Io(_))
    ));
}

// ---- hostile and malformed input ----

fn decode_err(limits: Limits, wire: &[u8]) -> ProtocolError {
    match decode_with(RespDecoder::new(limits), wire) {
        Err(e) => e,
        Ok(frames) => panic!("accepted {frames:?}"),
    }
}

fn decode_err_default(wire: &[u8]) -> ProtocolError {
    decode_err(Limits::default(), wire)
}

#[test]
fn unknown_type_byte_is_rejected() {
    assert!(matches!(
        decode_err_default(b"HTTP/1.1 400 Bad Request\r\n"),
        ProtocolError::InvalidTypeByte { byte: b'H' }
    ));
    // A TLS alert record seen by a plain-text client.
    assert!(matches!(
        decode_err_default(b"\x15\x03\x03\x00\x02"),
        ProtocolError::InvalidTypeByte { byte: 0x15 }
    ));
}

#[test]
fn bad_lengths_are_rejected() {
    for wire in [
        &b"$-2\r\n"[..],
        b"$abc\r\n",
        b"$\r\n",
        b"$1 \r\n",
        b"*-2\r\n",
        b"%-1\r\n",
        b"~-1\r\n",
        b">-1\r\n",
        b"|-1\r\n",
        b"!-1\r\n",
        b"=-1\r\n",
    ] {
        let err = decode_err_default(wire);
        assert!(
            matches!(err, ProtocolError::InvalidLength { .. }),
            "{:?}: {err:?}",
            String::from_utf8_lossy(wire)
        );
    }
}

#[test]
fn overflowing_numbers_are_rejected() {
    for wire in [
        &b":9223372036854775808\r\n"[..],
        b":-9223372036854775809\r\n",
        // 20 digits: as long as a length may be, yet past 64 bits. Longer is
        // an invalid length (see over_long_length_and_integer_lines_are_rejected).
        b"$99999999999999999999\r\n",
        b"*99999999999999999999\r\n",
    ] {
        let err = decode_err_default(wire);
        assert!(
            matches!(err, ProtocolError::IntegerOverflow { .. }),
            "{err:?}"
        );
    }
}

#[test]
fn non_numeric_integer_is_rejected() {
    for wire in [&b":abc\r\n"[..], b":\r\n", b":1.5\r\n", b":-\r\n"] {
        let err = decode_err_default(wire);
        assert!(
            matches!(err, ProtocolError::InvalidInteger { .. }),
            "{err:?}"
        );
    }
}

#[test]
fn missing_crlf_is_rejected() {
    for wire in [
        &b"+OK\rX"[..],
        b"+OK\n",
        b"$3\r\nfooXY",
        b"$3\r\nfo\r\n\r\n",
        b":1\n",
    ] {
        let err = decode_err_default(wire);
        assert!(matches!(err, ProtocolError::MissingCrlf), "{err:?}");
    }
}

#[test]
fn malformed_resp3_values_are_rejected() {
    for (wire, kind) in [
        (&b"#x\r\n"[..], "boolean"),
        (b"#\r\n", "boolean"),
        (b",abc\r\n", "double"),
        (b",\r\n", "double"),
        (b"(12a\r\n", "big number"),
        (b"(\r\n", "big number"),
        (b"_x\r\n", "null"),
        (b"=3\r\ntxt\r\n", "verbatim string"),
        (b"=4\r\ntxt;\r\n", "verbatim string"),
    ] {
        match decode_err_default(wire) {
            ProtocolError::InvalidValue { kind: k, .. } => assert_eq!(k, kind),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn bulk_longer_than_the_limit_is_rejected_before_its_payload_arrives() {
    let limits = Limits::default().with_max_bulk_len(10);
    assert!(matches!(
        decode_err(limits, b"$11\r\n"),
        ProtocolError::BulkTooLong { len: 11, max: 10 }
    ));
    assert!(matches!(
        decode_err(limits, b"!11\r\n"),
        ProtocolError::BulkTooLong { len: 11, .. }
    ));
    assert_eq!(
        decode_with(RespDecoder::new(limits), b"$10\r\n0123456789\r\n").unwrap(),
        vec![bulk("0123456789")]
    );
}

#[test]
fn absurd_announced_length_under_an_unbounded_limit_waits_without_allocating_it() {
    let limits = Limits::default()
        .with_max_bulk_len(usize::MAX)
        .with_max_frame_size(usize::MAX);
    let mut decoder = RespDecoder::new(limits);
    let mut buf = BytesMut::from(&b"$4611686018427387904\r\nabc"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    assert!(buf.capacity() <= (4 << 20) + 64, "{}", buf.capacity());
}

#[test]
fn default_bulk_limit_is_512_mib() {
    assert!(matches!(
        decode_err_default(b"$536870913\r\n"),
        ProtocolError::BulkTooLong {
            len: 536870913,
            max: 536870912
        }
    ));
}

#[test]
fn aggregate_longer_than_the_limit_is_rejected() {
    let limits = Limits::default().with_max_aggregate_len(2);
    for wire in [&b"*3\r\n"[..], b"~3\r\n", b">3\r\n", b"%3\r\n", b"|3\r\n"] {
        let err = decode_err(limits, wire);
        assert!(
            matches!(err, ProtocolError::AggregateTooLong { len: 3, max: 2 }),
            "{err:?}"
        );
    }
    assert!(decode_with(RespDecoder::new(limits), b"%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n").is_ok());
}

#[test]
fn nesting_deeper_than_the_limit_is_rejected() {
    let limits = Limits::default().with_max_depth(3);
    assert!(decode_with(RespDecoder::new(limits), b"*1\r\n*1\r\n*0\r\n").is_ok());
    assert!(matches!(
        decode_err(limits, b"*1\r\n*1\r\n*1\r\n*0\r\n"),
        ProtocolError::TooDeep { max: 3 }
    ));
    // Attributes count as a level, so a chain of them cannot recurse without bound.
    assert!(matches!(
        decode_err(limits, b"|0\r\n|0\r\n|0\r\n|0\r\n:1\r\n"),
        ProtocolError::TooDeep { max: 3 }
    ));
}

#[test]
fn deeply_nested_hostile_input_is_rejected_with_default_limits() {
    let wire = b"*1\r\n".repeat(100_000);
    assert!(matches!(
        decode_err_default(&wire),
        ProtocolError::TooDeep { max: 128 }
    ));
}

#[test]
fn line_without_crlf_is_bounded() {
    let limits = Limits::default().with_max_line_len(8);
    assert!(matches!(
        decode_err(limits, b"+123456789"),
        ProtocolError::LineTooLong { max: 8 }
    ));
    assert!(matches!(
        decode_err(limits, b"$123456789"),
        ProtocolError::LineTooLong { max: 8 }
    ));
}

#[test]
fn depth_limit_is_capped() {
    assert_eq!(
        Limits::default().with_max_depth(usize::MAX).max_depth(),
        512
    );
}

#[test]
fn limit_errors_say_they_are_limits() {
    assert!(decode_err_default(b"*1\r\n".repeat(200).as_slice()).is_limit_exceeded());
    assert!(!decode_err_default(b"?").is_limit_exceeded());
    let message = decode_err_default(b"$999999999999\r\n").to_string();
    assert!(message.contains("max_bulk_len"), "{message}");
}

#[test]
fn encoder_refuses_lines_with_crlf() {
    let mut out = BytesMut::new();
    let err = RespEncoder::new()
        .encode(&Frame::simple("a\r\nb"), &mut out)
        .unwrap_err();
    assert!(matches!(err, ProtocolError::Unencodable { .. }));
}

// ---- review regressions ----

#[test]
fn over_long_length_and_integer_lines_are_rejected() {
    // A length needs at most 19 digits and a sign; padding it with zeros (or a `+`)
    // must not let a header grow to max_line_len and be re-parsed on every read.
    let padded = |tag: &str, n: usize, rest: &str| format!("{tag}{}5\r\n{rest}", "0".repeat(n));
    for wire in [
        padded("$", 30, "hello\r\n"),
        padded("$+", 30, "hello\r\n"),
        padded("*", 30, ""),
        padded("%", 30, ""),
        padded("!", 30, "hello\r\n"),
        "$99999999999999999999999\r\n".to_string(),
    ] {
        let err = decode_err_default(wire.as_bytes());
        assert!(
            matches!(err, ProtocolError::InvalidLength { .. }),
            "{wire:?}: {err:?}"
        );
    }
    // Rejected as soon as the header is too long, without waiting for its CRLF.
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::from(format!("${}", "0".repeat(25)).as_bytes());
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(ProtocolError::InvalidLength { .. })
    ));
    let err = decode_err_default(padded(":", 30, "").as_bytes());
    assert!(
        matches!(err, ProtocolError::InvalidInteger { .. }),
        "{err:?}"
    );
    // The longest valid spellings still decode.
    assert_eq!(
        decode_one(b":-9223372036854775808\r\n"),
        Frame::Integer(i64::MIN)
    );
    assert_eq!(
        decode_one(b":+9223372036854775807\r\n"),
        Frame::Integer(i64::MAX)
    );
    assert_eq!(
        decode_one(b"$0000000000000000005\r\nhello\r\n"),
        bulk("hello")
    );
}

#[test]
fn large_announced_bulk_pre_sizes_only_a_few_mib() {
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::from(&b"$536870000\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    assert!(buf.capacity() <= (4 << 20) + 64, "{}", buf.capacity());
    // The payload still arrives and decodes whole, the buffer growing as it does.
    let mut decoder = RespDecoder::default();
    let len = 10 << 20;
    let mut buf = BytesMut::from(format!("${len}\r\n").as_bytes());
    let payload = vec![b'x'; len];
    for chunk in payload.chunks(1 << 20) {
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(chunk);
    }
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\r\n");
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(Frame::bulk(payload))
    );
}

#[test]
fn buffer_replaced_between_calls_loses_no_frame() {
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::from(&b"*2\r\n:1\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    buf.clear();
    buf.extend_from_slice(b":5\r\n:6\r\n:7\r\n");
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode(&mut buf).unwrap() {
        frames.push(frame);
    }
    assert_eq!(
        frames,
        [Frame::Integer(5), Frame::Integer(6), Frame::Integer(7)]
    );
    // Shrunk, then refilled to past where the scan had stopped.
    let mut buf = BytesMut::from(&b"$10\r\n0123"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    buf.clear();
    buf.extend_from_slice(b"$2\r\nab\r\n:1\r\n");
    assert_eq!(decoder.decode(&mut buf).unwrap(), Some(bulk("ab")));
    assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Frame::Integer(1)));

    // A change past the first bytes that leaves the buffer no shorter goes unseen by the
    // scan; building the frame then disagrees with it, which is an error, not a frame
    // returned with `:2` silently dropped.
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::from(&b"*2\r\n+0123456789abcdef\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    buf.clear();
    buf.extend_from_slice(b"*2\r\n+0123456789ab\r\n:1\r\n:2\r\n");
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(ProtocolError::ScanMismatch {
            scanned: 27,
            parsed: 23
        })
    ));
}

#[test]
fn null_aggregate_at_the_depth_limit_decodes_like_a_null_bulk() {
    let limits = Limits::default().with_max_depth(1);
    for wire in [&b"*1\r\n$-1\r\n"[..], b"*1\r\n*-1\r\n"] {
        assert_eq!(
            decode_with(RespDecoder::new(limits), wire).unwrap(),
            vec![Frame::Array(vec![Frame::Null])],
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
    assert!(matches!(
        decode_err(limits, b"*1\r\n*0\r\n"),
        ProtocolError::TooDeep { max: 1 }
    ));
}

#[test]
fn encoder_refuses_invalid_big_numbers() {
    for text in [&b"abc"[..], b"", b"-", b"1.5", b"12a"] {
        let mut out = BytesMut::new();
        let err = RespEncoder::new()
            .encode(&Frame::BigNumber(Bytes::copy_from_slice(text)), &mut out)
            .unwrap_err();
        assert!(matches!(err, ProtocolError::Unencodable { .. }), "{err:?}");
    }
    assert_eq!(
        encode(&Frame::BigNumber(Bytes::from_static(b"-123"))),
        b"(-123\r\n"
    );
}
