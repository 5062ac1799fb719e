//! [`RespDecoder`]: bytes from the socket in, whole [`Frame`]s out.
//!
//! Decoding happens in two passes over each frame:
//!
//! 1. **Scan** (this file) walks headers only, skipping bulk payloads by their announced
//!    length, and checks every [`Limits`]. It allocates nothing and *remembers where it
//!    stopped* (down to the end of a bulk payload whose header it has read), so when a
//!    frame arrives in many reads each byte is looked at once: a 100 MB bulk string in
//!    64 KiB chunks costs one header parse, then one length comparison per read, not a
//!    re-parse of everything received so far. Length headers longer than any valid
//!    length (20 bytes) are rejected, so no header is expensive to read.
//! 2. **Build** ([`super::parse`]) runs once the scan has found the frame's end: it splits
//!    exactly those bytes off the read buffer (`split_to(..).freeze()`) and slices every
//!    payload out of them, so no payload byte is copied.

use bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::error::ProtocolError;
use super::frame::Frame;
use super::limits::{Limits, FRAME_COST};
use super::parse;
use super::show::excerpt;
use super::wire::{self, Layout, LineEnd};

/// Most the decoder pre-sizes its buffer by from one header. A header is 12 bytes and
/// costs a hostile server nothing, so it must not reserve `max_bulk_len` (512 MiB by
/// default) at once; beyond this the buffer grows by doubling as the payload arrives,
/// which copies each byte at most about once more.
const MAX_PRESIZE: usize = 4 << 20;

/// How many of the buffer's first bytes the scan state remembers, to notice that the
/// buffer was replaced between calls.
const FINGERPRINT_LEN: usize = 16;

/// A `tokio_util` [`Decoder`] for RESP2 and RESP3 replies.
///
/// It expects what `FramedRead` does: between calls the buffer is only appended to,
/// except for the frames this decoder split off itself. If the buffer is changed in any
/// other way (cleared, consumed, replaced), the decoder notices when it got shorter or its
/// first bytes changed, and scans it again from the start; a change it cannot see ends in
/// a [`ProtocolError`], never in a frame silently dropped. After an error the stream
/// cannot be resynchronised; close the connection.
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
    /// When the element at `pos` is a blob whose header has been read: the offset just
    /// past its payload and CRLF. Later calls then only compare it with the buffer's
    /// length instead of parsing the header again.
    blob_end: Option<usize>,
    /// The decoded size of the frame so far: payload bytes plus `FRAME_COST` per value.
    size: usize,
    /// For each open aggregate, how many frames it still needs. Reused between frames,
    /// so it allocates only the first time a nested reply is seen.
    pending: Vec<u64>,
    /// The buffer's length when the last call returned without a frame...
    seen_len: usize,
    /// ...and its first bytes (`fingerprint_len` of them): if the buffer is shorter or
    /// starts differently now, it was not just appended to and this state is stale.
    fingerprint: [u8; FINGERPRINT_LEN],
    fingerprint_len: usize,
}

impl Scan {
    fn reset(&mut self) {
        self.pos = 0;
        self.line_resume = 0;
        self.blob_end = None;
        self.size = 0;
        self.pending.clear();
        self.seen_len = 0;
        self.fingerprint_len = 0;
    }

    /// Whether `buf` can be what the state was saved for with bytes appended.
    fn still_matches(&self, buf: &[u8]) -> bool {
        buf.len() >= self.seen_len && buf.starts_with(&self.fingerprint[..self.fingerprint_len])
    }

    /// Remembers `buf` as the buffer this state describes.
    fn remember(&mut self, buf: &[u8]) {
        let n = buf.len().min(FINGERPRINT_LEN);
        self.seen_len = buf.len();
        self.fingerprint[..n].copy_from_slice(&buf[..n]);
        self.fingerprint_len = n;
    }

    /// Records that one element ended at `end`; returns true when that completes the
    /// top-level frame.
    fn element_done(&mut self, end: usize) -> bool {
        self.pos = end;
        self.line_resume = 0;
        self.blob_end = None;
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
            if let Some(end) = self.scan.blob_end {
                // The header was read by an earlier call: only the payload can be missing.
                if end > buf.len() {
                    return Ok(None);
                }
                if &buf[end - 2..end] != wire::CRLF {
                    return Err(ProtocolError::MissingCrlf);
                }
                if self.scan.element_done(end) {
                    return Ok(Some(end));
                }
                continue;
            }
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
                    if layout != Layout::Line && resume - (start + 1) > wire::MAX_NUMBER_LEN {
                        // A length line already too long to be valid: say so now rather
                        // than wait for up to max_line_len bytes of it.
                        return Err(ProtocolError::InvalidLength {
                            text: excerpt(&buf[start + 1..resume]),
                        });
                    }
                    self.scan.line_resume = resume;
                    return Ok(None);
                }
            };
            let line = &buf[start + 1..cr];
            let after_line = cr + 2;
            self.account(FRAME_COST)?;
            let done = match layout {
                Layout::Line => self.scan.element_done(after_line),
                Layout::Blob => match self.blob_end(tag, line, after_line)? {
                    None => self.scan.element_done(after_line),
                    Some(end) => {
                        self.account(end - after_line - 2)?;
                        self.scan.blob_end = Some(end);
                        if end > buf.len() {
                            // Pre-size the buffer for (the start of) the announced payload,
                            // so reads land in place instead of repeatedly growing it.
                            buf.reserve((end - buf.len()).min(MAX_PRESIZE));
                            return Ok(None);
                        }
                        continue;
                    }
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

    /// Adds `bytes` to the decoded size of the frame being scanned.
    fn account(&mut self, bytes: usize) -> Result<(), ProtocolError> {
        let max = self.limits.max_frame_size();
        self.scan.size = self.scan.size.saturating_add(bytes);
        if self.scan.size > max {
            return Err(ProtocolError::FrameTooLarge { max });
        }
        Ok(())
    }

    /// The decoded size counted so far for the frame being read (0 between frames): what
    /// [`Limits::max_frame_size`] is checked against.
    pub fn pending_size(&self) -> usize {
        self.scan.size
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
        if !self.scan.still_matches(buf) {
            // The buffer was changed behind our back, not just appended to: what the
            // scan remembered no longer describes it, so start over.
            self.scan.reset();
        }
        match self.scan(buf) {
            Ok(Some(end)) => {
                self.scan.reset();
                let bytes = buf.split_to(end).freeze();
                parse::frame(bytes, self.limits.max_depth()).map(Some)
            }
            Ok(None) => {
                self.scan.remember(buf);
                Ok(None)
            }
            Err(e) => {
                self.scan.reset();
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_header_is_read_once_while_its_payload_arrives() {
        let mut decoder = RespDecoder::default();
        let mut buf = BytesMut::from(&b"$10\r\nab"[..]);
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        assert_eq!(decoder.scan.blob_end, Some(17));
        buf.extend_from_slice(b"cdefgh");
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        assert_eq!((decoder.scan.pos, decoder.scan.blob_end), (0, Some(17)));
        buf.extend_from_slice(b"ij\r\n");
        assert_eq!(
            decoder.decode(&mut buf).unwrap(),
            Some(Frame::bulk("abcdefghij"))
        );
        assert_eq!(decoder.scan.blob_end, None);
    }
}
