//! Redis Sentinel: which node to talk to is asked of the sentinels on every connect.
//!
//! A Sentinel deployment moves the primary from node to node, so a connection cannot keep
//! one address: [`Sentinel`] names the service and a few sentinels, and every connect
//! attempt of a [`Config::sentinel`](crate::Config::sentinel) connection asks them for the
//! current primary (or a replica), connects, and checks `ROLE` before the link is used
//! (`resolve.rs`). A small listener on a sentinel's `+switch-master` channel moves the
//! connection as soon as a failover is announced (`listen.rs`). The guide is
//! `docs/high-availability.md`.

mod listen;
mod resolve;
mod url;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[cfg(feature = "tls")]
use hardy_connection::transport::Tls;

use crate::config::Secret;

pub(crate) use listen::spawn_listener;
pub(crate) use resolve::open;
pub(crate) use url::from_sentinel_url;

/// The default port of a sentinel.
pub const DEFAULT_SENTINEL_PORT: u16 = 26379;

/// How long, by default, one sentinel may take to answer (connect, handshake and query)
/// before the next one is asked ([`Sentinel::sentinel_timeout`]).
pub const DEFAULT_SENTINEL_TIMEOUT: Duration = Duration::from_millis(500);

/// Which node of a Sentinel service a connection wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// The primary (the default): `ROLE` must answer `master`.
    Primary,
    /// A replica in sync with the primary: `ROLE` must answer `slave` and `connected`.
    /// Reads only; a write gets [`Error::ReadOnly`](crate::Error::ReadOnly).
    Replica,
}

/// A Sentinel group: the service's name, some of its sentinels, and how to talk to them.
///
/// The sentinels' credentials and TLS are their own: the data nodes use the
/// [`Config`](crate::Config)'s. Listing a few sentinels is enough: the others are learned
/// from them (`SENTINEL SENTINELS`), and the first that answers is asked first next time.
///
/// ```
/// use hardy_redis::{Config, Role, Sentinel};
///
/// let config = Config::sentinel(
///     Sentinel::new("orders", [("10.0.0.1", 26379), ("10.0.0.2", 26379)])
///         .password("sentinel-secret"),
/// )
/// .password("data-secret");
/// assert_eq!(config.sentinel_group().unwrap().service(), "orders");
/// assert!(!format!("{config:?}").contains("secret\""));
///
/// let replica: Config = "redis-sentinel://10.0.0.1:26379?sentinelServiceName=orders&role=replica".parse()?;
/// assert_eq!(replica.sentinel_group().unwrap().role_wanted(), Role::Replica);
/// # Ok::<(), hardy_redis::Error>(())
/// ```
#[derive(Clone)]
pub struct Sentinel {
    pub(crate) service: String,
    /// The sentinels, shared by every clone (a pool's members learn together): the order
    /// in which they are asked, the last one that answered first.
    pub(crate) nodes: Arc<Nodes>,
    pub(crate) role: Role,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Secret>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Tls>,
    pub(crate) timeout: Duration,
    pub(crate) listen: bool,
}

impl Sentinel {
    /// The service `service` (the name in `sentinel monitor <name> ...`), asked of these
    /// sentinels, in this order. Defaults: [`Role::Primary`], no sentinel credentials, no
    /// TLS to the sentinels, [`DEFAULT_SENTINEL_TIMEOUT`] per sentinel, `+switch-master`
    /// listened to.
    pub fn new<H: Into<String>>(
        service: impl Into<String>,
        sentinels: impl IntoIterator<Item = (H, u16)>,
    ) -> Self {
        let seeds = sentinels
            .into_iter()
            .map(|(host, port)| (host.into(), port))
            .collect();
        Sentinel {
            service: service.into(),
            nodes: Arc::new(Nodes::new(seeds)),
            role: Role::Primary,
            username: None,
            password: None,
            #[cfg(feature = "tls")]
            tls: None,
            timeout: DEFAULT_SENTINEL_TIMEOUT,
            listen: true,
        }
    }

