//! The lowest layer of RESP shared by the decoder, the encoder and `Cmd`: type bytes,
//! CRLF-terminated lines, and decimal numbers parsed and formatted without allocating.

use super::error::ProtocolError;
use super::show::excerpt;

pub(crate) const SIMPLE_STRING: u8 = b'+';
pub(crate) const SIMPLE_ERROR: u8 = b'-';
pub(crate) const INTEGER: u8 = b':';
pub(crate) const BULK_STRING: u8 = b'$';
pub(crate) const ARRAY: u8 = b'*';
pub(crate) const NULL: u8 = b'_';
pub(crate) const BOOLEAN: u8 = b'#';
pub(crate) const DOUBLE: u8 = b',';
pub(crate) const BIG_NUMBER: u8 = b'(';
pub(crate) const BLOB_ERROR: u8 = b'!';
pub(crate) const VERBATIM_STRING: u8 = b'=';
pub(crate) const MAP: u8 = b'%';
pub(crate) const SET: u8 = b'~';
pub(crate) const ATTRIBUTE: u8 = b'|';
pub(crate) const PUSH: u8 = b'>';

pub(crate) const CRLF: &[u8] = b"\r\n";

/// How a type byte's frame is laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The whole value is one line: `+`, `-`, `:`, `_`, `#`, `,`, `(`.
    Line,
    /// A length line, then that many bytes and CRLF: `$`, `!`, `=`.
    Blob,
    /// A count line, then that many frames per entry: `*`, `~`, `>` (1), `%` (2),
    /// `|` (2 per entry plus the frame the attribute annotates).
    Aggregate,
}

impl Layout {
    pub(crate) fn of(tag: u8) -> Result<Layout, ProtocolError> {
        match tag {
            SIMPLE_STRING | SIMPLE_ERROR | INTEGER | NULL | BOOLEAN | DOUBLE | BIG_NUMBER => {
                Ok(Layout::Line)
            }
            BULK_STRING | BLOB_ERROR | VERBATIM_STRING => Ok(Layout::Blob),
            ARRAY | SET | PUSH | MAP | ATTRIBUTE => Ok(Layout::Aggregate),
            byte => Err(ProtocolError::InvalidTypeByte { byte }),
        }
    }
}

/// Outcome of looking for the CRLF that ends a line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineEnd {
    /// The `\r` of the terminating CRLF is at this index.
    At(usize),
    /// Not there yet; bytes before this index hold no `\r` or `\n`, so the next search
    /// can start here instead of at the start of the line (keeps long lines linear).
    NotYet(usize),
}

/// Finds the CRLF ending the line that starts at `start`, searching from `resume`
/// (`>= start`). A lone `\r` or `\n` inside a line is an error: RESP lines cannot hold them.
pub(crate) fn find_line_end(
    buf: &[u8],
    start: usize,
    resume: usize,
    max_line_len: usize,
) -> Result<LineEnd, ProtocolError> {
    let from = resume.max(start);
    let Some(rest) = buf.get(from..) else {
        return Ok(LineEnd::NotYet(from));
    };
    match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(offset) => {
            let cr = from + offset;
            if cr - start > max_line_len {
                return Err(ProtocolError::LineTooLong { max: max_line_len });
            }
            match (buf[cr], buf.get(cr + 1)) {
                (b'\r', Some(b'\n')) => Ok(LineEnd::At(cr)),
                (b'\r', None) => Ok(LineEnd::NotYet(cr)),
                _ => Err(ProtocolError::MissingCrlf),
            }
        }
        None if buf.len() - start > max_line_len => {
            Err(ProtocolError::LineTooLong { max: max_line_len })
        }
        None => Ok(LineEnd::NotYet(buf.len())),
    }
}

/// Why a decimal number did not parse.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NumberError {
    NotANumber,
    Overflow,
}

/// Parses `[+|-]digits` into an `i64`, with no allocation and no UTF-8 step.
pub(crate) fn parse_i64(text: &[u8]) -> Result<i64, NumberError> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(NumberError::NotANumber);
    }
    let mut value: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(NumberError::NotANumber);
        }
        let digit = i64::from(b - b'0');
        // Accumulate negatively so that i64::MIN parses.
        value = value
            .checked_mul(10)
            .and_then(|v| {
                if negative {
                    v.checked_sub(digit)
                } else {
                    v.checked_add(digit)
                }
            })
            .ok_or(NumberError::Overflow)?;
    }
    Ok(value)
}

