//! The invariants the fuzzers check, shared by the fuzz targets in `fuzz/` (which include
//! this file by path) and by `tests/fuzz_corpus.rs`, which replays every committed corpus
//! entry through them in the ordinary test suite. Each check panics on a violation, so a
//! fuzzer reports it as a crash and the replay test fails on it.
//!
//! Input layouts are plain bytes decoded by hand (no `arbitrary`), so that a corpus file
//! means the same thing to the fuzzer and to the replay test.

#![allow(dead_code)]

use bytes::BytesMut;
use hardy_redis::resp::{Frame, Limits, RespDecoder, RespEncoder};
use hardy_redis::{Cmd, Config};
use tokio_util::codec::{Decoder, Encoder};

// ---------------------------------------------------------------------------------------
// RESP decoder

/// Small limits, so that inputs of a few hundred bytes can reach every limit.
fn small_limits() -> Limits {
    Limits::default()
        .with_max_bulk_len(64)
        .with_max_aggregate_len(8)
        .with_max_depth(4)
        .with_max_line_len(64)
}

/// How a byte stream ended after decoding as much of it as possible.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Every byte was consumed into frames.
    Clean,
    /// A frame was still incomplete.
    Incomplete,
    /// The decoder returned an error.
    Error,
}

struct Outcome {
    frames: Vec<Frame>,
    end: End,
    error: Option<String>,
}

/// Feeds `wire` to one decoder `chunk` bytes at a time, as `FramedRead` would.
fn decode_in_chunks(limits: Limits, wire: &[u8], chunk: usize) -> Outcome {
    let mut decoder = RespDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in wire.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        frames,
                        end: End::Error,
                        error: Some(e.to_string()),
                    }
                }
            }
        }
    }
    let end = if buf.is_empty() {
        End::Clean
    } else {
        End::Incomplete
    };
    Outcome {
        frames,
        end,
        error: None,
    }
}

/// Input: one selector byte, then the bytes a server sends. Bit 0 of the selector picks
/// the default or small [`Limits`]; the other bits the size of the reads (1 to 128 bytes).
///
/// Checks: no panic; the stream decodes to the same frames (and ends the same way,
/// cleanly, incomplete or in an error) whether it arrives whole or in pieces; every frame
/// respects every limit; every frame re-encodes to bytes that decode back to itself.
pub fn resp_decoder(input: &[u8]) {
    let Some((&selector, wire)) = input.split_first() else {
        return;
    };
    let limits = if selector & 1 == 0 {
        Limits::default()
    } else {
        small_limits()
    };
    let chunk = usize::from(selector >> 1) + 1;
    let whole = decode_in_chunks(limits, wire, wire.len());
    let pieces = decode_in_chunks(limits, wire, chunk);
    assert!(
        whole.frames == pieces.frames && whole.end == pieces.end,
        "whole: {:?} {:?} {:?}; in {chunk}-byte reads: {:?} {:?} {:?}",
        whole.frames,
        whole.end,
        whole.error,
        pieces.frames,
        pieces.end,
        pieces.error,
    );
    for frame in &whole.frames {
        assert_within_limits(frame, &limits);
        assert_round_trips(frame);
    }
}

/// Panics if `frame` exceeds any of `limits`.
pub fn assert_within_limits(frame: &Frame, limits: &Limits) {
    let depth = depth(frame, limits);
    assert!(
        depth <= limits.max_depth(),
        "depth {depth} > {}: {frame:?}",
        limits.max_depth()
    );
}

/// The nesting depth of `frame` (a scalar is 0, a flat array 1, an attribute a level of
/// its own around the frame it annotates), checking the size limits on the way down.
fn depth(frame: &Frame, limits: &Limits) -> usize {
    let bulk = |len: usize| {
        assert!(
            len <= limits.max_bulk_len(),
            "blob of {len} bytes > {}",
            limits.max_bulk_len()
        )
    };
    let line = |len: usize| {
        assert!(
            len <= limits.max_line_len(),
            "line of {len} bytes > {}",
            limits.max_line_len()
        )
    };
    let count = |len: usize| {
        assert!(
            len <= limits.max_aggregate_len(),
            "aggregate of {len} > {}",
            limits.max_aggregate_len()
        )
    };
    let deepest = |frames: &mut dyn Iterator<Item = &Frame>| {
        frames.map(|f| depth(f, limits)).max().unwrap_or(0)
    };
    match frame {
        Frame::SimpleString(b) | Frame::SimpleError(b) | Frame::BigNumber(b) => {
            line(b.len());
            0
        }
        Frame::BulkString(b) | Frame::BlobError(b) => {
            bulk(b.len());
            0
        }
        // The wire payload is `fmt:` and the data.
        Frame::VerbatimString { data, .. } => {
            bulk(data.len() + 4);
            0
        }
        Frame::Integer(_) | Frame::Null | Frame::Double(_) | Frame::Boolean(_) => 0,
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            count(items.len());
            1 + deepest(&mut items.iter())
        }
        Frame::Map(pairs) => {
            count(pairs.len());
            1 + deepest(&mut pairs.iter().flat_map(|(k, v)| [k, v]))
        }
        Frame::Attribute { attrs, frame } => {
            count(attrs.len());
            let inner = depth(frame, limits);
            1 + deepest(&mut attrs.iter().flat_map(|(k, v)| [k, v])).max(inner)
        }
    }
}

