//! Stops that are interrupted, supervisors that are killed, and the edges of stopping and
//! restarting: nothing may be left running unsupervised, and every stop is reported.
//!
//! Tests run on tokio's paused clock: a timeout that fires means the runtime went idle,
//! i.e. nothing else was going to happen, so it turns a missing event into a failure
//! instead of a hang.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use common::*;
use hardy_supervisor::*;
use hardy_supervisor::{Error, Supervisor};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// An actor that reports every step of its life, its `Drop` included.
struct Probe {
    name: String,
    tx: mpsc::UnboundedSender<String>,
    ignore_stop: bool,
}

impl Probe {
    fn say(&self, what: &str) {
        let _ = self.tx.send(format!("{what} {}", self.name));
    }
}

impl Actor for Probe {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        self.say("start");
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        self.say("stopping");
        if self.ignore_stop {
            Running::Continue
        } else {
            Running::Stop
        }
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.say("stop");
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.say("drop");
    }
}

impl Handler<Crash> for Probe {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

fn probe(id: &str, tx: &mpsc::UnboundedSender<String>, ignore_stop: bool) -> ChildSpec {
    let (name, tx) = (id.to_owned(), tx.clone());
    ChildSpec::worker(id, move || {
        Ok(Probe {
            name: name.clone(),
            tx: tx.clone(),
            ignore_stop,
        })
    })
}

/// Reads lines until `line`; fails if it never comes.
async fn until(rx: &mut mpsc::UnboundedReceiver<String>, line: &str) -> Vec<String> {
    until_all(rx, &[line]).await
}

/// Reads lines until each of `lines` came, in any order; fails if one never comes.
async fn until_all(rx: &mut mpsc::UnboundedReceiver<String>, lines: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    let found = timeout(secs(3600), async {
        while let Some(l) = rx.recv().await {
            seen.push(l);
            if lines.iter().all(|want| seen.iter().any(|l| l == want)) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "never saw all of {lines:?}; saw {seen:?}");
    seen
}

fn drain(rx: &mut mpsc::UnboundedReceiver<String>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    lines
}

fn count(lines: &[String], line: &str) -> usize {
    lines.iter().filter(|l| *l == line).count()
}

/// P ─ S (one_for_all: a, b, c; c ignores a stop and has a 5 s timeout).
fn tree(tx: &mpsc::UnboundedSender<String>, s_shutdown: Shutdown) -> SupervisorRef {
    let tx = tx.clone();
    Supervisor::builder()
        .name("p")
        .child(
            ChildSpec::supervisor("s", move || {
                Supervisor::builder()
                    .name("s")
                    .strategy(Strategy::OneForAll)
                    .child(probe("a", &tx, false))
                    .child(probe("b", &tx, false))
                    .child(probe("c", &tx, true).shutdown(Shutdown::Timeout(secs(5))))
                    .build()
            })
            .shutdown(s_shutdown),
        )
        .start()
        .unwrap()
}

async fn held(s: &SupervisorRef) -> Vec<Addr<Probe>> {
    let mut addrs = Vec::new();
    for id in ["b", "c"] {
        addrs.push(s.child_ref::<Probe>(id).await.unwrap().addr().unwrap());
    }
    addrs
}

async fn nested(p: &SupervisorRef, id: &str) -> SupervisorRef {
    let s = p.child_ref::<Supervisor>(id).await.unwrap();
    SupervisorRef::from_addr(s.addr().unwrap())
}

#[actix_rt::test]
async fn supervisor_stopped_during_a_group_restart_stops_the_children_still_to_stop() {
    tokio::time::pause();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let p = tree(&tx, Shutdown::Infinity);
    let s = nested(&p, "s").await;
    // Addresses held elsewhere, as in real use, keep b and c alive unless they are
    // stopped or killed (an actor with no address left would stop by itself).
    let _held = held(&s).await;
    s.child_ref::<Probe>("a")
        .await
        .unwrap()
        .do_send(Crash("boom"))
        .unwrap();
    // S is now stopping c (which ignores it) and has not yet asked b.
    until(&mut rx, "stopping c").await;
    p.stop().await;
    let lines = drain(&mut rx);
    assert_eq!(count(&lines, "stop b"), 1, "b was stopped: {lines:?}");
    assert_eq!(count(&lines, "drop c"), 1, "c was killed: {lines:?}");
    assert_eq!(count(&lines, "stop c"), 0, "c was killed: {lines:?}");
    assert_eq!(p.exit_reason(), Some(ExitReason::Shutdown));
}

#[actix_rt::test]
async fn supervisor_killed_during_a_group_restart_kills_the_children_still_to_stop() {
    tokio::time::pause();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let p = tree(&tx, Shutdown::BrutalKill);
    let s = nested(&p, "s").await;
    // Addresses held elsewhere, as in real use, keep b and c alive unless they are
    // stopped or killed (an actor with no address left would stop by itself).
    let _held = held(&s).await;
    s.child_ref::<Probe>("a")
        .await
        .unwrap()
        .do_send(Crash("boom"))
        .unwrap();
    let mut lines = until(&mut rx, "stopping c").await;
    p.terminate_child("s").await.unwrap();
    lines.extend(until_all(&mut rx, &["drop b", "drop c"]).await);
    lines.extend(drain(&mut rx));
    for name in ["a", "b", "c"] {
        assert_eq!(
            count(&lines, &format!("start {name}")),
            count(&lines, &format!("drop {name}")),
            "{name} is left running: {lines:?}"
        );
    }
    assert_eq!(
        count(&lines, "stop b"),
        0,
        "b was killed, not stopped: {lines:?}"
    );
    p.stop().await;
}

#[actix_rt::test]
async fn supervisor_stopped_during_terminate_child_kills_the_child_being_terminated() {
    tokio::time::pause();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let t = tx.clone();
    let p = Supervisor::builder()
        .name("p")
        .child(ChildSpec::supervisor("s", move || {
            Supervisor::builder()
                .name("s")
                .child(probe("c", &t, true).shutdown(Shutdown::Timeout(secs(5))))
                .build()
        }))
        .start()
        .unwrap();
    let s = nested(&p, "s").await;
    let terminate = actix_rt::spawn(async move { s.terminate_child("c").await });
    // S is now waiting for c, its only child, to stop.
    until(&mut rx, "stopping c").await;
    p.stop().await;
    let lines = drain(&mut rx);
    assert_eq!(count(&lines, "drop c"), 1, "c was killed: {lines:?}");
    assert_eq!(count(&lines, "stop c"), 0, "c was killed: {lines:?}");
    let _ = terminate.await;
}

#[actix_rt::test]
async fn killed_supervisor_leaves_the_handles_of_its_children_not_running() {
    tokio::time::pause();
    let log = Log::default();
    let l = log.clone();
    let p = Supervisor::builder()
        .name("p")
        .child(
            ChildSpec::supervisor("s", move || {
                Supervisor::builder()
                    .name("s")
                    .child(worker("w", &l).restart_delay(secs(10)))
                    .child(worker("r", &l))
                    .build()
            })
            .shutdown(Shutdown::BrutalKill),
        )
        .start()
        .unwrap();
    let s = nested(&p, "s").await;
    let w = s.child_ref::<Worker>("w").await.unwrap();
    let r = s.child_ref::<Worker>("r").await.unwrap();
    let mut ev = s.subscribe().await.unwrap();
    w.do_send(Crash("boom")).unwrap();
    exited(&mut ev, "w").await;
    assert_eq!(w.state(), RefState::Restarting);
    p.terminate_child("s").await.unwrap();
    assert_eq!(w.send(Name).await, Err(Error::NotRunning(w.id().clone())));
    assert_eq!(r.send(Name).await, Err(Error::NotRunning(r.id().clone())));
    assert_eq!(w.state(), RefState::Stopped);
    p.stop().await;
}

#[actix_rt::test]
async fn stopped_supervisor_leaves_a_restarting_child_not_running() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("w", &log).restart_delay(secs(10)))
        .start()
        .unwrap();
    let w = sup.child_ref::<Worker>("w").await.unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    w.do_send(Crash("boom")).unwrap();
    exited(&mut ev, "w").await;
    sup.stop().await;
    assert_eq!(w.send(Name).await, Err(Error::NotRunning(w.id().clone())));
}

#[actix_rt::test]
async fn dynamic_shutdown_timeout_too_long_to_represent_waits_like_infinity() {
    tokio::time::pause();
    let log = Log::default();
    let l = log.clone();
    let sup = DynamicSupervisor::new(move |name: String| {
        Ok(Worker {
            name,
            log: l.clone(),
            ignore_stop: false,
        })
    })
    .shutdown(Shutdown::Timeout(Duration::MAX))
    .start()
    .unwrap();
    sup.start_child("a".into()).await.unwrap();
    sup.stop().await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
    assert_eq!(log.matching("stop"), ["stop a"]);
}

/// Stops when told to; its first `Drop` panics.
struct PanicOnDrop(Arc<AtomicBool>);

impl Actor for PanicOnDrop {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct StopNow;

impl Handler<StopNow> for PanicOnDrop {
    type Result = ();
    fn handle(&mut self, _: StopNow, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if self.0.swap(false, Ordering::SeqCst) {
            panic!("drop failed");
        }
    }
}

#[actix_rt::test]
async fn child_whose_drop_panics_after_a_normal_stop_exits_with_panic_and_is_restarted() {
    tokio::time::pause();
    let armed = Arc::new(AtomicBool::new(true));
    let a = armed.clone();
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("d", move || Ok(PanicOnDrop(a.clone()))))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let d = sup.child_ref::<PanicOnDrop>("d").await.unwrap();
    let before = d.pid().unwrap();
    d.do_send(StopNow).unwrap();
    let reason = timeout(secs(3600), exited(&mut ev, "d"))
        .await
        .expect("the exit was never reported");
    assert_eq!(reason, ExitReason::Panic("drop failed".into()));
    let after = started(&mut ev, "d").await;
    assert_ne!(before, after);
    timeout(secs(3600), sup.stop())
        .await
        .expect("the supervisor stopped");
    assert_eq!(sup.exit_reason(), Some(ExitReason::Shutdown));
}

#[actix_rt::test]
async fn stale_restart_delay_timer_does_not_restart_the_child_early() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log).restart_delay(secs(10)))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let a = sup.child_ref::<Worker>("a").await.unwrap();
    a.do_send(Crash("first")).unwrap();
    exited(&mut ev, "a").await; // a restart is due at t = 10 s
    sup.terminate_child("a").await.unwrap();
    sup.restart_child("a").await.unwrap();
    started(&mut ev, "a").await;
    tokio::time::advance(secs(5)).await;
    a.do_send(Crash("second")).unwrap();
    exited(&mut ev, "a").await; // this restart is due at t = 15 s
    let crashed = Instant::now();
    started(&mut ev, "a").await;
    let waited = crashed.elapsed();
    assert!(waited >= secs(10), "restarted after {waited:?}");
    sup.stop().await;
}

