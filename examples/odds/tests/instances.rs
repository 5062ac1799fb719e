//! Two service instances sharing one real Redis, no browser: instance A runs the feed and
//! the match workers and owns redis-server; instance B joined A's Redis and only serves
//! browsers, fed through Redis Pub/Sub. Every wait is on an observable condition, bounded.

mod common;

use std::time::Duration;

use common::{start, until, SseClient, MATCHES};
use hardy_odds::{Service, ServiceConfig};
use hardy_redis::ConnState;

const LIMIT: Duration = Duration::from_secs(20);

/// Instance B: joins A's Redis, and an SSE client on it that has seen every match.
async fn join(a: &Service) -> (Service, SseClient) {
    let config = ServiceConfig {
        join: Some(a.redis_url().to_owned()),
        ..common::config()
    };
    let b = Service::start(config).await.expect("instance B starts");
    let mut sse = SseClient::connect(b.addr()).await;
    sse.wait(LIMIT, "B's browser seeing every match", |s| {
        (1..=MATCHES).all(|m| s.count(m) >= 3)
    })
    .await;
    (b, sse)
}

fn fanout(service: &Service) -> hardy_odds::fanout::FanoutView {
    service.fanout.as_ref().expect("the fan-out is on").view()
}

#[actix_rt::test]
async fn a_browser_on_the_second_instance_sees_every_match_the_first_one_runs_once_and_in_order() {
    let (a, mut a_sse) = start(common::config()).await;
    let (b, mut b_sse) = join(&a).await;

    assert!(b.sim().is_none(), "B runs no feed");
    assert_eq!(b.matches.len(), 0, "B runs no match worker");
    assert_eq!(b.hub.fixtures(), a.hub.fixtures(), "B has A's fixtures");

    let at = b_sse.now();
    b_sse
        .wait(LIMIT, "B's browser updating on every match", |s| {
            (1..=MATCHES).all(|m| s.count(m) >= at.count(m) + 5)
        })
        .await;
    a_sse
        .wait(LIMIT, "A's browser updating on every match", |s| {
            (1..=MATCHES).all(|m| s.count(m) >= 10)
        })
        .await;
    // In order and nothing twice, on both: A skips its own messages coming back from
    // Redis, and Pub/Sub loses nothing while the link is up.
    assert_eq!(
        b_sse.now().gaps(0),
        vec![],
        "B missed or repeated an update"
    );
    assert_eq!(
        a_sse.now().gaps(0),
        vec![],
        "A missed or repeated an update"
    );

    // A late browser on B first gets every match's current odds (from Redis).
    let mut late = SseClient::connect(b.addr()).await;
    late.wait(LIMIT, "the late client's snapshot", |s| {
        s.snapshot.is_some()
    })
    .await;
    let snapshot = late.now().snapshot.unwrap_or_default();
    assert_eq!(snapshot.len(), MATCHES as usize);

    let fb = fanout(&b);
    let fa = fanout(&a);
    println!("A: {fa:?}\nB: {fb:?}");
    assert_ne!(fa.instance, fb.instance);
    assert_eq!((fa.received, fb.published), (0, 0), "only A has updates");
    assert!(fb.received > 0 && fa.published >= fb.received);
    b.stop().await;
    a.stop().await;
}

#[actix_rt::test]
async fn with_redis_killed_each_instance_keeps_its_local_path_and_the_fan_out_resumes_after_the_restart(
) {
    let (a, mut a_sse) = start(common::config()).await;
    let (b, mut b_sse) = join(&a).await;
    let owner = a.redis_server.clone();

    tokio::task::spawn_blocking({
        let owner = owner.clone();
        move || owner.kill()
    })
    .await
    .expect("kill");
    let mut b_link = b
        .fanout
        .as_ref()
        .expect("fan-out")
        .pubsub
        .state_watch()
        .subscribe();
    common::within(
        LIMIT,
        "B's Pub/Sub link noticing the outage",
        b_link.wait_for(|s| !s.is_connected()),
    )
    .await
    .expect("state");

    // A: its browsers keep getting every update of its matches, without a gap.
    let at_kill = a_sse.now().updates;
    a_sse
        .wait(LIMIT, "A's browser updating while Redis is down", |s| {
            s.updates >= at_kill + 300
        })
        .await;
    assert_eq!(a_sse.now().gaps(0), vec![], "A's local path lost an update");
    until(LIMIT, "A counting what it could not publish", || {
        fanout(&a).unpublished > 0
    })
    .await;

    // B: it still serves: status events, and a late browser gets every match's last
    // odds from B's own memory.
    let statuses = b_sse.now().statuses;
    b_sse
        .wait(LIMIT, "B's status events while Redis is down", |s| {
            s.statuses >= statuses + 2
        })
        .await;
    let mut late = SseClient::connect(b.addr()).await;
    late.wait(LIMIT, "the late client's snapshot on B", |s| {
        s.snapshot.is_some()
    })
    .await;
    assert_eq!(
        late.now().snapshot.unwrap_or_default().len(),
        MATCHES as usize,
        "B's snapshot lacks matches while Redis is down"
    );

    tokio::task::spawn_blocking(move || owner.restart())
        .await
        .expect("restart")
        .expect("redis-server starts again");
    common::within(
        LIMIT,
        "B's Pub/Sub link back",
        b_link.wait_for(ConnState::is_connected),
    )
    .await
    .expect("state");
    let at_restart = b_sse.now();
    b_sse
        .wait(LIMIT, "B's browser updating on every match again", |s| {
            (1..=MATCHES).all(|m| s.count(m) >= at_restart.count(m) + 3)
        })
        .await;
    let fb = fanout(&b);
    println!("A: {:?}\nB: {fb:?}", fanout(&a));
    assert!(fb.outages >= 1, "B saw its link drop");
    // After the outage B resumes in order: what was published meanwhile is lost (the
    // loss window), never delivered late or twice.
    let seen = b_sse.now();
    for (m, seqs) in &seen.seqs {
        assert!(
            seqs.windows(2).all(|w| w[1] > w[0]),
            "match {m} went backwards or repeated on B: {seqs:?}"
        );
    }
    b.stop().await;
    a.stop().await;
}
