//! Handles that survive restarts: typed handles to nested dynamic and partition
//! supervisors, obtainable before the tree starts, that follow every incarnation.

mod common;

use std::time::Duration;

use actix::prelude::*;
use common::*;
use hardy_supervisor::*;
use hardy_supervisor::{Error, Supervisor};

fn sessions() -> DynamicSupervisor<Worker, String> {
    DynamicSupervisor::new(|name: String| Ok(Worker::quiet(&name)))
        .name("sessions")
        // A crashing session takes the dynamic supervisor down: the root restarts it.
        .intensity(0, Duration::from_secs(5))
}

#[actix_rt::test]
async fn nested_dynamic_supervisor_handle_follows_three_restarts() {
    quiet_panics();
    let (spec, dynamic) = sessions().child_spec("sessions");
    let root = Supervisor::builder()
        .intensity(10, Duration::from_secs(5))
        .child(spec)
        .start_async()
        .await
        .unwrap();
    let mut ev = root.subscribe().await.unwrap();
    for round in 0..3 {
        let s = dynamic.start_child(format!("s{round}")).await.unwrap();
        assert_eq!(s.send(Name).await.unwrap(), format!("s{round}"));
        s.do_send(Crash("session bug")).unwrap();
        started(&mut ev, "sessions").await;
    }
    let s = dynamic.start_child("last".into()).await.unwrap();
    assert_eq!(s.send(Name).await.unwrap(), "last");
    assert_eq!(dynamic.count_children().await.unwrap().active, 1);
    assert_eq!(
        root.tree()
            .await
            .unwrap()
            .child("sessions")
            .unwrap()
            .restarts,
        3
    );
    root.stop().await;
    assert_eq!(
        dynamic.start_child("late".into()).await.err(),
        Some(Error::SupervisorDown)
    );
}

#[actix_rt::test]
async fn nested_dynamic_supervisor_handle_answers_restarting_between_incarnations() {
    tokio::time::pause();
    quiet_panics();
    let (spec, dynamic) = sessions().child_spec("sessions");
    let root = Supervisor::builder()
        .child(spec.restart_delay(Duration::from_secs(1)))
        .start_async()
        .await
        .unwrap();
    let mut ev = root.subscribe().await.unwrap();
    let s = dynamic.start_child("a".into()).await.unwrap();
    s.do_send(Crash("session bug")).unwrap();
    exited(&mut ev, "sessions").await;
    assert_eq!(
        dynamic.start_child("b".into()).await.err(),
        Some(Error::Restarting(ChildId::from("sessions")))
    );
    started(&mut ev, "sessions").await;
    assert!(dynamic.start_child("b".into()).await.is_ok());
    root.stop().await;
}

#[derive(Message)]
#[rtype(result = "usize")]
struct Index;

struct Shard(usize);

impl Actor for Shard {
    type Context = Context<Self>;
}

impl Handler<Index> for Shard {
    type Result = usize;
    fn handle(&mut self, _: Index, _: &mut Context<Self>) -> usize {
        self.0
    }
}

