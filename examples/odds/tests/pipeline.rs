//! The whole pipeline, no browser: real redis-server, real TCP feed, real SSE client.
//! M = 50 matches at 500 updates/s; every wait is on an observable condition, bounded.

mod common;

use std::time::Duration;

use common::{start, until, MATCHES};
use hardy_odds::model::MatchOdds;
use hardy_odds::simulator::Malformed;
use hardy_odds::storage::LATEST_KEY;
use hardy_redis::{cmd, ConnState};

const LIMIT: Duration = Duration::from_secs(20);

#[actix_rt::test]
async fn a_crashed_match_worker_resumes_from_its_stored_state_while_the_others_update_without_a_gap(
) {
    let (service, mut sse) = start(common::config()).await;
    // Match 7's odds are in Redis before the crash.
    let redis = service.redis.clone();
    let stored_seq = {
        let mut seq = 0;
        let deadline = tokio::time::Instant::now() + LIMIT;
        while seq == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "match 7 never stored"
            );
            let json: Option<Vec<u8>> = redis
                .command(cmd("HGET").arg(LATEST_KEY).arg(7))
                .await
                .expect("HGET");
            seq = json
                .and_then(|j| MatchOdds::from_json(&j))
                .map_or(0, |o| o.seq);
            tokio::task::yield_now().await;
        }
        seq
    };
    let old_pid = service.matches.pid(7).expect("match 7 has a worker");
    let before = sse.now();

    assert!(service.matches.crash(7));
    until(LIMIT, "a new incarnation of match 7", || {
        service.matches.pid(7).is_some_and(|p| p != old_pid)
    })
    .await;
    let restored = service
        .matches
        .odds(7)
        .await
        .expect("the new worker has a model");
    assert!(
        restored.seq >= stored_seq,
        "restored seq {} is older than the stored {stored_seq}",
        restored.seq
    );

    let counts_before: Vec<usize> = (1..=MATCHES).map(|m| before.count(m)).collect();
    sse.wait(
        LIMIT,
        "every match, 7 included, updating after the crash",
        |s| (1..=MATCHES).all(|m| s.count(m) >= counts_before[m as usize - 1] + 3),
    )
    .await;
    let seen = sse.now();
    assert_eq!(
        seen.gaps(7),
        vec![],
        "a match other than 7 missed an update"
    );
    let after_crash = &seen.seqs[&7][before.count(7)..];
    assert!(
        after_crash.iter().all(|&s| s > stored_seq),
        "match 7 went back in time: {after_crash:?}"
    );
    let tree = service
        .tree()
        .probe(&service.matches)
        .view()
        .await
        .expect("tree");
    let restarts = hardy_odds::status::worker_restarts(&tree);
    assert_eq!(restarts, 1, "only match 7's worker restarted");
    println!(
        "match 7: stored seq {stored_seq}, restored {}, resumed at {:?}",
        restored.seq,
        after_crash.first()
    );
    service.stop().await;
}

#[actix_rt::test]
async fn while_redis_is_down_updates_reach_sse_and_the_queue_fills_then_drains_after_the_restart() {
    let mut config = common::config();
    config.queue_bound = 200;
    let (service, mut sse) = start(config).await;
    let queue = service.queue.clone();
    let owner = service.redis_server.clone();
    let stored_before = queue.stats().stored;

    tokio::task::spawn_blocking({
        let owner = owner.clone();
        move || owner.kill()
    })
    .await
    .expect("kill");
    let at_kill = sse.now().updates;
    until(LIMIT, "the queue full and dropping", || {
        queue.stats().dropped > 0
    })
    .await;
    sse.wait(LIMIT, "updates still reaching the SSE client", |s| {
        s.updates >= at_kill + 300
    })
    .await;
    let full = queue.stats();
    assert_eq!(full.depth, full.bound, "a full queue stays at its bound");
    assert!(!service.redis.state().get().is_connected());

    // A browser that connects now still gets every match's current odds, from the workers.
    let mut late = common::SseClient::connect(service.addr()).await;
    late.wait(LIMIT, "the late client's snapshot", |s| {
        s.snapshot.is_some()
    })
    .await;
    let snapshot = late.now().snapshot.unwrap_or_default();
    assert_eq!(
        snapshot.len(),
        MATCHES as usize,
        "the snapshot lacks matches while Redis is down"
    );

    let dropped_at_restart = queue.stats().dropped;
    tokio::task::spawn_blocking(move || owner.restart())
        .await
        .expect("restart")
        .expect("redis-server starts again");
    let mut state = service.redis.state().subscribe();
    common::within(
        LIMIT,
        "Redis reconnected",
        state.wait_for(ConnState::is_connected),
    )
    .await
    .expect("state");
    until(LIMIT, "the queue drained", || {
        let q = queue.stats();
        q.depth < 50 && q.stored >= stored_before + full.bound as u64
    })
    .await;
    let after = queue.stats();
    println!(
        "queue: bound {}, high water {}, dropped {} (at restart {dropped_at_restart}), stored {} (before the kill {stored_before})",
        after.bound, after.high_water, after.dropped, after.stored
    );
    assert_eq!(after.high_water, after.bound as u64);
    let latest: Vec<Vec<u8>> = service
        .redis
        .command(cmd("HVALS").arg(LATEST_KEY))
        .await
        .expect("HVALS");
    assert!(!latest.is_empty(), "the drained queue reached Redis");
    service.stop().await;
}

