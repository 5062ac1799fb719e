//! Connection options, from a builder or a `redis://`, `rediss://` or `redis+unix://` URL.
//!
//! One place that knows every option, its default and its meaning, so the actor, the URL
//! parser and the docs agree. The password is a [`Secret`] and TLS key material stays
//! inside [`Tls`]: no `Debug`, `Display` or tracing field ever prints them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hardy_connection::backoff::{Exponential, Jitter};
use hardy_connection::transport::Endpoint;
#[cfg(feature = "tls")]
use hardy_connection::transport::Tls;
use percent_encoding::percent_decode_str;

use crate::resp::Limits;
use crate::sentinel::Sentinel;
use crate::Error;

/// The default cap on requests awaiting replies on one connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;

/// The default health-check interval: a `PING` this long after the last one while
/// connected ([`Config::health_check`]).
pub const DEFAULT_HEALTH_CHECK: Duration = Duration::from_secs(10);

/// The default idle time before TCP keepalive probes start ([`Config::tcp_keepalive`]).
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// The default number of command timeouts in a row that drop the link
/// ([`Config::max_consecutive_timeouts`]).
pub const DEFAULT_MAX_CONSECUTIVE_TIMEOUTS: u32 = 3;

/// How long, by default, a request made while the link is down waits for the reconnect
/// ([`Config::reconnect_wait`]).
pub const DEFAULT_RECONNECT_WAIT: Duration = Duration::from_secs(1);

/// The default reconnection backoff: first delay, growth factor, cap (100 ms, ×1.5, 1 s;
/// jittered).
///
/// A short cap, so a connection is back within about a second of Redis coming back,
/// however long the outage was (`bench/chaos`'s `web_outage`: with Redix's 500 ms × 1.5
/// up to 30 s the median was 1.07 s after a 2 s outage, and grew with the outage's
/// length). The price is one connect attempt a second per connection while Redis is away.
pub const DEFAULT_BACKOFF: (Duration, f64, Duration) =
    (Duration::from_millis(100), 1.5, Duration::from_secs(1));

/// A password: kept out of `Debug`, `Display` and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a password.
    pub fn new(s: impl Into<Arc<str>>) -> Self {
        Secret(s.into())
    }

    /// The password itself. Only the handshake should need it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The RESP protocol version to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// RESP2: what every Redis speaks; no `HELLO`.
    Resp2,
    /// RESP3 via `HELLO 3`, falling back to RESP2 when the server does not know `HELLO`
    /// (Redis < 6). The default.
    Resp3,
}

/// How to reach a Redis server and how to behave around failures.
///
/// ```
/// use std::time::Duration;
/// use hardy_redis::Config;
///
/// let config: Config = "redis://alice:s3cret@127.0.0.1:6380/2".parse()?;
/// assert_eq!(config.port(), 6380);
/// assert_eq!(config.database(), 2);
/// assert!(!format!("{config:?}").contains("s3cret"));
///
/// let config = Config::new("127.0.0.1", 6379)
///     .password("s3cret")
///     .client_name("orders")
///     .command_timeout(Duration::from_secs(1));
/// # Ok::<(), hardy_redis::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// A Unix socket path, used instead of `host:port` when set.
    pub(crate) unix: Option<PathBuf>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Tls>,
    pub(crate) database: u32,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) client_name: Option<String>,
    pub(crate) protocol: Protocol,
    pub(crate) connect_timeout: Duration,
    pub(crate) command_timeout: Option<Duration>,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) backoff_factor: f64,
    pub(crate) backoff_jitter: Jitter,
    pub(crate) exit_on_disconnection: bool,
    pub(crate) queue_while_disconnected: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) health_check: Option<Duration>,
    pub(crate) tcp_keepalive: Option<Duration>,
    pub(crate) max_consecutive_timeouts: u32,
    pub(crate) reconnect_wait: Duration,
    pub(crate) limits: Limits,
    pub(crate) allow_blocking: bool,
    pub(crate) push_handler: Option<crate::pubsub::PushHandler>,
    /// Where a [`BlockingPool`](crate::BlockingPool) connection notes session changes.
    pub(crate) session_marks: Option<std::sync::Arc<crate::blocking::SessionMarks>>,
    /// Where the data node is asked for, instead of `host:port`.
    pub(crate) sentinel: Option<Sentinel>,
    /// Sends `READONLY` after connecting (a cluster node that may serve replica reads).
    pub(crate) cluster_readonly: bool,
    /// A refused handshake backs off and retries instead of stopping the actor: a cluster
    /// node's connection, where one misconfigured node must not stop the others.
    pub(crate) retry_refusals: bool,
    /// Writes wait one turn of the runtime to collect more requests
    /// (`Builder::defer_writes`): a cluster node's connection.
    pub(crate) defer_writes: bool,
}

