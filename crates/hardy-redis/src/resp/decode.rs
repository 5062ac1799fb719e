//! [`RespDecoder`]: bytes from the socket in, whole [`Frame`]s out.
//!
//! Decoding happens in two passes over each frame:
//!
//! 1. **Scan** (this file) walks headers only, skipping bulk payloads by their announced
//!    length, and checks every [`Limits`]. It allocates nothing and *remembers where it
//!    stopped*, so when a frame arrives in many reads each byte is looked at once: a
//!    100 MB bulk string in 64 KiB chunks costs one header parse per read, not a re-parse
//!    of everything received so far.
//! 2. **Build** ([`super::parse`]) runs once the scan has found the frame's end: it splits
//!    exactly those bytes off the read buffer (`split_to(..).freeze()`) and slices every
//!    payload out of them, so no payload byte is copied.

use bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::error::ProtocolError;
use super::frame::Frame;
use super::limits::Limits;
use super::parse;
use super::wire::{self, Layout, LineEnd};

/// Most the decoder pre-sizes its buffer by at once, whatever `max_bulk_len` allows:
/// a limit raised past what the machine can allocate must not turn one header into an
/// allocation failure. Beyond this the buffer grows as data arrives.
const MAX_PRESIZE: usize = 512 << 20;

/// A `tokio_util` [`Decoder`] for RESP2 and RESP3 replies.
///
/// It assumes what `FramedRead` guarantees: between calls the buffer is only appended to,
/// except for the frames this decoder split off itself. After an error the stream cannot
/// be resynchronised; close the connection.
///
/// ```
/// use bytes::BytesMut;
/// use hardy_redis::resp::{Frame, RespDecoder};
/// use tokio_util::codec::Decoder;
///
/// let mut decoder = RespDecoder::default();
/// let mut buf = BytesMut::from(&b"$5\r\nhel"[..]);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None); // wait for more bytes
/// buf.extend_from_slice(b"lo\r\n:1\r\n");
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Frame::bulk("hello")));
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Frame::Integer(1)));
/// ```
#[derive(Debug, Default)]
pub struct RespDecoder {
    limits: Limits,
    scan: Scan,
}

/// Where the scan of the current, incomplete frame stopped.
#[derive(Debug, Default)]
struct Scan {
    /// Offset of the first element not yet fully scanned.
    pos: usize,
    /// Offset from which to keep looking for the CRLF of the line at `pos`.
    line_resume: usize,
    /// For each open aggregate, how many frames it still needs. Reused between frames,
    /// so it allocates only the first time a nested reply is seen.
    pending: Vec<u64>,
}

impl Scan {
    fn reset(&mut self) {
        self.pos = 0;
        self.line_resume = 0;
        self.pending.clear();
    }

    /// Records that one element ended at `end`; returns true when that completes the
    /// top-level frame.
    fn element_done(&mut self, end: usize) -> bool {
        self.pos = end;
        self.line_resume = 0;
        while let Some(remaining) = self.pending.last_mut() {
            *remaining -= 1;
            if *remaining > 0 {
                return false;
            }
            self.pending.pop();
        }
        true
    }
}

impl RespDecoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Self {
        RespDecoder {
            limits,
            scan: Scan::default(),
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Scans on from where the last call stopped. `Some(end)` when `buf[..end]` holds one
    /// whole frame.
    fn scan(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, ProtocolError> {
        loop {
            let start = self.scan.pos;
            let Some(&tag) = buf.get(start) else {
                return Ok(None);
            };
            let layout = Layout::of(tag)?;
            let resume = self.scan.line_resume.max(start + 1);
            let cr = match wire::find_line_end(buf, start + 1, resume, self.limits.max_line_len())?
            {
                LineEnd::At(cr) => cr,
                LineEnd::NotYet(resume) => {
                    self.scan.line_resume = resume;
                    return Ok(None);
                }
            };
            let line = &buf[start + 1..cr];
            let after_line = cr + 2;
            let done = match layout {
                Layout::Line => self.scan.element_done(after_line),
                Layout::Blob => match self.blob_end(tag, line, after_line)? {
                    None => self.scan.element_done(after_line),
                    Some(end) if end > buf.len() => {
                        // Pre-size the buffer for the announced payload (already checked
                        // against max_bulk_len), so reads land in place instead of
                        // repeatedly growing and copying it.
                        buf.reserve((end - buf.len()).min(MAX_PRESIZE));
                        return Ok(None);
                    }
                    Some(end) if &buf[end - 2..end] != wire::CRLF => {
                        return Err(ProtocolError::MissingCrlf)
                    }
                    Some(end) => self.scan.element_done(end),
                },
                Layout::Aggregate => match self.aggregate_frames(tag, line)? {
                    0 => self.scan.element_done(after_line),
                    frames => {
                        self.scan.pos = after_line;
                        self.scan.line_resume = 0;
                        self.scan.pending.push(frames);
                        false
                    }
                },
            };
            if done {
                return Ok(Some(self.scan.pos));
            }
        }
    }

    /// For a blob header, the offset just past its payload and CRLF; `None` for a null.
    fn blob_end(
        &self,
        tag: u8,
        line: &[u8],
        after_line: usize,
    ) -> Result<Option<usize>, ProtocolError> {
        let Some(len) = wire::parse_len(line, tag == wire::BULK_STRING)? else {
            return Ok(None);
        };
        let max = self.limits.max_bulk_len();
        usize::try_from(len)
            .ok()
            .filter(|&n| n <= max)
            .and_then(|n| after_line.checked_add(n)?.checked_add(2))
            .map(Some)
            .ok_or(ProtocolError::BulkTooLong { len, max })
    }

    /// For an aggregate header, how many frames follow it (0 for empty or null), after
    /// checking the length and depth limits.
    fn aggregate_frames(&self, tag: u8, line: &[u8]) -> Result<u64, ProtocolError> {
        let Some(len) = wire::parse_len(line, tag == wire::ARRAY)? else {
            return Ok(0);
        };
        let max = self.limits.max_aggregate_len();
        if len > max as u64 {
            return Err(ProtocolError::AggregateTooLong { len, max });
        }
        if self.scan.pending.len() >= self.limits.max_depth() {
            return Err(ProtocolError::TooDeep {
                max: self.limits.max_depth(),
            });
        }
        // len <= max_aggregate_len <= usize::MAX, so these cannot overflow a u64.
        Ok(match tag {
            wire::MAP => len * 2,
            wire::ATTRIBUTE => len * 2 + 1,
            _ => len,
        })
    }
}

impl Decoder for RespDecoder {
    type Item = Frame;
    type Error = ProtocolError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        if self.scan.pos > buf.len() {
            // The buffer was consumed behind our back; start over rather than index
            // past its end.
            self.scan.reset();
        }
        match self.scan(buf) {
            Ok(Some(end)) => {
                self.scan.reset();
                let bytes = buf.split_to(end).freeze();
                parse::frame(bytes, self.limits.max_depth()).map(Some)
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.scan.reset();
                Err(e)
            }
        }
    }
}
