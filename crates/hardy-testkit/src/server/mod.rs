//! [`RedisServer`]: a real `redis-server` a test owns, on its own loopback port and in its
//! own temp dir, that can be stopped, killed, frozen and restarted on the same port.
//!
//! Drivers are only trustworthy if their reconnection is exercised against the real thing;
//! this fixture makes each failure a method call and guarantees the process is gone when
//! the fixture is dropped, including when the test panics.

mod admin;
mod config;
mod log;
mod process;

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use tempfile::TempDir;

pub use admin::ClientType;
pub use config::RedisConfig;

use crate::error::{Error, Result};
use crate::port::{free_port, PortLease};
use crate::resp::Reply;
use process::{Port, Process, StartError};

/// How many fresh ports to try when another process takes ours before the server binds.
const START_ATTEMPTS: usize = 8;
/// How many times `restart` retries a bind failure on the same port.
const RESTART_ATTEMPTS: usize = 40;
/// Pause between `restart` bind retries; the port has to be released by someone else.
const RESTART_BACKOFF: Duration = Duration::from_millis(50);

/// A `redis-server` child process on `127.0.0.1`, with no persistence.
///
/// All methods are synchronous and use real time, so they behave the same in `#[test]`,
/// `#[tokio::test]` and under a paused tokio clock. Dropping it kills the process and
/// removes its temp dir.
///
/// ```no_run
/// use hardy_testkit::RedisServer;
///
/// let mut server = RedisServer::start()?;
/// println!("connect to {}", server.url());
/// server.pause()?; // clients now time out
/// server.resume()?;
/// server.client_kill_all()?; // clients see their connection drop
/// # Ok::<(), hardy_testkit::Error>(())
/// ```
pub struct RedisServer {
    config: RedisConfig,
    port: u16,
    _lease: PortLease,
    config_file: PathBuf,
    process: Option<Process>,
    // Dropped after `process` (fields drop in order), so the server never outlives its dir.
    dir: TempDir,
}

impl RedisServer {
    /// Starts a server with the default [`RedisConfig`] and waits until it is ready.
    ///
    /// Fails with [`Error::RedisServerNotFound`] when `redis-server` is not installed. The
    /// `HARDY_REDIS_SERVER` environment variable may name another binary.
    pub fn start() -> Result<Self> {
        Self::with_config(RedisConfig::new())
    }

