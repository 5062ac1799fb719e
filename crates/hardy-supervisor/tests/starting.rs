//! Starting: the awaited start (OTP's init acknowledgement), start-up rollback that stays
//! under supervision, and children (and supervisors) built on another arbiter.

mod common;

use std::cell::Cell as StdCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use common::*;
use hardy_supervisor::*;
use hardy_supervisor::{Error, Supervisor};

/// Logs its start and its drop; panics in `started` when told to.
struct Probe {
    name: &'static str,
    log: Log,
    panic_on_start: bool,
    ignore_stop: bool,
}

impl Actor for Probe {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        if self.panic_on_start {
            panic!("{} cannot start", self.name);
        }
        self.log.push(format!("start {}", self.name));
    }
    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        if self.ignore_stop {
            Running::Continue
        } else {
            Running::Stop
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}

impl Handler<Crash> for Probe {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

fn probe(name: &'static str, log: &Log) -> Probe {
    probe_with(name, log, false, false)
}

fn probe_with(name: &'static str, log: &Log, panic_on_start: bool, ignore_stop: bool) -> Probe {
    Probe {
        name,
        log: log.clone(),
        panic_on_start,
        ignore_stop,
    }
}

// ---- the awaited start ------------------------------------------------------------------

#[actix_rt::test]
async fn awaited_start_returns_once_every_child_ran_started_including_remote_and_nested() {
    let arbiter = Arbiter::new();
    let log = Log::default();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let remote = arbiter.handle();
    let nested_remote = arbiter.handle();
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("a", move || Ok(probe("a", &l1))))
        .child(ChildSpec::worker_on(remote, "r", move || {
            Ok(probe("r", &l2))
        }))
        .child(ChildSpec::supervisor("sub", move || {
            let l3 = l3.clone();
            Supervisor::builder()
                .child(ChildSpec::worker_on(
                    nested_remote.clone(),
                    "n",
                    move || Ok(probe("n", &l3)),
                ))
                .build()
        }))
        .start_async()
        .await
        .unwrap();
    // Nothing awaited but the start: every `started` has run, in start order.
    assert_eq!(log.lines(), ["start a", "start r", "start n"]);
    sup.stop().await;
    arbiter.stop();
}

#[actix_rt::test]
async fn nested_supervisor_start_failure_fails_the_parent_start_naming_both_children() {
    let log = Log::default();
    let (l1, l2) = (log.clone(), log.clone());
    let result = Supervisor::builder()
        .child(ChildSpec::worker("a", move || Ok(probe("a", &l1))))
        .child(ChildSpec::supervisor("sub", move || {
            let l2 = l2.clone();
            Supervisor::builder()
                .child(ChildSpec::worker("x", move || {
                    Ok(probe_with("x", &l2, true, false))
                }))
                .build()
        }))
        .start_async()
        .await;
    assert_eq!(
        result.err(),
        Some(Error::FailedToStartChild {
            id: ChildId::from("sub"),
            reason: "failed to start child `x`: panic: x cannot start".into()
        })
    );
    assert_eq!(log.lines(), ["start a", "drop x", "drop a"]);
}

#[actix_rt::test]
async fn start_child_answers_after_started_ran_and_fails_when_started_panics() {
    quiet_panics();
    let arbiter = Arbiter::new();
    let log = Log::default();
    let sup = Supervisor::builder().start_async().await.unwrap();
    let l = log.clone();
    let started = sup
        .start_child(ChildSpec::worker_on(arbiter.handle(), "r", move || {
            Ok(probe("r", &l))
        }))
        .await
        .unwrap();
    assert!(started.pid.is_some());
    assert_eq!(
        log.lines(),
        ["start r"],
        "started ran before start_child answered"
    );
    let l = log.clone();
    let failed = sup
        .start_child(ChildSpec::worker_on(arbiter.handle(), "p", move || {
            Ok(probe_with("p", &l, true, false))
        }))
        .await;
    assert_eq!(
        failed,
        Err(Error::StartFailed {
            id: ChildId::from("p"),
            reason: "panic: p cannot start".into()
        })
    );
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
    sup.stop().await;
    arbiter.stop();
}

#[actix_rt::test]
async fn synchronous_start_reports_a_child_start_failure_through_started_and_wait() {
    let sup = Supervisor::builder()
        .child(ChildSpec::worker("b", || {
            Err::<Worker, _>(StartError::failed("no config"))
        }))
        .start()
        .expect("the flags and specs are valid");
    assert_eq!(
        sup.started().await,
        Err(Error::FailedToStartChild {
            id: ChildId::from("b"),
            reason: "no config".into()
        })
    );
    assert_eq!(
        sup.wait().await,
        Some(ExitReason::ShutdownWith(
            "failed to start child `b`: no config".into()
        ))
    );
}

// ---- rollback under supervision ---------------------------------------------------------

