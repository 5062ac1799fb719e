//! The acceptance checklist of reference/supervisor.md, ported from OTP's supervisor_SUITE.
//! Each test is named after the behaviour it pins.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use hardy_supervisor::*;

async fn crash(sup: &SupervisorRef, id: &str) {
    let child = sup.child_ref::<Worker>(id).await.unwrap();
    child.do_send(Crash("boom")).unwrap();
}

async fn exit_with(sup: &SupervisorRef, id: &str, reason: ExitReason) {
    let child = sup.child_ref::<Worker>(id).await.unwrap();
    child.do_send(ExitWith(reason)).unwrap();
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

// ---- start-up ---------------------------------------------------------------------------

#[actix_rt::test]
async fn sup_start_normal_starts_children_in_order() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log))
        .child(worker("b", &log))
        .start()
        .unwrap();
    let counts = sup.count_children().await.unwrap();
    assert_eq!(
        counts,
        ChildCounts {
            specs: 2,
            active: 2,
            supervisors: 0,
            workers: 2
        }
    );
    assert_eq!(log.matching("start"), ["start a", "start b"]);
    sup.stop().await;
    assert_eq!(sup.exit_reason(), Some(ExitReason::Shutdown));
}

#[actix_rt::test]
async fn sup_start_ignore_init_keeps_the_supervisor_spec_with_no_child() {
    let sup = Supervisor::builder()
        .child(ChildSpec::new("sub", ChildKind::Supervisor, || {
            Err::<Supervisor, _>(StartError::Ignore)
        }))
        .start()
        .unwrap();
    let children = sup.which_children().await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].status, ChildStatus::Undefined);
    assert_eq!(children[0].kind, ChildKind::Supervisor);
    let counts = sup.count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active, counts.supervisors), (1, 0, 1));
    sup.stop().await;
}

#[actix_rt::test]
async fn sup_start_ignore_child_keeps_spec() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log))
        .child(ChildSpec::worker("ignored", || {
            Err::<Worker, _>(StartError::Ignore)
        }))
        .start()
        .unwrap();
    assert_eq!(
        status_of(&sup, "ignored").await,
        Some(ChildStatus::Undefined)
    );
    let answer = sup
        .start_child(ChildSpec::worker("ignored2", || {
            Err::<Worker, _>(StartError::Ignore)
        }))
        .await
        .unwrap();
    assert_eq!(answer.pid, None);
    assert_eq!(sup.count_children().await.unwrap().specs, 3);
    sup.stop().await;
}

#[actix_rt::test]
async fn sup_start_ignore_temporary_child_is_not_kept() {
    let sup = Supervisor::builder()
        .child(
            ChildSpec::worker("t", || Err::<Worker, _>(StartError::Ignore))
                .restart(RestartType::Temporary),
        )
        .start()
        .unwrap();
    assert!(sup.which_children().await.unwrap().is_empty());
    sup.stop().await;
}

#[actix_rt::test]
async fn sup_start_child_returns_error_stops_started_children_and_keeps_nothing() {
    let log = Log::default();
    let result = Supervisor::builder()
        .child(worker("a", &log))
        .child(ChildSpec::worker("b", || {
            Err::<Worker, _>(StartError::failed("no config"))
        }))
        .child(worker("c", &log))
        .start_async()
        .await;
    assert_eq!(
        result.err(),
        Some(Error::FailedToStartChild {
            id: ChildId::from("b"),
            reason: "no config".into()
        })
    );
    // The rollback is awaited: `a` is stopped again before the start fails; `c` never
    // started.
    assert_eq!(log.lines(), ["start a", "stop a"]);

    let sup = Supervisor::builder().start().unwrap();
    let err = sup
        .start_child(ChildSpec::worker("x", || {
            Err::<Worker, _>(StartError::failed("db down"))
        }))
        .await;
    assert_eq!(
        err,
        Err(Error::StartFailed {
            id: ChildId::from("x"),
            reason: "db down".into()
        })
    );
    assert!(sup.which_children().await.unwrap().is_empty());
    sup.stop().await;
}

