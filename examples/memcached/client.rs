//! A memcached client (text protocol: get, set, delete) on hardy's request/reply layer,
//! written as a new user would. Used by `examples/memcached.rs` and `tests/memcached.rs`.
//!
//! The file has two halves. The protocol: the replies, their decoder, the request
//! encoders and the reply checks, which any memcached client needs. The wiring: the
//! `Connection` and one `Handle` per request, which is all hardy asks for; reply matching,
//! failing callers when the link drops, timeouts, reconnection and the client handle come
//! with the crate.

use std::io;
use std::net::SocketAddr;

use hardy::connection::prelude::*;

// ---------------------------------------------------------------------------------------
// The protocol.
// ---------------------------------------------------------------------------------------

/// The longest key memcached accepts.
const MAX_KEY: usize = 250;
/// The largest value this client reads (memcached's default item size limit).
const MAX_VALUE: usize = 1024 * 1024;
/// The longest reply line this client reads before calling the stream broken.
const MAX_LINE: usize = 8 * 1024;

/// One reply from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The answer to `get`: the value, or `None` for a miss (`END` alone).
    Value(Option<Bytes>),
    Stored,
    NotStored,
    Deleted,
    NotFound,
    /// `ERROR`, `CLIENT_ERROR ..` or `SERVER_ERROR ..`.
    Failed(String),
}

