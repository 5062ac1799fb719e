//! Supervisor storms: children crashing as fast as a supervisor can restart them, and a
//! nested tree whose escalations are predicted crash by crash.
//!
//! Shared by the short storm in the test suite (`tests/storms.rs`, with assertions) and the
//! full-size run (`benches/storms.rs`, with figures), which include this directory by path,
//! so both run exactly the same code. Leaks are counted three ways: every crashing actor
//! counts its construction and its `Drop` (a child task that never ended would keep its
//! actor alive, so live actors = live child tasks); the supervisors' own introspection
//! (`count_children`, `tree`); and tokio's runtime metrics, where stable.
#![allow(dead_code)]

pub mod escalations;
pub mod flat;
pub mod nested;
pub mod process;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};

use actix::prelude::*;
use hardy_supervisor::{exit, ExitReason};
use tokio::sync::mpsc;

/// The panic message of every crash on purpose; the panic hook keeps these quiet.
pub const CRASH_MESSAGE: &str = "storm: crash on purpose";

/// How a child crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashKind {
    /// `exit(ExitReason::Error(..))` then `ctx.stop()`: an abnormal exit without unwinding.
    Error,
    /// A panic in the handler.
    Panic,
}

impl CrashKind {
    /// Alternates the two kinds along a sequence number.
    pub fn nth(n: u64) -> Self {
        if n % 2 == 0 {
            CrashKind::Error
        } else {
            CrashKind::Panic
        }
    }
}

/// Counters shared by every incarnation of every crashing child of one run.
#[derive(Debug, Default)]
pub struct Probe {
    created: AtomicU64,
    dropped: AtomicU64,
    /// `started` ran: first starts and restarts.
    pub starts: AtomicU64,
    /// Crashes that happened (counted in the handler, just before crashing).
    pub crashed_error: AtomicU64,
    /// Crashes by panic that happened.
    pub crashed_panic: AtomicU64,
    /// Where the nested run learns which worker started (its index).
    started_tx: Option<mpsc::UnboundedSender<usize>>,
}

impl Probe {
    /// A probe that only counts.
    pub fn counting() -> Arc<Probe> {
        Arc::new(Probe::default())
    }

    /// A probe that also reports each start's worker index on a channel.
    pub fn reporting() -> (Arc<Probe>, mpsc::UnboundedReceiver<usize>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let probe = Probe {
            started_tx: Some(tx),
            ..Probe::default()
        };
        (Arc::new(probe), rx)
    }

    /// Actors built and not yet dropped.
    pub fn live(&self) -> u64 {
        // `dropped` first: a drop between the two loads can only make the answer larger.
        let dropped = self.dropped.load(Ordering::SeqCst);
        self.created.load(Ordering::SeqCst) - dropped
    }

    /// Crashes of both kinds that happened.
    pub fn crashes(&self) -> u64 {
        self.crashed_error.load(Ordering::SeqCst) + self.crashed_panic.load(Ordering::SeqCst)
    }

    /// Builds the actor for worker `index` (the start factory of every child).
    pub fn crasher(self: &Arc<Self>, index: usize) -> Crasher {
        self.created.fetch_add(1, Ordering::SeqCst);
        Crasher {
            index,
            probe: self.clone(),
        }
    }
}

/// A child that crashes on request, in either way, and counts its life.
pub struct Crasher {
    index: usize,
    probe: Arc<Probe>,
}

impl Actor for Crasher {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        self.probe.starts.fetch_add(1, Ordering::SeqCst);
        if let Some(tx) = &self.probe.started_tx {
            let _ = tx.send(self.index);
        }
    }
}

impl Drop for Crasher {
    fn drop(&mut self) {
        self.probe.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// Crash now, this way.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash(pub CrashKind);

impl Handler<Crash> for Crasher {
    type Result = ();

    fn handle(&mut self, Crash(kind): Crash, ctx: &mut Context<Self>) {
        match kind {
            CrashKind::Error => {
                self.probe.crashed_error.fetch_add(1, Ordering::SeqCst);
                exit(ExitReason::error("storm"));
                ctx.stop();
            }
            CrashKind::Panic => {
                self.probe.crashed_panic.fetch_add(1, Ordering::SeqCst);
                std::panic::panic_any(CRASH_MESSAGE);
            }
        }
    }
}

/// Keeps the crashes on purpose out of stderr (hundreds of thousands of them); every other
/// panic still goes to the default hook.
pub fn quiet_crash_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&CRASH_MESSAGE) {
                default(info);
            }
        }));
    });
}

/// Tasks alive in the current tokio runtime (`RuntimeMetrics::num_alive_tasks`, stable).
///
/// actix runs actors and `actix_rt::spawn`ed futures as tasks of a `LocalSet`, which this
/// stable metric does not count: it sees the runtime's own tasks only, so it stays flat
/// whatever the actors do. The live-actor count is what tracks the child tasks.
pub fn runtime_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}
