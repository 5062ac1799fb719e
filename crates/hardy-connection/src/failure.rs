//! Why a connect attempt failed or a live link went down.
//!
//! One type for both, because a protocol decides what to do next from the same facts
//! (closed by the peer, timed out, an I/O or protocol error, or a handler's request), and
//! because it is what in-flight callers are told.

use std::fmt;
use std::time::Duration;

/// Why a connect attempt failed, or why an established link went down.
///
/// `E` is the protocol's own error type ([`Connection::Error`](crate::Connection::Error)).
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure<E> {
    /// The peer closed the link: the read side reached end of stream.
    Closed,
    /// `connect` did not finish within the connect timeout.
    ConnectTimeout(Duration),
    /// The health-check probe did not answer within its deadline: the link is presumed
    /// half-open (the peer stopped answering without closing).
    HealthCheckTimeout(Duration),
    /// The protocol reported an error: from `connect`, from reading or writing the link,
    /// from a health-check probe, or from a handler.
    Error(E),
    /// A handler asked to disconnect, with no error.
    Requested,
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Closed => f.write_str("the peer closed the connection"),
            Failure::ConnectTimeout(d) => write!(f, "connect timed out after {d:?}"),
            Failure::HealthCheckTimeout(d) => {
                write!(f, "health check got no answer within {d:?}")
            }
            Failure::Error(e) => e.fmt(f),
            Failure::Requested => f.write_str("disconnect requested"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Failure<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Error(e) => Some(e),
            _ => None,
        }
    }
}
