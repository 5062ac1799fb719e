//! A small supervision tree: a root with a nested supervisor of two workers and a worker of
//! its own. One worker panics on purpose; the tree is printed before and after, showing the
//! new incarnation, its restart count and its last exit reason.
//!
//! Run: `cargo run -p hardy-supervisor --example tree`

use std::time::Duration;

use actix::prelude::*;
use hardy_supervisor::{ChildSpec, EventKind, RestartType, Shutdown, Strategy, Supervisor};

/// A plain actix actor: nothing to implement to be supervised.
struct Worker {
    name: &'static str,
}

impl Actor for Worker {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Crash;

impl Handler<Crash> for Worker {
    type Result = ();
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("{} crashed on purpose", self.name);
    }
}

fn worker(name: &'static str) -> ChildSpec {
    ChildSpec::worker(name, move || Ok(Worker { name }))
}

#[actix_rt::main]
async fn main() {
    std::panic::set_hook(Box::new(|info| eprintln!("(panic hook) {info}")));
    let workers_spec = ChildSpec::supervisor("workers", || {
        Supervisor::builder()
            .name("workers")
            .strategy(Strategy::RestForOne)
            .child(worker("db"))
            .child(worker("cache").shutdown(Shutdown::Timeout(Duration::from_secs(1))))
            .build()
    });
    // A handle to the nested supervisor, before anything starts; it follows its restarts.
    let workers = workers_spec.supervisor_ref().expect("a supervisor spec");
    let root = Supervisor::builder()
        .name("root")
        .child(workers_spec)
        .child(worker("metrics").restart(RestartType::Transient))
        .start_async()
        .await
        .expect("the tree starts");
    println!("before:\n{}", root.tree().await.expect("tree"));

    let mut events = workers.subscribe().await.expect("events");
    let db = workers.child_ref::<Worker>("db").await.expect("db");
    let _ = db.send(Crash).await; // answers Err(Closed): the incarnation died
                                  // rest_for_one: db and the cache started after it are restarted; wait for the cache.
    while let Ok(ev) = events.recv().await {
        if matches!(&ev.kind, EventKind::Started { id, .. } if id.name() == Some("cache")) {
            break;
        }
    }
    println!("after:\n{}", root.tree().await.expect("tree"));
    root.stop().await;
    println!("root exited: {:?}", root.exit_reason());
}