/// Panics unless `frame` encodes to bytes that decode back to an equal frame.
fn assert_round_trips(frame: &Frame) {
    let mut wire = BytesMut::new();
    RespEncoder::new()
        .encode(frame, &mut wire)
        .unwrap_or_else(|e| panic!("a decoded frame does not encode: {e}: {frame:?}"));
    let back = RespDecoder::default()
        .decode(&mut wire)
        .unwrap_or_else(|e| panic!("re-encoded frame does not decode: {e}: {frame:?}"));
    assert_eq!(back.as_ref(), Some(frame), "round trip changed the frame");
    assert!(
        wire.is_empty(),
        "re-encoding left {} bytes over",
        wire.len()
    );
}

// ---------------------------------------------------------------------------------------
// Config / URL parser

/// What replaces the password when checking whether a text shows it.
const PLACEHOLDER: &str = "PLACEHOLDERPW";

/// Input: any bytes, taken as (lossy) UTF-8 and parsed as a URL.
///
/// Checks: no panic; a parsed config has a host; and neither the error message nor the
/// config's `Debug` shows the password (raw or percent-decoded, at least 3 characters),
/// unless the same text is also in the URL outside the password, or also shows when the
/// password is replaced by a placeholder: it is then there for another reason (e.g. the
/// host has the same name). Where the `url` crate parses the URL, its password is the
/// password; where it does not, the text between the first `:` and the last `@` of what
/// looks like the authority.
pub fn config_url(input: &[u8]) {
    let url = String::from_utf8_lossy(input);
    let shown = show_config(&url);
    let Some((password, without)) = split_password(&url) else {
        return;
    };
    let mut candidates = vec![password.clone()];
    if let Ok(decoded) = percent_encoding::percent_decode_str(&password).decode_utf8() {
        candidates.push(decoded.into_owned());
    }
    let shown_without = show_config(&without);
    for secret in candidates
        .iter()
        .filter(|s| s.chars().count() >= 3 && !without.contains(s.as_str()))
    {
        assert!(
            !shown.contains(secret.as_str()) || shown_without.contains(secret.as_str()),
            "the password {secret:?} of {url:?} shows in {shown:?}"
        );
    }
}

/// Everything `Config::from_url` lets a user see: the config's `Debug` or the error's
/// `Display` and `Debug`.
fn show_config(url: &str) -> String {
    match Config::from_url(url) {
        Ok(config) => {
            assert!(
                !config.host().is_empty(),
                "a config without a host: {url:?}"
            );
            format!("{config:?}")
        }
        Err(e) => format!("{e} {e:?}"),
    }
}

/// The URL's password, and the URL with the password replaced by [`PLACEHOLDER`].
fn split_password(url: &str) -> Option<(String, String)> {
    if let Ok(mut parsed) = url::Url::parse(url) {
        let password = parsed.password()?.to_string();
        parsed.set_password(Some(PLACEHOLDER)).ok()?;
        return Some((password, parsed.to_string()));
    }
    let (start, end) = password_span(url)?;
    let without = format!("{}{PLACEHOLDER}{}", &url[..start], &url[end..]);
    Some((url[start..end].to_string(), without))
}