#[actix_rt::test]
async fn a_browser_that_connects_late_first_gets_every_matchs_current_odds() {
    let (service, _first) = start(common::config()).await;
    until(LIMIT, "every match stored", || {
        service.queue.stats().stored >= MATCHES as u64
    })
    .await;
    let mut late = common::SseClient::connect(service.addr()).await;
    late.wait(LIMIT, "the snapshot", |s| s.snapshot.is_some())
        .await;
    let snapshot = late.now().snapshot.unwrap_or_default();
    let ids: Vec<u32> = snapshot.iter().map(|o| o.match_id).collect();
    assert_eq!(ids, (1..=MATCHES).collect::<Vec<_>>());
    assert!(snapshot.iter().all(|o| o.seq > 0));
    service.stop().await;
}

#[actix_rt::test]
async fn a_cut_feed_reconnects_with_backoff_and_updates_resume() {
    let mut config = common::config();
    config.feed_outage = Duration::from_millis(600);
    let (service, mut sse) = start(config).await;
    let mut changes = service.feed_state.changes();

    common::sim(&service).cut(service.config().feed_outage);
    common::within(LIMIT, "the feed backing off", async {
        while !matches!(changes.recv().await, Ok(ConnState::Backoff { .. })) {}
    })
    .await;
    let mut state = service.feed_state.subscribe();
    common::within(
        LIMIT,
        "the feed reconnected",
        state.wait_for(ConnState::is_connected),
    )
    .await
    .expect("state");
    let at_reconnect = sse.now().updates;
    sse.wait(LIMIT, "updates after the reconnect", |s| {
        s.updates >= at_reconnect + 200
    })
    .await;
    assert!(service.stats.snapshot().feed_connects >= 2);
    service.stop().await;
}

#[actix_rt::test]
async fn malformed_messages_are_counted_and_crash_only_the_worker_they_target() {
    let (service, mut sse) = start(common::config()).await;
    let pids: Vec<Option<u64>> = (1..=MATCHES).map(|m| service.matches.pid(m)).collect();
    for _ in 0..3 {
        common::sim(&service).inject(Malformed::BrokenXml, Some(3));
    }
    common::sim(&service).inject(Malformed::UnknownMatch, None);
    common::sim(&service).inject(Malformed::UnknownMatch, None);
    common::sim(&service).inject(Malformed::OutOfRange, Some(12));

    until(LIMIT, "every malformed message counted", || {
        let s = service.stats.snapshot();
        s.broken_xml >= 3 && s.unknown_match >= 2 && s.out_of_range >= 1
    })
    .await;
    until(LIMIT, "match 12 restarted", || {
        service.matches.pid(12).is_some_and(|p| Some(p) != pids[11])
    })
    .await;
    let at = sse.now();
    sse.wait(LIMIT, "every match updating afterwards", |s| {
        (1..=MATCHES).all(|m| s.count(m) > at.count(m))
    })
    .await;

    let stats = service.stats.snapshot();
    let sent = common::sim(&service).stats();
    assert_eq!(
        (stats.broken_xml, stats.unknown_match, stats.out_of_range),
        (3, 2, 1)
    );
    assert_eq!(
        (sent.broken_xml, sent.unknown_match, sent.out_of_range),
        (3, 2, 1)
    );
    for m in (1..=MATCHES).filter(|&m| m != 12) {
        assert_eq!(
            service.matches.pid(m),
            pids[m as usize - 1],
            "match {m}'s worker was touched"
        );
    }
    assert_eq!(
        sse.now().gaps(12),
        vec![],
        "a match other than 12 missed an update"
    );
    service.stop().await;
}

#[actix_rt::test]
async fn after_a_restart_of_the_partitions_every_match_gets_a_new_worker_through_the_same_handles()
{
    let (service, mut sse) = start(common::config()).await;
    let pids: Vec<Option<u64>> = (1..=MATCHES).map(|m| service.matches.pid(m)).collect();
    let root = service.tree().root().clone();

    // The whole `matches` subtree goes and comes back: new partitions, no workers. The
    // registry's handles were made before the tree started and are not renewed.
    root.terminate_child("matches")
        .await
        .expect("terminate matches");
    root.restart_child("matches")
        .await
        .expect("restart matches");
    until(LIMIT, "every match on a new worker", || {
        (1..=MATCHES).all(|m| {
            let pid = service.matches.pid(m);
            pid.is_some() && pid != pids[m as usize - 1]
        })
    })
    .await;
    let at = sse.now();
    sse.wait(LIMIT, "every match updating again", |s| {
        (1..=MATCHES).all(|m| s.count(m) >= at.count(m) + 3)
    })
    .await;
    service.stop().await;
}
