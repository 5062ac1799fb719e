//! [`TypeError`]: why a reply could not become the Rust type asked for.

use crate::resp::show::Show;
use crate::resp::{Frame, ServerError};

/// A reply did not convert to the requested type.
///
/// A `Mismatch` is a bug or a wrong assumption in the calling code (the command does not
/// return that type, or the key holds something else); retrying will not help. A
/// `ServerError` is Redis' answer to the command and says what went wrong there.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    /// The reply (or an element of it) was an error reply from Redis.
    #[error("Redis replied with an error: {0}")]
    ServerError(ServerError),

    /// The reply had another type, or a value out of the target's range.
    #[error("expected {expected}, got {got}")]
    Mismatch {
        /// What the target type accepts, e.g. `"an integer"`.
        expected: &'static str,
        /// What arrived, with a short, escaped excerpt of its value.
        got: String,
    },

    /// An aggregate had the wrong number of elements for a tuple.
    #[error("expected {expected} elements, got {got}")]
    WrongLength {
        /// The tuple's arity.
        expected: usize,
        /// The number of elements received.
        got: usize,
    },
}

impl TypeError {
    /// A mismatch between `expected` and the frame that arrived.
    pub fn mismatch(expected: &'static str, got: &Frame) -> TypeError {
        TypeError::Mismatch {
            expected,
            got: describe(got),
        }
    }

    /// The Redis error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            TypeError::ServerError(error) => Some(error),
            _ => None,
        }
    }
}

impl From<ServerError> for TypeError {
    fn from(error: ServerError) -> Self {
        TypeError::ServerError(error)
    }
}

/// A frame's type and a bounded excerpt of its value, e.g. `bulk string "abc"`.
fn describe(frame: &Frame) -> String {
    let kind = frame.kind();
    match frame {
        Frame::SimpleString(b)
        | Frame::SimpleError(b)
        | Frame::BulkString(b)
        | Frame::BigNumber(b)
        | Frame::BlobError(b)
        | Frame::VerbatimString { data: b, .. } => format!("{kind} {}", Show::new(b)),
        Frame::Integer(n) => format!("{kind} {n}"),
        Frame::Double(d) => format!("{kind} {d}"),
        Frame::Boolean(b) => format!("{kind} {b}"),
        Frame::Null => kind.to_string(),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => {
            format!("{kind} of {} elements", v.len())
        }
        Frame::Map(pairs) => format!("{kind} of {} pairs", pairs.len()),
        Frame::Attribute { frame, .. } => describe(frame),
    }
}
