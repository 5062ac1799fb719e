//! Builds a [`Frame`] from bytes that the decoder's scan has already found complete.
//!
//! Every payload is a [`Bytes::slice`] of the frame's bytes: a reference-count bump, not
//! a copy. Values (integers, doubles, booleans, ...) are validated here, once. The code
//! still checks bounds on every step, returns errors rather than panicking, and requires
//! the frame to end exactly where the scan said, so a scan/build disagreement can only
//! ever surface as a [`ProtocolError`], never as bytes silently dropped.

use bytes::Bytes;

use super::error::ProtocolError;
use super::frame::Frame;
use super::show::excerpt;
use super::wire::{self, Layout, LineEnd};

/// Smallest encoded frame (`_\r\n`): caps `Vec` pre-allocation by the bytes present.
const MIN_FRAME_LEN: usize = 3;

/// Builds the single frame held in `bytes`.
pub(crate) fn frame(bytes: Bytes, max_depth: usize) -> Result<Frame, ProtocolError> {
    let mut parser = Parser {
        bytes,
        pos: 0,
        max_depth,
    };
    let frame = parser.frame(0)?;
    if parser.pos != parser.bytes.len() {
        return Err(ProtocolError::ScanMismatch {
            scanned: parser.bytes.len(),
            parsed: parser.pos,
        });
    }
    Ok(frame)
}

struct Parser {
    bytes: Bytes,
    pos: usize,
    max_depth: usize,
}

impl Parser {
    fn frame(&mut self, depth: usize) -> Result<Frame, ProtocolError> {
        let tag = *self.bytes.get(self.pos).ok_or(ProtocolError::MissingCrlf)?;
        let layout = Layout::of(tag)?;
        let (start, end) = self.line()?;
        match layout {
            Layout::Line => line_frame(tag, self.bytes.slice(start..end)),
            Layout::Blob => self.blob_frame(tag, start, end),
            Layout::Aggregate => self.aggregate_frame(tag, start, end, depth),
        }
    }

    /// Consumes the line after the type byte; returns its content range.
    fn line(&mut self) -> Result<(usize, usize), ProtocolError> {
        let start = self.pos + 1;
        match wire::find_line_end(&self.bytes, start, start, usize::MAX)? {
            LineEnd::At(cr) => {
                self.pos = cr + 2;
                Ok((start, cr))
            }
            LineEnd::NotYet(_) => Err(ProtocolError::MissingCrlf),
        }
    }

    fn blob_frame(&mut self, tag: u8, start: usize, end: usize) -> Result<Frame, ProtocolError> {
        let Some(len) = wire::parse_len(&self.bytes[start..end], tag == wire::BULK_STRING)? else {
            return Ok(Frame::Null);
        };
        let data_start = self.pos;
        let data_end = usize::try_from(len)
            .ok()
            .and_then(|n| data_start.checked_add(n))
            .filter(|&e| {
                e.checked_add(2).and_then(|end| self.bytes.get(e..end)) == Some(wire::CRLF)
            })
            .ok_or(ProtocolError::MissingCrlf)?;
        self.pos = data_end + 2;
        let data = self.bytes.slice(data_start..data_end);
        Ok(match tag {
            wire::BLOB_ERROR => Frame::BlobError(data),
            wire::VERBATIM_STRING => verbatim(data)?,
            _ => Frame::BulkString(data),
        })
    }

    fn aggregate_frame(
        &mut self,
        tag: u8,
        start: usize,
        end: usize,
        depth: usize,
    ) -> Result<Frame, ProtocolError> {
        let Some(len) = wire::parse_len(&self.bytes[start..end], tag == wire::ARRAY)? else {
            // A null is no level of nesting, as in the scan (and as `$-1` is not).
            return Ok(Frame::Null);
        };
        if depth >= self.max_depth {
            return Err(ProtocolError::TooDeep {
                max: self.max_depth,
            });
        }
        let depth = depth + 1;
        let per_entry = if matches!(tag, wire::MAP | wire::ATTRIBUTE) {
            2
        } else {
            1
        };
        let room = (self.bytes.len() - self.pos) / (MIN_FRAME_LEN * per_entry);
        let capacity = usize::try_from(len).unwrap_or(usize::MAX).min(room);
        match tag {
            wire::MAP | wire::ATTRIBUTE => {
                let mut pairs = Vec::with_capacity(capacity);
                for _ in 0..len {
                    pairs.push((self.frame(depth)?, self.frame(depth)?));
                }
                if tag == wire::MAP {
                    return Ok(Frame::Map(pairs));
                }
                let frame = Box::new(self.frame(depth)?);
                Ok(Frame::Attribute {
                    attrs: pairs,
                    frame,
                })
            }
            _ => {
                let mut items = Vec::with_capacity(capacity);
                for _ in 0..len {
                    items.push(self.frame(depth)?);
                }
                Ok(match tag {
                    wire::SET => Frame::Set(items),
                    wire::PUSH => Frame::Push(items),
                    _ => Frame::Array(items),
                })
            }
        }
    }
}

fn line_frame(tag: u8, text: Bytes) -> Result<Frame, ProtocolError> {
    Ok(match tag {
        wire::SIMPLE_STRING => Frame::SimpleString(text),
        wire::SIMPLE_ERROR => Frame::SimpleError(text),
        wire::INTEGER => Frame::Integer(wire::parse_integer(&text)?),
        wire::NULL if text.is_empty() => Frame::Null,
        wire::BOOLEAN => match &text[..] {
            b"t" => Frame::Boolean(true),
            b"f" => Frame::Boolean(false),
            _ => return Err(invalid("boolean", &text)),
        },
        wire::DOUBLE => Frame::Double(parse_double(&text).ok_or_else(|| invalid("double", &text))?),
        wire::BIG_NUMBER if is_big_number(&text) => Frame::BigNumber(text),
        wire::BIG_NUMBER => return Err(invalid("big number", &text)),
        _ => return Err(invalid("null", &text)),
    })
}

/// Parses a RESP3 double: decimal or exponent notation, `inf`, `-inf`, `nan`.
pub(crate) fn parse_double(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    match text {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ if text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.') => {
            text.parse().ok()
        }
        _ => None,
    }
}

/// Whether `text` is a valid big number: an optional sign and at least one digit.
pub(crate) fn is_big_number(text: &[u8]) -> bool {
    let digits = match text.first() {
        Some(b'-' | b'+') => &text[1..],
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

fn verbatim(data: Bytes) -> Result<Frame, ProtocolError> {
    match (data.get(..3), data.get(3)) {
        (Some(&[a, b, c]), Some(b':')) => Ok(Frame::VerbatimString {
            format: [a, b, c],
            data: data.slice(4..),
        }),
        _ => Err(invalid("verbatim string", &data)),
    }
}

fn invalid(kind: &'static str, text: &[u8]) -> ProtocolError {
    ProtocolError::InvalidValue {
        kind,
        text: excerpt(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_past_the_frame_are_an_error_not_dropped() {
        assert!(matches!(
            frame(Bytes::from_static(b":1\r\n:2\r\n"), 8),
            Err(ProtocolError::ScanMismatch {
                scanned: 8,
                parsed: 4
            })
        ));
        assert_eq!(
            frame(Bytes::from_static(b":1\r\n"), 8).unwrap(),
            Frame::Integer(1)
        );
    }
}
