mod common;
use common::*;
use hardy_supervisor::*;

#[actix_rt::test]
async fn smoke_panic_restarts_child() {
    quiet_panics();
    let log = Log::default();
    let sup = Supervisor::builder()
        .child(worker("a", &log))
        .start()
        .unwrap();
    let mut ev = sup.subscribe().await.unwrap();
    let a = sup.child_ref::<Worker>("a").await.unwrap();
    let p1 = a.pid().unwrap();
    assert_eq!(a.send(Name).await.unwrap(), "a");
    let r = a.send(Crash("boom")).await;
    assert_eq!(r, Err(Error::Closed(ChildId::from("a"))));
    assert_eq!(exited(&mut ev, "a").await, ExitReason::Panic("boom".into()));
    let p2 = started(&mut ev, "a").await;
    assert_ne!(p1, p2);
    assert_eq!(a.send(Name).await.unwrap(), "a");
    sup.stop().await;
    assert_eq!(sup.exit_reason(), Some(ExitReason::Shutdown));
    println!("{:?}", log.lines());
}
