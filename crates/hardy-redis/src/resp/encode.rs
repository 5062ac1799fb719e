//! [`RespEncoder`]: [`Frame`]s (and commands) to bytes.
//!
//! Clients only ever send arrays of bulk strings, and [`Cmd`](crate::Cmd) already holds
//! those bytes ready-made, so the command path is a plain copy. Encoding arbitrary frames
//! exists for the other side of the wire: fake servers and proxies in tests, and the
//! round-trip property tests that pin the decoder.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use tokio_util::codec::Encoder;

use super::error::ProtocolError;
use super::frame::Frame;
use super::parse::is_big_number;
use super::wire::{self, Decimal};

/// A `tokio_util` [`Encoder`] for RESP frames.
///
/// [`Frame::Null`] is written as RESP3 `_\r\n` by [`RespEncoder::new`] and as RESP2
/// `$-1\r\n` by [`RespEncoder::resp2`]; every other frame has a single encoding.
///
/// ```
/// use bytes::BytesMut;
/// use hardy_redis::resp::{Frame, RespEncoder};
/// use tokio_util::codec::Encoder;
///
/// let mut out = BytesMut::new();
/// let frame = Frame::Array(vec![Frame::bulk("GET"), Frame::Null]);
/// RespEncoder::resp2().encode(&frame, &mut out).unwrap();
/// assert_eq!(&out[..], b"*2\r\n$3\r\nGET\r\n$-1\r\n");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RespEncoder {
    resp2_null: bool,
}

impl RespEncoder {
    /// An encoder writing RESP3 nulls (`_\r\n`).
    pub fn new() -> Self {
        RespEncoder { resp2_null: false }
    }

    /// An encoder writing RESP2 nulls (`$-1\r\n`), for fake RESP2 servers.
    pub fn resp2() -> Self {
        RespEncoder { resp2_null: true }
    }

    fn frame(&self, frame: &Frame, out: &mut BytesMut) -> Result<(), ProtocolError> {
        match frame {
            Frame::SimpleString(text) => line(out, wire::SIMPLE_STRING, text)?,
            Frame::SimpleError(text) => line(out, wire::SIMPLE_ERROR, text)?,
            Frame::BigNumber(text) if is_big_number(text) => line(out, wire::BIG_NUMBER, text)?,
            Frame::BigNumber(_) => {
                return Err(ProtocolError::Unencodable {
                    reason: "a big number must be an optional sign and at least one digit",
                })
            }
            Frame::Integer(n) => line(out, wire::INTEGER, Decimal::from_i64(*n).as_bytes())?,
            Frame::Boolean(b) => line(out, wire::BOOLEAN, if *b { b"t" } else { b"f" })?,
            Frame::Double(d) => double(out, *d),
            Frame::Null if self.resp2_null => out.put_slice(b"$-1\r\n"),
            Frame::Null => out.put_slice(b"_\r\n"),
            Frame::BulkString(data) => blob(out, wire::BULK_STRING, &[data]),
            Frame::BlobError(data) => blob(out, wire::BLOB_ERROR, &[data]),
            Frame::VerbatimString { format, data } => {
                blob(out, wire::VERBATIM_STRING, &[format, b":", data])
            }
            Frame::Array(items) => self.elements(out, wire::ARRAY, items)?,
            Frame::Set(items) => self.elements(out, wire::SET, items)?,
            Frame::Push(items) => self.elements(out, wire::PUSH, items)?,
            Frame::Map(pairs) => self.pairs(out, wire::MAP, pairs)?,
            Frame::Attribute { attrs, frame } => {
                self.pairs(out, wire::ATTRIBUTE, attrs)?;
                self.frame(frame, out)?;
            }
        }
        Ok(())
    }

    fn elements(&self, out: &mut BytesMut, tag: u8, items: &[Frame]) -> Result<(), ProtocolError> {
        header(out, tag, items.len());
        items.iter().try_for_each(|item| self.frame(item, out))
    }

    fn pairs(
        &self,
        out: &mut BytesMut,
        tag: u8,
        pairs: &[(Frame, Frame)],
    ) -> Result<(), ProtocolError> {
        header(out, tag, pairs.len());
        pairs.iter().try_for_each(|(k, v)| {
            self.frame(k, out)?;
            self.frame(v, out)
        })
    }
}

impl Encoder<&Frame> for RespEncoder {
    type Error = ProtocolError;

    fn encode(&mut self, frame: &Frame, out: &mut BytesMut) -> Result<(), ProtocolError> {
        self.frame(frame, out)
    }
}

impl Encoder<Frame> for RespEncoder {
    type Error = ProtocolError;

    fn encode(&mut self, frame: Frame, out: &mut BytesMut) -> Result<(), ProtocolError> {
        self.frame(&frame, out)
    }
}

/// Writes `<tag><len>\r\n`.
pub(crate) fn header(out: &mut BytesMut, tag: u8, len: usize) {
    let digits = Decimal::from_u64(len as u64);
    out.reserve(digits.as_bytes().len() + 3);
    out.put_u8(tag);
    out.put_slice(digits.as_bytes());
    out.put_slice(wire::CRLF);
}

/// Writes a length-prefixed payload made of `parts`.
fn blob(out: &mut BytesMut, tag: u8, parts: &[&[u8]]) {
    let len = parts.iter().map(|p| p.len()).sum();
    header(out, tag, len);
    out.reserve(len + 2);
    for part in parts {
        out.put_slice(part);
    }
    out.put_slice(wire::CRLF);
}

fn line(out: &mut BytesMut, tag: u8, text: &[u8]) -> Result<(), ProtocolError> {
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err(ProtocolError::Unencodable {
            reason: "a RESP line (simple string, error, big number) cannot contain CR or LF",
        });
    }
    out.reserve(text.len() + 3);
    out.put_u8(tag);
    out.put_slice(text);
    out.put_slice(wire::CRLF);
    Ok(())
}

fn double(out: &mut BytesMut, d: f64) {
    out.put_u8(wire::DOUBLE);
    if d.is_nan() {
        out.put_slice(b"nan");
    } else if d.is_infinite() {
        out.put_slice(if d > 0.0 { &b"inf"[..] } else { &b"-inf"[..] });
    } else {
        // `{:?}` is the shortest text that parses back to the same f64, and uses an
        // exponent for very large or small values; writing to BytesMut cannot fail.
        let _ = write!(out, "{d:?}");
    }
    out.put_slice(wire::CRLF);
}

/// The command fast path: a [`Cmd`](crate::Cmd) is already RESP, so this is a copy.
impl Encoder<&crate::Cmd> for RespEncoder {
    type Error = ProtocolError;

    fn encode(&mut self, cmd: &crate::Cmd, out: &mut BytesMut) -> Result<(), ProtocolError> {
        cmd.write_to(out);
        Ok(())
    }
}