#[actix_rt::test]
async fn sup_flags_invalid_intensity_period_is_rejected() {
    let err = Supervisor::builder().intensity(1, Duration::ZERO).start();
    assert!(matches!(err, Err(Error::InvalidFlags(_))));
    let err = Supervisor::builder()
        .child(ChildSpec::worker("", || Ok(Worker::quiet("x"))))
        .start();
    assert!(matches!(err, Err(Error::InvalidChildSpec { .. })));
}

// ---- stopping ---------------------------------------------------------------------------

#[actix_rt::test]
async fn sup_stop_brutal_kill_does_not_run_stopped() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log).shutdown(Shutdown::BrutalKill))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.stop().await;
    assert_eq!(exited(&mut ev, "a").await, ExitReason::Killed);
    assert_eq!(log.lines(), ["start a"]);
}

#[actix_rt::test]
async fn sup_stop_timeout_kills_a_child_that_ignores_the_stop_request() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(stubborn("a", &log).shutdown(Shutdown::Timeout(secs(3))))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let t0 = tokio::time::Instant::now();
    sup.stop().await;
    let waited = t0.elapsed();
    assert!(waited >= secs(3) && waited < secs(4), "waited {waited:?}");
    assert_eq!(exited(&mut ev, "a").await, ExitReason::Killed);
    assert_eq!(log.lines(), ["start a"]);
}

#[actix_rt::test]
async fn sup_stop_infinity_waits_for_the_child_to_stop() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log).shutdown(Shutdown::Infinity))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.stop().await;
    assert_eq!(exited(&mut ev, "a").await, ExitReason::Shutdown);
    assert_eq!(log.lines(), ["start a", "stop a"]);
}

#[actix_rt::test]
async fn order_of_children_start_in_order_and_stop_in_exact_reverse() {
    let log = Log::default();
    let ids = ["a", "b", "c", "d", "e"];
    let sup = Supervisor::builder()
        .children(ids.iter().map(|id| worker(id, &log)))
        .start()
        .unwrap();
    sup.stop().await;
    assert_eq!(
        log.lines(),
        [
            "start a", "start b", "start c", "start d", "start e", "stop e", "stop d", "stop c",
            "stop b", "stop a"
        ]
    );
}

// ---- the API ----------------------------------------------------------------------------

#[actix_rt::test]
async fn child_adm_answers_already_started_present_not_found_running() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log))
        .start()
        .unwrap();
    let a = ChildId::from("a");
    assert_eq!(
        sup.start_child(worker("a", &log)).await,
        Err(Error::AlreadyStarted(a.clone()))
    );
    assert_eq!(sup.delete_child("a").await, Err(Error::Running(a.clone())));
    assert_eq!(sup.restart_child("a").await, Err(Error::Running(a.clone())));
    let before = pid_of(&sup, "a").await.unwrap();

    sup.terminate_child("a").await.unwrap();
    assert_eq!(status_of(&sup, "a").await, Some(ChildStatus::Undefined));
    assert_eq!(
        sup.start_child(worker("a", &log)).await,
        Err(Error::AlreadyPresent(a.clone()))
    );
    let restarted = sup.restart_child("a").await.unwrap();
    assert_ne!(restarted.pid, Some(before));
    assert_eq!(restarted.pid, pid_of(&sup, "a").await);

    sup.terminate_child("a").await.unwrap();
    sup.delete_child("a").await.unwrap();
    assert_eq!(sup.delete_child("a").await, Err(Error::NotFound(a.clone())));
    assert_eq!(
        sup.terminate_child("a").await,
        Err(Error::NotFound(a.clone()))
    );
    assert_eq!(
        sup.restart_child("a").await,
        Err(Error::NotFound(a.clone()))
    );
    assert_eq!(log.lines(), ["start a", "stop a", "start a", "stop a"]);
    sup.stop().await;
}

#[actix_rt::test]
async fn child_adm_terminate_temporary_child_forgets_its_spec() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("t", &log).restart(RestartType::Temporary))
        .start()
        .unwrap();
    sup.terminate_child("t").await.unwrap();
    assert!(sup.which_children().await.unwrap().is_empty());
    sup.stop().await;
}

