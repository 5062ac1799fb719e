//! Watching a server's output, so readiness is an event we wait for, not a sleep we hope
//! is long enough.
//!
//! One thread per output stream reads lines, keeps the last few (for error messages) and
//! wakes waiters when the server says "Ready to accept connections" or its output ends
//! (which means it exited).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The line redis-server (6.x through 8.x, and Valkey) logs once it accepts connections.
const READY_MARKER: &str = "Ready to accept connections";
/// What a sentinel (`redis-server --sentinel`, which never logs [`READY_MARKER`]) logs
/// once it listens and has loaded its state.
const SENTINEL_READY_MARKER: &str = "Sentinel ID is";
/// The log line fragment that means another process holds the port.
const ADDR_IN_USE: &str = "Address already in use";
/// How many lines of output to keep for error messages.
const TAIL_LINES: usize = 40;

/// How waiting for readiness ended, when it did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotReady {
    /// The port was taken; retrying on another (or the same, later) port may work.
    PortInUse,
    /// The server exited for another reason.
    Exited,
    /// The deadline passed.
    TimedOut,
}

#[derive(Default)]
struct State {
    tail: VecDeque<String>,
    ready: bool,
    open_streams: usize,
    port_in_use: bool,
}

/// Shared view of one server process's output.
#[derive(Clone, Default)]
pub(crate) struct Log {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Log {
    /// Starts a reader thread for `stream`; call once per stream before waiting.
    pub(crate) fn watch(&self, stream: impl Read + Send + 'static) {
        self.state().open_streams += 1;
        let log = self.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                match line {
                    Ok(line) => log.record(line),
                    Err(_) => break,
                }
            }
            log.update(|state| state.open_streams -= 1);
        });
    }

    /// Blocks until the server is ready, has exited, or `timeout` has passed.
    pub(crate) fn wait_ready(&self, timeout: Duration) -> Result<(), NotReady> {
        let deadline = Instant::now() + timeout;
        let (_, ready) = &*self.shared;
        let mut state = self.state();
        loop {
            if state.ready {
                return Ok(());
            }
            if state.open_streams == 0 {
                return Err(if state.port_in_use {
                    NotReady::PortInUse
                } else {
                    NotReady::Exited
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NotReady::TimedOut);
            }
            state = match ready.wait_timeout(state, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// The last lines of output, oldest first.
    pub(crate) fn tail(&self) -> String {
        let state = self.state();
        let lines: Vec<&str> = state.tail.iter().map(String::as_str).collect();
        lines.join("\n")
    }

    fn record(&self, line: String) {
        self.update(|state| {
            state.ready |= line.contains(READY_MARKER) || line.contains(SENTINEL_READY_MARKER);
            state.port_in_use |= line.contains(ADDR_IN_USE);
            if state.tail.len() == TAIL_LINES {
                state.tail.pop_front();
            }
            state.tail.push_back(line);
        });
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state());
        self.shared.1.notify_all();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent.
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_marker_wakes_the_waiter() {
        let log = Log::default();
        log.watch(&b"starting\n* Ready to accept connections tcp\n"[..]);
        assert_eq!(log.wait_ready(Duration::from_secs(5)), Ok(()));
        assert!(log.tail().starts_with("starting"));
    }

    #[test]
    fn end_of_output_without_marker_means_exited() {
        let log = Log::default();
        log.watch(&b"bind: Address already in use\n"[..]);
        assert_eq!(
            log.wait_ready(Duration::from_secs(5)),
            Err(NotReady::PortInUse)
        );
        let log = Log::default();
        log.watch(&b"FATAL CONFIG FILE ERROR\n"[..]);
        assert_eq!(
            log.wait_ready(Duration::from_secs(5)),
            Err(NotReady::Exited)
        );
    }
}
