//! [`SentinelGroup`]: a Redis Sentinel deployment on loopback, a primary, its replicas and
//! three sentinels, each a real `redis-server` process on a free port.
//!
//! Failover is the fault a Sentinel client exists for, and it is only believable against
//! real sentinels electing a leader and promoting a real replica. This fixture starts the
//! lot with fast settings (a node is down after 1 s of silence), makes each way a primary
//! fails one call (`SENTINEL FAILOVER`, `SIGKILL`, `SIGSTOP`), and waits for the sentinels
//! to agree on the new primary by polling them with a deadline: an external process
//! group has no event to wait on.

use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::resp::Reply;
use crate::server::{RedisConfig, RedisServer};

/// The service name the sentinels monitor.
pub const SERVICE: &str = "hardy";
/// How long a node may be silent before a sentinel thinks it is down.
pub const DOWN_AFTER: Duration = Duration::from_millis(1000);
/// Sentinel's `failover-timeout`; a new failover of the same primary waits twice this.
const FAILOVER_TIMEOUT: Duration = Duration::from_millis(3000);
/// The pause between two looks at the sentinels while waiting.
const POLL: Duration = Duration::from_millis(50);

/// A primary, two replicas and three sentinels monitoring them as [`SERVICE`].
///
/// Dropping it stops the sentinels first (so they do not fail over during teardown), then
/// the data nodes.
///
/// ```no_run
/// use std::time::Duration;
/// use hardy_testkit::SentinelGroup;
///
/// let group = SentinelGroup::start()?;
/// let old = group.primary_port()?;
/// group.failover()?;
/// let new = group.wait_for_new_primary(old, Duration::from_secs(20))?;
/// assert_ne!(old, new);
/// # Ok::<(), hardy_testkit::Error>(())
/// ```
pub struct SentinelGroup {
    // Fields drop in order: sentinels before the nodes they watch.
    sentinels: Vec<RedisServer>,
    nodes: Vec<RedisServer>,
}

impl SentinelGroup {
    /// Starts a primary, two replicas and three sentinels, and waits (up to 20 s) until
    /// the replicas are in sync and every sentinel knows both replicas and the other
    /// sentinels: from then on a failover can be voted and carried out.
    pub fn start() -> Result<Self> {
        Self::start_with(RedisConfig::new(), 2)
    }

