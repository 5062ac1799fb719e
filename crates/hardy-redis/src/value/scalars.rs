//! [`FromRedis`] for single values: strings, bytes, numbers, booleans and `()`.

use bytes::Bytes;

use super::{value, FromRedis, TypeError};
use crate::resp::Frame;

/// The text of a string-like frame (simple, bulk, verbatim, big number), if it is one.
fn text(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::SimpleString(b) | Frame::BulkString(b) | Frame::BigNumber(b) => Some(b),
        Frame::VerbatimString { data, .. } => Some(data),
        _ => None,
    }
}

/// Bytes of a string-like frame, or the decimal text of a number.
fn into_bytes(frame: Frame, expected: &'static str) -> Result<Bytes, TypeError> {
    match frame {
        Frame::SimpleString(b) | Frame::BulkString(b) | Frame::BigNumber(b) => Ok(b),
        Frame::VerbatimString { data, .. } => Ok(data),
        Frame::Integer(n) => Ok(Bytes::from(n.to_string())),
        Frame::Double(d) => Ok(double_text(d)),
        other => Err(TypeError::mismatch(expected, &other)),
    }
}

/// A double as text that [`f64::from_redis`] reads back as the same value: `inf`, `-inf`
/// and `nan` as RESP3 spells them, and otherwise the shortest digits that round-trip —
/// plain decimal in the range where RESP2 servers send scores that way (`2`, `1.5`), with
/// an exponent outside it (`1e300`, not 301 digits).
pub(super) fn double_text(d: f64) -> Bytes {
    if d.is_nan() {
        Bytes::from_static(b"nan")
    } else if d.is_infinite() {
        Bytes::from_static(if d > 0.0 { b"inf" } else { b"-inf" })
    } else if d == 0.0 || (1e-5..1e17).contains(&d.abs()) {
        Bytes::from(d.to_string())
    } else {
        Bytes::from(format!("{d:e}"))
    }
}

impl FromRedis for Bytes {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        into_bytes(value(frame)?, "a string")
    }
}

impl FromRedis for Vec<u8> {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        Ok(Vec::from(Bytes::from_redis(frame)?))
    }
}

impl FromRedis for String {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let frame = value(frame)?;
        if let Some(Err(_)) = text(&frame).map(std::str::from_utf8) {
            return Err(TypeError::mismatch("UTF-8 text", &frame));
        }
        let bytes = into_bytes(frame, "a string")?;
        // Checked above (numbers are ASCII), so the lossy path never replaces anything.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Reads an integer of type `T` from an integer, boolean or decimal-text frame.
fn integer<T>(frame: Frame, expected: &'static str) -> Result<T, TypeError>
where
    T: TryFrom<i64> + std::str::FromStr,
{
    let frame = value(frame)?;
    let converted = match &frame {
        Frame::Integer(n) => T::try_from(*n).ok(),
        other => text(other)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse().ok()),
    };
    converted.ok_or_else(|| TypeError::mismatch(expected, &frame))
}

macro_rules! integer_from_redis {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl FromRedis for $ty {
            const SCALAR: bool = true;

            fn from_redis(frame: Frame) -> Result<Self, TypeError> {
                integer(frame, $expected)
            }
        }
    )*};
}

integer_from_redis!(
    i64 => "an integer",
    i32 => "an integer in the range of i32",
    i16 => "an integer in the range of i16",
    i8 => "an integer in the range of i8",
    isize => "an integer in the range of isize",
    u64 => "a non-negative integer",
    u32 => "an integer in the range of u32",
    u16 => "an integer in the range of u16",
    usize => "a non-negative integer in the range of usize",
);

impl FromRedis for f64 {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        if let Frame::Double(d) = frame.value() {
            return Ok(*d);
        }
        let frame = value(frame)?;
        match &frame {
            Frame::Double(d) => Some(*d),
            Frame::Integer(n) => Some(*n as f64),
            other => text(other).and_then(crate::resp::parse_double),
        }
        .ok_or_else(|| TypeError::mismatch("a number", &frame))
    }
}

impl FromRedis for f32 {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        f64::from_redis(frame).map(|d| d as f32)
    }
}

impl FromRedis for bool {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let frame = value(frame)?;
        match &frame {
            Frame::Boolean(b) => Some(*b),
            Frame::Integer(0) => Some(false),
            Frame::Integer(1) => Some(true),
            Frame::Null => Some(false),
            Frame::SimpleString(s) if &s[..] == b"OK" => Some(true),
            other => match text(other) {
                Some(b"0") => Some(false),
                Some(b"1") => Some(true),
                _ => None,
            },
        }
        .ok_or_else(|| TypeError::mismatch("a boolean (true/false, 0/1, OK or null)", &frame))
    }
}

impl FromRedis for () {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        value(frame).map(drop)
    }
}