async fn events_until_started(
    rx: &mut tokio::sync::broadcast::Receiver<Event>,
    id: &str,
) -> Vec<EventKind> {
    let want = ChildId::from(id);
    let mut seen = Vec::new();
    loop {
        let kind = rx.recv().await.expect("event stream").kind;
        let done = matches!(&kind, EventKind::Started { id, .. } if *id == want);
        seen.push(kind);
        if done {
            return seen;
        }
    }
}

fn exited_with(events: &[EventKind], want: &str) -> Option<ExitReason> {
    let want = ChildId::from(want);
    events.iter().find_map(|k| match k {
        EventKind::Exited { id, reason, .. } if *id == want => Some(reason.clone()),
        _ => None,
    })
}

#[actix_rt::test]
async fn temporary_bystander_of_a_group_restart_is_reported_exited() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(worker("a", &log))
        .child(worker("t", &log).restart(RestartType::Temporary))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.child_ref::<Worker>("a")
        .await
        .unwrap()
        .do_send(Crash("boom"))
        .unwrap();
    let events = events_until_started(&mut ev, "a").await;
    assert_eq!(exited_with(&events, "t"), Some(ExitReason::Shutdown));
    assert_eq!(
        sup.count_children().await.unwrap().specs,
        1,
        "t is forgotten"
    );
    sup.stop().await;
}