/// Longest text of a valid integer or length: 19 digits and a sign (`-9223372036854775808`).
/// Longer lines are rejected before parsing, so zero-padding cannot make a header cost
/// more than this to read.
pub(crate) const MAX_NUMBER_LEN: usize = 20;

/// Parses the integer of a `:` frame.
pub(crate) fn parse_integer(text: &[u8]) -> Result<i64, ProtocolError> {
    if text.len() > MAX_NUMBER_LEN {
        return Err(ProtocolError::InvalidInteger {
            text: excerpt(text),
        });
    }
    parse_i64(text).map_err(|e| match e {
        NumberError::NotANumber => ProtocolError::InvalidInteger {
            text: excerpt(text),
        },
        NumberError::Overflow => ProtocolError::IntegerOverflow {
            text: excerpt(text),
        },
    })
}

/// Parses a length header: `None` for the RESP2 null (`-1`) where `null_allowed`. Longer
/// than [`MAX_NUMBER_LEN`] is invalid, however many leading zeros pad it.
pub(crate) fn parse_len(text: &[u8], null_allowed: bool) -> Result<Option<u64>, ProtocolError> {
    let invalid = || ProtocolError::InvalidLength {
        text: excerpt(text),
    };
    if text.len() > MAX_NUMBER_LEN {
        return Err(invalid());
    }
    match parse_i64(text) {
        Ok(-1) if null_allowed => Ok(None),
        Ok(n) => u64::try_from(n).map(Some).map_err(|_| invalid()),
        Err(NumberError::Overflow) => Err(ProtocolError::IntegerOverflow {
            text: excerpt(text),
        }),
        Err(NumberError::NotANumber) => Err(invalid()),
    }
}

/// Room for any `i64` or `u64` in decimal.
pub(crate) struct Decimal {
    buf: [u8; 20],
    start: usize,
}

impl Decimal {
    pub(crate) fn from_u64(mut n: u64) -> Self {
        let mut d = Decimal {
            buf: [0; 20],
            start: 20,
        };
        loop {
            d.start -= 1;
            d.buf[d.start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return d;
            }
        }
    }

    pub(crate) fn from_i64(n: i64) -> Self {
        let mut d = Decimal::from_u64(n.unsigned_abs());
        if n < 0 {
            // 19 digits at most for |i64|, so there is always room for the sign.
            d.start -= 1;
            d.buf[d.start] = b'-';
        }
        d
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_accepts_signs_and_extremes() {
        assert_eq!(parse_i64(b"0"), Ok(0));
        assert_eq!(parse_i64(b"+12"), Ok(12));
        assert_eq!(parse_i64(b"-12"), Ok(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
    }

    #[test]
    fn parse_i64_rejects_garbage_and_overflow() {
        assert_eq!(parse_i64(b""), Err(NumberError::NotANumber));
        assert_eq!(parse_i64(b"-"), Err(NumberError::NotANumber));
        assert_eq!(parse_i64(b"1x"), Err(NumberError::NotANumber));
        assert_eq!(parse_i64(b" 1"), Err(NumberError::NotANumber));
        assert_eq!(
            parse_i64(b"9223372036854775808"),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            parse_i64(b"-9223372036854775809"),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn decimal_formats_like_display() {
        for n in [0, 1, -1, 42, i64::MAX, i64::MIN, -1000, 1_000_000] {
            assert_eq!(Decimal::from_i64(n).as_bytes(), n.to_string().as_bytes());
        }
        assert_eq!(
            Decimal::from_u64(u64::MAX).as_bytes(),
            u64::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn line_end_resumes_and_rejects_lone_cr_or_lf() {
        assert_eq!(
            find_line_end(b"+OK\r\n", 1, 0, 10).ok(),
            Some(LineEnd::At(3))
        );
        assert_eq!(
            find_line_end(b"+OK\r", 1, 0, 10).ok(),
            Some(LineEnd::NotYet(3))
        );
        assert_eq!(
            find_line_end(b"+OK", 1, 0, 10).ok(),
            Some(LineEnd::NotYet(3))
        );
        assert!(matches!(
            find_line_end(b"+O\nK\r\n", 1, 0, 10),
            Err(ProtocolError::MissingCrlf)
        ));
        assert!(matches!(
            find_line_end(b"+O\rK\r\n", 1, 0, 10),
            Err(ProtocolError::MissingCrlf)
        ));
        assert!(matches!(
            find_line_end(b"+OKOKOK", 1, 0, 3),
            Err(ProtocolError::LineTooLong { max: 3 })
        ));
    }
}
