//! Property tests for the RESP codec, after Redix: any valid frame sequence, encoded and
//! cut into pieces at any byte boundaries, decodes back to the same frames; any bytes at
//! all decode to frames or an error, never a panic, within bounded memory; and big
//! replies arriving in many reads decode in linear time.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use hardy_redis::resp::{Frame, Limits, RespDecoder, RespEncoder};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

fn line_text() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..12,
    )
    .prop_map(Bytes::from)
}

fn payload() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..24),
        // Payloads made of protocol bytes are the interesting ones for a parser.
        proptest::collection::vec(prop::sample::select(&b"\r\n$*:+-0123"[..]), 0..24),
    ]
    .prop_map(Bytes::from)
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        Just(0.0),
        Just(-0.0),
        (-1000i32..1000).prop_map(f64::from),
    ]
}

fn big_number() -> impl Strategy<Value = Bytes> {
    "-?[0-9]{1,40}".prop_map(Bytes::from)
}

fn scalar() -> impl Strategy<Value = Frame> {
    prop_oneof![
        line_text().prop_map(Frame::SimpleString),
        line_text().prop_map(Frame::SimpleError),
        any::<i64>().prop_map(Frame::Integer),
        payload().prop_map(Frame::BulkString),
        Just(Frame::Null),
        double().prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        big_number().prop_map(Frame::BigNumber),
        (any::<[u8; 3]>(), payload())
            .prop_map(|(format, data)| Frame::VerbatimString { format, data }),
        payload().prop_map(Frame::BlobError),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        let items = proptest::collection::vec(inner.clone(), 0..6);
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            items.clone().prop_map(Frame::Array),
            items.clone().prop_map(Frame::Set),
            items.prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attrs, frame)| Frame::Attribute {
                attrs,
                frame: Box::new(frame),
            }),
        ]
    })
}

fn encode_all(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    let mut encoder = RespEncoder::new();
    for frame in frames {
        encoder
            .encode(frame, &mut out)
            .expect("generated frames are encodable");
    }
    out.to_vec()
}

/// Feeds `wire` to one decoder in the given pieces, decoding after each piece.
fn decode_in_pieces<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<Frame> {
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = decoder.decode(&mut buf).expect("valid RESP") {
            frames.push(frame);
        }
    }
    assert!(buf.is_empty(), "left over: {buf:?}");
    frames
}

fn cut_at(wire: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    cuts.iter_mut().for_each(|c| *c %= wire.len() + 1);
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for cut in cuts {
        pieces.push(&wire[from..cut]);
        from = cut;
    }
    pieces.push(&wire[from..]);
    pieces
}

proptest! {
    // 256 cases by default; set PROPTEST_CASES for a longer run.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn frames_survive_a_split_at_every_byte_boundary(frames in proptest::collection::vec(frame(), 1..4)) {
        let wire = encode_all(&frames);
        for split in 0..=wire.len() {
            let decoded = decode_in_pieces([&wire[..split], &wire[split..]]);
            prop_assert_eq!(&decoded, &frames, "split at {}", split);
        }
    }

    #[test]
    fn frames_survive_being_fed_one_byte_at_a_time(frames in proptest::collection::vec(frame(), 1..8)) {
        let wire = encode_all(&frames);
        prop_assert_eq!(decode_in_pieces(wire.chunks(1)), frames);
    }

    #[test]
    fn frames_survive_random_cuts(
        frames in proptest::collection::vec(frame(), 1..16),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let wire = encode_all(&frames);
        prop_assert_eq!(decode_in_pieces(cut_at(&wire, cuts)), frames);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..256),
            proptest::collection::vec(prop::sample::select(&b"\r\n$*%~>|:+-_#,(=!0123456789tf"[..]), 0..256),
        ],
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let limits = Limits::default()
            .with_max_bulk_len(1 << 16)
            .with_max_aggregate_len(1 << 10)
            .with_max_line_len(1 << 10)
            .with_max_depth(32);
        let mut decoder = RespDecoder::new(limits);
        let mut buf = BytesMut::new();
        'feed: for piece in cut_at(&bytes, cuts) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(_)) => continue,
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            prop_assert!(buf.capacity() <= (1 << 16) + 1024, "capacity {}", buf.capacity());
        }
    }

    #[test]
    fn valid_prefix_then_garbage_never_panics(
        frames in proptest::collection::vec(frame(), 1..4),
        garbage in proptest::collection::vec(any::<u8>(), 1..64),
        cut in any::<usize>(),
    ) {
        let mut wire = encode_all(&frames);
        let at = cut % wire.len();
        wire.truncate(at);
        wire.extend_from_slice(&garbage);
        let mut decoder = RespDecoder::default();
        let mut buf = BytesMut::from(&wire[..]);
        while let Ok(Some(_)) = decoder.decode(&mut buf) {}
    }
}

/// Feeds `wire` in `chunk`-sized reads and returns the single frame and the time taken.
fn decode_in_chunks(wire: &[u8], chunk: usize) -> (Frame, Duration) {
    let started = Instant::now();
    let mut decoder = RespDecoder::default();
    let mut buf = BytesMut::with_capacity(chunk);
    let mut decoded = None;
    for piece in wire.chunks(chunk) {
        buf.extend_from_slice(piece);
        if let Some(frame) = decoder.decode(&mut buf).expect("valid RESP") {
            decoded = Some(frame);
        }
    }
    (decoded.expect("one whole frame"), started.elapsed())
}

#[test]
fn hundred_megabyte_bulk_string_in_64k_reads_decodes_in_linear_time() {
    const LEN: usize = 100 << 20;
    let mut wire = format!("${LEN}\r\n").into_bytes();
    wire.resize(wire.len() + LEN, b'x');
    wire.extend_from_slice(b"\r\n");
    let (frame, took) = decode_in_chunks(&wire, 64 << 10);
    assert_eq!(frame.as_bytes().map(<[u8]>::len), Some(LEN));
    // A re-parse per read would touch ~80 GB here; linear decoding takes well under a
    // second even unoptimised.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn million_element_array_in_64k_reads_decodes_in_linear_time() {
    const LEN: usize = 1_000_000;
    let mut wire = format!("*{LEN}\r\n").into_bytes();
    for i in 0..LEN {
        wire.extend_from_slice(format!(":{i}\r\n").as_bytes());
    }
    let (frame, took) = decode_in_chunks(&wire, 64 << 10);
    assert_eq!(frame.as_slice().map(<[Frame]>::len), Some(LEN));
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn long_simple_string_in_small_reads_is_scanned_once() {
    let limits = Limits::default().with_max_line_len(8 << 20);
    let mut wire = b"+".to_vec();
    wire.resize(4 << 20, b'a');
    wire.extend_from_slice(b"\r\n");
    let started = Instant::now();
    let mut decoder = RespDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut decoded = None;
    for piece in wire.chunks(1024) {
        buf.extend_from_slice(piece);
        if let Some(frame) = decoder.decode(&mut buf).unwrap() {
            decoded = Some(frame);
        }
    }
    assert_eq!(
        decoded.and_then(|f| f.as_bytes().map(<[u8]>::len)),
        Some((4 << 20) - 1)
    );
    // 4096 reads re-scanning from the start would touch ~8 GB.
    assert!(started.elapsed() < Duration::from_secs(20));
}
