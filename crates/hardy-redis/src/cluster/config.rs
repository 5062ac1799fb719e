//! [`ClusterConfig`]: where to find a cluster (seed nodes), how to talk to each node, and
//! the cluster-wide limits (redirections, retry time, topology refresh).
//!
//! The URL form follows fred's: `redis-cluster://[user:password@]host:port?node=host2:port2`
//! (`rediss-cluster://` for TLS), any number of `node` options adding seeds.

use std::str::FromStr;
use std::time::Duration;

use crate::{Config, Error};

/// How many `MOVED`/`ASK` redirections one command may follow by default.
pub const DEFAULT_MAX_REDIRECTS: u32 = 16;
/// How long by default a command may keep retrying while the cluster is changing
/// (`TRYAGAIN`, `CLUSTERDOWN`, a slot without an owner, a node reconnecting).
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often by default the topology is re-read even if nothing asked for it.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// The shortest gap by default between two topology reads, however many callers ask.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_millis(100);

/// The configuration of a [`Cluster`](crate::cluster::Cluster).
///
/// ```
/// use std::time::Duration;
/// use hardy_redis::cluster::ClusterConfig;
/// use hardy_redis::Config;
///
/// let config: ClusterConfig =
///     "redis-cluster://:s3cret@10.0.0.1:7000?node=10.0.0.2:7000&node=10.0.0.3:7000".parse()?;
/// assert_eq!(config.seeds().len(), 3);
///
/// // Or in code: every node connection uses the template's credentials, TLS and timeouts.
/// let config = ClusterConfig::new(["10.0.0.1:7000", "10.0.0.2:7000"])?
///     .node_config(Config::new("unused", 0).password("s3cret"))
///     .retry_timeout(Duration::from_secs(2));
/// # Ok::<(), hardy_redis::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub(crate) seeds: Vec<(String, u16)>,
    pub(crate) node: Config,
    pub(crate) max_redirects: u32,
    pub(crate) retry_timeout: Duration,
    pub(crate) refresh_interval: Option<Duration>,
    pub(crate) min_refresh_interval: Duration,
    pub(crate) read_from_replicas: bool,
}

