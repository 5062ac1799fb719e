//! Fault schedules: what is done to the link, how often, for how long.
//!
//! A schedule is parsed from `CHAOS_FAULTS`, a comma-separated list of steps run one after
//! the other on a thread of their own (the proxy's controls are synchronous):
//!
//! - `cut:N:MS`        cut every connection N times, every MS milliseconds
//! - `blackhole:N:MS`  N times: black-hole the link for MS milliseconds, then MS open
//!
//! New kinds (server kill and restart, `SIGSTOP`, delays, refused connects) go here as
//! another `Fault` variant with its own `inject`.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use hardy_testkit::FaultProxy;

/// One kind of fault, repeated.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Close every proxied connection, on both sides.
    Cut { times: usize, every: Duration },
    /// Stop forwarding, without closing anything, for `hold`; then forward for `hold`.
    Blackhole { times: usize, hold: Duration },
}

impl Fault {
    /// Runs this step against `proxy`, counting each fault injected.
    fn inject(&self, proxy: &FaultProxy, injected: &AtomicUsize) {
        match *self {
            Fault::Cut { times, every } => {
                for _ in 0..times {
                    thread::sleep(every);
                    proxy.cut();
                    injected.fetch_add(1, Ordering::SeqCst);
                }
            }
            Fault::Blackhole { times, hold } => {
                for _ in 0..times {
                    thread::sleep(hold);
                    proxy.blackhole(true);
                    injected.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(hold);
                    proxy.blackhole(false);
                }
            }
        }
    }
}

/// The steps of a run, in order.
#[derive(Debug, Clone)]
pub struct Schedule(Vec<Fault>);

impl Schedule {
    /// Runs the schedule on a thread of its own; the returned counter counts the faults
    /// injected so far, and the handle ends with the schedule.
    pub fn start(&self, proxy: &Arc<FaultProxy>) -> (Arc<AtomicUsize>, thread::JoinHandle<()>) {
        let injected = Arc::new(AtomicUsize::new(0));
        let steps = self.0.clone();
        let counter = injected.clone();
        let proxy = proxy.clone();
        let handle = thread::spawn(move || {
            for step in steps {
                step.inject(&proxy, &counter);
            }
        });
        (injected, handle)
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Schedule, String> {
        s.split(',')
            .map(|step| {
                let parts: Vec<&str> = step.trim().split(':').collect();
                let number = |i: usize| -> Result<u64, String> {
                    parts
                        .get(i)
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| format!("{step}: expected kind:N:MS"))
                };
                let (times, ms) = (number(1)? as usize, Duration::from_millis(number(2)?));
                match parts[0] {
                    "cut" => Ok(Fault::Cut { times, every: ms }),
                    "blackhole" => Ok(Fault::Blackhole { times, hold: ms }),
                    other => Err(format!("unknown fault {other}: cut or blackhole")),
                }
            })
            .collect::<Result<_, _>>()
            .map(Schedule)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match fault {
                Fault::Cut { times, every } => write!(f, "cut x{times} every {every:?}")?,
                Fault::Blackhole { times, hold } => write!(f, "blackhole x{times} for {hold:?}")?,
            }
        }
        Ok(())
    }
}