#[actix_rt::test]
async fn temporary_child_terminated_is_reported_exited() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("t", &log).restart(RestartType::Temporary))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.terminate_child("t").await.unwrap();
    let mut events = Vec::new();
    while let Ok(e) = ev.try_recv() {
        events.push(e.kind);
    }
    assert_eq!(exited_with(&events, "t"), Some(ExitReason::Shutdown));
    sup.stop().await;
}

#[actix_rt::test]
async fn dynamic_start_child_checks_the_spec() {
    let sup = DynamicSupervisor::new(|()| Ok(Worker::quiet("d")))
        .start()
        .unwrap();
    let zero = ChildSpec::worker("x", || Ok(Worker::quiet("x")))
        .shutdown(Shutdown::Timeout(Duration::ZERO));
    assert!(matches!(
        sup.supervisor().start_child(zero).await,
        Err(Error::InvalidChildSpec { .. })
    ));
    let significant = ChildSpec::worker("y", || Ok(Worker::quiet("y"))).significant(true);
    assert!(matches!(
        sup.supervisor().start_child(significant).await,
        Err(Error::InvalidChildSpec { .. })
    ));
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
    sup.stop().await;
}

#[actix_rt::test]
async fn dynamic_supervisor_validates_its_template_at_build_time() {
    let zero_template = DynamicSupervisor::new(|()| Ok(Worker::quiet("z")))
        .shutdown(Shutdown::Timeout(Duration::ZERO));
    assert!(matches!(
        zero_template.build().err(),
        Some(Error::InvalidChildSpec { .. })
    ));
    let nested = DynamicSupervisor::new(|()| Ok(Worker::quiet("z")))
        .shutdown(Shutdown::Timeout(Duration::ZERO));
    assert!(matches!(
        nested.start().err(),
        Some(Error::InvalidChildSpec { .. })
    ));
}

