//! Dynamic and partition supervisors: run-time children, `max_children`, scale, concurrent
//! shutdown with a shared deadline, key routing and spreading over arbiters.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use common::*;
use hardy_supervisor::*;
use hardy_supervisor::{Error, Supervisor};

/// Counts live instances: +1 when built, -1 when dropped.
struct Counted(Arc<AtomicUsize>);

impl Actor for Counted {
    type Context = Context<Self>;
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn counted(live: &Arc<AtomicUsize>) -> DynamicSupervisor<Counted, ()> {
    let live = live.clone();
    DynamicSupervisor::new(move |()| {
        live.fetch_add(1, Ordering::SeqCst);
        Ok(Counted(live.clone()))
    })
}

fn logging(log: &Log) -> DynamicSupervisor<Worker, String> {
    let log = log.clone();
    DynamicSupervisor::new(move |name: String| {
        Ok(Worker {
            name,
            log: log.clone(),
            ignore_stop: false,
        })
    })
}

#[actix_rt::test]
async fn child_adm_simple_terminate_by_handle_and_foreign_handle_is_not_found() {
    let log = Log::default();
    let sup = logging(&log).start().unwrap();
    let other = logging(&log).start().unwrap();
    let a = sup.start_child("a".into()).await.unwrap();
    let b = sup.start_child("b".into()).await.unwrap();
    let foreign = other.start_child("f".into()).await.unwrap();
    assert_eq!(a.send(Name).await.unwrap(), "a");
    assert_eq!(
        sup.terminate_child(&foreign).await,
        Err(Error::NotFound(foreign.id().clone()))
    );
    sup.terminate_child(&a).await.unwrap();
    assert_eq!(a.state(), RefState::Stopped);
    assert_eq!(
        sup.terminate_child(&a).await,
        Err(Error::NotFound(a.id().clone()))
    );
    let children = sup.which_children().await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(&children[0].id, b.id());
    assert_eq!(foreign.send(Name).await.unwrap(), "f");
    sup.stop().await;
    other.stop().await;
}

#[actix_rt::test]
async fn dynamic_child_crash_restarts_it_with_the_same_arguments() {
    let log = Log::default();
    let sup = logging(&log).start().unwrap();
    let a = sup.start_child("a".into()).await.unwrap();
    let mut ev = sup.supervisor().subscribe().await.unwrap();
    let before = a.pid().unwrap();
    a.do_send(Crash("dyn")).unwrap();
    let after = match wait_for(&mut ev, |k| matches!(k, EventKind::Started { .. })).await {
        EventKind::Started { pid, .. } => pid,
        _ => unreachable!(),
    };
    assert_ne!(before, after);
    assert_eq!(a.pid(), Some(after));
    assert_eq!(a.send(Name).await.unwrap(), "a");
    sup.stop().await;
}

#[actix_rt::test]
async fn dynamic_max_children_answers_max_children() {
    let live = Arc::new(AtomicUsize::new(0));
    let sup = counted(&live).max_children(2).start().unwrap();
    let first = sup.start_child(()).await.unwrap();
    sup.start_child(()).await.unwrap();
    assert_eq!(sup.start_child(()).await.err(), Some(Error::MaxChildren(2)));
    sup.terminate_child(&first).await.unwrap();
    sup.start_child(()).await.unwrap();
    sup.stop().await;
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[actix_rt::test]
async fn dynamic_supervisor_rejects_auto_shutdown_and_invalid_intensity() {
    let live = Arc::new(AtomicUsize::new(0));
    assert!(matches!(
        counted(&live).intensity(3, Duration::ZERO).start().err(),
        Some(Error::InvalidFlags(_))
    ));
}

#[actix_rt::test]
async fn count_children_with_1000_dynamic_children() {
    let live = Arc::new(AtomicUsize::new(0));
    let sup = counted(&live).start().unwrap();
    let mut refs = Vec::new();
    for _ in 0..1500 {
        refs.push(sup.start_child(()).await.unwrap());
    }
    let counts = sup.count_children().await.unwrap();
    assert_eq!(
        counts,
        ChildCounts {
            specs: 1500,
            active: 1500,
            supervisors: 0,
            workers: 1500
        }
    );
    for r in refs.iter().take(500) {
        sup.terminate_child(r).await.unwrap();
    }
    let counts = sup.count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active), (1000, 1000));
    assert_eq!(live.load(Ordering::SeqCst), 1000);
    sup.stop().await;
}

#[actix_rt::test]
async fn ten_thousand_dynamic_children_start_and_shut_down_with_nothing_left_running() {
    let live = Arc::new(AtomicUsize::new(0));
    let sup = counted(&live).start().unwrap();
    for _ in 0..10_000 {
        sup.start_child(()).await.unwrap();
    }
    assert_eq!(live.load(Ordering::SeqCst), 10_000);
    assert_eq!(sup.count_children().await.unwrap().active, 10_000);
    sup.stop().await;
    assert_eq!(sup.wait().await, Some(ExitReason::Shutdown));
    assert_eq!(live.load(Ordering::SeqCst), 0, "every child was dropped");
}

