//! Paused-clock helpers: actix actors run, and virtual time advances without real waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use hardy_testkit::{advance_until, run_paused, FaultProxy, RedisServer};

use crate::support::Client;

struct Ticker {
    ticks: Arc<AtomicUsize>,
}

impl Actor for Ticker {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(Duration::from_secs(60), |this, _| {
            this.ticks.fetch_add(1, Ordering::SeqCst);
        });
    }
}

#[test]
fn actors_start_and_an_hour_of_intervals_pass_in_real_milliseconds() {
    let real = Instant::now();
    let ticks = Arc::new(AtomicUsize::new(0));
    let seen = ticks.clone();
    let held = run_paused(async move {
        let _ticker = Ticker { ticks }.start();
        advance_until(
            || seen.load(Ordering::SeqCst) >= 60,
            Duration::from_secs(1),
            Duration::from_secs(2 * 3600),
        )
        .await
    });
    assert!(held);
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn advance_until_gives_up_after_its_limit() {
    let held = run_paused(async {
        let start = tokio::time::Instant::now();
        let held = advance_until(|| false, Duration::from_secs(1), Duration::from_secs(10)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        held
    });
    assert!(!held);
}

#[test]
fn fixtures_keep_real_time_under_a_paused_clock() {
    let server = RedisServer::start().unwrap();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    run_paused(async {
        proxy.set_delay(Duration::from_millis(20));
        let mut client = Client::connect(proxy.addr());
        assert_eq!(client.ping(), "+PONG\r\n");
        server.client_kill_all().unwrap();
        assert!(client.is_closed());
    });
}