    /// Starts a server with `config` on a free port and waits until it is ready.
    pub fn with_config(config: RedisConfig) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("hardy-redis-").tempdir()?;
        let config_file = dir.path().join("redis.conf");
        fs::write(&config_file, config.render(dir.path()))?;
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let lease = free_port()?;
            let port = lease.port();
            match Process::start(
                &config_file,
                config.port_kind(port),
                &config.args,
                dir.path(),
                config.ready_timeout,
            ) {
                Ok(process) => {
                    return Ok(Self {
                        config,
                        port,
                        _lease: lease,
                        config_file,
                        process: Some(process),
                        dir,
                    })
                }
                Err(StartError::PortInUse(log)) => last_log = log.tail(),
                Err(StartError::Fatal(error)) => return Err(error),
            }
        }
        Err(Error::NotReady {
            port: 0,
            reason: format!("every one of {START_ATTEMPTS} free ports was taken before binding"),
            log_tail: last_log,
        })
    }

    /// The address the server listens on (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The port the server listens on; it stays the same across [`restart`](Self::restart).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `redis://127.0.0.1:<port>` URL (without credentials); `rediss://` for a TLS
    /// server.
    pub fn url(&self) -> String {
        let scheme = if self.config.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://{}", self.addr())
    }

    /// The Unix socket the server also listens on, when started with
    /// [`RedisConfig::unix_socket`] (or [`RedisConfig::tls`]).
    pub fn unix_socket(&self) -> Option<PathBuf> {
        self.config
            .unix_socket
            .then(|| self.dir.path().join(config::UNIX_SOCKET))
    }

    /// Where the fixture's admin connection goes: the Unix socket when the TCP port
    /// speaks TLS.
    fn admin(&self) -> admin::Target {
        match (&self.config.tls, self.unix_socket()) {
            (Some(_), Some(path)) => admin::Target::Unix(path),
            _ => admin::Target::Tcp(self.addr()),
        }
    }

    /// The server's working directory, removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id while running, `None` after [`stop`](Self::stop) or [`kill`](Self::kill).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Process::pid)
    }

    /// The last lines the server logged; useful in assertion messages.
    pub fn log_tail(&self) -> String {
        self.process
            .as_ref()
            .map(|p| p.log().tail())
            .unwrap_or_default()
    }

    /// Graceful shutdown (`SIGTERM`, then wait); works on a paused server too.
    pub fn stop(&mut self) -> Result<()> {
        match self.process.take() {
            Some(process) => process.stop(),
            None => Ok(()),
        }
    }

    /// Abrupt death (`SIGKILL`, then wait), like a crash or an OOM kill.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
        Ok(())
    }

    /// Freezes the server with `SIGSTOP`: connections stay open but nothing is answered,
    /// like a stalled host. Undo with [`resume`](Self::resume); [`stop`](Self::stop),
    /// [`kill`](Self::kill) and drop also work on a paused server, but [`command`](Self::command)
    /// and the `client_kill` methods wait (up to 60 s) for an answer.
    pub fn pause(&self) -> Result<()> {
        self.running()?.signal(libc::SIGSTOP)
    }

    /// Thaws a server frozen by [`pause`](Self::pause) with `SIGCONT`; queued requests are
    /// then answered.
    pub fn resume(&self) -> Result<()> {
        self.running()?.signal(libc::SIGCONT)
    }

    /// Starts the server again on the same port (stopping it first if it runs) and waits
    /// until it is ready. Data is not kept: there is no persistence.
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        let mut last_log = String::new();
        for _ in 0..RESTART_ATTEMPTS {
            match Process::start(
                &self.config_file,
                self.config.port_kind(self.port),
                &self.config.args,
                self.dir.path(),
                self.config.ready_timeout,
            ) {
                Ok(process) => {
                    self.process = Some(process);
                    return Ok(());
                }
                Err(StartError::PortInUse(log)) => last_log = log.tail(),
                Err(StartError::Fatal(error)) => return Err(error),
            }
            thread::sleep(RESTART_BACKOFF);
        }
        Err(Error::NotReady {
            port: self.port,
            reason: format!("port still in use after {RESTART_ATTEMPTS} attempts"),
            log_tail: last_log,
        })
    }

    /// Sends one command on a fresh admin connection, e.g. `&["CONFIG", "SET", "maxclients",
    /// "2"]` or `&["DEBUG", "SLEEP", "1"]`, and returns the reply. Error replies become
    /// [`Error::Redis`].
    pub fn command(&self, args: &[&str]) -> Result<Reply> {
        self.running()?;
        admin::command(&self.admin(), self.config.auth.as_ref(), args)
    }

    /// Closes every normal and pub/sub client connection (the server keeps running), so
    /// clients see their socket drop. Returns how many were closed.
    pub fn client_kill_all(&self) -> Result<u64> {
        Ok(self.client_kill(ClientType::Normal)? + self.client_kill(ClientType::PubSub)?)
    }

    /// Closes every client connection of one type (`CLIENT KILL TYPE <ty>`); returns how
    /// many were closed.
    pub fn client_kill(&self, ty: ClientType) -> Result<u64> {
        self.running()?;
        admin::client_kill(&self.admin(), self.config.auth.as_ref(), ty)
    }

    fn running(&self) -> Result<&Process> {
        self.process.as_ref().ok_or(Error::NotRunning)
    }
}

impl std::fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisServer")
            .field("addr", &self.addr())
            .field("pid", &self.pid())
            .field("dir", &self.dir.path())
            .finish()
    }
}
