//! Bounds on what a server may make the decoder hold.
//!
//! A RESP header announces sizes before the data arrives; a broken or hostile server can
//! announce anything. The decoder checks every announced size against [`Limits`] before
//! it reserves memory or recurses, so one bad reply costs an error, not the process.

/// Hard ceiling for [`Limits::with_max_depth`]: building and dropping a frame recurses
/// once per nesting level, and deeper nesting than this would risk the thread's stack.
pub const MAX_DEPTH_CEILING: usize = 512;

/// What one value costs in a decoded reply, beyond its payload bytes: the size of a
/// [`Frame`](crate::resp::Frame), which an aggregate holds for each of its elements.
pub const FRAME_COST: usize = std::mem::size_of::<crate::resp::Frame>();

/// Size limits applied by [`RespDecoder`](crate::resp::RespDecoder).
///
/// | limit | default | why |
/// |---|---|---|
/// | `max_bulk_len` | 512 MiB | Redis' own `proto-max-bulk-len`: no real value is larger. A header alone makes the decoder reserve at most 4 MiB; beyond that the buffer grows only as payload bytes arrive. |
/// | `max_aggregate_len` | 2^24 entries | `KEYS`, `SMEMBERS`, `LRANGE 0 -1` on big collections legitimately return millions. Nothing is allocated from a header alone — memory grows only with bytes received — so this mainly stops absurd announcements early. Maps and attributes count pairs. |
/// | `max_depth` | 128 | Real replies nest a few levels (`EXEC` of `XREAD`, cluster topology); deep nesting only serves stack exhaustion. Capped at [`MAX_DEPTH_CEILING`]. |
/// | `max_frame_size` | 576 MiB | One whole reply, decoded: its payload bytes plus [`FRAME_COST`] per value. The other limits bound one element each; without this, `*16777216` followed by that many nulls (48 MB on the wire) decodes into about 700 MB of frames. 576 MiB leaves room for one bulk string of the largest size, or about 14 million small values. |
/// | `max_line_len` | 1 MiB | Simple strings, errors and numbers end at CRLF; without a cap a server that never sends CRLF grows the buffer forever. Script errors can be long, so the cap is generous. |
///
/// ```
/// use hardy_redis::resp::Limits;
///
/// let limits = Limits::default().with_max_bulk_len(16 << 20).with_max_depth(16);
/// assert_eq!(limits.max_bulk_len(), 16 << 20);
/// assert_eq!(limits.max_depth(), 16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_bulk_len: usize,
    max_aggregate_len: usize,
    max_depth: usize,
    max_line_len: usize,
    max_frame_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 << 20,
            max_aggregate_len: 1 << 24,
            max_depth: 128,
            max_line_len: 1 << 20,
            max_frame_size: 576 << 20,
        }
    }
}

impl Limits {
    /// Largest bulk string, blob error or verbatim string payload, in bytes.
    pub fn max_bulk_len(&self) -> usize {
        self.max_bulk_len
    }

    /// Largest number of entries in one aggregate (pairs for maps and attributes).
    pub fn max_aggregate_len(&self) -> usize {
        self.max_aggregate_len
    }

    /// Deepest nesting of aggregates (a flat array has depth 1; an attribute counts as
    /// a level).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Longest line (simple string, error, number or header), in bytes without the CRLF.
    pub fn max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// Largest decoded size of one whole reply: its payload bytes plus [`FRAME_COST`] per
    /// value, counted as it is read, before anything is built.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Sets [`max_frame_size`](Self::max_frame_size).
    pub fn with_max_frame_size(mut self, max: usize) -> Self {
        self.max_frame_size = max;
        self
    }

    /// Sets [`max_bulk_len`](Self::max_bulk_len).
    pub fn with_max_bulk_len(mut self, max: usize) -> Self {
        self.max_bulk_len = max;
        self
    }

    /// Sets [`max_aggregate_len`](Self::max_aggregate_len).
    pub fn with_max_aggregate_len(mut self, max: usize) -> Self {
        self.max_aggregate_len = max;
        self
    }

    /// Sets [`max_depth`](Self::max_depth), capped at [`MAX_DEPTH_CEILING`].
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max.min(MAX_DEPTH_CEILING);
        self
    }

    /// Sets [`max_line_len`](Self::max_line_len).
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max;
        self
    }
}