#[actix_rt::test]
async fn dynamic_shutdown_is_concurrent_with_one_shared_deadline() {
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
    .shutdown(Shutdown::Timeout(Duration::from_secs(2)))
    .start()
    .unwrap();
    for name in ["a", "b", "c"] {
        sup.start_child(name.into()).await.unwrap();
    }
    let t0 = tokio::time::Instant::now();
    sup.stop().await;
    let waited = t0.elapsed();
    // One deadline for all three, not three timeouts one after the other.
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(
        log.matching("stop"),
        Vec::<String>::new(),
        "all were killed"
    );
}

#[actix_rt::test]
async fn dynamic_supervisor_nested_under_a_supervisor() {
    let log = Log::default();
    let template = logging(&log).name("sessions");
    let t = logging(&log).name("sessions");
    let root = Supervisor::builder()
        .child(ChildSpec::supervisor("sessions", move || t.build()))
        .start()
        .unwrap();
    let sessions = root.child_ref::<Supervisor>("sessions").await.unwrap();
    let dynamic = template.handle(SupervisorRef::from_addr(sessions.addr().unwrap()));
    let s = dynamic.start_child("s1".into()).await.unwrap();
    assert_eq!(s.send(Name).await.unwrap(), "s1");
    let tree = root.tree().await.unwrap();
    let sub = tree.child("sessions").unwrap().children.as_ref().unwrap();
    assert_eq!(sub.strategy, None);
    assert_eq!(sub.children.len(), 1);
    root.stop().await;
    assert_eq!(log.lines(), ["start s1", "stop s1"]);
}

// ---- partitions -------------------------------------------------------------------------

#[derive(Message)]
#[rtype(result = "String")]
struct Where;

struct Shard {
    index: usize,
}

impl Actor for Shard {
    type Context = Context<Self>;
}

impl Handler<Where> for Shard {
    type Result = String;
    fn handle(&mut self, _: Where, _: &mut Context<Self>) -> String {
        format!("{} {:?}", self.index, std::thread::current().id())
    }
}

impl Handler<Crash> for Shard {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

#[actix_rt::test]
async fn partition_routes_each_key_to_one_partition_and_spreads_over_arbiters() {
    let arbiters = [Arbiter::new(), Arbiter::new()];
    let parts = PartitionSupervisor::new(4, |index| Ok(Shard { index }))
        .spread_over(arbiters.iter().map(|a| a.handle()).collect())
        .start()
        .await
        .unwrap();
    assert_eq!(parts.partitions(), 4);
    let mut threads = HashSet::new();
    for i in 0..4 {
        let answer = parts.nth(i).send(Where).await.unwrap();
        let (index, thread) = answer.split_once(' ').unwrap();
        assert_eq!(index, i.to_string());
        threads.insert(thread.to_owned());
    }
    assert_eq!(threads.len(), 2, "partitions run on both arbiters");
    assert!(!threads.contains(&format!("{:?}", std::thread::current().id())));
    for key in ["user:1", "user:2", "order:77"] {
        let i = parts.partition_index(key);
        let first = parts.partition(key).send(Where).await.unwrap();
        assert!(first.starts_with(&i.to_string()));
        assert_eq!(parts.partition(key).send(Where).await.unwrap(), first);
    }
    parts.stop().await;
    for a in arbiters {
        a.stop();
    }
}

#[actix_rt::test]
async fn partition_child_panic_on_another_thread_is_restarted_and_still_routed() {
    let arbiter = Arbiter::new();
    let parts = PartitionSupervisor::new(2, |index| Ok(Shard { index }))
        .spread_over(vec![arbiter.handle()])
        .start()
        .await
        .unwrap();
    let mut ev = parts.supervisor().subscribe().await.unwrap();
    let p = parts.partition("k");
    let before = p.pid().unwrap();
    assert!(p.send(Crash("shard bug")).await.is_err());
    assert_eq!(
        exited(&mut ev, &p.id().to_string()).await,
        ExitReason::Panic("shard bug".into())
    );
    let after = started(&mut ev, &p.id().to_string()).await;
    assert_ne!(before, after);
    assert!(parts.partition("k").send(Where).await.is_ok());
    parts.stop().await;
    arbiter.stop();
}

#[actix_rt::test]
async fn partitions_that_are_supervisors_are_declared_as_supervisors() {
    let shards = PartitionSupervisor::new(2, |index| Ok(Shard { index }))
        .start()
        .await
        .unwrap();
    let counts = shards.supervisor().count_children().await.unwrap();
    assert_eq!((counts.workers, counts.supervisors), (2, 0));
    shards.stop().await;

    let nested = PartitionSupervisor::new(3, |_| {
        DynamicSupervisor::new(|index: usize| Ok(Shard { index }))
            .build()
            .map_err(StartError::from)
    })
    .start()
    .await
    .unwrap();
    let counts = nested.supervisor().count_children().await.unwrap();
    assert_eq!((counts.workers, counts.supervisors), (0, 3));
    nested.stop().await;
}
