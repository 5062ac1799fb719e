//! [`ServerError`]: an error reply from Redis, as a Rust error value.
//!
//! Redis errors are data, not protocol failures: `-WRONGTYPE ...` answers one command and
//! the connection stays healthy. The first word is a machine-readable code that callers
//! branch on (`MOVED` and `ASK` for cluster redirects, `NOSCRIPT`, `BUSY`, `LOADING`), so
//! this type keeps the raw text and exposes the code without allocating.

use std::fmt;

use bytes::Bytes;

use super::frame::Frame;
use super::show::Show;

/// The text of a `-` or `!` reply, e.g. `WRONGTYPE Operation against a key holding the
/// wrong kind of value`.
///
/// ```
/// use hardy_redis::resp::{Frame, ServerError};
///
/// let err = ServerError::from_frame(Frame::error("MOVED 3999 127.0.0.1:6381")).unwrap();
/// assert_eq!(err.code(), "MOVED");
/// assert_eq!(err.detail(), &b"3999 127.0.0.1:6381"[..]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ServerError {
    text: Bytes,
    /// For an error inside a pipeline or a transaction's `EXEC`: the command's position.
    index: Option<usize>,
}

impl ServerError {
    /// An error with the given full text (code, space, message).
    pub fn new(text: impl Into<Bytes>) -> Self {
        ServerError {
            text: text.into(),
            index: None,
        }
    }

    /// The error carried by `frame` if it is an error reply (looking through attributes);
    /// otherwise the frame, unchanged.
    pub fn from_frame(frame: Frame) -> Result<ServerError, Frame> {
        match frame.into_value() {
            Frame::SimpleError(text) | Frame::BlobError(text) => Ok(ServerError::new(text)),
            other => Err(other),
        }
    }

    /// The whole error text as sent.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The error code: the first word if it is all upper-case ASCII (`ERR`, `WRONGTYPE`,
    /// `MOVED`), else the empty string.
    pub fn code(&self) -> &str {
        let word = self.text.split(|&b| b == b' ').next().unwrap_or_default();
        if !word.is_empty() && word.iter().all(|b| b.is_ascii_uppercase() || *b == b'_') {
            std::str::from_utf8(word).unwrap_or_default()
        } else {
            ""
        }
    }

    /// For an error that answered one command of a pipeline or transaction: that
    /// command's position in it, from 0 (`MULTI` and `EXEC` not counted).
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// The same error, as the answer to command `index` of a pipeline or transaction.
    pub fn at(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }

    /// The text after the code (the whole text when there is no code).
    pub fn detail(&self) -> &[u8] {
        let code = self.code().len();
        if code == 0 {
            return &self.text;
        }
        self.text.get(code + 1..).unwrap_or_default()
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.text[..self.text.len().min(512)];
        write!(f, "{}", String::from_utf8_lossy(shown))?;
        if shown.len() < self.text.len() {
            write!(f, "... ({} bytes)", self.text.len())?;
        }
        if let Some(index) = self.index {
            write!(f, " (command {index} of the pipeline, counted from 0)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerError({}", Show::with_max(&self.text, 512))?;
        if let Some(index) = self.index {
            write!(f, " at {index}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ServerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_the_first_upper_case_word() {
        let err = ServerError::new("WRONGTYPE Operation against a key");
        assert_eq!(err.code(), "WRONGTYPE");
        assert_eq!(err.detail(), &b"Operation against a key"[..]);
        assert_eq!(err.to_string(), "WRONGTYPE Operation against a key");
    }

    #[test]
    fn text_without_a_code_is_all_detail() {
        let err = ServerError::new("oops: lower case");
        assert_eq!(err.code(), "");
        assert_eq!(err.detail(), &b"oops: lower case"[..]);
        assert_eq!(ServerError::new("ERR").detail(), &b""[..]);
    }

    #[test]
    fn non_error_frames_are_given_back() {
        assert_eq!(
            ServerError::from_frame(Frame::Integer(1)),
            Err(Frame::Integer(1))
        );
    }
}
