//! The driver's error: one enum whose variants say what a caller can do.

use std::sync::Arc;
use std::time::Duration;

use crate::resp::{ProtocolError, ServerError};
use crate::value::TypeError;

/// What went wrong with a request or a connection, and what to do about it.
///
/// | variant | did the command run? | what to do |
/// |---|---|---|
/// | [`NotConnected`](Error::NotConnected) | no | the link stayed down (or its server kept loading its dataset) for the request's whole `reconnect_wait`: retry later, or enable `queue_while_disconnected` |
/// | [`Disconnected`](Error::Disconnected) | maybe | retry if the command is idempotent |
/// | [`Timeout`](Error::Timeout) | maybe | retry if idempotent; raise the timeout for slow commands |
/// | [`Server`](Error::Server) | yes, and Redis refused it | fix the command or the data |
/// | [`Type`](Error::Type) | yes | ask for another Rust type |
/// | [`WatchAborted`](Error::WatchAborted) | no | re-read the watched keys and retry |
/// | [`MultiRefused`](Error::MultiRefused) | yes, one by one, outside a transaction | do not retry blindly: check what ran; fix the ACL |
/// | [`QueueFull`](Error::QueueFull) | no | slow down, or raise the queue size |
/// | [`Overloaded`](Error::Overloaded) | no | slow down; check the server; or raise `max_in_flight` |
/// | [`Config`](Error::Config) / [`Handshake`](Error::Handshake) | no | fix the configuration |
/// | [`Cluster`](Error::Cluster) | no | see [`ClusterError`](crate::cluster::ClusterError): fix the keys, or retry later |
/// | [`Stopped`](Error::Stopped) | no | the actor is gone: start a new one (or let its supervisor) |
/// | [`ReadOnly`](Error::ReadOnly) | no: the node is a replica (a demoted primary) | retry: a Sentinel connection is already moving to the new primary |
/// | [`SentinelUnreachable`](Error::SentinelUnreachable) / [`SentinelUnknownService`](Error::SentinelUnknownService) / [`SentinelNoReplica`](Error::SentinelNoReplica) / [`WrongRole`](Error::WrongRole) | no | the connection retries by itself; check the sentinels and the service name if it lasts |
/// | [`SentinelRefused`](Error::SentinelRefused) | no | fix the sentinels' credentials ([`Sentinel::password`](crate::Sentinel::password)) |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection is down and reconnecting in the background, or its server is still
    /// loading its dataset; the command was not sent.
    #[error(
        "not connected to Redis (reconnecting in the background): retry later, or enable \
         queue_while_disconnected"
    )]
    NotConnected,
    /// The connection dropped after the command was sent and before its reply arrived:
    /// it may or may not have run.
    #[error("the connection to Redis dropped before the reply arrived ({0}): the command may or may not have run")]
    Disconnected(Arc<str>),
    /// No reply within the command timeout: the command may or may not have run. Its late
    /// reply, if any, is read and discarded.
    #[error("no reply from Redis within {0:?}: the command may or may not have run")]
    Timeout(Duration),
    /// Redis answered with an error reply. For one command of a pipeline or of a
    /// transaction's `EXEC`, [`ServerError::index`] says which.
    #[error("Redis replied with an error: {0}")]
    Server(ServerError),
    /// The reply did not convert to the requested Rust type.
    #[error("unexpected reply: {0}")]
    Type(#[from] TypeError),
    /// `EXEC` answered null: a `WATCH`ed key changed, and the transaction did not run.
    #[error("the transaction did not run: a WATCHed key changed; re-read and retry")]
    WatchAborted,
    /// Redis refused `MULTI` (an ACL without `+multi`, for example). Redis then ran the
    /// transaction's commands one by one, as ordinary commands, and refused `EXEC`: the
    /// body may have run, without a transaction's guarantees. Retrying would run it again.
    #[error(
        "Redis refused MULTI ({0}): the transaction's commands may have run one by one, \
         outside a transaction; check their effects before retrying, and allow MULTI and \
         EXEC in the user's ACL"
    )]
    MultiRefused(ServerError),
    /// Too many commands are already waiting for the connection to come back.
    #[error("{0} commands are already waiting for a connection to Redis: slow down, or raise queue_while_disconnected")]
    QueueFull(usize),
    /// Too many requests are already awaiting replies on this connection (the server is
    /// slow or stalled); this one was not sent.
    #[error("{0} requests are already awaiting replies from Redis: the server is slow or stalled; slow down, or raise max_in_flight")]
    Overloaded(usize),
    /// The configuration is invalid (bad URL, unsupported scheme, ...).
    #[error("invalid Redis configuration: {0}")]
    Config(String),
    /// Redis refused the connection handshake (`HELLO`, `AUTH`, `SELECT`, `CLIENT SETNAME`).
    /// Retrying cannot help: the connection stops instead of looping.
    #[error("Redis refused the connection handshake at {step}: {error}; check the password, the user's ACL and the database number")]
    Handshake {
        /// The step that failed, e.g. `"AUTH"`.
        step: &'static str,
        /// What Redis said.
        error: ServerError,
    },
    /// The connection actor has stopped, for this reason. Under a supervisor a new
    /// incarnation may be on its way (retry); otherwise start a new connection.
    #[error("the Redis connection has stopped ({0}); a supervisor may be restarting it, otherwise start a new one")]
    Stopped(Arc<str>),
    /// The socket failed: connecting, reading or writing.
    #[error("I/O error talking to Redis: {0}")]
    Io(#[from] std::io::Error),
    /// The server sent a reply when no request was waiting for one: the link is dropped,
    /// since replies could no longer be matched to requests.
    #[error("Redis sent a reply nobody asked for: the connection was reset to stay aligned")]
    UnexpectedReply,
    /// The server sent bytes that are not valid RESP; the link is dropped.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The node refused a write with `READONLY`: it is a replica, most likely a primary
    /// demoted by a failover. The command did not run. A Sentinel connection drops the
    /// link and asks the sentinels again, so a retry goes to the new primary.
    #[error("Redis refused the write, the node is a replica ({0}): the command did not run; retry (a Sentinel connection is moving to the new primary)")]
    ReadOnly(ServerError),
    /// No sentinel answered (connection refused, timed out, ...), for each of them why.
    /// The connection keeps retrying with its backoff.
    #[error("no sentinel answered {0}; check the sentinel addresses and that they run")]
    SentinelUnreachable(Arc<str>),
    /// Sentinels answered, but none knows the service's primary: the service name is
    /// wrong, or the sentinels are not monitoring it (yet).
    #[error(
        "{0}; check the service name (`sentinel monitor <name> ...` in the sentinels' config)"
    )]
    SentinelUnknownService(Arc<str>),
    /// Sentinels answered, but none lists a replica that is up and in sync.
    #[error("{0}; the connection retries until one is")]
    SentinelNoReplica(Arc<str>),
    /// A sentinel refused the credentials (and no other sentinel answered): the
    /// sentinels' password or user is wrong. The connection stops, as for
    /// [`Handshake`](Error::Handshake).
    #[error("the sentinel {sentinel} refused the connection: {error}; check the sentinels' credentials (Sentinel::password, sentinelPassword=)")]
    SentinelRefused {
        /// The sentinel's `host:port`.
        sentinel: String,
        /// What it said.
        error: ServerError,
    },
    /// The node the sentinels named is not in the wanted role (a primary being demoted, a
    /// replica not in sync yet): it is not used, and the connection retries after its
    /// backoff.
    #[error("{node} is a {actual}, not the {expected} wanted: not using it, retrying")]
    WrongRole {
        /// The node's `host:port`.
        node: Arc<str>,
        /// The role wanted: `"primary"` or `"replica in sync"`.
        expected: &'static str,
        /// What `ROLE` said.
        actual: Arc<str>,
    },
    /// A Redis Cluster request could not run (cross-slot keys, too many redirections, the
    /// cluster unavailable for the retry timeout): nothing ran.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
}

impl Error {
    /// Whether retrying the same request later may succeed (the link was the problem, not
    /// the request or the configuration).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::NotConnected
                | Error::Disconnected(_)
                | Error::Timeout(_)
                | Error::QueueFull(_)
                | Error::Overloaded(_)
                | Error::Io(_)
                | Error::ReadOnly(_)
                | Error::SentinelUnreachable(_)
                | Error::SentinelUnknownService(_)
                | Error::SentinelNoReplica(_)
                | Error::WrongRole { .. }
                | Error::Cluster(
                    crate::cluster::ClusterError::TooManyRedirects { .. }
                        | crate::cluster::ClusterError::Unavailable { .. }
                        | crate::cluster::ClusterError::NoTopology(_)
                )
        )
    }

    /// Whether the command may have run on the server even though no reply came back.
    pub fn maybe_executed(&self) -> bool {
        matches!(
            self,
            Error::Disconnected(_) | Error::Timeout(_) | Error::MultiRefused(_)
        )
    }
}