#[actix_rt::test]
async fn which_children_lists_newest_first_with_kind_and_status() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log))
        .child(ChildSpec::supervisor("s", || Supervisor::builder().build()))
        .start()
        .unwrap();
    sup.start_child(worker("c", &log)).await.unwrap();
    let children = sup.which_children().await.unwrap();
    let ids: Vec<String> = children.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["c", "s", "a"]);
    assert_eq!(children[1].kind, ChildKind::Supervisor);
    assert!(children
        .iter()
        .all(|c| matches!(c.status, ChildStatus::Running(_))));
    let counts = sup.count_children().await.unwrap();
    assert_eq!((counts.supervisors, counts.workers), (1, 2));
    sup.stop().await;
}

#[actix_rt::test]
async fn child_specs_every_spec_error_is_reported() {
    let ok = || Ok(Worker::quiet("w"));
    let problem = |specs: &[ChildSpec]| match check_childspecs(specs) {
        Err(Error::InvalidChildSpec { problem, .. }) => problem,
        other => panic!("expected a spec error, got {other:?}"),
    };
    assert!(problem(&[ChildSpec::worker("", ok)]).contains("missing id"));
    assert!(
        problem(&[ChildSpec::worker("a", ok).shutdown(Shutdown::Timeout(Duration::ZERO))])
            .contains("invalid shutdown")
    );
    assert!(
        problem(&[ChildSpec::worker("a", ok), ChildSpec::worker("a", ok)]).contains("duplicate id")
    );
    assert!(problem(&[ChildSpec::worker("a", ok).significant(true)]).contains("permanent"));
    assert_eq!(
        check_childspecs(&[
            ChildSpec::worker("a", ok),
            ChildSpec::worker("b", ok)
                .restart(RestartType::Transient)
                .significant(true)
        ]),
        Ok(())
    );
    let sup = Supervisor::builder().start().unwrap();
    assert!(matches!(
        sup.start_child(ChildSpec::worker("p", ok).significant(true))
            .await,
        Err(Error::InvalidChildSpec { .. })
    ));
    sup.stop().await;
}

// ---- the restart matrix -----------------------------------------------------------------

fn reasons() -> [ExitReason; 4] {
    [
        ExitReason::Normal,
        ExitReason::Shutdown,
        ExitReason::ShutdownWith("reconfigured".into()),
        ExitReason::error("abnormal"),
    ]
}

#[actix_rt::test]
async fn permanent_child_is_restarted_after_normal_shutdown_and_abnormal_exits() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .intensity(10, secs(5))
        .child(worker("p", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    for reason in reasons() {
        let before = pid_of(&sup, "p").await.unwrap();
        exit_with(&sup, "p", reason.clone()).await;
        assert_eq!(exited(&mut ev, "p").await, reason);
        let after = started(&mut ev, "p").await;
        assert_ne!(before, after);
    }
    sup.stop().await;
}

#[actix_rt::test]
async fn transient_child_is_restarted_only_after_abnormal_exit() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .intensity(10, secs(5))
        .child(worker("t", &log).restart(RestartType::Transient))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    for reason in reasons() {
        if status_of(&sup, "t").await == Some(ChildStatus::Undefined) {
            sup.restart_child("t").await.unwrap();
        }
        exit_with(&sup, "t", reason.clone()).await;
        assert_eq!(exited(&mut ev, "t").await, reason);
        if reason.is_abnormal() {
            started(&mut ev, "t").await;
            assert!(matches!(
                status_of(&sup, "t").await,
                Some(ChildStatus::Running(_))
            ));
        } else {
            assert_eq!(status_of(&sup, "t").await, Some(ChildStatus::Undefined));
        }
    }
    sup.stop().await;
}

#[actix_rt::test]
async fn temporary_child_is_never_restarted_and_its_spec_is_dropped() {
    tokio::time::pause();
    let log = Log::default();
    for reason in reasons() {
        let sup = Supervisor::builder()
            .child(worker("t", &log).restart(RestartType::Temporary))
            .start()
            .unwrap();
        let mut ev = sup.subscribe().await.unwrap();
        exit_with(&sup, "t", reason.clone()).await;
        assert_eq!(exited(&mut ev, "t").await, reason);
        assert!(sup.which_children().await.unwrap().is_empty());
        sup.stop().await;
    }
}

