//! [`ClusterError`]: what only a cluster can get wrong, inside [`Error::Cluster`](crate::Error::Cluster).

use std::time::Duration;

/// Why a cluster request failed without running (every variant: nothing ran).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A command's keys hash to different slots and it cannot be split: nothing was sent.
    #[error(
        "{command}'s keys are in different hash slots, and Redis Cluster runs a command on one \
         slot: put the keys under one hash tag, e.g. {{user1}}:a and {{user1}}:b"
    )]
    CrossSlot {
        /// The command's name.
        command: String,
    },
    /// A transaction's commands touch more than one slot.
    #[error(
        "a transaction runs on one node and one slot, and its keys span slots {first} and \
         {other}: put its keys under one hash tag"
    )]
    CrossSlotTransaction {
        /// The first key's slot.
        first: u16,
        /// Another key's slot.
        other: u16,
    },
    /// The command was redirected (`MOVED`/`ASK`) more often than allowed: the cluster is
    /// reconfiguring faster than the client can follow, or two nodes disagree.
    #[error(
        "{command} was redirected {count} times (last: {last}) and did not run: the cluster \
         is changing; retry later or raise ClusterConfig::max_redirects"
    )]
    TooManyRedirects {
        /// The command's name.
        command: String,
        /// How many redirections it followed.
        count: u32,
        /// The last redirection's text.
        last: String,
    },
    /// The cluster stayed unable to run the command (no owner for its slot, `TRYAGAIN`,
    /// `CLUSTERDOWN`, the owner unreachable) for the whole retry timeout.
    #[error(
        "{command} could not run within {waited:?}: {reason}; it did not run, retry later \
         (or raise ClusterConfig::retry_timeout)"
    )]
    Unavailable {
        /// The command's name.
        command: String,
        /// How long it kept retrying.
        waited: Duration,
        /// The last thing that stopped it.
        reason: String,
    },
    /// No seed node answered with a usable topology.
    #[error("no seed node gave the cluster's topology: {0}; check the seed addresses and that the nodes run with cluster-enabled yes")]
    NoTopology(String),
    /// The command needs every node (`SCAN`: use `Cluster::scan`) or has no meaning on a
    /// cluster handle.
    #[error("{command} is not supported on a cluster handle: {hint}")]
    Unsupported {
        /// The command's name.
        command: String,
        /// What to do instead.
        hint: &'static str,
    },
}
