//! Bounded, escaped rendering of untrusted bytes.
//!
//! Replies, command arguments and error texts can be megabytes long and hold any byte.
//! Everything that prints them (`Debug` impls, error messages) goes through [`Show`], so a
//! log line never carries more than a few dozen bytes of payload and never raw control bytes.

use std::fmt;

/// How many payload bytes `Debug` output shows before truncating.
pub(crate) const DEBUG_BYTES: usize = 64;

/// Displays at most `max` bytes as an escaped byte-string literal, then the total length.
pub(crate) struct Show<'a> {
    bytes: &'a [u8],
    max: usize,
}

impl<'a> Show<'a> {
    /// Shows at most [`DEBUG_BYTES`] bytes.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self::with_max(bytes, DEBUG_BYTES)
    }

    /// Shows at most `max` bytes.
    pub(crate) fn with_max(bytes: &'a [u8], max: usize) -> Self {
        Show { bytes, max }
    }
}

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.bytes[..self.bytes.len().min(self.max)];
        write!(f, "\"{}\"", shown.escape_ascii())?;
        if shown.len() < self.bytes.len() {
            write!(f, "... ({} bytes)", self.bytes.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Renders `bytes` (truncated, escaped) into an owned string, for error values.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    Show::new(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bytes_are_shown_whole_and_escaped() {
        assert_eq!(excerpt(b"a\r\nb"), "\"a\\r\\nb\"");
    }

    #[test]
    fn long_bytes_are_truncated_with_their_length() {
        let long = vec![b'x'; 1000];
        let shown = excerpt(&long);
        assert!(shown.len() < 100, "{shown}");
        assert!(shown.ends_with("... (1000 bytes)"), "{shown}");
    }
}
