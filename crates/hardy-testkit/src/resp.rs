//! A deliberately tiny RESP2 writer and reader for the fixture's own admin commands.
//!
//! The testkit cannot use hardy-redis (that crate's tests depend on this one), and its admin
//! traffic (`CLIENT KILL`, `CONFIG SET`, `DEBUG SLEEP`) is a handful of blocking request /
//! reply pairs, so a hundred lines over `std::net` are enough.

use std::fmt;
use std::io::{self, BufRead, Write};

use crate::error::{Error, Result};

/// One reply from the server, as RESP2 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// `+OK`-style status reply.
    Status(String),
    /// `:`-prefixed integer reply.
    Integer(i64),
    /// `$`-prefixed bulk string; `None` is the null bulk string.
    Bulk(Option<Vec<u8>>),
    /// `*`-prefixed array; `None` is the null array.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The integer value, if this is an integer reply.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Reply::Integer(n) => Some(*n),
            _ => None,
        }
    }
}

/// Status and bulk replies print as their text, integers as digits, arrays one item per line
/// and nulls as `(nil)`, so tests can compare `to_string()` against what `redis-cli` shows.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Status(s) => f.write_str(s),
            Reply::Integer(n) => write!(f, "{n}"),
            Reply::Bulk(Some(bytes)) => f.write_str(&String::from_utf8_lossy(bytes)),
            Reply::Bulk(None) | Reply::Array(None) => f.write_str("(nil)"),
            Reply::Array(Some(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

/// Writes `args` as one RESP array of bulk strings.
pub(crate) fn write_command(out: &mut impl Write, args: &[&str]) -> io::Result<()> {
    let mut buf = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        buf.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        buf.extend_from_slice(arg.as_bytes());
        buf.extend_from_slice(b"\r\n");
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Reads one reply; an error reply (`-ERR ...`) becomes [`Error::Redis`].
pub(crate) fn read_reply(input: &mut impl BufRead) -> Result<Reply> {
    let line = read_line(input)?;
    let (kind, rest) = line.split_at(1);
    match kind {
        "+" => Ok(Reply::Status(rest.to_owned())),
        "-" => Err(Error::Redis(rest.to_owned())),
        ":" => Ok(Reply::Integer(parse_int(rest)?)),
        "$" => read_bulk(input, parse_int(rest)?),
        "*" => read_array(input, parse_int(rest)?),
        _ => Err(Error::Protocol(format!(
            "unsupported reply type in {line:?}"
        ))),
    }
}

fn read_bulk(input: &mut impl BufRead, len: i64) -> Result<Reply> {
    let Ok(len) = usize::try_from(len) else {
        return Ok(Reply::Bulk(None));
    };
    let mut data = vec![0; len + 2];
    input.read_exact(&mut data)?;
    if !data.ends_with(b"\r\n") {
        return Err(Error::Protocol("bulk string not terminated by CRLF".into()));
    }
    data.truncate(len);
    Ok(Reply::Bulk(Some(data)))
}

fn read_array(input: &mut impl BufRead, len: i64) -> Result<Reply> {
    let Ok(len) = usize::try_from(len) else {
        return Ok(Reply::Array(None));
    };
    let mut items = Vec::with_capacity(len.min(1024));
    for _ in 0..len {
        // Error replies inside arrays (e.g. EXEC) are kept as a status-like item.
        match read_reply(input) {
            Ok(item) => items.push(item),
            Err(Error::Redis(message)) => items.push(Reply::Status(format!("-{message}"))),
            Err(other) => return Err(other),
        }
    }
    Ok(Reply::Array(Some(items)))
}

fn read_line(input: &mut impl BufRead) -> Result<String> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    match line.strip_suffix("\r\n") {
        Some(body) if !body.is_empty() => Ok(body.to_owned()),
        _ => Err(Error::Protocol(format!("bad reply line {line:?}"))),
    }
}

fn parse_int(text: &str) -> Result<i64> {
    text.parse()
        .map_err(|_| Error::Protocol(format!("bad integer {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Reply> {
        read_reply(&mut io::BufReader::new(bytes))
    }

    #[test]
    fn writes_commands_as_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        write_command(&mut out, &["SET", "k", ""]).unwrap();
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }

    #[test]
    fn reads_every_resp2_type() {
        assert_eq!(parse(b"+PONG\r\n").unwrap(), Reply::Status("PONG".into()));
        assert_eq!(parse(b":42\r\n").unwrap(), Reply::Integer(42));
        assert_eq!(parse(b"$-1\r\n").unwrap(), Reply::Bulk(None));
        assert_eq!(
            parse(b"*2\r\n$1\r\na\r\n:1\r\n").unwrap(),
            Reply::Array(Some(vec![
                Reply::Bulk(Some(b"a".to_vec())),
                Reply::Integer(1)
            ]))
        );
    }

    #[test]
    fn error_replies_become_redis_errors() {
        assert!(matches!(parse(b"-ERR nope\r\n"), Err(Error::Redis(m)) if m == "ERR nope"));
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        assert!(parse(b"$5\r\nab").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"\r\n").is_err());
    }
}
