//! One `redis-server` child process: spawning it, signalling it, and reaping it.
//!
//! Kept apart from [`RedisServer`](crate::RedisServer) so the fixture's lifecycle
//! (ports, restarts, temp dir) reads separately from the Unix process plumbing.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::error::{Error, Result};
use crate::server::log::{Log, NotReady};

/// Environment variable naming a `redis-server` binary to use instead of the one on `PATH`.
pub(crate) const BINARY_ENV: &str = "HARDY_REDIS_SERVER";
/// How long a server may take to exit after `SIGTERM` before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running (or exited but not yet reaped) server process and its output.
pub(crate) struct Process {
    child: Child,
    log: Log,
}

/// Why a start attempt failed.
pub(crate) enum StartError {
    /// The port was taken; the caller may retry.
    PortInUse(Log),
    /// Anything else; not worth retrying.
    Fatal(Error),
}

impl Process {
    /// Spawns the server and blocks until it is ready to accept connections.
    pub(crate) fn start(
        config_file: &Path,
        port: Port,
        args: &[String],
        dir: &Path,
        ready_timeout: Duration,
    ) -> Result<Process, StartError> {
        let mut child =
            spawn(&binary(), config_file, port, args, dir).map_err(StartError::Fatal)?;
        let port = port.number();
        let log = Log::default();
        if let Some(stdout) = child.stdout.take() {
            log.watch(stdout);
        }
        if let Some(stderr) = child.stderr.take() {
            log.watch(stderr);
        }
        let mut process = Process { child, log };
        match process.log.wait_ready(ready_timeout) {
            Ok(()) => Ok(process),
            Err(NotReady::PortInUse) => {
                process.kill();
                Err(StartError::PortInUse(process.log.clone()))
            }
            Err(reason) => {
                process.kill();
                let reason = match reason {
                    NotReady::TimedOut => format!("no readiness line within {ready_timeout:?}"),
                    _ => "the process exited".to_owned(),
                };
                Err(StartError::Fatal(Error::NotReady {
                    port,
                    reason,
                    log_tail: process.log.tail(),
                }))
            }
        }
    }

    /// The operating-system process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's recent output.
    pub(crate) fn log(&self) -> &Log {
        &self.log
    }

    /// Sends `signal`; the child is never reaped before we drop it, so its pid is still ours.
    pub(crate) fn signal(&self, signal: libc::c_int) -> Result<()> {
        let pid = libc::pid_t::try_from(self.child.id())
            .map_err(|_| Error::Io(io::Error::other("pid out of range")))?;
        // SAFETY: kill(2) has no memory-safety preconditions.
        if unsafe { libc::kill(pid, signal) } == 0 {
            Ok(())
        } else {
            Err(Error::Io(io::Error::last_os_error()))
        }
    }

    /// Graceful shutdown: `SIGTERM` (plus `SIGCONT`, in case it is paused), wait, and kill
    /// it if it has not exited within [`STOP_TIMEOUT`].
    pub(crate) fn stop(mut self) -> Result<()> {
        self.signal(libc::SIGTERM)?;
        self.signal(libc::SIGCONT)?;
        if self.child.wait_timeout(STOP_TIMEOUT)?.is_none() {
            self.kill();
        }
        Ok(())
    }

    /// `SIGKILL` (works on paused processes too) and reap; never fails, so `Drop` can use it.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

fn binary() -> OsString {
    std::env::var_os(BINARY_ENV).unwrap_or_else(|| OsString::from("redis-server"))
}

/// The port a server listens on: plaintext, or TLS only (the plaintext port off).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Port {
    Plain(u16),
    Tls(u16),
}

impl Port {
    fn number(self) -> u16 {
        match self {
            Port::Plain(port) | Port::Tls(port) => port,
        }
    }

    fn args(self) -> Vec<String> {
        match self {
            Port::Plain(port) => vec!["--port".into(), port.to_string()],
            Port::Tls(port) => vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
            ],
        }
    }
}

fn spawn(
    binary: &OsStr,
    config_file: &Path,
    port: Port,
    args: &[String],
    dir: &Path,
) -> Result<Child> {
    Command::new(binary)
        .arg(config_file)
        .args(port.args())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::RedisServerNotFound,
            _ => Error::Io(e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_reported_as_redis_server_not_found() {
        let dir = std::env::temp_dir();
        let missing = OsStr::new("/nonexistent/redis-server");
        let error = spawn(missing, &dir.join("redis.conf"), Port::Plain(1), &[], &dir).unwrap_err();
        assert!(matches!(error, Error::RedisServerNotFound), "{error}");
        assert!(error.to_string().contains("apt-get install redis-server"));
    }
}