    /// Connects to a replica instead of the primary (see [`Role::Replica`]).
    pub fn replica(self) -> Self {
        self.role(Role::Replica)
    }
    /// Which node to connect to (default [`Role::Primary`]).
    pub fn role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }
    /// The password the sentinels want (`requirepass` in their config); the data nodes'
    /// is [`Config::password`](crate::Config::password).
    pub fn password(mut self, password: impl Into<Arc<str>>) -> Self {
        self.password = Some(Secret::new(password));
        self
    }
    /// The ACL user to log in to the sentinels as (with [`password`](Self::password)).
    pub fn username(mut self, user: impl Into<String>) -> Self {
        self.username = Some(user.into());
        self
    }
    /// Talks to the sentinels over TLS with these options (the data nodes' TLS is
    /// [`Config::tls`](crate::Config::tls)).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }
    /// How long one sentinel may take to answer, connect included (default
    /// [`DEFAULT_SENTINEL_TIMEOUT`]); then the next one is asked. Keep it short: a
    /// sentinel on a dead host would otherwise delay every reconnect by this much.
    pub fn sentinel_timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit.max(Duration::from_millis(1));
        self
    }
    /// Whether to listen to `+switch-master` on a sentinel (default yes), so a failover
    /// moves the connection at once. Without it, the connection moves when the old
    /// primary closes it, refuses a write (`READONLY`) or fails its health check.
    pub fn listen_for_failovers(mut self, yes: bool) -> Self {
        self.listen = yes;
        self
    }

    /// The service's name.
    pub fn service(&self) -> &str {
        &self.service
    }
    /// Which node the connection wants.
    pub fn role_wanted(&self) -> Role {
        self.role
    }
    /// The sentinels known now, in the order they will be asked: the configured ones and
    /// those learned from them.
    pub fn sentinels(&self) -> Vec<(String, u16)> {
        self.nodes.list()
    }
}

impl fmt::Debug for Sentinel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Sentinel");
        s.field("service", &self.service)
            .field("sentinels", &self.nodes.list())
            .field("role", &self.role)
            .field("username", &self.username)
            .field("password", &self.password);
        #[cfg(feature = "tls")]
        s.field("tls", &self.tls.is_some());
        s.field("timeout", &self.timeout)
            .field("listen", &self.listen)
            .finish()
    }
}

/// The sentinels of a group, in the order they are asked.
pub(crate) struct Nodes(Mutex<Vec<(String, u16)>>);

impl Nodes {
    fn new(seeds: Vec<(String, u16)>) -> Self {
        Nodes(Mutex::new(seeds))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(String, u16)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn list(&self) -> Vec<(String, u16)> {
        self.lock().clone()
    }

    /// `node` answered: it is asked first next time.
    pub(crate) fn promote(&self, node: &(String, u16)) {
        let mut nodes = self.lock();
        if let Some(at) = nodes.iter().position(|n| n == node) {
            let found = nodes.remove(at);
            nodes.insert(0, found);
        }
    }

    /// Appends the sentinels not known yet (the seeds are never dropped).
    pub(crate) fn learn(&self, found: impl IntoIterator<Item = (String, u16)>) {
        let mut nodes = self.lock();
        for node in found {
            if !nodes.contains(&node) {
                tracing::debug!(sentinel = %format_args!("{}:{}", node.0, node.1), "learned a sentinel");
                nodes.push(node);
            }
        }
    }
}

/// `host:port`, bracketed for IPv6, for logs and errors.
pub(crate) fn show(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentinel_that_answered_is_asked_first_and_learned_ones_are_appended() {
        let group = Sentinel::new("s", [("a", 1), ("b", 2)]);
        group.nodes.promote(&("b".into(), 2));
        group.nodes.learn([("c".into(), 3), ("a".into(), 1)]);
        assert_eq!(
            group.sentinels(),
            [("b".into(), 2), ("a".into(), 1), ("c".into(), 3)]
        );
        let clone = group.clone();
        clone.nodes.promote(&("c".into(), 3));
        assert_eq!(
            group.sentinels()[0],
            ("c".into(), 3),
            "clones share the list"
        );
    }

    #[test]
    fn debug_never_prints_the_sentinel_password() {
        let group = Sentinel::new("s", [("a", 1)])
            .username("u")
            .password("hunter2");
        let shown = format!("{group:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("redacted"),
            "{shown}"
        );
    }
}
