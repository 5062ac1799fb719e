//! What a test may change about the `redis-server` it starts, gathered before starting it.
//!
//! The fixed part (loopback only, no persistence, foreground, its own directory) is what
//! makes servers safe to run many at once; everything else a test needs (passwords, ACL
//! users, `protected-mode`) goes through [`RedisConfig::line`] or [`RedisConfig::arg`].

use std::time::Duration;

use crate::error::Result;
use crate::server::RedisServer;

/// How long a server may take to report "Ready to accept connections".
const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for [`RedisServer::with_config`]; build with [`RedisConfig::new`].
///
/// ```no_run
/// use hardy_testkit::RedisConfig;
///
/// let server = RedisConfig::new()
///     .password("s3cret")
///     .line("user alice on >wonderland ~* +@all")
///     .start()?;
/// # Ok::<(), hardy_testkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub(crate) lines: Vec<String>,
    pub(crate) args: Vec<String>,
    pub(crate) auth: Option<(Option<String>, String)>,
    pub(crate) ready_timeout: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RedisConfig {
    /// The defaults: loopback only, no persistence, nothing extra.
    pub fn new() -> Self {
        Self {
            lines: Vec::new(),
            args: Vec::new(),
            auth: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
        }
    }

    /// Adds one line to the server's config file, e.g. `"maxclients 4"` or an ACL rule
    /// `"user alice on >pw ~* +@all"`. Keep `loglevel` at `notice` or more verbose: readiness
    /// is detected from a notice-level log line.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }

    /// Adds one command-line argument after the config file, e.g. `"--protected-mode"` then
    /// `"no"`. Do not override `--port`: [`RedisServer::port`] would no longer be right.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets `requirepass` and makes the fixture's own admin connection authenticate with it.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        let password = password.into();
        self.lines.push(format!("requirepass \"{password}\""));
        self.auth = Some((None, password));
        self
    }

    /// Makes the fixture's admin connection (used by [`RedisServer::command`] and
    /// [`RedisServer::client_kill_all`]) log in as this ACL user.
    pub fn admin_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some((Some(user.into()), password.into()));
        self
    }

    /// Overrides how long the server may take to become ready (default 10 s).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Starts a server with these options; same as [`RedisServer::with_config`].
    pub fn start(self) -> Result<RedisServer> {
        RedisServer::with_config(self)
    }

    /// The config file the server reads: the fixed safety settings, then the test's lines.
    pub(crate) fn render(&self, dir: &std::path::Path) -> String {
        let mut text = format!(
            "bind 127.0.0.1\ndaemonize no\nsave \"\"\nappendonly no\nlogfile \"\"\n\
             loglevel notice\ndir \"{}\"\n",
            dir.display()
        );
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}