/// What a caller can get instead of an answer.
#[derive(Debug, thiserror::Error)]
pub enum McError {
    #[error("memcached refused the request: {0}")]
    Server(String),
    #[error("invalid key (1 to {MAX_KEY} bytes, no spaces or control characters): {0:?}")]
    InvalidKey(String),
    #[error("memcached answered {0:?} to a request that cannot get that reply")]
    UnexpectedReply(Reply),
    #[error("memcached's reply is malformed: {0}")]
    Protocol(String),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// Decodes replies; a `get` hit (`VALUE` line, data, `END`) is one reply.
#[derive(Debug, Default)]
pub struct ReplyCodec;

fn line_end(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

fn malformed(what: &str) -> McError {
    McError::Protocol(what.to_string())
}

impl Decoder for ReplyCodec {
    type Item = Reply;
    type Error = McError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Reply>, McError> {
        let Some(eol) = line_end(buf) else {
            return if buf.len() > MAX_LINE {
                Err(malformed("reply line too long"))
            } else {
                Ok(None)
            };
        };
        if buf.starts_with(b"VALUE ") {
            // VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n
            let header = std::str::from_utf8(&buf[..eol]).map_err(|_| malformed("VALUE line"))?;
            let len: usize = header
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .filter(|&n| n <= MAX_VALUE)
                .ok_or_else(|| malformed("VALUE length"))?;
            let total = eol + 2 + len + 2 + 5;
            if buf.len() < total {
                buf.reserve(total - buf.len());
                return Ok(None);
            }
            if &buf[eol + 2 + len..total] != b"\r\nEND\r\n" {
                return Err(malformed("VALUE not followed by END (a multi-key get?)"));
            }
            let mut frame = buf.split_to(total);
            frame.advance(eol + 2);
            return Ok(Some(Reply::Value(Some(frame.split_to(len).freeze()))));
        }
        let line = buf.split_to(eol + 2);
        let text = String::from_utf8_lossy(&line[..eol]);
        Ok(Some(match &*text {
            "END" => Reply::Value(None),
            "STORED" => Reply::Stored,
            "NOT_STORED" => Reply::NotStored,
            "DELETED" => Reply::Deleted,
            "NOT_FOUND" => Reply::NotFound,
            t if t == "ERROR" || t.starts_with("CLIENT_ERROR") || t.starts_with("SERVER_ERROR") => {
                Reply::Failed(t.to_string())
            }
            other => return Err(malformed(&format!("unknown reply {other:?}"))),
        }))
    }
}

fn check_key(key: &str) -> Result<(), McError> {
    let ok = (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(McError::InvalidKey(key.to_string()))
    }
}

fn encode_get(buf: &mut BytesMut, key: &str) {
    buf.put_slice(format!("get {key}\r\n").as_bytes());
}

fn encode_set(buf: &mut BytesMut, key: &str, value: &[u8], ttl: u32) {
    buf.put_slice(format!("set {key} 0 {ttl} {}\r\n", value.len()).as_bytes());
    buf.put_slice(value);
    buf.put_slice(b"\r\n");
}

fn encode_delete(buf: &mut BytesMut, key: &str) {
    buf.put_slice(format!("delete {key}\r\n").as_bytes());
}

fn value(reply: Reply) -> Result<Option<Bytes>, McError> {
    match reply {
        Reply::Value(v) => Ok(v),
        other => Err(unexpected(other)),
    }
}

fn stored(reply: Reply) -> Result<bool, McError> {
    match reply {
        Reply::Stored => Ok(true),
        Reply::NotStored => Ok(false),
        other => Err(unexpected(other)),
    }
}

fn deleted(reply: Reply) -> Result<bool, McError> {
    match reply {
        Reply::Deleted => Ok(true),
        Reply::NotFound => Ok(false),
        other => Err(unexpected(other)),
    }
}

fn unexpected(reply: Reply) -> McError {
    match reply {
        Reply::Failed(text) => McError::Server(text),
        other => McError::UnexpectedReply(other),
    }
}

// ---------------------------------------------------------------------------------------
// The wiring.
// ---------------------------------------------------------------------------------------

/// The connection to one memcached server.
pub struct Memcached {
    pub addr: SocketAddr,
}

impl Connection for Memcached {
    type Transport = TcpStream;
    type Incoming = Reply;
    type Error = McError;

    fn connect(&mut self, _info: ConnectInfo) -> ConnectFuture<Self> {
        let addr = self.addr;
        async move { Ok(TcpStream::connect(addr).await?) }.boxed_local()
    }

    fn connected(&mut self, socket: TcpStream, cx: &mut Ctx<'_, Self>) {
        let (read, write) = socket.into_split();
        cx.read(FramedRead::new(read, ReplyCodec));
        cx.writer(write);
    }
}

/// `get <key>`: the value, or `None`.
pub struct Get(pub String);
impl Message for Get {
    type Result = Result<Option<Bytes>, McError>;
}
impl Handle<Get> for Memcached {
    type Result = Request<Self, Get>;
    fn handle(&mut self, Get(key): Get, cx: &mut Ctx<'_, Self>) -> Request<Self, Get> {
        match check_key(&key) {
            Ok(()) => cx.request(|buf| encode_get(buf, &key), value),
            Err(e) => Request::answered(Err(e)),
        }
    }
}

/// `set <key> 0 <ttl>`: `true` once stored.
pub struct Set {
    pub key: String,
    pub value: Bytes,
    /// Seconds until it expires; 0 never.
    pub ttl: u32,
}
impl Message for Set {
    type Result = Result<bool, McError>;
}
impl Handle<Set> for Memcached {
    type Result = Request<Self, Set>;
    fn handle(&mut self, set: Set, cx: &mut Ctx<'_, Self>) -> Request<Self, Set> {
        match check_key(&set.key) {
            Ok(()) => cx.request(|buf| encode_set(buf, &set.key, &set.value, set.ttl), stored),
            Err(e) => Request::answered(Err(e)),
        }
    }
}

/// `delete <key>`: `true` when it existed.
pub struct Delete(pub String);
impl Message for Delete {
    type Result = Result<bool, McError>;
}
impl Handle<Delete> for Memcached {
    type Result = Request<Self, Delete>;
    fn handle(&mut self, Delete(key): Delete, cx: &mut Ctx<'_, Self>) -> Request<Self, Delete> {
        match check_key(&key) {
            Ok(()) => cx.request(|buf| encode_delete(buf, &key), deleted),
            Err(e) => Request::answered(Err(e)),
        }
    }
}
