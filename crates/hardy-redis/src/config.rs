//! Connection options, from a builder or a `redis://` URL.
//!
//! One place that knows every option, its default and its meaning, so the actor, the URL
//! parser and the docs agree. The password is a [`Secret`]: no `Debug`, `Display` or
//! tracing field ever prints it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hardy_connection::backoff::{Exponential, Jitter};
use percent_encoding::percent_decode_str;

use crate::resp::Limits;
use crate::Error;

/// The default cap on requests awaiting replies on one connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;

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
    pub(crate) limits: Limits,
}

impl Config {
    /// Connects to `host:port` over TCP, with the defaults below.
    ///
    /// Defaults: database 0, no credentials, RESP3 (falling back to RESP2), connect
    /// timeout 5 s, command timeout 5 s, backoff 500 ms × 1.5 up to 30 s with jitter
    /// (Redix's), reconnect after a disconnection, no queueing while disconnected, no
    /// health check, at most [`DEFAULT_MAX_IN_FLIGHT`] requests awaiting replies,
    /// [`Limits::default`].
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Config {
            host: host.into(),
            port,
            database: 0,
            username: None,
            password: None,
            client_name: None,
            protocol: Protocol::Resp3,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Some(Duration::from_secs(5)),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            backoff_factor: 1.5,
            backoff_jitter: Jitter::Equal,
            exit_on_disconnection: false,
            queue_while_disconnected: 0,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            health_check: None,
            limits: Limits::default(),
        }
    }

    /// Parses `redis://[user[:password]@]host[:port][/db][?protocol=resp2|resp3]`.
    ///
    /// `rediss://` (TLS) and `unix://` / `redis+unix://` are recognised and refused with
    /// an error saying they are not supported yet.
    pub fn from_url(url: &str) -> Result<Config, Error> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::Config(format!("{e} in URL {}", redact_url(url))))?;
        match parsed.scheme() {
            "redis" => {}
            "rediss" => {
                return Err(Error::Config(
                    "rediss:// (TLS) is not supported yet: use redis:// over a trusted network"
                        .into(),
                ))
            }
            "unix" | "redis+unix" => {
                return Err(Error::Config(
                    "Unix sockets are not supported yet: use redis://host:port".into(),
                ))
            }
            other => {
                return Err(Error::Config(format!(
                    "unknown scheme {other}://: use redis://host:port/db"
                )))
            }
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::Config("the URL has no host: use redis://host:port".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let mut config = Config::new(host, parsed.port().unwrap_or(6379));
        let user = decode(parsed.username())?;
        if !user.is_empty() {
            config.username = Some(user);
        }
        if let Some(pass) = parsed.password() {
            config.password = Some(Secret::new(decode(pass)?));
        }
        let db = parsed.path().trim_start_matches('/');
        if !db.is_empty() {
            config.database = db.parse().map_err(|_| {
                Error::Config(format!(
                    "database {db:?} is not a number: use redis://host:port/<0-15>"
                ))
            })?;
        }
        for (key, value) in parsed.query_pairs() {
            match (&*key, &*value) {
                ("protocol", "resp2") => config.protocol = Protocol::Resp2,
                ("protocol", "resp3") => config.protocol = Protocol::Resp3,
                _ => {
                    // Only the key: the value may be a secret.
                    return Err(Error::Config(format!(
                        "unknown URL option {key:?}: supported is protocol=resp2|resp3"
                    )));
                }
            }
        }
        Ok(config)
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

    /// Selects database `db` after connecting.
    pub fn select(mut self, db: u32) -> Self {
        self.database = db;
        self
    }
    /// Authenticates as this ACL user (Redis 6+); needs a password too.
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
    /// The reconnection backoff: first delay, growth factor, cap (default 500 ms, 1.5,
    /// 30 s).
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
    /// While disconnected, keeps up to `n` commands and sends them once reconnected,
    /// instead of failing them with [`Error::NotConnected`] (default 0: fail at once).
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
    /// Sends a `PING` every `interval` while connected; no answer within the command
    /// timeout (or 5 s when there is none) drops the link. Detects half-open links. A zero
    /// interval turns the check off.
    pub fn health_check(mut self, interval: Duration) -> Self {
        self.health_check = Some(interval).filter(|i| !i.is_zero());
        self
    }
    /// Limits on what the server may send (bulk length, aggregate length, depth).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub(crate) fn backoff_policy(&self) -> Exponential {
        Exponential::new(self.backoff_initial, self.backoff_factor, self.backoff_max)
            .jitter(self.backoff_jitter)
    }

    /// `host:port`, for logs (never credentials).
    pub(crate) fn peer(&self) -> String {
        if self.host.contains(':') {
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

fn decode(s: &str) -> Result<String, Error> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::Config("the URL's user or password is not valid UTF-8".into()))
}

/// The URL with any credentials replaced, for error messages: everything before the last
/// `@`, except a leading `scheme://` (a malformed URL may have none, e.g.
/// `redis//user:pass@host`, or a `//` only later, in its query).
fn redact_url(url: &str) -> String {
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
            ("rediss://h:1", "TLS"),
            ("unix:///tmp/redis.sock", "Unix"),
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
    fn debug_never_prints_the_password() {
        let c = Config::new("h", 1).username("bob").password("hunter2");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("bob"),
            "{shown}"
        );
    }
}