    /// Like [`start`](Self::start), with `config` for the data nodes (e.g. a password:
    /// the sentinels are then given it with `sentinel auth-pass`) and `replicas` replicas.
    pub fn start_with(config: RedisConfig, replicas: usize) -> Result<Self> {
        let password = config.auth.as_ref().map(|(_, pw)| pw.clone());
        let primary = config.clone().start()?;
        let primary_port = primary.port();
        let mut nodes = vec![primary];
        for _ in 0..replicas {
            let mut replica = config
                .clone()
                .line(format!("replicaof 127.0.0.1 {primary_port}"));
            if let Some(pw) = &password {
                replica = replica.line(format!("masterauth \"{pw}\""));
            }
            nodes.push(replica.start()?);
        }
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            let mut sentinel = RedisConfig::new()
                .arg("--sentinel")
                .line(format!(
                    "sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2"
                ))
                .line(format!(
                    "sentinel down-after-milliseconds {SERVICE} {}",
                    DOWN_AFTER.as_millis()
                ))
                .line(format!(
                    "sentinel failover-timeout {SERVICE} {}",
                    FAILOVER_TIMEOUT.as_millis()
                ))
                .line(format!("sentinel parallel-syncs {SERVICE} 2"));
            if let Some(pw) = &password {
                sentinel = sentinel.line(format!("sentinel auth-pass {SERVICE} \"{pw}\""));
            }
            sentinels.push(sentinel.start()?);
        }
        let group = SentinelGroup { sentinels, nodes };
        group.wait_ready(Duration::from_secs(20))?;
        Ok(group)
    }

    /// The service name to give the client ([`SERVICE`]).
    pub fn service(&self) -> &str {
        SERVICE
    }

    /// The sentinels' addresses, as `("127.0.0.1", port)`.
    pub fn sentinel_addrs(&self) -> Vec<(String, u16)> {
        self.sentinels
            .iter()
            .map(|s| ("127.0.0.1".to_owned(), s.port()))
            .collect()
    }

    /// The sentinels.
    pub fn sentinels(&self) -> &[RedisServer] {
        &self.sentinels
    }

    /// The sentinels, to stop, restart or pause them.
    pub fn sentinels_mut(&mut self) -> &mut [RedisServer] {
        &mut self.sentinels
    }

    /// The data nodes: the first started as the primary, the others as its replicas.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// The data node listening on `port`.
    pub fn node(&self, port: u16) -> Result<&RedisServer> {
        self.nodes
            .iter()
            .find(|n| n.port() == port)
            .ok_or_else(|| Error::Protocol(format!("no data node on port {port}")))
    }

    /// The data node listening on `port`, to kill, pause or restart it.
    pub fn node_mut(&mut self, port: u16) -> Result<&mut RedisServer> {
        self.nodes
            .iter_mut()
            .find(|n| n.port() == port)
            .ok_or_else(|| Error::Protocol(format!("no data node on port {port}")))
    }

    /// The primary's port, as the first sentinel that answers says.
    pub fn primary_port(&self) -> Result<u16> {
        let mut last = Error::NotRunning;
        for sentinel in self.sentinels.iter().filter(|s| s.pid().is_some()) {
            match primary_of(sentinel) {
                Ok(port) => return Ok(port),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Asks a sentinel for a failover now (`SENTINEL FAILOVER`), as an operator would.
    pub fn failover(&self) -> Result<()> {
        let sentinel = self
            .sentinels
            .iter()
            .find(|s| s.pid().is_some())
            .ok_or(Error::NotRunning)?;
        sentinel.command(&["SENTINEL", "FAILOVER", SERVICE])?;
        Ok(())
    }

    /// Kills the primary with `SIGKILL`; returns its port.
    pub fn kill_primary(&mut self) -> Result<u16> {
        let port = self.primary_port()?;
        self.node_mut(port)?.kill()?;
        Ok(port)
    }

    /// Freezes the primary with `SIGSTOP`; returns its port.
    pub fn pause_primary(&mut self) -> Result<u16> {
        let port = self.primary_port()?;
        self.node(port)?.pause()?;
        Ok(port)
    }

    /// Waits until every running sentinel names the same primary, other than `old`, and
    /// that node says it is a primary; returns its port.
    pub fn wait_for_new_primary(&self, old: u16, timeout: Duration) -> Result<u16> {
        self.poll(timeout, "the sentinels agreeing on a new primary", || {
            self.new_primary(old)
        })
    }

    /// One look (no waiting, for tests that poll from async code): the primary every
    /// running sentinel names, if they agree, it is not `old`, and it says it is a
    /// primary.
    pub fn new_primary(&self, old: u16) -> Option<u16> {
        let mut agreed = None;
        for sentinel in self.sentinels.iter().filter(|s| s.pid().is_some()) {
            let port = primary_of(sentinel).ok()?;
            if port == old || agreed.is_some_and(|p| p != port) {
                return None;
            }
            agreed = Some(port);
        }
        let port = agreed?;
        let role = self.node(port).ok()?.command(&["ROLE"]).ok()?;
        (first_word(&role) == Some("master")).then_some(port)
    }

    /// Waits until the replicas are in sync, each running sentinel knows them all and
    /// every other sentinel, and no sentinel is still in the middle of a failover (it
    /// reconfigures the replicas after the promotion: a primary killed meanwhile would
    /// not be failed over again before the failover times out).
    pub fn wait_ready(&self, timeout: Duration) -> Result<()> {
        let replicas = self.nodes.len() - 1;
        let others = self.sentinels.len() - 1;
        self.poll(timeout, "the sentinel group to be ready", || {
            self.sentinels
                .iter()
                .filter(|s| s.pid().is_some())
                .all(|s| {
                    let settled = s
                        .command(&["SENTINEL", "MASTER", SERVICE])
                        .ok()
                        .and_then(|r| field(&r, "flags"))
                        .is_some_and(|flags| !flags.contains("failover_in_progress"));
                    let healthy = s
                        .command(&["SENTINEL", "REPLICAS", SERVICE])
                        .map(|r| {
                            count(&r, |e| {
                                field(e, "master-link-status") == Some("ok".into())
                                    && !field(e, "flags").unwrap_or_default().contains("down")
                            })
                        })
                        .unwrap_or(0);
                    let peers = s
                        .command(&["SENTINEL", "SENTINELS", SERVICE])
                        .map(|r| count(&r, |_| true))
                        .unwrap_or(0);
                    settled && healthy >= replicas && peers >= others
                })
                .then_some(())
        })
    }

    /// Calls `check` every [`POLL`] until it answers, or fails after `timeout`.
    fn poll<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut() -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(done) = check() {
                return Ok(done);
            }
            if Instant::now() >= deadline {
                let log = self
                    .sentinels
                    .first()
                    .map(RedisServer::log_tail)
                    .unwrap_or_default();
                return Err(Error::NotReady {
                    port: 0,
                    reason: format!("waited {timeout:?} for {what}"),
                    log_tail: log,
                });
            }
            thread::sleep(POLL);
        }
    }
}

impl std::fmt::Debug for SentinelGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentinelGroup")
            .field("nodes", &self.nodes)
            .field("sentinels", &self.sentinels)
            .finish()
    }
}

/// The primary's port according to one sentinel.
fn primary_of(sentinel: &RedisServer) -> Result<u16> {
    let reply = sentinel.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE])?;
    match &reply {
        Reply::Array(Some(items)) if items.len() == 2 => items[1]
            .to_string()
            .parse()
            .map_err(|_| Error::Protocol(format!("a port that is not a number: {reply}"))),
        _ => Err(Error::Protocol(format!("no primary known: {reply}"))),
    }
}

/// The first element of an array reply, as text (`ROLE`'s role).
fn first_word(reply: &Reply) -> Option<&str> {
    match reply {
        Reply::Array(Some(items)) => match items.first()? {
            Reply::Bulk(Some(b)) => std::str::from_utf8(b).ok(),
            Reply::Status(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// How many entries of a `SENTINEL REPLICAS`-style reply pass `keep`.
fn count(reply: &Reply, keep: impl Fn(&Reply) -> bool) -> usize {
    match reply {
        Reply::Array(Some(entries)) => entries.iter().filter(|e| keep(e)).count(),
        _ => 0,
    }
}

/// A field of a flat `[key, value, ...]` entry.
fn field(entry: &Reply, key: &str) -> Option<String> {
    let Reply::Array(Some(items)) = entry else {
        return None;
    };
    items
        .chunks_exact(2)
        .find(|kv| kv[0].to_string() == key)
        .map(|kv| kv[1].to_string())
}