#[actix_rt::test]
async fn temporary_bystander_is_dropped_on_one_for_all_restart() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(worker("a", &log))
        .child(worker("t", &log).restart(RestartType::Temporary))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    crash(&sup, "a").await;
    started(&mut ev, "a").await;
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["a"]);
    sup.stop().await;
}

#[actix_rt::test]
async fn multiple_restarts_spaced_wider_than_the_window_never_escalate() {
    tokio::time::pause();
    let log = Log::default();
    let sup = Supervisor::builder()
        .intensity(1, secs(5))
        .child(worker("a", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    for _ in 0..6 {
        crash(&sup, "a").await;
        started(&mut ev, "a").await;
        tokio::time::advance(secs(5)).await;
    }
    assert_eq!(sup.exit_reason(), None);
    // Two crashes within the window are one restart too many.
    crash(&sup, "a").await;
    started(&mut ev, "a").await;
    crash(&sup, "a").await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
}

// ---- strategies -------------------------------------------------------------------------

async fn pids(sup: &SupervisorRef, ids: &[&str]) -> Vec<Pid> {
    let mut out = Vec::new();
    for id in ids {
        out.push(pid_of(sup, id).await.unwrap());
    }
    out
}

async fn three_workers(strategy: Strategy, log: &Log) -> SupervisorRef {
    Supervisor::builder()
        .strategy(strategy)
        .intensity(2, secs(5))
        .child(worker("a", log))
        .child(worker("b", log))
        .child(worker("c", log))
        .start()
        .unwrap()
}

#[actix_rt::test]
async fn one_for_one_restarts_only_the_crashed_child() {
    let log = Log::default();
    let sup = three_workers(Strategy::OneForOne, &log).await;
    let mut ev = sup.subscribe().await.unwrap();
    let before = pids(&sup, &["a", "b", "c"]).await;
    crash(&sup, "b").await;
    started(&mut ev, "b").await;
    let after = pids(&sup, &["a", "b", "c"]).await;
    assert_eq!((before[0], before[2]), (after[0], after[2]));
    assert_ne!(before[1], after[1]);
    sup.stop().await;
}

#[actix_rt::test]
async fn one_for_all_restarts_all_children_stopping_the_others_in_reverse() {
    let log = Log::default();
    let sup = three_workers(Strategy::OneForAll, &log).await;
    let mut ev = sup.subscribe().await.unwrap();
    let before = pids(&sup, &["a", "b", "c"]).await;
    crash(&sup, "a").await;
    started(&mut ev, "c").await;
    let after = pids(&sup, &["a", "b", "c"]).await;
    assert!(before.iter().zip(&after).all(|(x, y)| x != y));
    assert_eq!(
        log.lines()[3..],
        ["stop c", "stop b", "start a", "start b", "start c"]
    );
    sup.stop().await;
}

#[actix_rt::test]
async fn rest_for_one_restarts_later_siblings() {
    let log = Log::default();
    let sup = three_workers(Strategy::RestForOne, &log).await;
    let mut ev = sup.subscribe().await.unwrap();
    let before = pids(&sup, &["a", "b", "c"]).await;
    crash(&sup, "b").await;
    started(&mut ev, "c").await;
    let after = pids(&sup, &["a", "b", "c"]).await;
    assert_eq!(before[0], after[0]);
    assert_ne!(before[1], after[1]);
    assert_ne!(before[2], after[2]);
    assert_eq!(log.lines()[3..], ["stop c", "start b", "start c"]);
    sup.stop().await;
}

async fn third_crash_stops_supervisor(strategy: Strategy) {
    let log = Log::default();
    let sup = three_workers(strategy, &log).await;
    let mut ev = sup.subscribe().await.unwrap();
    for _ in 0..2 {
        crash(&sup, "c").await;
        started(&mut ev, "c").await;
    }
    assert_eq!(sup.exit_reason(), None);
    crash(&sup, "c").await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
    assert!(matches!(
        wait_for(&mut ev, |k| matches!(k, EventKind::Exiting { .. })).await,
        EventKind::Exiting {
            reason: ExitReason::Shutdown
        }
    ));
    // Everything was stopped in reverse order before the supervisor exited.
    let tail: Vec<String> = log.lines().into_iter().rev().take(2).collect();
    assert_eq!(tail, ["stop a", "stop b"]);
}

#[actix_rt::test]
async fn one_for_one_third_crash_with_max_restarts_2_stops_supervisor_with_shutdown() {
    third_crash_stops_supervisor(Strategy::OneForOne).await;
}

#[actix_rt::test]
async fn one_for_all_third_crash_with_max_restarts_2_stops_supervisor_with_shutdown() {
    third_crash_stops_supervisor(Strategy::OneForAll).await;
}

#[actix_rt::test]
async fn rest_for_one_third_crash_with_max_restarts_2_stops_supervisor_with_shutdown() {
    third_crash_stops_supervisor(Strategy::RestForOne).await;
}

async fn child_that_cannot_restart_escalates(strategy: Strategy) {
    let log = Log::default();
    let fail = Arc::new(AtomicUsize::new(0));
    let sup = Supervisor::builder()
        .strategy(strategy)
        .child(worker("a", &log))
        .child(failing_when("b", &log, fail.clone()))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    fail.store(1, Ordering::SeqCst);
    crash(&sup, "b").await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
    let mut failures = 0;
    loop {
        match ev.recv().await {
            Ok(ev) if matches!(ev.kind, EventKind::RestartFailed { .. }) => failures += 1,
            Ok(ev) if matches!(ev.kind, EventKind::GaveUp { .. }) => break,
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    // 3 restarts allowed in 5 s: the first attempt and two retries fail, the third retry
    // is one restart too many.
    assert_eq!(failures, 3);
}

#[actix_rt::test]
async fn one_for_one_escalation_child_that_cannot_restart_takes_the_supervisor_down() {
    child_that_cannot_restart_escalates(Strategy::OneForOne).await;
}

#[actix_rt::test]
async fn one_for_all_escalation_child_that_cannot_restart_takes_the_supervisor_down() {
    child_that_cannot_restart_escalates(Strategy::OneForAll).await;
}

#[actix_rt::test]
async fn rest_for_one_escalation_child_that_cannot_restart_takes_the_supervisor_down() {
    child_that_cannot_restart_escalates(Strategy::RestForOne).await;
}

#[actix_rt::test]
async fn one_for_all_other_child_fails_restart_group_is_stopped_and_retried() {
    // The retries wait `b`'s restart delay (the failing child's), which keeps them from
    // using up the intensity before the test lets `b` start again; the paused clock makes
    // the delay free.
    tokio::time::pause();
    let log = Log::default();
    let fail = Arc::new(AtomicUsize::new(0));
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(10, secs(5))
        .child(worker("a", &log))
        .child(failing_when("b", &log, fail.clone()).restart_delay(secs(1)))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let before = pids(&sup, &["a", "b"]).await;
    fail.store(1, Ordering::SeqCst);
    crash(&sup, "a").await;
    wait_for(&mut ev, |k| matches!(k, EventKind::RestartFailed { .. })).await;
    fail.store(0, Ordering::SeqCst);
    started(&mut ev, "b").await;
    let after = pids(&sup, &["a", "b"]).await;
    assert_ne!(before[0], after[0]);
    assert_ne!(before[1], after[1]);
    // `a` was started by the failed pass and stopped again before the retry.
    assert!(log.lines().windows(2).any(|w| w == ["start a", "stop a"]));
    sup.stop().await;
}

#[actix_rt::test]
async fn hanging_restart_loop_answers_restarting_and_terminate_and_shutdown_still_work() {
    tokio::time::pause();
    let log = Log::default();
    let fail = Arc::new(AtomicUsize::new(1));
    let sup = Supervisor::builder()
        .intensity(100, secs(5))
        .child(worker("ok", &log))
        .start()
        .unwrap();
    // The child starts, then cannot restart.
    fail.store(0, Ordering::SeqCst);
    sup.start_child(failing_when("h", &log, fail.clone()).restart_delay(secs(1)))
        .await
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    fail.store(1, Ordering::SeqCst);
    crash(&sup, "h").await;
    wait_for(&mut ev, |k| matches!(k, EventKind::RestartFailed { .. })).await;
    let h = ChildId::from("h");
    assert_eq!(status_of(&sup, "h").await, Some(ChildStatus::Restarting));
    assert_eq!(
        sup.restart_child("h").await,
        Err(Error::Restarting(h.clone()))
    );
    assert_eq!(
        sup.delete_child("h").await,
        Err(Error::Restarting(h.clone()))
    );
    let handle = sup.child_ref::<Worker>("h").await.unwrap();
    assert_eq!(handle.send(Name).await, Err(Error::Restarting(h.clone())));
    sup.terminate_child("h").await.unwrap();
    assert_eq!(status_of(&sup, "h").await, Some(ChildStatus::Undefined));
    tokio::time::advance(secs(10)).await;
    assert_eq!(status_of(&sup, "h").await, Some(ChildStatus::Undefined));
    sup.stop().await;
    assert_eq!(sup.exit_reason(), Some(ExitReason::Shutdown));
}

// ---- significant children ---------------------------------------------------------------

#[actix_rt::test]
async fn significant_child_exit_with_any_significant_shuts_the_supervisor_down() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(worker("a", &log))
        .child(
            worker("s", &log)
                .restart(RestartType::Transient)
                .significant(true),
        )
        .start()
        .unwrap();
    exit_with(&sup, "s", ExitReason::Normal).await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
    assert!(log.lines().contains(&"stop a".to_string()));
}

#[actix_rt::test]
async fn significant_children_with_all_significant_shut_down_when_the_last_exits() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(
            worker("s1", &log)
                .restart(RestartType::Temporary)
                .significant(true),
        )
        .child(
            worker("s2", &log)
                .restart(RestartType::Transient)
                .significant(true),
        )
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    exit_with(&sup, "s1", ExitReason::error("done badly")).await;
    exited(&mut ev, "s1").await;
    assert_eq!(sup.count_children().await.unwrap().active, 1);
    assert_eq!(sup.exit_reason(), None);
    exit_with(&sup, "s2", ExitReason::Shutdown).await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
}

#[actix_rt::test]
async fn significant_child_terminated_by_terminate_child_does_not_shut_down() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(
            worker("s", &log)
                .restart(RestartType::Transient)
                .significant(true),
        )
        .start()
        .unwrap();
    sup.terminate_child("s").await.unwrap();
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
    assert_eq!(sup.exit_reason(), None);
    sup.stop().await;
}

#[actix_rt::test]
async fn significant_bystander_stopped_by_one_for_all_does_not_shut_down() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(worker("a", &log))
        .child(
            worker("s", &log)
                .restart(RestartType::Transient)
                .significant(true),
        )
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    crash(&sup, "a").await;
    started(&mut ev, "s").await;
    assert_eq!(sup.exit_reason(), None);
    assert_eq!(sup.count_children().await.unwrap().active, 2);
    sup.stop().await;
}

