//! The callers: each runs a number of commands (or until a number of them succeeded: see
//! [`Progress`]), cycling through `ECHO <own tag>`, `SET <key used once> <value>` and
//! `INCR <own counter>`, and records every outcome in what the invariants need.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::faults::{Inject, Schedule};
use super::{Client, Reply};

/// How long a request may go without an outcome before it counts as "without outcome".
pub const OUTCOME_LIMIT: Duration = Duration::from_secs(30);

/// How long one client's run may take by default ([`Workload::limit`]): a client whose
/// requests hang (each waiting out [`OUTCOME_LIMIT`]) would otherwise hold the runner for
/// hours. Callers stop sending once it has passed; the row's "commands" then says how
/// many were sent.
pub const RUN_LIMIT: Duration = Duration::from_secs(180);

/// With [`Progress::Successes`], the most commands a caller sends per success it needs:
/// a bound on its loop, far above what any client needed.
pub const MAX_TRIES_PER_SUCCESS: usize = 20;

/// What counts as the callers' progress, which paces the fault schedule, and when a
/// caller is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Each caller sends `ops` commands; every outcome, a reply or an error, is progress.
    /// A client that fails fast through an outage turns it into progress: its errors
    /// advance the schedule and use up its commands, so it finishes sooner.
    Outcomes,
    /// Each caller runs until `ops` of its commands succeeded (sending new ones after
    /// errors, at most [`MAX_TRIES_PER_SUCCESS`] per success); only successes are
    /// progress. Every client does the same useful work under the same faults, so the
    /// wall time compares how fast each gets it done.
    Successes,
}

impl std::str::FromStr for Progress {
    type Err = String;

    fn from_str(s: &str) -> Result<Progress, String> {
        match s {
            "outcomes" => Ok(Progress::Outcomes),
            "successes" => Ok(Progress::Successes),
            other => Err(format!("unknown progress {other:?}: outcomes or successes")),
        }
    }
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Progress::Outcomes => "outcomes",
            Progress::Successes => "successes",
        })
    }
}

/// What each client's run is: how many callers, how much work each, what counts as
/// progress, and how long it may take at most.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub callers: usize,
    pub ops: usize,
    pub progress: Progress,
    pub limit: Duration,
}

/// How often callers held at a fault's gate look again.
const GATE_POLL: Duration = Duration::from_millis(1);

/// What paces a caller: the commands with an outcome so far, how far they may go before
/// the fault under way is over, and whether the schedule failed.
struct Pace {
    progress: Arc<AtomicUsize>,
    gate: Arc<AtomicUsize>,
    failed: Arc<AtomicBool>,
    deadline: Instant,
    counts: Progress,
}

/// One caller's counter: `INCR`s acknowledged, and those that failed but may have run.
#[derive(Debug, Default, Clone)]
pub struct Counter {
    pub key: String,
    pub acked: i64,
    pub maybe: i64,
    /// The last value an `INCR` answered, and the "may have run" failures since.
    last: i64,
    maybe_since_last: i64,
}

/// What one client's run produced.
#[derive(Debug, Default)]
pub struct Run {
    pub commands: usize,
    pub ok: usize,
    pub errors: usize,
    /// Of `errors`, those reported as "may have run" (the rest never ran).
    pub errors_maybe_executed: usize,
    /// Of `errors`, the server's error replies (`LOADING` after a restart), by code.
    pub errors_server: usize,
    pub server_codes: std::collections::BTreeMap<String, usize>,
    pub misaligned: usize,
    /// Of `misaligned`: `ECHO`, `SET`, `INCR`.
    pub misaligned_by: [usize; 3],
    /// `INCR` replies that skipped values no failure of this caller accounts for: its
    /// counter was incremented by more than its own `INCR`s (a resend that ran twice).
    pub incr_jumps: usize,
    pub without_outcome: usize,
    /// The first few misaligned requests and the replies they got.
    pub misaligned_samples: Vec<String>,
    /// Acknowledged `SET`s: key and value.
    pub acked_sets: Vec<(String, String)>,
    pub counters: Vec<Counter>,
    pub faults: usize,
    pub wall: Duration,
    /// With [`Progress::Successes`]: callers that reached [`MAX_TRIES_PER_SUCCESS`] or the
    /// run's limit before their successes.
    pub gave_up: usize,
}

/// How many misaligned replies a run keeps as samples.
const SAMPLES: usize = 5;

impl Run {
    fn sample(&mut self, what: String) {
        if self.misaligned_samples.len() < SAMPLES {
            self.misaligned_samples.push(what);
        }
    }

    fn merge(&mut self, other: Run) {
        for sample in other.misaligned_samples {
            self.sample(sample);
        }
        self.commands += other.commands;
        self.ok += other.ok;
        self.errors += other.errors;
        self.errors_maybe_executed += other.errors_maybe_executed;
        self.errors_server += other.errors_server;
        for (code, n) in other.server_codes {
            *self.server_codes.entry(code).or_default() += n;
        }
        self.misaligned += other.misaligned;
        for (mine, theirs) in self.misaligned_by.iter_mut().zip(other.misaligned_by) {
            *mine += theirs;
        }
        self.incr_jumps += other.incr_jumps;
        self.without_outcome += other.without_outcome;
        self.acked_sets.extend(other.acked_sets);
        self.counters.extend(other.counters);
        self.gave_up += other.gave_up;
    }
}

