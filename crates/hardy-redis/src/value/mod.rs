//! Typed conversions from reply frames to Rust values ([`FromRedis`]).
//!
//! The codec yields [`Frame`]s; callers want `String`, `i64`,
//! `Option<Vec<u8>>` or `HashMap<String, f64>`. The rules here absorb the differences
//! between RESP2 and RESP3 replies to the same command (a score is a bulk string in RESP2
//! and a double in RESP3; `HGETALL` is a flat array in RESP2 and a map in RESP3), so code
//! written against one protocol keeps working on the other.
//!
//! # Error replies
//!
//! The connection is expected to check [`Frame::is_error`]
//! on a reply and report a server error before converting. Errors can still reach a
//! conversion nested inside a reply (`EXEC` results, pipelines), so every impl except
//! `Frame` itself turns an error frame into [`TypeError::ServerError`], which callers can
//! tell apart from a type mismatch; `Result<T, ServerError>` keeps per-element errors as
//! values. Attribute wrappers are looked through everywhere.

mod collections;
mod error;
mod scalars;

pub use error::TypeError;

use crate::resp::{Frame, ServerError};

/// Conversion of a reply frame into a Rust value.
///
/// | target | accepted frames |
/// |---|---|
/// | [`Frame`] | anything, unchanged (including errors and attributes) |
/// | `String` | simple, bulk or verbatim string, big number (valid UTF-8); integer and double as decimal text (a double as text that reads back the same: `2`, `1.5`, `1e300`, `inf`, `nan`) |
/// | `Vec<u8>`, `Bytes` | the same, as bytes (`Bytes` from a bulk string shares the read buffer) |
/// | `i8`..`i64`, `u16`..`u64`, `isize`, `usize` | integer in range; string of decimal digits; big number; RESP3 boolean as 1/0 |
/// | `f64`, `f32` | double; integer; string or big number holding a number (`inf`, `-inf`, `nan` included) |
/// | `bool` | boolean; integer `0`/`1` (other integers are an error — convert counts to an integer type); string `"0"`/`"1"`; `+OK` is true and null is false, so `SET ... NX` converts directly |
/// | `()` | any non-error frame |
/// | `Option<T>` | null is `None`, anything else `T` |
/// | `Vec<T>`, `HashSet<T>`, `BTreeSet<T>` | array, set or push (null is empty); a map gives key, value, key, value, ... as RESP2's flat array does (`HGETALL`, `CONFIG GET`) |
/// | `Vec<(A, B)>` etc. | also a *flat* array, grouped by the tuple's arity (RESP2 `HGETALL`, `ZRANGE ... WITHSCORES`); a map gives one pair per entry |
/// | `HashMap<K, V>`, `BTreeMap<K, V>` | map; flat array of even length (RESP2); array of `[key, value]` arrays (RESP3 `ZRANGE ... WITHSCORES`, `HRANDFIELD ... WITHVALUES`); null is empty |
/// | tuples of 1 to 6 | array, set or push of exactly that many elements |
/// | `Result<T, ServerError>` | an error frame as `Err`, anything else as `T` |
///
/// Types that are not listed (notably `u8`, so that `Vec<u8>` can mean bytes) have no
/// conversion.
///
/// ```
/// use std::collections::HashMap;
/// use hardy_redis::resp::Frame;
/// use hardy_redis::FromRedis;
///
/// let n = i64::from_redis(Frame::bulk("42")).unwrap();
/// assert_eq!(n, 42);
///
/// let missing = Option::<String>::from_redis(Frame::Null).unwrap();
/// assert_eq!(missing, None);
///
/// // RESP2 HGETALL reply: a flat array of field, value, field, value.
/// let reply = Frame::Array(vec![Frame::bulk("a"), Frame::bulk("1")]);
/// let map = HashMap::<String, i64>::from_redis(reply).unwrap();
/// assert_eq!(map["a"], 1);
///
/// let err = i64::from_redis(Frame::bulk("abc")).unwrap_err();
/// assert_eq!(err.to_string(), "expected an integer, got bulk string \"abc\"");
/// ```
pub trait FromRedis: Sized {
    /// Converts `frame`, or says what was expected and what arrived instead.
    fn from_redis(frame: Frame) -> Result<Self, TypeError>;

    /// For tuples, their arity, so that `Vec<(A, B)>` can also be read from a flat
    /// RESP2 array. Not meant to be overridden by other types.
    #[doc(hidden)]
    const FLAT_ARITY: usize = 0;

    /// Whether the type is one value (a string, a number, a boolean, or an `Option` of
    /// one), so that `Vec<T>` can read RESP3's nested pairs as RESP2's flat array. Not
    /// meant to be overridden by other types.
    #[doc(hidden)]
    const SCALAR: bool = false;
}

impl FromRedis for Frame {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        Ok(frame)
    }
}

impl<T: FromRedis> FromRedis for Result<T, ServerError> {
    const SCALAR: bool = T::SCALAR;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        match ServerError::from_frame(frame) {
            Ok(error) => Ok(Err(error)),
            Err(frame) => T::from_redis(frame).map(Ok),
        }
    }
}

/// The first step of every conversion: look through attributes, turn an error reply
/// into [`TypeError::ServerError`], and read RESP3's own scalars as RESP2 sends them.
pub(crate) fn value(frame: Frame) -> Result<Frame, TypeError> {
    match ServerError::from_frame(frame) {
        Ok(error) => Err(TypeError::ServerError(error)),
        Err(frame) => Ok(as_resp2(frame)),
    }
}

/// A RESP3 double or boolean as RESP2 sends the same reply, so that every target type
/// converts the same on both protocols: a double as its decimal text (`ZSCORE` is `"3"`
/// on RESP2, `,3` on RESP3, and both read as `3_i64`); a boolean as the integer 1 or 0
/// (Redis answers a RESP2 client's boolean, e.g. a script's `true` after
/// `redis.setresp(3)`, with `:1` or `:0`).
pub(crate) fn as_resp2(frame: Frame) -> Frame {
    match frame {
        Frame::Double(d) => Frame::BulkString(scalars::double_text(d)),
        Frame::Boolean(b) => Frame::Integer(i64::from(b)),
        other => other,
    }
}