#[actix_rt::test]
async fn significant_escalation_abnormal_exit_of_transient_significant_child_restarts_it() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .auto_shutdown(AutoShutdown::AnySignificant)
        .intensity(1, secs(5))
        .child(
            worker("s", &log)
                .restart(RestartType::Transient)
                .significant(true),
        )
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let before = pid_of(&sup, "s").await.unwrap();
    // Abnormal: the child is restarted, not taken as a reason to auto shut down.
    crash(&sup, "s").await;
    let after = started(&mut ev, "s").await;
    assert_ne!(before, after);
    assert_eq!(pid_of(&sup, "s").await, Some(after));
    assert_eq!(sup.exit_reason(), None, "no auto shutdown");
    sup.stop().await;
    assert_eq!(sup.exit_reason(), Some(ExitReason::Shutdown));
}

#[actix_rt::test]
async fn significant_child_with_auto_shutdown_never_is_rejected_as_otp_does() {
    let log = Log::default();
    let significant = || {
        worker("s", &log)
            .restart(RestartType::Temporary)
            .significant(true)
    };
    assert!(matches!(
        Supervisor::builder().child(significant()).start(),
        Err(Error::InvalidChildSpec { .. })
    ));
    assert!(check_childspecs_for(&[significant()], AutoShutdown::Never).is_err());
    assert!(check_childspecs(&[significant()]).is_ok());
    let sup = Supervisor::builder().start().unwrap();
    assert!(matches!(
        sup.start_child(significant()).await,
        Err(Error::InvalidChildSpec { .. })
    ));
    sup.stop().await;
}

