//! What a test may change about the `redis-server` it starts, gathered before starting it.
//!
//! The fixed part (loopback only, no persistence, foreground, its own directory) is what
//! makes servers safe to run many at once; everything else a test needs (passwords, ACL
//! users, `protected-mode`) goes through [`RedisConfig::line`] or [`RedisConfig::arg`].

use std::time::Duration;

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::server::RedisServer;
use crate::tls::{ServerCert, TestCerts};

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
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) unix_socket: bool,
}

/// What a TLS server is started with.
#[derive(Debug, Clone)]
pub(crate) struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    ca: PathBuf,
    auth_clients: bool,
}

/// The socket file's name inside the server's dir.
pub(crate) const UNIX_SOCKET: &str = "redis.sock";

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
            tls: None,
            unix_socket: false,
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

    /// Serves TLS only: the server's port ([`RedisServer::port`]) is a `--tls-port` (the
    /// plaintext port is off), presenting the certificate `cert` from `certs`, and
    /// trusting `certs`' CA for client certificates; `auth_clients` sets
    /// `tls-auth-clients yes|no`. The fixture's admin connection goes through a Unix
    /// socket (turned on too, see [`unix_socket`](Self::unix_socket)). The certificate
    /// files must outlive the server, restarts included.
    pub fn tls(mut self, certs: &TestCerts, cert: ServerCert, auth_clients: bool) -> Self {
        let files = certs.server(cert);
        self.tls = Some(TlsFiles {
            cert: files.cert_file.clone(),
            key: files.key_file.clone(),
            ca: certs.ca_file().to_path_buf(),
            auth_clients,
        });
        self.unix_socket = true;
        self
    }

    /// Also listens on a Unix socket in the server's temp dir
    /// ([`RedisServer::unix_socket`]), kept across restarts.
    pub fn unix_socket(mut self) -> Self {
        self.unix_socket = true;
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
    pub(crate) fn render(&self, dir: &Path) -> String {
        let mut text = format!(
            "bind 127.0.0.1\ndaemonize no\nsave \"\"\nappendonly no\nlogfile \"\"\n\
             loglevel notice\ndir \"{}\"\n",
            dir.display()
        );
        if self.unix_socket {
            text.push_str(&format!(
                "unixsocket \"{}\"\nunixsocketperm 700\n",
                dir.join(UNIX_SOCKET).display()
            ));
        }
        if let Some(tls) = &self.tls {
            text.push_str(&format!(
                "tls-cert-file \"{}\"\ntls-key-file \"{}\"\ntls-ca-cert-file \"{}\"\n\
                 tls-auth-clients {}\n",
                tls.cert.display(),
                tls.key.display(),
                tls.ca.display(),
                if tls.auth_clients { "yes" } else { "no" }
            ));
        }
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

impl RedisConfig {
    /// How the server's port is passed: plaintext, or TLS with the plaintext port off.
    pub(crate) fn port_kind(&self, port: u16) -> super::Port {
        if self.tls.is_some() {
            super::Port::Tls(port)
        } else {
            super::Port::Plain(port)
        }
    }
}
