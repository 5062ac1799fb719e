//! How exits are observed in actix: panics (in `started` and in handlers), `exit(reason)`,
//! kills, children on other arbiters (threads), stable handles across restarts, restart
//! delays.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use common::*;
use hardy_supervisor::*;
use hardy_supervisor::{Error, Supervisor};

/// Panics in `started`.
struct PanicsOnStart;

impl Actor for PanicsOnStart {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        panic!("cannot start: bad config");
    }
}

#[actix_rt::test]
async fn panic_in_started_fails_the_awaited_start_with_its_message() {
    let result = Supervisor::builder()
        .child(ChildSpec::worker("p", || Ok(PanicsOnStart)))
        .start_async()
        .await;
    assert_eq!(
        result.err(),
        Some(Error::FailedToStartChild {
            id: ChildId::from("p"),
            reason: "panic: cannot start: bad config".into()
        })
    );
}

#[actix_rt::test]
async fn panic_in_started_on_restart_is_a_restart_failure_that_escalates() {
    let started_once = Arc::new(AtomicBool::new(false));
    let flag = started_once.clone();
    let sup = Supervisor::builder()
        .intensity(1, Duration::from_secs(5))
        .child(ChildSpec::worker("p", move || {
            Ok(PanicsOnRestart(flag.swap(true, Ordering::SeqCst)))
        }))
        .start_async()
        .await
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.child_ref::<PanicsOnRestart>("p")
        .await
        .unwrap()
        .do_send(Crash("first crash"))
        .unwrap();
    assert!(matches!(
        wait_for(&mut ev, |k| matches!(k, EventKind::RestartFailed { .. })).await,
        EventKind::RestartFailed { reason, .. } if reason == "panic: cannot start: bad config"
    ));
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
}

/// Panics in `started` on every incarnation but the first.
struct PanicsOnRestart(bool);

impl Actor for PanicsOnRestart {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        if self.0 {
            panic!("cannot start: bad config");
        }
    }
}

impl Handler<Crash> for PanicsOnRestart {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

#[actix_rt::test]
async fn panic_in_handler_is_an_abnormal_exit_and_a_pending_send_gets_closed() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("w", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let w = sup.child_ref::<Worker>("w").await.unwrap();
    let old = w.addr().unwrap();
    let crash = old.send(Crash("handler bug"));
    // Queued behind the crash: never handled, the caller is told the mailbox closed.
    let pending = old.send(Name);
    assert_eq!(crash.await, Err(MailboxError::Closed));
    assert_eq!(pending.await, Err(MailboxError::Closed));
    assert_eq!(
        exited(&mut ev, "w").await,
        ExitReason::Panic("handler bug".into())
    );
    started(&mut ev, "w").await;
    assert!(!old.connected(), "the dead mailbox is closed, not silent");
    assert_eq!(w.send(Name).await.unwrap(), "w");
    assert_ne!(w.addr().unwrap(), old);
    sup.stop().await;
}

#[actix_rt::test]
async fn exit_with_error_reason_is_reported_and_kept_as_last_exit() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("w", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let w = sup.child_ref::<Worker>("w").await.unwrap();
    w.do_send(ExitWith(ExitReason::error("gave up after 3 reconnects")))
        .unwrap();
    started(&mut ev, "w").await;
    let tree = sup.tree().await.unwrap();
    let node = tree.child("w").unwrap();
    assert_eq!(
        node.last_exit,
        Some(ExitReason::Error("gave up after 3 reconnects".into()))
    );
    assert_eq!(node.restarts, 1);
    sup.stop().await;
}

#[actix_rt::test]
async fn killed_child_reports_killed_and_its_stopped_hook_does_not_run() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("w", &log).shutdown(Shutdown::BrutalKill))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.terminate_child("w").await.unwrap();
    assert_eq!(exited(&mut ev, "w").await, ExitReason::Killed);
    assert_eq!(log.lines(), ["start w"]);
    sup.stop().await;
}

#[actix_rt::test]
async fn child_on_another_arbiter_panic_is_observed_and_restarted_there() {
    let arbiter = Arbiter::new();
    let log = Log::default();
    let (name, l) = ("remote".to_string(), log.clone());
    let sup = Supervisor::builder()
        .child(ChildSpec::worker_on(
            arbiter.handle(),
            "remote",
            move || {
                Ok(Worker {
                    name: name.clone(),
                    log: l.clone(),
                    ignore_stop: false,
                })
            },
        ))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let r = sup.child_ref::<Worker>("remote").await.unwrap();
    let thread = r.send(ThreadName).await.unwrap();
    assert_ne!(thread, format!("{:?}", std::thread::current().id()));
    assert_eq!(
        r.send(Crash("remote bug")).await,
        Err(Error::Closed(ChildId::from("remote")))
    );
    assert_eq!(
        exited(&mut ev, "remote").await,
        ExitReason::Panic("remote bug".into())
    );
    started(&mut ev, "remote").await;
    assert_eq!(r.send(ThreadName).await.unwrap(), thread);
    sup.stop().await;
    assert_eq!(log.matching("stop"), ["stop remote"]);
    arbiter.stop();
}

