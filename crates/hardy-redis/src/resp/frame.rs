//! The RESP value: one [`Frame`] per reply, covering every RESP2 and RESP3 type.
//!
//! Frames are what the decoder yields and what typed conversions start from. Payloads are
//! [`Bytes`] sliced from the connection's read buffer, so a 100 MB `GET` reply is never
//! copied between the socket and the caller.

use std::fmt;

use bytes::Bytes;

use super::show::Show;

/// How many elements of an aggregate `Debug` shows before eliding the rest.
const DEBUG_ELEMENTS: usize = 16;

/// One RESP2 or RESP3 value.
///
/// RESP2's two nulls (`$-1` and `*-1`) and RESP3's `_` all decode to [`Frame::Null`].
///
/// **Attributes** (`|`) are not yielded on their own: the decoder reads the attribute map
/// together with the frame it annotates and returns [`Frame::Attribute`] wrapping both.
/// This keeps "one reply, one frame", so a connection matching replies to requests in
/// FIFO order stays aligned whether or not the server sends attributes. Typed
/// conversions look through the wrapper; [`Frame::into_value`] strips it.
///
/// Equality treats two NaN doubles as equal, because it compares *frames* (what was on
/// the wire), not numbers.
///
/// ```
/// use hardy_redis::resp::Frame;
///
/// let reply = Frame::Array(vec![Frame::bulk("a"), Frame::Integer(1), Frame::Null]);
/// assert!(!reply.is_error());
/// assert_eq!(Frame::bulk("a").as_bytes(), Some(&b"a"[..]));
/// ```
#[derive(Clone)]
pub enum Frame {
    /// `+OK\r\n`: a short, binary-safe-free status text.
    SimpleString(Bytes),
    /// `-ERR message\r\n`: an error reply; the first word is its code.
    SimpleError(Bytes),
    /// `:42\r\n`: a signed 64-bit integer.
    Integer(i64),
    /// `$3\r\nfoo\r\n`: a binary-safe string.
    BulkString(Bytes),
    /// `$-1\r\n`, `*-1\r\n` (RESP2) or `_\r\n` (RESP3): no value.
    Null,
    /// `*2\r\n...`: an ordered list of frames.
    Array(Vec<Frame>),
    /// RESP3 `%1\r\n...`: key/value pairs in the order the server sent them.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~2\r\n...`: an unordered collection (kept in wire order).
    Set(Vec<Frame>),
    /// RESP3 `,3.14\r\n`, including `inf`, `-inf` and `nan`.
    Double(f64),
    /// RESP3 `#t\r\n` / `#f\r\n`.
    Boolean(bool),
    /// RESP3 `(12345678901234567890\r\n`: an integer of any size, kept as its decimal text.
    BigNumber(Bytes),
    /// RESP3 `=15\r\ntxt:Some string\r\n`: a string with a three-byte format hint
    /// (`txt`, `mkd`).
    VerbatimString {
        /// The format hint, e.g. `*b"txt"`.
        format: [u8; 3],
        /// The text after `fmt:`.
        data: Bytes,
    },
    /// RESP3 `!21\r\nSYNTAX invalid syntax\r\n`: a binary-safe error reply.
    BlobError(Bytes),
    /// RESP3 `>3\r\n...`: out-of-band data (pub/sub messages, client tracking
    /// invalidations) that is *not* the reply to any command.
    Push(Vec<Frame>),
    /// RESP3 `|1\r\n...`: attribute pairs annotating the frame that follows them.
    Attribute {
        /// The attribute map, in wire order.
        attrs: Vec<(Frame, Frame)>,
        /// The annotated frame (never itself an `Attribute` unless the server nests them).
        frame: Box<Frame>,
    },
}

impl Frame {
    /// A bulk string frame.
    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::BulkString(data.into())
    }

    /// A simple string frame (the text must not contain CR or LF to be encodable).
    pub fn simple(text: impl Into<Bytes>) -> Frame {
        Frame::SimpleString(text.into())
    }

    /// A simple error frame, e.g. `Frame::error("ERR unknown command")`.
    pub fn error(text: impl Into<Bytes>) -> Frame {
        Frame::SimpleError(text.into())
    }

    /// Whether this is an error reply (`-` or `!`), looking through attributes.
    pub fn is_error(&self) -> bool {
        matches!(self.value(), Frame::SimpleError(_) | Frame::BlobError(_))
    }

    /// Whether this is a null, looking through attributes.
    pub fn is_null(&self) -> bool {
        matches!(self.value(), Frame::Null)
    }

    /// Whether this is an out-of-band push frame (never the reply to a command).
    pub fn is_push(&self) -> bool {
        matches!(self.value(), Frame::Push(_))
    }

    /// The frame itself, or the frame an attribute annotates.
    pub fn value(&self) -> &Frame {
        let mut frame = self;
        while let Frame::Attribute { frame: inner, .. } = frame {
            frame = inner;
        }
        frame
    }

    /// Drops any attributes and returns the annotated frame.
    pub fn into_value(self) -> Frame {
        let mut frame = self;
        while let Frame::Attribute { frame: inner, .. } = frame {
            frame = *inner;
        }
        frame
    }

    /// The payload of a string-like frame: simple string, bulk string, or the data of a
    /// verbatim string. Errors are not strings; see [`Frame::error_message`].
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self.value() {
            Frame::SimpleString(b) | Frame::BulkString(b) => Some(b),
            Frame::VerbatimString { data, .. } => Some(data),
            _ => None,
        }
    }

    /// [`Frame::as_bytes`] as UTF-8, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The value of an integer frame.
    pub fn as_integer(&self) -> Option<i64> {
        match self.value() {
            Frame::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The elements of an array, set or push frame.
    pub fn as_slice(&self) -> Option<&[Frame]> {
        match self.value() {
            Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => Some(v),
            _ => None,
        }
    }

    /// The text of an error reply (`-` or `!`), e.g. `b"ERR unknown command"`.
    pub fn error_message(&self) -> Option<&[u8]> {
        match self.value() {
            Frame::SimpleError(b) | Frame::BlobError(b) => Some(b),
            _ => None,
        }
    }

    /// A short English name of this frame's type, for error messages
    /// (`"bulk string"`, `"map"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Frame::SimpleString(_) => "simple string",
            Frame::SimpleError(_) => "simple error",
            Frame::Integer(_) => "integer",
            Frame::BulkString(_) => "bulk string",
            Frame::Null => "null",
            Frame::Array(_) => "array",
            Frame::Map(_) => "map",
            Frame::Set(_) => "set",
            Frame::Double(_) => "double",
            Frame::Boolean(_) => "boolean",
            Frame::BigNumber(_) => "big number",
            Frame::VerbatimString { .. } => "verbatim string",
            Frame::BlobError(_) => "blob error",
            Frame::Push(_) => "push",
            Frame::Attribute { .. } => "attribute",
        }
    }
}

impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        use Frame::*;
        match (self, other) {
            (SimpleString(a), SimpleString(b))
            | (SimpleError(a), SimpleError(b))
            | (BulkString(a), BulkString(b))
            | (BigNumber(a), BigNumber(b))
            | (BlobError(a), BlobError(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (Null, Null) => true,
            (Array(a), Array(b)) | (Set(a), Set(b)) | (Push(a), Push(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Double(a), Double(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Boolean(a), Boolean(b)) => a == b,
            (
                VerbatimString { format, data },
                VerbatimString {
                    format: f2,
                    data: d2,
                },
            ) => format == f2 && data == d2,
            (
                Attribute { attrs, frame },
                Attribute {
                    attrs: a2,
                    frame: f2,
                },
            ) => attrs == a2 && frame == f2,
            _ => false,
        }
    }
}

/// Debug output is bounded: long payloads show their first bytes and total length, long
/// aggregates their first elements and how many were left out.
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::SimpleString(b) => write!(f, "SimpleString({})", Show::new(b)),
            Frame::SimpleError(b) => write!(f, "SimpleError({})", Show::new(b)),
            Frame::Integer(n) => write!(f, "Integer({n})"),
            Frame::BulkString(b) => write!(f, "BulkString({})", Show::new(b)),
            Frame::Null => f.write_str("Null"),
            Frame::Array(v) => debug_elements(f, "Array", v),
            Frame::Set(v) => debug_elements(f, "Set", v),
            Frame::Push(v) => debug_elements(f, "Push", v),
            Frame::Map(pairs) => debug_pairs(f, "Map", pairs),
            Frame::Double(d) => write!(f, "Double({d:?})"),
            Frame::Boolean(b) => write!(f, "Boolean({b})"),
            Frame::BigNumber(b) => write!(f, "BigNumber({})", Show::new(b)),
            Frame::VerbatimString { format, data } => write!(
                f,
                "VerbatimString({}, {})",
                Show::new(format),
                Show::new(data)
            ),
            Frame::BlobError(b) => write!(f, "BlobError({})", Show::new(b)),
            Frame::Attribute { attrs, frame } => {
                debug_pairs(f, "Attribute", attrs)?;
                write!(f, " {frame:?}")
            }
        }
    }
}

fn debug_elements(f: &mut fmt::Formatter<'_>, name: &str, items: &[Frame]) -> fmt::Result {
    f.write_str(name)?;
    let mut list = f.debug_list();
    list.entries(items.iter().take(DEBUG_ELEMENTS));
    if items.len() > DEBUG_ELEMENTS {
        list.entry(&format_args!("... {} more", items.len() - DEBUG_ELEMENTS));
    }
    list.finish()
}

fn debug_pairs(f: &mut fmt::Formatter<'_>, name: &str, pairs: &[(Frame, Frame)]) -> fmt::Result {
    f.write_str(name)?;
    let mut map = f.debug_map();
    map.entries(pairs.iter().take(DEBUG_ELEMENTS).map(|(k, v)| (k, v)));
    if pairs.len() > DEBUG_ELEMENTS {
        map.entry(
            &format_args!("..."),
            &format_args!("{} more", pairs.len() - DEBUG_ELEMENTS),
        );
    }
    map.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_huge_bulk_string_stays_short() {
        let frame = Frame::bulk(vec![b'x'; 10 << 20]);
        let shown = format!("{frame:?}");
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.contains("10485760 bytes"), "{shown}");
    }

    #[test]
    fn debug_of_a_huge_array_elides_elements() {
        let frame = Frame::Array(vec![Frame::Integer(7); 100_000]);
        let shown = format!("{frame:?}");
        assert!(shown.len() < 500, "{shown}");
        assert!(shown.contains("99984 more"), "{shown}");
    }

    #[test]
    fn helpers_look_through_attributes() {
        let frame = Frame::Attribute {
            attrs: vec![(Frame::simple("ttl"), Frame::Integer(3))],
            frame: Box::new(Frame::error("ERR nope")),
        };
        assert!(frame.is_error());
        assert_eq!(frame.error_message(), Some(&b"ERR nope"[..]));
        assert_eq!(frame.into_value(), Frame::error("ERR nope"));
    }

    #[test]
    fn nan_doubles_are_equal_frames() {
        assert_eq!(Frame::Double(f64::NAN), Frame::Double(f64::NAN));
        assert_ne!(Frame::Double(1.0), Frame::Integer(1));
    }
}