impl ClusterConfig {
    /// Seed nodes as `host:port` (`[::1]:7000` for IPv6), tried in turn at connect and
    /// whenever no known node answers.
    pub fn new<S: AsRef<str>>(seeds: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        let seeds = seeds
            .into_iter()
            .map(|s| parse_addr(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        ClusterConfig::with_seeds(seeds, Config::new("127.0.0.1", 6379))
    }

    fn with_seeds(seeds: Vec<(String, u16)>, node: Config) -> Result<Self, Error> {
        if seeds.is_empty() {
            return Err(Error::Config(
                "a cluster needs at least one seed node (host:port)".into(),
            ));
        }
        Ok(ClusterConfig {
            seeds,
            node,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            retry_timeout: DEFAULT_RETRY_TIMEOUT,
            refresh_interval: Some(DEFAULT_REFRESH_INTERVAL),
            min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
            read_from_replicas: false,
        })
    }

    /// Parses `redis-cluster://[user:password@]host:port[?node=host:port…]`
    /// (`rediss-cluster://` for TLS); the other options are [`Config::from_url`]'s
    /// (`protocol=resp2|resp3`).
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            Error::Config(
                "a cluster URL looks like redis-cluster://host:port?node=host:port".into(),
            )
        })?;
        let node_scheme = match scheme {
            "redis-cluster" => "redis",
            "rediss-cluster" => "rediss",
            other => {
                return Err(Error::Config(format!(
                    "unknown cluster scheme {other}://: use redis-cluster:// or rediss-cluster://"
                )))
            }
        };
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut extra = Vec::new();
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.strip_prefix("node=") {
                Some(addr) => extra.push(parse_addr(addr)?),
                None => kept.push(pair),
            }
        }
        let mut node_url = format!("{node_scheme}://{base}");
        if !kept.is_empty() {
            node_url.push('?');
            node_url.push_str(&kept.join("&"));
        }
        let node = Config::from_url(&node_url)?;
        let mut seeds = vec![(node.host.clone(), node.port)];
        seeds.extend(extra);
        ClusterConfig::with_seeds(seeds, node)
    }

    /// The settings every node connection uses (credentials, TLS, protocol, timeouts,
    /// backoff); its host and port are replaced by each node's. Its `reconnect_wait` and
    /// `queue_while_disconnected` are not used: a request that finds its node's link down
    /// waits in the cluster handle instead, up to the
    /// [`retry_timeout`](Self::retry_timeout), for that link or for a new owner of its
    /// slot, whichever comes first.
    pub fn node_config(mut self, config: Config) -> Self {
        self.node = config;
        self
    }

    /// How many `MOVED`/`ASK` redirections one command may follow before it fails with
    /// [`ClusterError::TooManyRedirects`](crate::cluster::ClusterError::TooManyRedirects)
    /// (default [`DEFAULT_MAX_REDIRECTS`]).
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self
    }

    /// How long a command may keep retrying while the cluster changes: `TRYAGAIN`,
    /// `CLUSTERDOWN`, `LOADING`, a slot without a reachable owner (default
    /// [`DEFAULT_RETRY_TIMEOUT`]). Only commands that certainly did not run are retried.
    pub fn retry_timeout(mut self, timeout: Duration) -> Self {
        self.retry_timeout = timeout;
        self
    }

    /// How often the topology is re-read when nothing asked (default
    /// [`DEFAULT_REFRESH_INTERVAL`]); `None` turns the periodic refresh off.
    pub fn refresh_interval(mut self, interval: Option<Duration>) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// The shortest gap between two topology reads (default
    /// [`DEFAULT_MIN_REFRESH_INTERVAL`]): a burst of `MOVED` costs one `CLUSTER SHARDS`.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// Sends read-only commands (those the server flags `readonly`: `GET`, `MGET`,
    /// `HGETALL`, …) to the replicas of the slot's primary, round-robin (default: off, all
    /// to primaries). Each node connection then sends `READONLY` on every connect.
    ///
    /// Consistency: replication is asynchronous, so a replica may answer with a value
    /// older than a write the same caller just had acknowledged; and while a slot
    /// migrates, a replica may answer "no such key" for a key already moved (replicas do
    /// not send `ASK`). Use it for reads that tolerate staleness.
    pub fn read_from_replicas(mut self, yes: bool) -> Self {
        self.read_from_replicas = yes;
        self
    }

    /// The seed nodes, as `(host, port)`.
    pub fn seeds(&self) -> &[(String, u16)] {
        &self.seeds
    }

    /// The connection settings for the node at `host:port`.
    pub(crate) fn for_node(&self, addr: &str) -> Result<Config, Error> {
        let (host, port) = parse_addr(addr)?;
        let mut config = self.node.clone();
        config.host = host;
        config.port = port;
        config.unix = None;
        config.cluster_readonly = self.read_from_replicas;
        // A node that refuses the handshake (its own password, a certificate that does
        // not match) must not stop: its supervisor would restart it at once, reach its
        // intensity within seconds and take every node's connection down with it.
        config.retry_refusals = true;
        // Not sent while the link is down: the route retries, and follows the slot to a
        // new owner at once rather than waiting on a dead node's link.
        config.reconnect_wait = Duration::ZERO;
        config.queue_while_disconnected = 0;
        // The node connections share the caller's thread, and a caller answered by one
        // node sends to another: each write waits one turn to collect them.
        config.defer_writes = true;
        Ok(config)
    }
}

impl FromStr for ClusterConfig {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self, Error> {
        ClusterConfig::from_url(url)
    }
}

/// `host:port` or `[v6]:port` into its parts.
pub(crate) fn parse_addr(addr: &str) -> Result<(String, u16), Error> {
    // The value is not echoed: a password typed in the wrong place must not show.
    let bad = || Error::Config("a node address is not host:port (e.g. 127.0.0.1:7000)".into());
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = port.parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_list_every_seed_and_keep_node_options() {
        let c = ClusterConfig::from_url(
            "redis-cluster://u:p@h1:7000?node=h2:7001&protocol=resp2&node=[::1]:7002",
        )
        .unwrap();
        assert_eq!(
            c.seeds(),
            &[
                ("h1".to_owned(), 7000),
                ("h2".to_owned(), 7001),
                ("::1".to_owned(), 7002)
            ]
        );
        assert_eq!(c.node.username.as_deref(), Some("u"));
        assert_eq!(c.node.protocol, crate::Protocol::Resp2);
        let node = c.for_node("10.0.0.9:7005").unwrap();
        assert_eq!((node.host(), node.port()), ("10.0.0.9", 7005));
    }

    #[test]
    fn bad_cluster_urls_say_what_to_write() {
        let err = ClusterConfig::from_url("redis://h:1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("redis-cluster://"), "{err}");
        let err = ClusterConfig::from_url("redis-cluster://h:1?node=nope")
            .unwrap_err()
            .to_string();
        assert!(err.contains("host:port"), "{err}");
        assert!(ClusterConfig::new(Vec::<String>::new()).is_err());
    }
}
