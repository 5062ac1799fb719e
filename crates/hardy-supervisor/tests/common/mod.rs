//! Test actors and helpers shared by the integration tests.
//!
//! Tests never sleep to synchronise: they wait on supervisor events (a broadcast
//! subscription) or on answers. Intensity windows use tokio's paused clock: inside
//! `#[actix_rt::test]` (a current-thread runtime) call `tokio::time::pause()` first; the
//! clock then auto-advances when every task is idle, so a 5 s shutdown timeout costs nothing.
//! Do not pause the clock in tests with other arbiters (threads): auto-advance would fire
//! timers while another thread is still working.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix::prelude::*;
use hardy_supervisor::{
    exit, ChildId, ChildSpec, ChildStatus, Event, EventKind, ExitReason, Pid, StartError,
    SupervisorRef,
};
use tokio::sync::broadcast;

/// A shared log of life-cycle lines ("start a", "stop a").
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    pub fn matching(&self, prefix: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }
}

/// A worker that logs its start and stop, and crashes or exits on request.
pub struct Worker {
    pub name: String,
    pub log: Log,
    pub ignore_stop: bool,
}

impl Worker {
    /// A worker with a throw-away log.
    pub fn quiet(name: &str) -> Self {
        Worker {
            name: name.to_owned(),
            log: Log::default(),
            ignore_stop: false,
        }
    }
}

impl Actor for Worker {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        self.log.push(format!("start {}", self.name));
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        if self.ignore_stop {
            Running::Continue
        } else {
            Running::Stop
        }
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.log.push(format!("stop {}", self.name));
    }
}

/// Panics in the handler with this message.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash(pub &'static str);

/// Records `reason` with `exit` and stops.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ExitWith(pub ExitReason);

/// Answers the worker's name.
#[derive(Message)]
#[rtype(result = "String")]
pub struct Name;

impl Handler<Crash> for Worker {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

impl Handler<ExitWith> for Worker {
    type Result = ();
    fn handle(&mut self, msg: ExitWith, ctx: &mut Context<Self>) {
        exit(msg.0);
        ctx.stop();
    }
}

impl Handler<Name> for Worker {
    type Result = String;
    fn handle(&mut self, _: Name, _: &mut Context<Self>) -> String {
        self.name.clone()
    }
}

/// A spec for a logging worker named `id`.
pub fn worker(id: &str, log: &Log) -> ChildSpec {
    let (name, log) = (id.to_owned(), log.clone());
    ChildSpec::worker(id, move || {
        Ok(Worker {
            name: name.clone(),
            log: log.clone(),
            ignore_stop: false,
        })
    })
}

/// A spec for a worker that refuses to stop when asked.
pub fn stubborn(id: &str, log: &Log) -> ChildSpec {
    let (name, log) = (id.to_owned(), log.clone());
    ChildSpec::worker(id, move || {
        Ok(Worker {
            name: name.clone(),
            log: log.clone(),
            ignore_stop: true,
        })
    })
}

/// A spec whose factory fails with `reason` once `fail` is set (shared switch).
pub fn failing_when(id: &str, log: &Log, fail: Arc<AtomicUsize>) -> ChildSpec {
    let (name, log) = (id.to_owned(), log.clone());
    ChildSpec::worker(id, move || {
        if fail.load(Ordering::SeqCst) > 0 {
            return Err(StartError::Failed(format!("{name} cannot start")));
        }
        Ok(Worker {
            name: name.clone(),
            log: log.clone(),
            ignore_stop: false,
        })
    })
}

/// The pid of a running child, by id.
pub async fn pid_of(sup: &SupervisorRef, id: &str) -> Option<Pid> {
    let id = ChildId::from(id);
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .and_then(|c| match c.status {
            ChildStatus::Running(pid) => Some(pid),
            _ => None,
        })
}

/// The status of a child, by id.
pub async fn status_of(sup: &SupervisorRef, id: &str) -> Option<ChildStatus> {
    let id = ChildId::from(id);
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.status)
}

/// Waits for the first event matching `pred`, and returns it. Panics if events were lost
/// (the subscription lagged): the awaited one may be among them, and waiting on would hang.
pub async fn wait_for(
    rx: &mut broadcast::Receiver<Event>,
    mut pred: impl FnMut(&EventKind) -> bool,
) -> EventKind {
    loop {
        match rx.recv().await {
            Ok(ev) if pred(&ev.kind) => return ev.kind,
            Ok(_) => {}
            Err(e) => panic!("event stream lagged or ended: {e}"),
        }
    }
}

/// Waits until child `id` has started `n` more times (restarts included).
pub async fn started(rx: &mut broadcast::Receiver<Event>, id: &str) -> Pid {
    let want = ChildId::from(id);
    match wait_for(
        rx,
        |k| matches!(k, EventKind::Started { id, .. } if *id == want),
    )
    .await
    {
        EventKind::Started { pid, .. } => pid,
        _ => unreachable!(),
    }
}

/// Waits until child `id` has exited, and returns the reason.
pub async fn exited(rx: &mut broadcast::Receiver<Event>, id: &str) -> ExitReason {
    let want = ChildId::from(id);
    match wait_for(
        rx,
        |k| matches!(k, EventKind::Exited { id, .. } if *id == want),
    )
    .await
    {
        EventKind::Exited { reason, .. } => reason,
        _ => unreachable!(),
    }
}

/// Quiets the default panic hook for panics the tests cause on purpose.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
