//! Fault schedules: which faults, how many, how long each lasts, and when they fire.
//!
//! A schedule is written `kind:N[:MS]`, comma-separated, e.g. the runner's default
//! `cut:10,blackhole:10:1000,delay:10:1000,kill:10:200,stop:10:1000,clientkill:10`:
//!
//! - `cut`        the proxy closes every connection, both sides
//! - `blackhole`  the proxy forwards nothing, closes nothing, for MS; then delivers
//! - `delay`      the proxy holds every chunk it forwards 50 ms, for MS
//! - `kill`       `redis-server` is SIGKILLed, stays down MS, and is restarted on the same
//!   port (it reloads its AOF, see [`chaos_server`](super::chaos_server))
//! - `stop`       `redis-server` is frozen with SIGSTOP for MS, then SIGCONT
//! - `clientkill` the server closes every client connection (`CLIENT KILL TYPE normal`)
//!
//! Three more kinds exist only in the runner's Sentinel and Cluster scenarios
//! (bench/chaos/src/scenario/), which inject them through their own [`Inject`]:
//!
//! - `failover`    `SENTINEL FAILOVER`, or `CLUSTER FAILOVER` on a replica
//! - `killprimary` the current primary SIGKILLed, restarted after MS as a replica
//! - `migrate`     a range of slots migrated from one primary to another
//!
//! The kinds are interleaved (one of each in turn while any is left), and the faults are
//! paced by the callers' progress, not by the clock: with F faults and T commands, fault k
//! fires once (k + 1) × T / (F + 1) commands have an outcome. So every fault fires while
//! the callers run, and a fast client and a slow one meet the same faults at the same
//! points of their work. A fault that takes longer than the callers' work up to the next
//! one (a Sentinel failover takes seconds) holds them at the next fault's point until it
//! is over (the [`Running::gate`]), so no fault falls behind the work. The schedule runs on a thread of its own: the testkit's controls
//! are synchronous.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use hardy_testkit::{ClientType, FaultProxy, RedisServer};

/// How long the proxy holds each chunk during a `delay` fault.
pub const DELAY_PER_CHUNK: Duration = Duration::from_millis(50);

/// How often the schedule looks at the callers' progress.
const POLL: Duration = Duration::from_millis(2);

/// What injects the faults of a schedule: a scenario's servers.
pub trait Inject: Clone + Send + 'static {
    /// Injects one fault of `kind`, lasting `hold` where that applies, and returns once it
    /// is over (the servers serving again).
    fn inject(&self, kind: Kind, hold: Duration) -> Result<(), String>;
}

/// What the faults act on: one server behind a proxy.
#[derive(Clone)]
pub struct Targets {
    pub proxy: Arc<FaultProxy>,
    pub server: Arc<Mutex<RedisServer>>,
}

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cut,
    Blackhole,
    Delay,
    Kill,
    Stop,
    ClientKill,
    Failover,
    KillPrimary,
    Migrate,
}

impl Kind {
    /// The kind's name in a schedule.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cut => "cut",
            Kind::Blackhole => "blackhole",
            Kind::Delay => "delay",
            Kind::Kill => "kill",
            Kind::Stop => "stop",
            Kind::ClientKill => "clientkill",
            Kind::Failover => "failover",
            Kind::KillPrimary => "killprimary",
            Kind::Migrate => "migrate",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        [
            Kind::Cut,
            Kind::Blackhole,
            Kind::Delay,
            Kind::Kill,
            Kind::Stop,
            Kind::ClientKill,
            Kind::Failover,
            Kind::KillPrimary,
            Kind::Migrate,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

impl Inject for Targets {
    fn inject(&self, kind: Kind, hold: Duration) -> Result<(), String> {
        let targets = self;
        let server = || targets.server.lock().expect("server lock");
        match kind {
            Kind::Cut => targets.proxy.cut(),
            Kind::Blackhole => {
                targets.proxy.blackhole(true);
                thread::sleep(hold);
                targets.proxy.blackhole(false);
            }
            Kind::Delay => {
                targets.proxy.set_delay(DELAY_PER_CHUNK);
                thread::sleep(hold);
                targets.proxy.set_delay(Duration::ZERO);
            }
            Kind::Kill => {
                server().kill().map_err(|e| format!("kill: {e}"))?;
                thread::sleep(hold);
                server().restart().map_err(|e| format!("restart: {e}"))?;
            }
            Kind::Stop => {
                server().pause().map_err(|e| format!("SIGSTOP: {e}"))?;
                thread::sleep(hold);
                server().resume().map_err(|e| format!("SIGCONT: {e}"))?;
            }
            Kind::ClientKill => {
                server()
                    .client_kill(ClientType::Normal)
                    .map_err(|e| format!("CLIENT KILL: {e}"))?;
            }
            Kind::Failover | Kind::KillPrimary | Kind::Migrate => {
                return Err(format!("{}: not a fault of a single server", kind.name()))
            }
        }
        Ok(())
    }
}

/// One step of a schedule: `times` faults of `kind`, each lasting `hold`.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub kind: Kind,
    pub times: usize,
    pub hold: Duration,
}

/// The faults of a run.
#[derive(Debug, Clone)]
pub struct Schedule(pub Vec<Step>);

/// A running schedule.
pub struct Running {
    /// Faults injected so far.
    pub fired: Arc<AtomicUsize>,
    /// How far the callers' progress may go: the next fault's point while one is under
    /// way, unbounded once the last is over.
    pub gate: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    handle: thread::JoinHandle<Result<(), String>>,
}

impl Running {
    /// Stops firing new faults, waits for the one under way to end (the server running
    /// again, the proxy forwarding), and returns how many fired.
    pub fn finish(self) -> usize {
        self.done.store(true, Ordering::SeqCst);
        match self.handle.join() {
            Ok(Ok(())) => self.fired.load(Ordering::SeqCst),
            Ok(Err(e)) => panic!("fault schedule: {e}"),
            Err(_) => panic!("the fault schedule panicked"),
        }
    }
}

impl Schedule {
    /// How many faults the schedule fires.
    pub fn len(&self) -> usize {
        self.0.iter().map(|s| s.times).sum()
    }