#[actix_rt::test]
async fn child_ref_reaches_the_current_incarnation_after_each_restart() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .intensity(10, Duration::from_secs(5))
        .child(worker("w", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let w = sup.child_ref::<Worker>("w").await.unwrap();
    let mut seen = vec![w.pid().unwrap()];
    for _ in 0..3 {
        w.do_send(Crash("again")).unwrap();
        let pid = started(&mut ev, "w").await;
        assert_eq!(w.pid(), Some(pid));
        assert_eq!(w.send(Name).await.unwrap(), "w");
        seen.push(pid);
    }
    seen.dedup();
    assert_eq!(seen.len(), 4);
    assert!(matches!(
        sup.child_ref::<PanicsOnStart>("w").await,
        Err(Error::WrongType(_))
    ));
    sup.stop().await;
    assert_eq!(w.state(), RefState::Stopped);
    assert_eq!(
        w.send(Name).await,
        Err(Error::NotRunning(ChildId::from("w")))
    );
}

#[actix_rt::test]
async fn restart_delay_waits_before_restarting_and_send_meanwhile_answers_restarting() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("w", &log).restart_delay(Duration::from_secs(2)))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let w = sup.child_ref::<Worker>("w").await.unwrap();
    let t0 = tokio::time::Instant::now();
    w.do_send(Crash("x")).unwrap();
    exited(&mut ev, "w").await;
    assert_eq!(w.state(), RefState::Restarting);
    assert_eq!(
        w.send(Name).await,
        Err(Error::Restarting(ChildId::from("w")))
    );
    assert_eq!(status_of(&sup, "w").await, Some(ChildStatus::Restarting));
    started(&mut ev, "w").await;
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(3));
    assert_eq!(w.send(Name).await.unwrap(), "w");
    sup.stop().await;
}

#[actix_rt::test]
async fn supervisor_killed_by_its_parent_kills_its_children() {
    let log = Log::default();
    let l = log.clone();
    let sup = Supervisor::builder()
        .child(
            ChildSpec::supervisor("sub", move || {
                Supervisor::builder().child(worker("x", &l)).build()
            })
            .shutdown(Shutdown::BrutalKill),
        )
        .start()
        .unwrap();
    let sub = sup.child_ref::<Supervisor>("sub").await.unwrap();
    let sub = SupervisorRef::from_addr(sub.addr().unwrap());
    let x = sub.child_ref::<Worker>("x").await.unwrap();
    let x_addr = x.addr().unwrap();
    sup.stop().await;
    // The kill reaches x through the dropped supervisor; wait for its mailbox to close.
    for _ in 0..1000 {
        if !x_addr.connected() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(!x_addr.connected());
    assert_eq!(log.lines(), ["start x"], "killed: no stopped hook");
}

/// Answers the thread the actor runs on.
#[derive(Message)]
#[rtype(result = "String")]
struct ThreadName;

impl Handler<ThreadName> for Worker {
    type Result = String;
    fn handle(&mut self, _: ThreadName, _: &mut Context<Self>) -> String {
        format!("{:?}", std::thread::current().id())
    }
}

/// Records a reason in one handler and stops in a later one.
struct ExitsLater {
    _not_send: std::rc::Rc<()>,
}

impl Actor for ExitsLater {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Record;

#[derive(Message)]
#[rtype(result = "()")]
struct StopNow;

impl Handler<Record> for ExitsLater {
    type Result = ();
    fn handle(&mut self, _: Record, _: &mut Context<Self>) {
        exit(ExitReason::ShutdownWith("drained".into()));
    }
}

impl Handler<StopNow> for ExitsLater {
    type Result = ();
    fn handle(&mut self, _: StopNow, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

#[actix_rt::test]
async fn exit_recorded_in_an_earlier_handler_is_the_reason_of_a_later_stop() {
    // `ExitsLater` holds an `Rc`: a child needs no `Send` and no trait of ours.
    let sup = Supervisor::builder()
        .child(
            ChildSpec::worker("later", || {
                Ok(ExitsLater {
                    _not_send: std::rc::Rc::new(()),
                })
            })
            .restart(RestartType::Transient),
        )
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let child = sup.child_ref::<ExitsLater>("later").await.unwrap();
    child.send(Record).await.unwrap();
    child.do_send(StopNow).unwrap();
    assert_eq!(
        exited(&mut ev, "later").await,
        ExitReason::ShutdownWith("drained".into())
    );
    assert_eq!(status_of(&sup, "later").await, Some(ChildStatus::Undefined));
    sup.stop().await;
}
