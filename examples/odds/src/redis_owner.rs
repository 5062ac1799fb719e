//! The demo's own `redis-server`: started, killed and restarted by the service.
//!
//! An application may own its database process; this one does so that the dashboard's
//! "kill Redis" button can show a real outage. It uses hardy-testkit's `RedisServer` (a
//! real `redis-server` on a free loopback port), with an append-only file so that the data
//! survives a kill: after the restart, the stored odds are there again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hardy_testkit::{RedisConfig, RedisServer};
use serde::Serialize;

/// Where the demo's `redis-server` process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Process {
    /// Running.
    Running,
    /// Killed; it will be restarted.
    Killed,
    /// Being started again.
    Restarting,
    /// Could not be started again (see the log).
    Failed,
    /// Another instance owns it (this one joined its Redis).
    External,
}

/// The demo's `redis-server`; cheap to clone.
#[derive(Clone)]
pub struct RedisOwner {
    server: Arc<Mutex<Option<RedisServer>>>,
    url: String,
    process: Arc<Mutex<Process>>,
}

impl RedisOwner {
    /// Starts a `redis-server` (appendonly, fsync every second) on a free port.
    pub fn start() -> hardy_testkit::Result<RedisOwner> {
        let server = RedisConfig::new()
            .line("appendonly yes")
            .line("appendfsync everysec")
            .start()?;
        Ok(RedisOwner {
            url: server.url(),
            server: Arc::new(Mutex::new(Some(server))),
            process: Arc::new(Mutex::new(Process::Running)),
        })
    }

    /// A Redis this instance does not own (it joined another instance's): it is never
    /// killed or restarted from here.
    pub fn external(url: impl Into<String>) -> RedisOwner {
        RedisOwner {
            url: url.into(),
            server: Arc::new(Mutex::new(None)),
            process: Arc::new(Mutex::new(Process::External)),
        }
    }

    /// Whether this instance owns the `redis-server` process.
    pub fn owned(&self) -> bool {
        self.process() != Process::External
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the process is now.
    pub fn process(&self) -> Process {
        *self.process.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, p: Process) {
        let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        if *process != Process::External {
            *process = p;
        }
    }

    /// Kills the server (`SIGKILL`) and waits for it to be gone. Blocks.
    pub fn kill(&self) {
        let mut server = self.server.lock().unwrap_or_else(|e| e.into_inner());
        self.set(Process::Killed);
        if let Some(server) = server.as_mut() {
            let _ = server.kill();
        }
    }

    /// Starts the server again on the same port and waits until it is ready. Blocks.
    pub fn restart(&self) -> hardy_testkit::Result<()> {
        let mut server = self.server.lock().unwrap_or_else(|e| e.into_inner());
        let Some(server) = server.as_mut() else {
            return Ok(());
        };
        self.set(Process::Restarting);
        let outcome = server.restart();
        self.set(if outcome.is_ok() {
            Process::Running
        } else {
            Process::Failed
        });
        outcome
    }

    /// Stops the server for good and removes its directory. Blocks.
    pub fn shutdown(&self) {
        let server = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.set(Process::Killed);
        drop(server);
    }

    /// Kills the server (`SIGKILL`), waits `downtime`, and starts it again on the same port.
    /// Returns at once; false when a kill is already under way.
    pub fn kill_and_restart(&self, downtime: Duration) -> bool {
        {
            let mut p = self.process.lock().unwrap_or_else(|e| e.into_inner());
            if *p != Process::Running {
                return false;
            }
            *p = Process::Killed;
        }
        let this = self.clone();
        std::thread::spawn(move || {
            this.kill();
            std::thread::sleep(downtime);
            if let Err(e) = this.restart() {
                tracing::error!(error = %e, "redis-server did not start again");
            }
        });
        true
    }
}