impl Handler<Crash> for Shard {
    type Result = ();
    fn handle(&mut self, msg: Crash, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

#[actix_rt::test]
async fn nested_partition_supervisor_handle_follows_its_restarts() {
    quiet_panics();
    let (spec, parts) = PartitionSupervisor::new(2, |i| Ok(Shard(i)))
        .intensity(0, Duration::from_secs(5))
        .child_spec("shards");
    // Usable before the tree starts: nothing runs yet, nothing is sent.
    assert_eq!(
        parts.nth(1).send(Index).await,
        Err(Error::NotRunning(
            PartitionSupervisor::<Shard>::partition_id(1)
        ))
    );
    let root = Supervisor::builder()
        .intensity(10, Duration::from_secs(5))
        .child(spec)
        .start_async()
        .await
        .unwrap();
    let mut ev = root.subscribe().await.unwrap();
    for _ in 0..3 {
        assert_eq!(parts.nth(1).send(Index).await, Ok(1));
        parts.nth(0).do_send(Crash("shard bug")).unwrap();
        started(&mut ev, "shards").await;
    }
    assert_eq!(parts.nth(0).send(Index).await, Ok(0));
    assert_eq!(parts.count_children().await.unwrap().active, 2);
    root.stop().await;
}

#[actix_rt::test]
async fn child_ref_from_a_spec_follows_the_child_of_a_nested_supervisor_rebuilt_on_restart() {
    quiet_panics();
    let leaf = ChildSpec::worker("leaf", || Ok(Worker::quiet("leaf")));
    let handle: ChildRef<Worker> = leaf.child_ref().unwrap();
    assert_eq!(handle.state(), RefState::Stopped);
    let root = Supervisor::builder()
        .intensity(10, Duration::from_secs(5))
        .child(ChildSpec::supervisor("mid", move || {
            Supervisor::builder()
                .intensity(0, Duration::from_secs(5))
                .child(leaf.clone())
                .build()
        }))
        .start_async()
        .await
        .unwrap();
    let mut ev = root.subscribe().await.unwrap();
    for _ in 0..3 {
        assert_eq!(handle.send(Name).await.unwrap(), "leaf");
        handle.do_send(Crash("leaf bug")).unwrap();
        started(&mut ev, "mid").await;
    }
    assert_eq!(handle.send(Name).await.unwrap(), "leaf");
    assert!(matches!(
        ChildSpec::worker("w", || Ok(Worker::quiet("w"))).child_ref::<Shard>(),
        Err(Error::WrongType(_))
    ));
    root.stop().await;
}

// ---- registered names -------------------------------------------------------------------

#[actix_rt::test]
async fn registered_name_reaches_a_child_from_anywhere_and_follows_its_restarts() {
    let root = Supervisor::builder()
        .child(
            ChildSpec::supervisor("workers", || {
                Supervisor::builder()
                    .child(
                        ChildSpec::worker("cache", || Ok(Worker::quiet("cache"))).name("n1.cache"),
                    )
                    .build()
            })
            .name("n1.workers"),
        )
        .start_async()
        .await
        .unwrap();
    let mut ev = root.subscribe().await.unwrap();
    let cache = whereis::<Worker>("n1.cache").unwrap();
    assert_eq!(cache.send(Name).await.unwrap(), "cache");
    let workers = whereis_supervisor("n1.workers").unwrap();
    let mut below = workers.subscribe().await.unwrap();
    let before = cache.pid().unwrap();
    cache.do_send(Crash("cache bug")).unwrap();
    let after = started(&mut below, "cache").await;
    assert_ne!(before, after);
    assert_eq!(cache.send(Name).await.unwrap(), "cache");
    // The nested supervisor restarted (and re-registered its child's name): same handles.
    root.terminate_child("workers").await.unwrap();
    assert_eq!(
        cache.send(Name).await,
        Err(Error::NotRunning(ChildId::from("cache")))
    );
    root.restart_child("workers").await.unwrap();
    started(&mut ev, "workers").await;
    assert_eq!(cache.send(Name).await.unwrap(), "cache");
    assert_eq!(workers.count_children().await.unwrap().active, 1);
    assert!(matches!(
        whereis::<Shard>("n1.cache"),
        Err(Error::WrongType(_))
    ));
    root.stop().await;
    assert_eq!(
        whereis::<Worker>("n1.cache").err(),
        Some(Error::NotRegistered("n1.cache".into()))
    );
}

#[actix_rt::test]
async fn name_taken_twice_is_an_error_at_start() {
    let named = |id: &str| ChildSpec::worker(id, || Ok(Worker::quiet("w"))).name("n2.dup");
    let first = Supervisor::builder()
        .child(named("a"))
        .start_async()
        .await
        .unwrap();
    assert_eq!(
        Supervisor::builder().child(named("b")).start().err(),
        Some(Error::NameTaken("n2.dup".into()))
    );
    assert_eq!(
        first.start_child(named("c")).await.err(),
        Some(Error::NameTaken("n2.dup".into()))
    );
    assert_eq!(
        check_childspecs(&[named("x"), named("y")]).err(),
        Some(Error::NameTaken("n2.dup".into()))
    );
    first.stop().await;
    let second = Supervisor::builder()
        .child(named("b"))
        .start_async()
        .await
        .unwrap();
    assert!(whereis::<Worker>("n2.dup").is_ok());
    second.stop().await;
}

#[test]
fn child_ref_send_is_a_send_future() {
    fn assert_send<T: Send>(_: &T) {}
    let spec = ChildSpec::worker("w", || Ok(Worker::quiet("w")));
    let handle: ChildRef<Worker> = spec.child_ref().unwrap();
    let fut = handle.send(Name);
    assert_send(&fut);
}