    /// Whether the schedule fires no fault.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kinds the schedule fires.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.0.iter().filter(|s| s.times > 0).map(|s| s.kind)
    }

    /// The faults in firing order: one of each kind in turn while any is left.
    fn order(&self) -> Vec<(Kind, Duration)> {
        let mut left: Vec<Step> = self.0.clone();
        let mut order = Vec::with_capacity(self.len());
        while left.iter().any(|s| s.times > 0) {
            for step in left.iter_mut().filter(|s| s.times > 0) {
                order.push((step.kind, step.hold));
                step.times -= 1;
            }
        }
        order
    }

    /// Starts firing on a thread of its own: fault k once `progress` (commands with an
    /// outcome, or successes: see [`Progress`](super::workload::Progress)) reaches (k + 1) × `total` / (faults + 1). If a fault cannot be undone (the
    /// server does not come back), it sets `failed`, so the callers stop instead of
    /// waiting out their limit on every remaining command; [`Running::finish`] then
    /// panics with the reason.
    pub fn start<T: Inject>(
        &self,
        targets: &T,
        progress: Arc<AtomicUsize>,
        total: usize,
        failed: Arc<AtomicBool>,
    ) -> Running {
        let order = self.order();
        let faults = order.len();
        let due = move |k: usize| {
            if k < faults {
                (k + 1) * total / (faults + 1)
            } else {
                usize::MAX
            }
        };
        let fired = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(AtomicUsize::new(due(1)));
        let done = Arc::new(AtomicBool::new(false));
        let (targets, counter, stop, next) =
            (targets.clone(), fired.clone(), done.clone(), gate.clone());
        let handle = thread::spawn(move || {
            for (k, (kind, hold)) in order.into_iter().enumerate() {
                let due_now = due(k);
                while progress.load(Ordering::SeqCst) < due_now {
                    if stop.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    thread::sleep(POLL);
                }
                // Slow faults (a failover) can fall behind fast callers: one due after
                // they are done would hit nobody, and is not fired nor counted.
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                if let Err(e) = targets.inject(kind, hold) {
                    eprintln!("fault schedule: {e}");
                    failed.store(true, Ordering::SeqCst);
                    return Err(e);
                }
                counter.fetch_add(1, Ordering::SeqCst);
                next.store(due(k + 2), Ordering::SeqCst);
            }
            next.store(usize::MAX, Ordering::SeqCst);
            Ok(())
        });
        Running {
            fired,
            gate,
            done,
            handle,
        }
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Schedule, String> {
        s.split(',')
            .map(|step| {
                let parts: Vec<&str> = step.trim().split(':').collect();
                let kind = Kind::parse(parts[0]).ok_or_else(|| {
                    format!(
                        "unknown fault {:?}: cut, blackhole, delay, kill, stop, clientkill, \
                         failover, killprimary or migrate",
                        parts[0]
                    )
                })?;
                let number = |i: usize, default: Option<u64>| -> Result<u64, String> {
                    match parts.get(i) {
                        Some(p) => p
                            .parse()
                            .map_err(|_| format!("{step}: expected kind:N[:MS]")),
                        None => default.ok_or_else(|| format!("{step}: expected kind:N[:MS]")),
                    }
                };
                if parts.len() > 3 {
                    return Err(format!("{step}: expected kind:N[:MS]"));
                }
                Ok(Step {
                    kind,
                    times: number(1, None)? as usize,
                    hold: Duration::from_millis(number(2, Some(0))?),
                })
            })
            .collect::<Result<_, _>>()
            .map(Schedule)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} x{}", step.kind.name(), step.times)?;
            if !step.hold.is_zero() {
                write!(f, " for {:?}", step.hold)?;
            }
        }
        Ok(())
    }
}
