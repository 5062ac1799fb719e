//! Why a byte stream is not valid RESP.
//!
//! A RESP stream has no resynchronisation points: once one frame is malformed, every
//! byte after it is suspect. So every [`ProtocolError`] means the same thing to the
//! connection that sees it — close the socket, fail the commands in flight, reconnect —
//! and the variants exist to tell the operator *why* (a hostile or broken server, a limit
//! that is set too low, or a plain-text client talking to a TLS port).

use std::io;

/// The peer sent bytes that are not valid RESP, or that exceed a configured [`Limits`].
///
/// The stream cannot be resynchronised after any of these: close the connection and
/// reconnect. The variants whose name ends in `TooLong` / `TooDeep` are limits; if a
/// trusted server hits them, raise the limit in [`Limits`] rather than retrying.
///
/// [`Limits`]: crate::resp::Limits
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame started with a byte that is no RESP2/RESP3 type marker.
    #[error(
        "invalid RESP type byte {byte:#04x} ({:?}): the peer does not speak RESP \
         (wrong port, or TLS on one side only?); close the connection",
        char::from(*byte)
    )]
    InvalidTypeByte {
        /// The offending byte.
        byte: u8,
    },

    /// A length header was not a decimal number, or was negative where no null is allowed.
    #[error("invalid RESP length {text}: close the connection")]
    InvalidLength {
        /// The header text, escaped and truncated.
        text: String,
    },

    /// An integer frame (`:`) was not a decimal number.
    #[error("invalid RESP integer {text}: close the connection")]
    InvalidInteger {
        /// The frame text, escaped and truncated.
        text: String,
    },

    /// A number (integer or length) does not fit in 64 bits.
    #[error("RESP number {text} does not fit in 64 bits: close the connection")]
    IntegerOverflow {
        /// The number as sent, escaped and truncated.
        text: String,
    },

    /// A double, boolean, big number, null or verbatim string frame had invalid contents.
    #[error("invalid RESP {kind} {text}: close the connection")]
    InvalidValue {
        /// Which frame type was malformed (`"double"`, `"boolean"`, ...).
        kind: &'static str,
        /// The frame text, escaped and truncated.
        text: String,
    },

    /// A line did not end with `\r\n` (a lone `\r` or `\n`, or a bulk string whose
    /// announced length does not match its payload).
    #[error("RESP frame not terminated by CRLF: close the connection")]
    MissingCrlf,

    /// A line (simple string, error, number, header) grew past `Limits::max_line_len`
    /// without a `\r\n`.
    #[error(
        "RESP line longer than {max} bytes: close the connection, or raise Limits::max_line_len"
    )]
    LineTooLong {
        /// The configured limit.
        max: usize,
    },

    /// A bulk string, blob error or verbatim string announced more bytes than
    /// `Limits::max_bulk_len`.
    #[error("RESP bulk string of {len} bytes exceeds the limit of {max}: close the connection, or raise Limits::max_bulk_len")]
    BulkTooLong {
        /// The announced length.
        len: u64,
        /// The configured limit.
        max: usize,
    },

    /// An array, set, push, map or attribute announced more entries than
    /// `Limits::max_aggregate_len`.
    #[error("RESP aggregate of {len} entries exceeds the limit of {max}: close the connection, or raise Limits::max_aggregate_len")]
    AggregateTooLong {
        /// The announced number of entries (pairs for maps and attributes).
        len: u64,
        /// The configured limit.
        max: usize,
    },

    /// One reply would take more than `Limits::max_frame_size` bytes once decoded (its
    /// payload plus the frames of its values).
    #[error("RESP reply larger than {max} bytes once decoded: close the connection, or raise Limits::max_frame_size")]
    FrameTooLarge {
        /// The configured limit.
        max: usize,
    },

    /// Aggregates were nested deeper than `Limits::max_depth`.
    #[error("RESP aggregates nested deeper than {max}: close the connection, or raise Limits::max_depth")]
    TooDeep {
        /// The configured limit.
        max: usize,
    },

    /// The bytes the decoder handed to its second pass did not hold exactly one frame:
    /// the read buffer was changed between `decode` calls other than by appending, in a
    /// way the decoder could not detect. A bug in the code driving the decoder
    /// (`FramedRead` never does this), reported rather than dropping bytes.
    #[error(
        "RESP decoder lost track of frame boundaries (the frame scanned as {scanned} bytes \
         parsed as {parsed}): the read buffer was changed between decode calls; close the connection"
    )]
    ScanMismatch {
        /// Where the scan found the frame's end.
        scanned: usize,
        /// Where building the frame ended.
        parsed: usize,
    },

    /// A frame cannot be written as RESP (a simple string or error containing CR or LF,
    /// a big number that is not an optional sign and digits).
    /// This is a bug in the code that built the frame, not a network problem.
    #[error("frame cannot be encoded as RESP: {reason}")]
    Unencodable {
        /// What is wrong with the frame.
        reason: &'static str,
    },

    /// The underlying transport failed (required by `tokio_util::codec`); for example the
    /// stream ended in the middle of a frame.
    #[error("I/O error while reading RESP: {0}")]
    Io(#[from] io::Error),
}

impl ProtocolError {
    /// Whether this error comes from a configured [`Limits`](crate::resp::Limits) rather
    /// than from malformed input: raising the limit would have let the frame through.
    pub fn is_limit_exceeded(&self) -> bool {
        matches!(
            self,
            ProtocolError::LineTooLong { .. }
                | ProtocolError::BulkTooLong { .. }
                | ProtocolError::AggregateTooLong { .. }
                | ProtocolError::TooDeep { .. }
                | ProtocolError::FrameTooLarge { .. }
        )
    }
}