/// Runs the `workload`'s callers of `client` on the current actix system, while
/// `schedule` fires against `targets`. Keys start with `prefix`.
pub async fn run<C: Client, T: Inject>(
    client: &C,
    prefix: &str,
    workload: Workload,
    schedule: &Schedule,
    targets: &T,
) -> Run {
    let Workload {
        callers,
        ops,
        progress: counts,
        limit,
    } = workload;
    let progress = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let faults = schedule.start(targets, progress.clone(), callers * ops, failed.clone());
    let gate = faults.gate.clone();
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let client = client.clone();
            let name = format!("{prefix}:{i}");
            let pace = Pace {
                progress: progress.clone(),
                gate: gate.clone(),
                failed: failed.clone(),
                deadline: started + limit,
                counts,
            };
            actix_rt::spawn(async move { caller(client, name, ops, pace).await })
        })
        .collect();
    let mut total = Run::default();
    for task in tasks {
        total.merge(task.await.expect("a caller panicked"));
    }
    total.wall = started.elapsed();
    // Waits for a fault under way to end, so the server runs for the checks.
    total.faults = faults.finish();
    total
}

/// One caller: `ECHO`, `SET`, `INCR` in turn, `ops` commands or until `ops` succeeded (see
/// [`Progress`]). Each command has a tag and a key of its own, also after an error.
async fn caller<C: Client>(client: C, name: String, ops: usize, pace: Pace) -> Run {
    let Pace {
        progress,
        gate,
        failed,
        deadline,
        counts,
    } = pace;
    let mut run = Run::default();
    let mut counter = Counter {
        key: format!("{name}:ctr"),
        ..Counter::default()
    };
    let tries = match counts {
        Progress::Outcomes => ops,
        Progress::Successes => ops * MAX_TRIES_PER_SUCCESS,
    };
    let mut succeeded = 0;
    for seq in 0..tries {
        if counts == Progress::Successes && succeeded == ops {
            break;
        }
        // A slow fault (a failover) still under way when the callers reach the next
        // fault's point: they wait for it, so that no fault falls behind the work.
        while progress.load(Ordering::Relaxed) >= gate.load(Ordering::Relaxed)
            && !failed.load(Ordering::Relaxed)
            && Instant::now() < deadline
        {
            tokio::time::sleep(GATE_POLL).await;
        }
        if failed.load(Ordering::Relaxed) || Instant::now() > deadline {
            break;
        }
        run.commands += 1;
        let tag = format!("{name}:{seq}");
        let ok_before = run.ok;
        match seq % 3 {
            0 => {
                if let Some(Ok(reply)) = call(&client, &["ECHO", &tag], &mut run).await {
                    if reply != Reply::Text(tag.clone()) {
                        run.misaligned += 1;
                        run.misaligned_by[0] += 1;
                        run.sample(format!("ECHO {tag} -> {reply:?}"));
                    }
                }
            }
            1 => {
                let value = format!("v{seq}");
                if let Some(Ok(reply)) = call(&client, &["SET", &tag, &value], &mut run).await {
                    if reply == Reply::Text("OK".into()) {
                        run.acked_sets.push((tag, value));
                    } else {
                        run.misaligned += 1;
                        run.misaligned_by[1] += 1;
                        run.sample(format!("SET {tag} -> {reply:?}"));
                    }
                }
            }
            _ => match call(&client, &["INCR", &counter.key], &mut run).await {
                // Only this caller increments its counter, one INCR at a time, so its own
                // reply is above the last one. Skipping more values than the failures
                // since then is a jump: counted, and the final count will show it.
                Some(Ok(Reply::Int(n))) if n > counter.last => {
                    if n > counter.last + 1 + counter.maybe_since_last {
                        run.incr_jumps += 1;
                    }
                    counter.acked += 1;
                    counter.last = n;
                    counter.maybe_since_last = 0;
                }
                Some(Ok(reply)) => {
                    // Another request's reply: this INCR may or may not have run.
                    run.sample(format!(
                        "INCR {} (last {}) -> {reply:?}",
                        counter.key, counter.last
                    ));
                    run.misaligned += 1;
                    run.misaligned_by[2] += 1;
                    counter.maybe += 1;
                    counter.maybe_since_last += 1;
                }
                Some(Err(false)) => {}
                Some(Err(true)) | None => {
                    counter.maybe += 1;
                    counter.maybe_since_last += 1;
                }
            },
        }
        let success = run.ok > ok_before;
        succeeded += usize::from(success);
        if counts == Progress::Outcomes || success {
            progress.fetch_add(1, Ordering::Relaxed);
        }
    }
    if counts == Progress::Successes && succeeded < ops && !failed.load(Ordering::Relaxed) {
        run.gave_up += 1;
    }
    run.counters.push(counter);
    run
}

/// Sends one command; `None` when it got no outcome in time, `Some(Err(maybe_executed))`
/// for an error.
async fn call<C: Client>(client: &C, args: &[&str], run: &mut Run) -> Option<Result<Reply, bool>> {
    match tokio::time::timeout(OUTCOME_LIMIT, client.call(args)).await {
        Ok(Ok(reply)) => {
            run.ok += 1;
            Some(Ok(reply))
        }
        Ok(Err(failure)) => {
            run.errors += 1;
            run.errors_maybe_executed += usize::from(failure.maybe_executed);
            if let Some(code) = failure.server {
                run.errors_server += 1;
                *run.server_codes.entry(code).or_default() += 1;
            }
            Some(Err(failure.maybe_executed))
        }
        Err(_) => {
            run.without_outcome += 1;
            None
        }
    }
}