// ---- trees ------------------------------------------------------------------------------

fn nested(name: &'static str, log: &Log, max_restarts: u32, children: Vec<ChildSpec>) -> ChildSpec {
    let log = log.clone();
    let _ = &log;
    ChildSpec::supervisor(name, move || {
        Supervisor::builder()
            .name(name)
            .intensity(max_restarts, Duration::from_secs(5))
            .children(children.clone())
            .build()
    })
}

#[actix_rt::test]
async fn tree_restart_above_does_not_leak_below() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .name("root")
        .child(nested(
            "sub",
            &log,
            3,
            vec![worker("x", &log), worker("y", &log)],
        ))
        .child(worker("z", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let tree = sup.tree().await.unwrap();
    let sub = tree.child("sub").unwrap().children.clone().unwrap();
    assert_eq!(sub.name, "sub");
    assert_eq!(sub.children.len(), 2);
    crash(&sup, "z").await;
    started(&mut ev, "z").await;
    let after = sup.tree().await.unwrap();
    assert_eq!(after.child("sub").unwrap().children.as_ref(), Some(&sub));
    assert_eq!(after.child("z").unwrap().restarts, 1);
    sup.stop().await;
    assert_eq!(
        log.lines(),
        ["start x", "start y", "start z", "start z", "stop z", "stop y", "stop x"],
        "the crashed z has no stopped hook; x and y were never restarted"
    );
}

#[actix_rt::test]
async fn tree_three_levels_escalation_stops_exactly_the_right_subtree() {
    let log = Log::default();
    let leaf = nested("leaf", &log, 0, vec![worker("x", &log)]);
    let mid = nested("mid", &log, 0, vec![leaf, worker("y", &log)]);
    let sup = Supervisor::builder()
        .name("root")
        .child(mid)
        .child(worker("z", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let before = sup.tree().await.unwrap();
    let mid_ref = sup.child_ref::<Supervisor>("mid").await.unwrap();
    let mid_sup = SupervisorRef::from_addr(mid_ref.addr().unwrap());
    let leaf_ref = mid_sup.child_ref::<Supervisor>("leaf").await.unwrap();
    let leaf_sup = SupervisorRef::from_addr(leaf_ref.addr().unwrap());
    crash(&leaf_sup, "x").await;
    // leaf gives up (intensity 0) → mid's restart of leaf is fatal too → root restarts mid.
    started(&mut ev, "mid").await;
    let after = sup.tree().await.unwrap();
    let z = |t: &SupervisorTree| t.child("z").unwrap().status;
    assert_eq!(z(&before), z(&after), "the sibling of mid is untouched");
    let mid_node = after.child("mid").unwrap();
    assert_eq!(mid_node.restarts, 1);
    assert_eq!(mid_node.last_exit, Some(ExitReason::Shutdown));
    let mid_tree = mid_node.children.as_ref().unwrap();
    assert!(mid_tree
        .children
        .iter()
        .all(|c| matches!(c.status, ChildStatus::Running(_)) && c.restarts == 0));
    assert_ne!(
        before.child("mid").unwrap().status,
        mid_node.status,
        "mid is a new incarnation"
    );
    let lines = log.lines();
    assert_eq!(
        lines[3..],
        ["stop y", "start x", "start y"],
        "x crashed (no stopped hook), y was stopped by mid's shutdown, z never stopped"
    );
    assert_eq!(mid_ref.pid(), pid_of(&sup, "mid").await);
    sup.stop().await;
}

// ---- group restarts as OTP's start_children ---------------------------------------------

#[actix_rt::test]
async fn one_for_all_restart_starts_terminated_ignored_and_normally_ended_transient_children() {
    tokio::time::pause();
    let log = Log::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let (l, c) = (log.clone(), calls.clone());
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(10, secs(5))
        .child(worker("a", &log))
        .child(worker("term", &log))
        .child(worker("tr", &log).restart(RestartType::Transient))
        .child(ChildSpec::worker("ig", move || {
            // Ignore at the first start only.
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(StartError::Ignore);
            }
            Ok(Worker {
                name: "ig".into(),
                log: l.clone(),
                ignore_stop: false,
            })
        }))
        .start_async()
        .await
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.terminate_child("term").await.unwrap();
    exit_with(&sup, "tr", ExitReason::Normal).await;
    exited(&mut ev, "tr").await;
    for id in ["term", "tr", "ig"] {
        assert_eq!(status_of(&sup, id).await, Some(ChildStatus::Undefined));
    }
    crash(&sup, "a").await;
    started(&mut ev, "ig").await;
    for id in ["a", "term", "tr", "ig"] {
        assert!(
            matches!(status_of(&sup, id).await, Some(ChildStatus::Running(_))),
            "{id} runs again after the group restart"
        );
    }
    sup.stop().await;
}

#[actix_rt::test]
async fn rest_for_one_restart_starts_the_later_children_that_were_not_running() {
    let log = Log::default();
    let sup = Supervisor::builder()
        .strategy(Strategy::RestForOne)
        .child(worker("a", &log))
        .child(worker("b", &log))
        .child(worker("c", &log))
        .start_async()
        .await
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    sup.terminate_child("a").await.unwrap();
    sup.terminate_child("c").await.unwrap();
    crash(&sup, "b").await;
    started(&mut ev, "c").await;
    assert_eq!(status_of(&sup, "a").await, Some(ChildStatus::Undefined));
    assert!(matches!(
        status_of(&sup, "c").await,
        Some(ChildStatus::Running(_))
    ));
    sup.stop().await;
}

#[actix_rt::test]
async fn group_restart_retry_waits_the_failing_childs_delay_and_gave_up_names_it() {
    tokio::time::pause();
    let log = Log::default();
    let fail = Arc::new(AtomicUsize::new(0));
    let sup = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(3, secs(60))
        .child(worker("a", &log))
        .child(failing_when("b", &log, fail.clone()).restart_delay(secs(2)))
        .start_async()
        .await
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    fail.store(1, Ordering::SeqCst);
    crash(&sup, "a").await;
    let mut failures = Vec::new();
    let gave_up = loop {
        match ev.recv().await.unwrap().kind {
            EventKind::RestartFailed { id, .. } => {
                assert_eq!(id, ChildId::from("b"));
                failures.push(tokio::time::Instant::now());
            }
            EventKind::GaveUp { id } => break id,
            _ => {}
        }
    };
    assert_eq!(
        gave_up,
        ChildId::from("b"),
        "GaveUp names the failing child"
    );
    assert!(failures.len() >= 2);
    for pair in failures.windows(2) {
        assert!(
            pair[1] - pair[0] >= secs(2),
            "each retry waits b's restart delay"
        );
    }
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
}

// ---- restart delay and intensity --------------------------------------------------------

/// Captures formatted `tracing` output.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn warnings_while(f: impl FnOnce()) -> String {
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = out.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn restart_delay_that_makes_intensity_unreachable_is_warned_at_validation() {
    let log = Log::default();
    // 3 restarts in 5 s, 2 s apart: the 4th can never fall within 5 s of the 1st.
    let warned = warnings_while(|| {
        Supervisor::builder()
            .intensity(3, secs(5))
            .child(worker("slow", &log).restart_delay(secs(2)))
            .build()
            .unwrap();
    });
    assert!(warned.contains("never escalates"), "{warned}");
    assert!(warned.contains("child=slow"), "{warned}");
    let quiet = warnings_while(|| {
        Supervisor::builder()
            .intensity(3, secs(5))
            .child(worker("fast", &log).restart_delay(Duration::from_millis(1500)))
            .build()
            .unwrap();
        DynamicSupervisor::new(|()| Ok(Worker::quiet("d")))
            .intensity(3, secs(5))
            .restart_delay(secs(1))
            .build()
            .unwrap();
    });
    assert_eq!(quiet, "");
    let dynamic = warnings_while(|| {
        DynamicSupervisor::new(|()| Ok(Worker::quiet("d")))
            .intensity(2, secs(5))
            .restart_delay(secs(3))
            .build()
            .unwrap();
    });
    assert!(dynamic.contains("never escalates"), "{dynamic}");
}