#[actix_rt::test]
async fn dynamic_children_being_restarted_count_toward_max_children() {
    tokio::time::pause();
    let sup = DynamicSupervisor::new(|()| Ok(Worker::quiet("d")))
        .max_children(1)
        .restart_delay(secs(10))
        .start()
        .unwrap();
    let child = sup.start_child(()).await.unwrap();
    let mut ev = sup.supervisor().subscribe().await.unwrap();
    child.do_send(Crash("boom")).unwrap();
    wait_for(&mut ev, |k| matches!(k, EventKind::Exited { .. })).await;
    assert_eq!(child.state(), RefState::Restarting);
    assert_eq!(sup.start_child(()).await.err(), Some(Error::MaxChildren(1)));
    sup.stop().await;
}

#[actix_rt::test]
async fn group_restart_stops_a_child_nobody_else_addresses_in_its_turn_with_shutdown() {
    tokio::time::pause();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(probe("a", &tx, false))
        .child(probe("b", &tx, false))
        .child(probe("c", &tx, true).shutdown(Shutdown::Timeout(secs(5))))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.child_ref::<Probe>("a")
        .await
        .unwrap()
        .do_send(Crash("boom"))
        .unwrap();
    let events = events_until_started(&mut ev, "a").await;
    assert_eq!(exited_with(&events, "c"), Some(ExitReason::Killed));
    assert_eq!(exited_with(&events, "b"), Some(ExitReason::Shutdown));
    let lines = drain(&mut rx);
    let at = |line: &str| lines.iter().position(|l| l == line).unwrap();
    assert!(
        at("drop c") < at("stopping b"),
        "b is stopped after c, not when its handle let go of it: {lines:?}"
    );
    sup.stop().await;
}

#[actix_rt::test]
async fn dynamic_shutdown_applies_each_childs_own_policy_an_infinity_sibling_does_not_lift_a_timeout(
) {
    tokio::time::pause();
    let log = Log::default();
    let l = log.clone();
    let sup = DynamicSupervisor::new(move |name: String| {
        Ok(Worker {
            name,
            log: l.clone(),
            ignore_stop: true,
        })
    })
    .shutdown(Shutdown::Timeout(secs(2)))
    .start()
    .unwrap();
    sup.start_child("stubborn".into()).await.unwrap();
    sup.supervisor()
        .start_child(worker("polite", &log).shutdown(Shutdown::Infinity))
        .await
        .unwrap();
    let t0 = tokio::time::Instant::now();
    tokio::time::timeout(secs(60), sup.stop())
        .await
        .expect("the stubborn child is killed after its own 2 s timeout");
    let waited = t0.elapsed();
    assert!(waited >= secs(2) && waited < secs(3), "{waited:?}");
    assert_eq!(log.matching("stop"), ["stop polite"]);
}