#[actix_rt::test]
async fn failed_nested_start_during_a_restart_is_retried_only_after_the_old_children_are_gone() {
    tokio::time::pause();
    quiet_panics();
    let log = Log::default();
    let fail = Arc::new(AtomicUsize::new(0));
    let (l, f) = (log.clone(), fail.clone());
    let sup = Supervisor::builder()
        .intensity(3, Duration::from_secs(60))
        .child(ChildSpec::supervisor("sub", move || {
            let (l, f) = (l.clone(), f.clone());
            Supervisor::builder()
                .intensity(0, Duration::from_secs(5))
                // `a` ignores the stop request: each rollback takes its 1 s timeout.
                .child(
                    ChildSpec::worker("a", {
                        let l = l.clone();
                        move || Ok(probe_with("a", &l, false, true))
                    })
                    .shutdown(Shutdown::Timeout(Duration::from_secs(1))),
                )
                .child(ChildSpec::worker("b", move || {
                    if f.load(Ordering::SeqCst) > 0 {
                        return Err(StartError::failed("b cannot start"));
                    }
                    Ok(probe("b", &l))
                }))
                .build()
        }))
        .start_async()
        .await
        .unwrap();
    let sub = SupervisorRef::from_child_ref(sup.child_ref::<Supervisor>("sub").await.unwrap());
    fail.store(1, Ordering::SeqCst);
    // `a` crashes; `sub` (intensity 0) gives up; the root's restarts of `sub` fail on `b`.
    sub.child_ref::<Probe>("a")
        .await
        .unwrap()
        .do_send(Crash("boom"))
        .unwrap();
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
    let a_lines = log.matching("");
    let a_lines: Vec<&String> = a_lines.iter().filter(|l| l.ends_with(" a")).collect();
    assert!(a_lines.len() >= 6, "{a_lines:?}");
    for pair in a_lines.chunks(2) {
        assert_eq!(
            pair,
            [&"start a".to_string(), &"drop a".to_string()],
            "a new `a` started while the old one was still stopping: {a_lines:?}"
        );
    }
}

// ---- placement --------------------------------------------------------------------------

/// Holds an `Rc`, so it is not `Send`: it can only be built where it runs.
struct NotSend(Rc<StdCell<u32>>);

impl Actor for NotSend {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "(String, u32)")]
struct Where;

impl Handler<Where> for NotSend {
    type Result = MessageResult<Where>;
    fn handle(&mut self, _: Where, _: &mut Context<Self>) -> Self::Result {
        self.0.set(self.0.get() + 1);
        MessageResult((format!("{:?}", std::thread::current().id()), self.0.get()))
    }
}

impl Handler<Crash> for NotSend {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

#[actix_rt::test]
async fn non_send_actor_on_another_arbiter_is_built_crashed_and_restarted_there() {
    quiet_panics();
    let arbiter = Arbiter::new();
    let spec = ChildSpec::worker_on(arbiter.handle(), "ns", || {
        Ok(NotSend(Rc::new(StdCell::new(0))))
    });
    let ns: ChildRef<NotSend> = spec.child_ref().unwrap();
    let sup = Supervisor::builder()
        .child(spec)
        .start_async()
        .await
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let here = format!("{:?}", std::thread::current().id());
    let (there, n) = ns.send(Where).await.unwrap();
    assert_ne!(there, here);
    assert_eq!(n, 1);
    let before = ns.pid().unwrap();
    assert!(ns.send(Crash("not-send bug")).await.is_err());
    assert_eq!(
        exited(&mut ev, "ns").await,
        ExitReason::Panic("not-send bug".into())
    );
    let after = started(&mut ev, "ns").await;
    assert_ne!(before, after);
    assert_eq!(
        ns.send(Where).await.unwrap(),
        (there, 1),
        "a fresh actor, same arbiter"
    );
    sup.stop().await;
    arbiter.stop();
}

#[actix_rt::test]
async fn remote_factory_failure_is_reported_back_to_the_awaited_start() {
    let arbiter = Arbiter::new();
    let result = Supervisor::builder()
        .child(ChildSpec::worker_on(arbiter.handle(), "r", || {
            Err::<NotSend, _>(StartError::failed("no socket"))
        }))
        .start_async()
        .await;
    assert_eq!(
        result.err(),
        Some(Error::FailedToStartChild {
            id: ChildId::from("r"),
            reason: "no socket".into()
        })
    );
    arbiter.stop();
}

#[actix_rt::test]
async fn supervisor_on_another_arbiter_runs_its_children_there() {
    let arbiter = Arbiter::new();
    let spec = ChildSpec::supervisor_on(arbiter.handle(), "remote", || {
        Supervisor::builder()
            .child(ChildSpec::worker("ns", || {
                Ok(NotSend(Rc::new(StdCell::new(0))))
            }))
            .build()
    });
    let remote = spec.supervisor_ref().unwrap();
    let sup = Supervisor::builder()
        .child(spec)
        .start_async()
        .await
        .unwrap();
    let ns = remote.child_ref::<NotSend>("ns").await.unwrap();
    let (there, _) = ns.send(Where).await.unwrap();
    assert_ne!(there, format!("{:?}", std::thread::current().id()));
    sup.stop().await;
    assert_eq!(ns.state(), RefState::Stopped);
    arbiter.stop();
}