/// For a URL the `url` crate cannot parse, the byte range of what a reader would take for
/// the password: in the authority (after a `//` that comes before any `?` or `#`, or from
/// the start, up to the first `/`, `\\`, `?` or `#`), the text between the first `:` and
/// the last `@`.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let query = url.find(['?', '#']).unwrap_or(url.len());
    let authority_start = url[..query].find("//").map_or(0, |i| i + 2);
    let authority_end = url[authority_start..]
        .find(['/', '\\', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let at = authority_start + url[authority_start..authority_end].rfind('@')?;
    let colon = authority_start + url[authority_start..at].find(':')?;
    Some((colon + 1, at)).filter(|(s, e)| s < e)
}

// ---------------------------------------------------------------------------------------
// Command encoder

/// One argument as the fuzzer chose it, and the bytes it must arrive as.
enum Arg {
    Bytes(Vec<u8>),
    Int(i64),
    Uint(u64),
    Float(f64),
    Float32(f32),
    Bool(bool),
    Big(i128),
}

/// Reads the arguments from `input`: a tag byte, then the argument's bytes (a length byte
/// and that many bytes; or 1, 4, 8 or 16 bytes of a number).
fn read_args(mut input: &[u8]) -> Vec<Arg> {
    let mut args = Vec::new();
    let take = |n: usize, input: &mut &[u8]| -> Option<Vec<u8>> {
        let (head, rest) = input.split_at_checked(n)?;
        *input = rest;
        Some(head.to_vec())
    };
    while let Some((&tag, rest)) = input.split_first() {
        input = rest;
        let arg = match tag % 7 {
            0 => {
                let Some(len) = take(1, &mut input) else {
                    break;
                };
                let len = usize::from(len[0]).min(input.len());
                take(len, &mut input).map(Arg::Bytes)
            }
            1 => take(8, &mut input).map(|b| Arg::Int(i64::from_le_bytes(b.try_into().unwrap()))),
            2 => take(8, &mut input).map(|b| Arg::Uint(u64::from_le_bytes(b.try_into().unwrap()))),
            3 => take(8, &mut input).map(|b| Arg::Float(f64::from_le_bytes(b.try_into().unwrap()))),
            4 => {
                take(4, &mut input).map(|b| Arg::Float32(f32::from_le_bytes(b.try_into().unwrap())))
            }
            5 => take(1, &mut input).map(|b| Arg::Bool(b[0] & 1 == 1)),
            _ => take(16, &mut input).map(|b| Arg::Big(i128::from_le_bytes(b.try_into().unwrap()))),
        };
        match arg {
            Some(arg) => args.push(arg),
            None => break,
        }
    }
    args
}

impl Arg {
    fn push_to(&self, cmd: &mut Cmd) {
        match self {
            Arg::Bytes(b) => cmd.push(b.as_slice()),
            Arg::Int(n) => cmd.push(*n),
            Arg::Uint(n) => cmd.push(*n),
            Arg::Float(x) => cmd.push(*x),
            Arg::Float32(x) => cmd.push(*x),
            Arg::Bool(b) => cmd.push(*b),
            Arg::Big(n) => cmd.push(*n),
        };
    }

    /// Panics unless `wire` is how this argument must arrive at the server.
    fn assert_sent_as(&self, wire: &[u8]) {
        let text = std::str::from_utf8(wire);
        match self {
            Arg::Bytes(b) => assert_eq!(wire, &b[..]),
            Arg::Int(n) => assert_eq!(text, Ok(n.to_string().as_str())),
            Arg::Uint(n) => assert_eq!(text, Ok(n.to_string().as_str())),
            Arg::Big(n) => assert_eq!(text, Ok(n.to_string().as_str())),
            Arg::Bool(b) => assert_eq!(wire, if *b { b"1" } else { b"0" }),
            Arg::Float(x) => assert_float(*x, text.ok().and_then(parse_redis_float)),
            Arg::Float32(x) => assert_float(
                f64::from(*x),
                text.ok()
                    .and_then(|t| {
                        if t == "NaN" {
                            Some(f32::NAN)
                        } else {
                            t.parse().ok()
                        }
                    })
                    .map(f64::from),
            ),
        }
    }
}

fn parse_redis_float(text: &str) -> Option<f64> {
    match text {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

fn assert_float(sent: f64, read_back: Option<f64>) {
    let back = read_back.expect("a float argument that does not parse back");
    assert!(
        back == sent || (back.is_nan() && sent.is_nan()),
        "{sent:?} arrived as {back:?}"
    );
}

/// Input: a name length byte and the name (lossy UTF-8), then the arguments (see
/// [`read_args`]).
///
/// Checks: no panic; the encoded command decodes, with the default limits, to exactly one
/// array of bulk strings: the upper-cased name, then each argument as it must be sent;
/// `len`, `encoded_len`, `args` and `to_bytes` agree with that; `Debug` stays short.
pub fn cmd_round_trip(input: &[u8]) {
    let Some((&name_len, rest)) = input.split_first() else {
        return;
    };
    let (name, rest) = rest.split_at(usize::from(name_len).min(rest.len()));
    let name = String::from_utf8_lossy(name);
    let args = read_args(rest);
    let mut cmd = Cmd::new(&name);
    for arg in &args {
        arg.push_to(&mut cmd);
    }

    let mut wire = BytesMut::new();
    cmd.write_to(&mut wire);
    assert_eq!(wire.len(), cmd.encoded_len());
    assert_eq!(&wire[..], &cmd.to_bytes()[..]);
    let frame = RespDecoder::default()
        .decode(&mut wire)
        .expect("an encoded command does not decode")
        .expect("an encoded command is incomplete");
    assert!(wire.is_empty(), "{} bytes after the command", wire.len());

    let Frame::Array(items) = frame else {
        panic!("a command decoded as {frame:?}")
    };
    let sent: Vec<&[u8]> = items
        .iter()
        .map(|item| match item {
            Frame::BulkString(b) => &b[..],
            other => panic!("an argument decoded as {other:?}"),
        })
        .collect();
    assert_eq!(sent.len(), 1 + args.len());
    assert_eq!(cmd.len(), sent.len());
    assert_eq!(sent[0], name.to_ascii_uppercase().as_bytes());
    assert_eq!(cmd.name().as_bytes(), sent[0]);
    for (arg, wire) in args.iter().zip(&sent[1..]) {
        arg.assert_sent_as(wire);
    }
    assert!(cmd.args().eq(sent.iter().copied()), "args() disagrees");
    let shown = format!("{cmd:?}");
    assert!(shown.len() < 8192, "Debug of {} bytes", shown.len());
}
