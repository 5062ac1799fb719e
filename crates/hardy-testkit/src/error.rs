//! The testkit's one error type, so a failing fixture says what went wrong and what to do.

use std::io;

/// Convenience alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a testkit fixture could not do what a test asked of it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `redis-server` binary is not installed (or not on `PATH`).
    #[error(
        "redis-server not found: install the Debian package redis-server (apt-get install redis-server)"
    )]
    RedisServerNotFound,

    /// The server process started but did not report readiness; the log tail says why.
    #[error("redis-server on 127.0.0.1:{port} did not become ready: {reason}\n--- redis-server log (tail) ---\n{log_tail}")]
    NotReady {
        /// The port the server was asked to listen on.
        port: u16,
        /// What happened instead (exited, timed out, could not bind).
        reason: String,
        /// The last lines the server wrote to stdout/stderr.
        log_tail: String,
    },

    /// The operation needs a running server, but it was stopped or killed.
    #[error("redis-server is not running (call restart() first)")]
    NotRunning,

    /// The server answered a command with an error reply.
    #[error("redis error reply: {0}")]
    Redis(String),

    /// The server's reply could not be parsed.
    #[error("malformed RESP reply: {0}")]
    Protocol(String),

    /// An operating-system call failed (spawn, signal, socket, temp dir).
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}