impl Config {
    /// Connects to `host:port` over TCP, with the defaults below.
    ///
    /// Defaults: database 0, no credentials, RESP3 (falling back to RESP2), connect
    /// timeout 5 s, command timeout 5 s, backoff 100 ms × 1.5 up to 1 s with jitter
    /// ([`DEFAULT_BACKOFF`]), reconnect after a disconnection, requests made while disconnected wait
    /// up to 1 s for the reconnect ([`reconnect_wait`](Self::reconnect_wait)), a health
    /// check every 10 s, TCP keepalive after 60 s idle, the link dropped after 3 command
    /// timeouts in a row, at most [`DEFAULT_MAX_IN_FLIGHT`] requests awaiting replies,
    /// [`Limits::default`].
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Config {
            host: host.into(),
            port,
            unix: None,
            #[cfg(feature = "tls")]
            tls: None,
            database: 0,
            username: None,
            password: None,
            client_name: None,
            protocol: Protocol::Resp3,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Some(Duration::from_secs(5)),
            backoff_initial: DEFAULT_BACKOFF.0,
            backoff_max: DEFAULT_BACKOFF.2,
            backoff_factor: DEFAULT_BACKOFF.1,
            backoff_jitter: Jitter::Equal,
            exit_on_disconnection: false,
            queue_while_disconnected: 0,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            health_check: Some(DEFAULT_HEALTH_CHECK),
            tcp_keepalive: Some(DEFAULT_TCP_KEEPALIVE),
            max_consecutive_timeouts: DEFAULT_MAX_CONSECUTIVE_TIMEOUTS,
            reconnect_wait: DEFAULT_RECONNECT_WAIT,
            limits: Limits::default(),
            allow_blocking: false,
            push_handler: None,
            session_marks: None,
            sentinel: None,
            cluster_readonly: false,
            retry_refusals: false,
            defer_writes: false,
        }
    }

    /// Connects to the node of a Sentinel service (its primary, or a replica with
    /// [`Sentinel::replica`]), asked of the sentinels on every connect and checked with
    /// `ROLE`, with the defaults of [`Config::new`]. The data nodes' credentials and TLS are
    /// set on the `Config` as usual; the sentinels' on the [`Sentinel`]. See the
    /// high-availability guide (`docs/high-availability.md`) for what a failover costs.
    ///
    /// ```no_run
    /// use hardy_redis::{Config, Redis, Sentinel};
    /// # async fn demo() -> Result<(), hardy_redis::Error> {
    /// let config = Config::sentinel(Sentinel::new("orders", [("10.0.0.1", 26379), ("10.0.0.2", 26379)]))
    ///     .password("data-node-password");
    /// let redis = Redis::connect(config).await?;
    /// # Ok(()) }
    /// ```
    pub fn sentinel(group: Sentinel) -> Self {
        let mut config = Config::new("", 0);
        config.sentinel = Some(group);
        config
    }

    /// The Sentinel group, for a [`Config::sentinel`] connection.
    pub fn sentinel_group(&self) -> Option<&Sentinel> {
        self.sentinel.as_ref()
    }

    /// Connects to the Unix socket at `path`, with the defaults of [`Config::new`] (TCP
    /// keepalive does not apply).
    ///
    /// ```
    /// use hardy_redis::Config;
    ///
    /// let config = Config::unix("/run/redis/redis.sock").select(2);
    /// let parsed: Config = "redis+unix:///run/redis/redis.sock?db=2".parse()?;
    /// assert_eq!(parsed.unix_path(), config.unix_path());
    /// assert_eq!(parsed.database(), 2);
    /// # Ok::<(), hardy_redis::Error>(())
    /// ```
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        let mut config = Config::new("localhost", 0);
        config.unix = Some(path.into());
        config
    }

    /// Parses a URL:
    ///
    /// - `redis://[user[:password]@]host[:port][/db][?protocol=resp2|resp3]`;
    /// - `rediss://...` the same over TLS, verified against the system's roots and the
    ///   host name (see [`tls`](Self::tls) for a private CA or a client certificate);
    /// - `redis+unix:///path/redis.sock` or `unix:///path/redis.sock`, with the options
    ///   `db`, `user`, `pass` and `protocol` in the query (redis-rs's forms), e.g.
    ///   `redis+unix:///run/redis.sock?db=2`;
    /// - `redis-sentinel://[user[:password]@]sentinel[:port][/db]?sentinelServiceName=name`
    ///   (fred's form) for a [Sentinel](Self::sentinel) service: more sentinels as
    ///   `&node=host:port`, the sentinels' own credentials as `&sentinelUsername=` and
    ///   `&sentinelPassword=` (those before `@` are the data nodes'), `&role=replica` for a
    ///   replica; `rediss-sentinel://` for TLS to the sentinels and the data nodes.
    pub fn from_url(url: &str) -> Result<Config, Error> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::Config(format!("{e} in URL {}", redact_url(url))))?;
        let tls = match parsed.scheme() {
            "redis" => false,
            "rediss" => true,
            "unix" | "redis+unix" => return Config::from_unix_url(&parsed),
            "redis-sentinel" => return crate::sentinel::from_sentinel_url(&parsed, false),
            "rediss-sentinel" => return crate::sentinel::from_sentinel_url(&parsed, true),
            other => {
                return Err(Error::Config(format!(
                    "unknown scheme {other}://: use redis://host:port/db, rediss:// for TLS, \
                     redis+unix:///path/to/redis.sock or redis-sentinel://host:26379?sentinelServiceName=name"
                )))
            }
        };
        if parsed.fragment().is_some() {
            return Err(Error::Config(
                "URL fragments (e.g. #insecure) are not supported: to skip certificate checks \
                 use Config::tls(Tls::new().danger_accept_invalid_certs(true))"
                    .into(),
            ));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::Config("the URL has no host: use redis://host:port".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let mut config = Config::new(host, parsed.port().unwrap_or(6379));
        if tls {
            config = config.default_tls()?;
        }
        config.set_credentials(&parsed)?;
        let db = parsed.path().trim_start_matches('/');
        if !db.is_empty() {
            config.database = parse_db(db)?;
        }
        for (key, value) in parsed.query_pairs() {
            if !config.query_option(&key, &value) {
                // Only the key: the value may be a secret.
                return Err(Error::Config(format!(
                    "unknown URL option {key:?}: supported is protocol=resp2|resp3"
                )));
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// `redis+unix:///path?db=2&user=u&pass=p&protocol=resp2`.
    fn from_unix_url(parsed: &url::Url) -> Result<Config, Error> {
        let path = decode(parsed.path())?;
        if path.is_empty() || path == "/" {
            return Err(Error::Config(
                "the URL has no socket path: use redis+unix:///path/to/redis.sock".into(),
            ));
        }
        let mut config = Config::unix(path);
        let user = decode(parsed.username())?;
        if !user.is_empty() {
            config.username = Some(user);
        }
        if let Some(pass) = parsed.password() {
            config.password = Some(Secret::new(decode(pass)?));
        }
        for (key, value) in parsed.query_pairs() {
            match &*key {
                "db" => config.database = parse_db(&value)?,
                "user" => config.username = Some(value.into_owned()),
                "pass" | "password" => config.password = Some(Secret::new(value.into_owned())),
                _ if config.query_option(&key, &value) => {}
                _ => {
                    return Err(Error::Config(format!(
                        "unknown URL option {key:?}: supported are db, user, pass and \
                         protocol=resp2|resp3"
                    )))
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// The user and password before the URL's `@`, if any.
    pub(crate) fn set_credentials(&mut self, parsed: &url::Url) -> Result<(), Error> {
        let user = decode(parsed.username())?;
        if !user.is_empty() {
            self.username = Some(user);
        }
        if let Some(pass) = parsed.password() {
            self.password = Some(Secret::new(decode(pass)?));
        }
        Ok(())
    }

    /// The query options every scheme knows; `false` for an unknown one.
    pub(crate) fn query_option(&mut self, key: &str, value: &str) -> bool {
        match (key, value) {
            ("protocol", "resp2") => self.protocol = Protocol::Resp2,
            ("protocol", "resp3") => self.protocol = Protocol::Resp3,
            _ => return false,
        }
        true
    }

    #[cfg(feature = "tls")]
    pub(crate) fn default_tls(self) -> Result<Config, Error> {
        Ok(self.tls(Tls::new()))
    }

    #[cfg(not(feature = "tls"))]
    pub(crate) fn default_tls(self) -> Result<Config, Error> {
        Err(Error::Config(
            "rediss:// needs TLS, and hardy-redis was built without its `tls` feature: \
             enable it in Cargo.toml"
                .into(),
        ))
    }

    /// Checks the options that only make sense together; run before every connect.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.username.is_some() && self.password.is_none() {
            return Err(Error::Config(
                "a username without a password: Redis authenticates a user with both \
                 (redis://user:password@host, or Config::password)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The database to `SELECT` after connecting.
    pub fn database(&self) -> u32 {
        self.database
    }
    /// The server's host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The Unix socket path, for a [`Config::unix`] connection.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }
    /// Whether the connection uses TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Connects over TLS with these options (as `rediss://` does with [`Tls::new`]):
    /// verification against the system's roots and the host name by default, a private CA
    /// with [`Tls::ca_pem`], mutual TLS with [`Tls::client_cert_pem`].
    ///
    /// A certificate problem (unknown CA, wrong host name, expired, a client certificate
    /// the server refuses) is an [`Error::Config`] saying what to fix, and stops the
    /// connection after that one attempt; a network error during the TLS handshake is
    /// retried like any connect failure.
    ///
    /// ```no_run
    /// use hardy_redis::{Config, Redis, Tls};
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let ca = std::fs::read("ca.crt")?;
    /// let (cert, key) = (std::fs::read("client.crt")?, std::fs::read("client.key")?);
    /// let config: Config = "rediss://redis.internal:6380".parse()?;
    /// let redis = Redis::connect(config.tls(Tls::new().ca_pem(ca).client_cert_pem(cert, key))).await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }
    /// Plaintext again, after [`tls`](Self::tls) or a `rediss://` URL.
    #[cfg(feature = "tls")]
    pub fn no_tls(mut self) -> Self {
        self.tls = None;
        self
    }

    /// Where to connect.
    pub(crate) fn endpoint(&self) -> Endpoint {
        match &self.unix {
            Some(path) => Endpoint::unix(path.clone()),
            None => Endpoint::tcp(self.host.clone(), self.port),
        }
    }

    /// Selects database `db` after connecting.
    pub fn select(mut self, db: u32) -> Self {
        self.database = db;
        self
    }
    /// Authenticates as this ACL user (Redis 6+); needs a [`password`](Self::password)
    /// too: a username alone is a configuration error when connecting.
    pub fn username(mut self, user: impl Into<String>) -> Self {
        self.username = Some(user.into());
        self
    }
    /// Authenticates with this password (`AUTH`, or `HELLO 3 AUTH`).
    pub fn password(mut self, password: impl Into<Arc<str>>) -> Self {
        self.password = Some(Secret::new(password));
        self
    }
    /// Names the connection (`CLIENT SETNAME`), as shown by `CLIENT LIST`.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = Some(name.into());
        self
    }
    /// The protocol to ask for (default [`Protocol::Resp3`], with fallback to RESP2).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }
    /// How long connecting, including the handshake, may take (default 5 s).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }
    /// How long a request waits for its reply (default 5 s), counted from when the
    /// connection actor takes it: normally microseconds after the call, but a request made
    /// while a connect attempt runs waits for that attempt first (at most the connect
    /// timeout). Then it fails with [`Error::Timeout`]; the late reply is read and
    /// discarded. A request kept for a reconnect (`queue_while_disconnected`) that reaches
    /// its deadline fails with [`Error::NotConnected`]: it was never sent. The timeouts of
    /// one connection are checked by one timer, every tenth of the timeout (at most every
    /// 100 ms), so one fires at most that late.
    pub fn command_timeout(mut self, limit: Duration) -> Self {
        self.command_timeout = Some(limit);
        self
    }
    /// Callers wait for replies as long as it takes (e.g. for blocking commands).
    pub fn no_command_timeout(mut self) -> Self {
        self.command_timeout = None;
        self
    }
    /// The reconnection backoff: first delay, growth factor, cap (default
    /// [`DEFAULT_BACKOFF`]: 100 ms, 1.5, 1 s).
    pub fn backoff(mut self, initial: Duration, factor: f64, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_factor = factor;
        self.backoff_max = max;
        self
    }
    /// The backoff's jitter (default [`Jitter::Equal`]).
    pub fn backoff_jitter(mut self, jitter: Jitter) -> Self {
        self.backoff_jitter = jitter;
        self
    }
    /// Stops the actor when the connection drops instead of reconnecting, so that a
    /// supervisor restarts it (Redix's `exit_on_disconnection`).
    pub fn exit_on_disconnection(mut self, yes: bool) -> Self {
        self.exit_on_disconnection = yes;
        self
    }
    /// How long a request made while the link is down waits for the reconnect (default
    /// 1 s), counted from when it was made: a short outage (a failover, a proxy restart,
    /// a dropped connection) costs callers a short wait, not an error. A request still
    /// waiting at the end of it, or at its command timeout if that comes first, fails
    /// with [`Error::NotConnected`] (it was never sent). During a long outage each
    /// request fails after this wait: no request hangs longer, and a caller that retries
    /// on error meets one error per wait rather than one per turn of its loop. At most
    /// [`max_in_flight`](Self::max_in_flight) requests wait (beyond,
    /// [`Error::Overloaded`]). Zero: fail at once (Redix's behaviour).
    pub fn reconnect_wait(mut self, wait: Duration) -> Self {
        self.reconnect_wait = wait;
        self
    }
    /// While disconnected, keeps up to `n` commands for as long as the outage lasts (up
    /// to their command timeout) and sends them once reconnected, instead of failing them
    /// with [`Error::NotConnected`] after the [`reconnect_wait`](Self::reconnect_wait)
    /// (default 0).
    pub fn queue_while_disconnected(mut self, n: usize) -> Self {
        self.queue_while_disconnected = n;
        self
    }
    /// At most `n` requests (a pipeline counts once) may await their replies; more fail
    /// at once with [`Error::Overloaded`] instead of piling up in memory while the
    /// server is slow or stalled (default [`DEFAULT_MAX_IN_FLIGHT`]).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }
    /// Sends a `PING` every `interval` while connected (default 10 s); no answer within
    /// the command timeout (or 5 s when there is none) drops the link. Detects half-open
    /// links: a server gone after a failover or a partition, with nothing to send. A zero
    /// interval turns the check off.
    pub fn health_check(mut self, interval: Duration) -> Self {
        self.health_check = Some(interval).filter(|i| !i.is_zero());
        self
    }
    /// Turns on TCP keepalive, probing after `idle` without traffic (default 60 s), so the
    /// operating system drops a link whose peer vanished. A zero `idle` turns it off.
    pub fn tcp_keepalive(mut self, idle: Duration) -> Self {
        self.tcp_keepalive = Some(idle).filter(|i| !i.is_zero());
        self
    }
    /// Drops the link after `n` command timeouts in a row, with no reply from the server
    /// in between (default 3): after a failover or a partition, callers then get a fresh
    /// link instead of one timeout after another until TCP gives up. Its in-flight
    /// requests fail with [`Error::Disconnected`]. 0 never drops it for timeouts.
    pub fn max_consecutive_timeouts(mut self, n: u32) -> Self {
        self.max_consecutive_timeouts = n;
        self
    }
    /// Allows blocking commands (`BLPOP`, `BRPOP`, `BLMOVE`, `BRPOPLPUSH`, `BZPOPMIN`,
    /// `BZPOPMAX`, `BLMPOP`, `BZMPOP`, `XREAD`/`XREADGROUP` with `BLOCK`, `WAIT`,
    /// `WAITAOF`), refused by default with [`Error::Config`].
    ///
    /// A blocking command holds the whole connection until it returns, so every other
    /// request on it waits (and times out), and a reply that arrives after its caller
    /// timed out is read and discarded: a popped job is lost. Turn this on only for a
    /// connection of its own, used by one consumer at a time, and with a command timeout
    /// longer than the block (or [`no_command_timeout`](Self::no_command_timeout)).
    ///
    /// ```no_run
    /// use hardy_redis::{cmd, Config, Redis};
    /// # async fn demo(config: Config) -> Result<(), hardy_redis::Error> {
    /// let queue = Redis::connect(config.allow_blocking_commands(true).no_command_timeout()).await?;
    /// let job: Option<(String, String)> = queue.command(cmd("BLPOP").arg("jobs").arg(0)).await?;
    /// # Ok(()) }
    /// ```
    pub fn allow_blocking_commands(mut self, yes: bool) -> Self {
        self.allow_blocking = yes;
        self
    }
    /// Limits on what the server may send (bulk length, aggregate length, depth).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Where RESP3 push frames go (`CLIENT TRACKING` invalidations, Pub/Sub messages on
    /// this connection). Default: none, and pushes are dropped (they answer no request).
    /// RESP2 connections receive no pushes. See [`pubsub::PushHandler`](crate::pubsub::PushHandler).
    pub fn push_handler(mut self, handler: crate::pubsub::PushHandler) -> Self {
        self.push_handler = Some(handler);
        self
    }

    pub(crate) fn backoff_policy(&self) -> Exponential {
        Exponential::new(self.backoff_initial, self.backoff_factor, self.backoff_max)
            .jitter(self.backoff_jitter)
    }

    /// `host:port` or `unix:/path`, for logs (never credentials).
    pub(crate) fn peer(&self) -> String {
        if let Some(group) = &self.sentinel {
            format!("sentinel:{}", group.service)
        } else if let Some(path) = &self.unix {
            format!("unix:{}", path.display())
        } else if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for Config {
    type Err = Error;
    fn from_str(s: &str) -> Result<Config, Error> {
        Config::from_url(s)
    }
}

pub(crate) fn parse_db(db: &str) -> Result<u32, Error> {
    db.parse().map_err(|_| {
        Error::Config(format!(
            "database {db:?} is not a number: use redis://host:port/<0-15> or ?db=<0-15>"
        ))
    })
}

fn decode(s: &str) -> Result<String, Error> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::Config("the URL's user or password is not valid UTF-8".into()))
}

/// The URL with any credentials replaced, for error messages: everything before the last
/// `@`, except a leading `scheme://` (a malformed URL may have none, e.g.
/// `redis//user:pass@host`, or a `//` only later), and the query, which may hold `pass=`
/// (Unix socket URLs).
fn redact_url(url: &str) -> String {
    if let Some(q) = url.find('?') {
        return format!("{}?<redacted>", redact_url(&url[..q]));
    }
    let Some(at) = url.rfind('@') else {
        return url.to_string();
    };
    let is_scheme = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    };
    let keep = url
        .find("://")
        .filter(|&s| s < at && is_scheme(&url[..s]))
        .map_or(0, |s| s + 3);
    format!("{}<redacted>@{}", &url[..keep], &url[at + 1..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_backoff_retries_within_a_second_however_long_the_outage() {
        use hardy_connection::backoff::Backoff;
        let mut policy = super::Config::new("127.0.0.1", 6379).backoff_policy();
        let delays: Vec<_> = (0..1_000).map_while(|_| policy.next_delay()).collect();
        assert_eq!(delays.len(), 1_000, "the default policy never gives up");
        assert!(delays[0] <= std::time::Duration::from_millis(100));
        assert!(delays
            .iter()
            .all(|d| *d <= std::time::Duration::from_secs(1)));
    }

    use super::*;

    #[test]
    fn a_full_url_sets_every_part() {
        let c =
            Config::from_url("redis://al%40ice:p%3Ass@example.com:6390/3?protocol=resp2").unwrap();
        assert_eq!((c.host(), c.port(), c.database()), ("example.com", 6390, 3));
        assert_eq!(c.username.as_deref(), Some("al@ice"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("p:ss"));
        assert_eq!(c.protocol, Protocol::Resp2);
    }

    #[test]
    fn defaults_fill_what_the_url_leaves_out() {
        let c = Config::from_url("redis://localhost").unwrap();
        assert_eq!((c.port(), c.database()), (6379, 0));
        assert!(c.username.is_none() && c.password.is_none());
        let c = Config::from_url("redis://:only-pass@[::1]:7000").unwrap();
        assert_eq!(c.host(), "::1");
        assert_eq!(c.peer(), "[::1]:7000");
        assert!(c.username.is_none());
        assert_eq!(c.password.unwrap().expose(), "only-pass");
    }

    #[test]
    fn bad_urls_say_what_to_do_and_never_show_the_password() {
        for (url, hint) in [
            ("rediss://h:1#insecure", "danger_accept_invalid_certs"),
            ("unix:///", "socket path"),
            ("redis+unix:///s.sock?db=x", "not a number"),
            ("redis+unix:///s.sock?nope=secretpw", "unknown URL option"),
            ("http://h", "unknown scheme"),
            ("redis://u:pw@h/abc", "not a number"),
            ("redis://h?x=1", "unknown URL option"),
            ("redis://h?password=secretpw", "unknown URL option"),
            ("redis://u:secretpw@", "redis://"),
            ("redis//u:secretpw@h", "relative URL"),
            ("http:u:secretpw@h\u{0}?a=//x@y", "invalid"),
            ("redis:/u:secretpw@h@:1", "invalid"),
        ] {
            let msg = Config::from_url(url).unwrap_err().to_string();
            assert!(msg.contains(hint), "{url}: {msg}");
            assert!(!msg.contains("secretpw"), "{msg}");
        }
    }

    #[test]
    fn unix_urls_take_the_path_and_the_query_options() {
        for url in [
            "redis+unix:///run/redis%20x/redis.sock?db=2&user=bob&pass=pw&protocol=resp2",
            "unix:///run/redis%20x/redis.sock?db=2&user=bob&pass=pw&protocol=resp2",
        ] {
            let c = Config::from_url(url).unwrap();
            assert_eq!(c.unix_path(), Some(Path::new("/run/redis x/redis.sock")));
            assert_eq!(c.database(), 2);
            assert_eq!(c.username.as_deref(), Some("bob"));
            assert_eq!(c.password.as_ref().map(Secret::expose), Some("pw"));
            assert_eq!(c.protocol, Protocol::Resp2);
            assert_eq!(c.peer(), "unix:/run/redis x/redis.sock");
            assert!(!c.is_tls());
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn rediss_urls_turn_verified_tls_on() {
        let c = Config::from_url("rediss://u:pw@redis.example:6380/1").unwrap();
        assert!(c.is_tls());
        assert!(!c.tls.as_ref().unwrap().accepts_invalid_certs());
        assert_eq!(
            (c.host(), c.port(), c.database()),
            ("redis.example", 6380, 1)
        );
        assert!(!c.clone().no_tls().is_tls());
        assert!(!Config::from_url("redis://h").unwrap().is_tls());
    }

    #[test]
    fn debug_never_prints_the_password() {
        let c = Config::new("h", 1).username("bob").password("hunter2");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("bob"),
            "{shown}"
        );
    }
}
