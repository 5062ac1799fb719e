//! The callers: each runs a fixed number of commands, cycling through `ECHO`, `SET` and
//! `INCR`, and records every outcome in what the invariants need.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hardy_testkit::FaultProxy;

use crate::clients::{Client, Reply};
use crate::Settings;

/// How long a request may go without an outcome before it counts as "without outcome".
const OUTCOME_LIMIT: Duration = Duration::from_secs(30);

/// One caller's counter: `INCR`s acknowledged, and those that failed but may have run.
#[derive(Debug, Default, Clone)]
pub struct Counter {
    pub key: String,
    pub acked: i64,
    pub maybe: i64,
}

/// What one client's run produced.
#[derive(Debug, Default)]
pub struct Run {
    pub commands: usize,
    pub ok: usize,
    pub errors: usize,
    /// Of `errors`, those reported as "may have run" (the rest never ran).
    pub errors_maybe_executed: usize,
    pub misaligned: usize,
    pub without_outcome: usize,
    /// Acknowledged `SET`s: key and value.
    pub acked_sets: Vec<(String, String)>,
    pub counters: Vec<Counter>,
    pub faults: usize,
    pub wall: Duration,
}

impl Run {
    fn merge(&mut self, other: Run) {
        self.commands += other.commands;
        self.ok += other.ok;
        self.errors += other.errors;
        self.errors_maybe_executed += other.errors_maybe_executed;
        self.misaligned += other.misaligned;
        self.without_outcome += other.without_outcome;
        self.acked_sets.extend(other.acked_sets);
        self.counters.extend(other.counters);
    }
}

/// Runs every caller of `client` while the fault schedule runs against `proxy`.
pub async fn run(
    client: &Client,
    prefix: &str,
    settings: &Settings,
    proxy: &Arc<FaultProxy>,
) -> Run {
    let (injected, schedule) = settings.schedule.start(proxy);
    let started = Instant::now();
    let callers: Vec<_> = (0..settings.callers)
        .map(|i| {
            let client = client.clone();
            let name = format!("{prefix}:{i}");
            let ops = settings.ops;
            actix_rt::spawn(async move { caller(client, name, ops).await })
        })
        .collect();
    let mut total = Run::default();
    for caller in callers {
        total.merge(caller.await.expect("a caller panicked"));
    }
    total.wall = started.elapsed();
    total.faults = injected.load(std::sync::atomic::Ordering::SeqCst);
    // Let the schedule finish before the next client starts, so faults never overlap.
    while !schedule.is_finished() {
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    total
}

/// One caller: `ops` commands, `ECHO`, `SET`, `INCR` in turn.
async fn caller(client: Client, name: String, ops: usize) -> Run {
    let mut run = Run::default();
    let mut counter = Counter {
        key: format!("{name}:ctr"),
        ..Counter::default()
    };
    for seq in 0..ops {
        run.commands += 1;
        let tag = format!("{name}:{seq}");
        match seq % 3 {
            0 => {
                let outcome = call(&client, &["ECHO", &tag], &mut run).await;
                if let Some(Ok(reply)) = outcome {
                    if reply != Reply::Text(tag) {
                        run.misaligned += 1;
                    }
                }
            }
            1 => {
                let value = format!("v{seq}");
                let outcome = call(&client, &["SET", &tag, &value], &mut run).await;
                if let Some(Ok(reply)) = outcome {
                    if reply == Reply::Text("OK".into()) {
                        run.acked_sets.push((tag, value));
                    } else {
                        run.misaligned += 1;
                    }
                }
            }
            _ => match call(&client, &["INCR", &counter.key], &mut run).await {
                Some(Ok(Reply::Int(n)))
                    if n > counter.acked && n <= counter.acked + 1 + counter.maybe =>
                {
                    counter.acked += 1;
                }
                Some(Ok(_)) => {
                    // Another request's reply: this INCR may or may not have run.
                    run.misaligned += 1;
                    counter.maybe += 1;
                }
                Some(Err(maybe_executed)) => counter.maybe += i64::from(maybe_executed),
                None => counter.maybe += 1,
            },
        }
    }
    run.counters.push(counter);
    run
}

/// Sends one command; `None` when it got no outcome in time, `Some(Err(maybe_executed))`
/// for an error.
async fn call(client: &Client, args: &[&str], run: &mut Run) -> Option<Result<Reply, bool>> {
    match tokio::time::timeout(OUTCOME_LIMIT, client.call(args)).await {
        Ok(Ok(reply)) => {
            run.ok += 1;
            Some(Ok(reply))
        }
        Ok(Err(failure)) => {
            run.errors += 1;
            run.errors_maybe_executed += usize::from(failure.maybe_executed);
            Some(Err(failure.maybe_executed))
        }
        Err(_) => {
            run.without_outcome += 1;
            None
        }
    }
}
