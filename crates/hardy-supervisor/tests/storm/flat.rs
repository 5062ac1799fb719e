//! The one-for-one storm: `children` permanent children under one supervisor, crashed
//! `total` times in all at `rate` crashes per second, alternately by an abnormal exit and
//! by a panic.
//!
//! A pacer on the supervisor's arbiter sends one `Crash` at a time to the children in
//! turn, through their `ChildRef`s, never twice to the same incarnation (it remembers the
//! pid it last crashed), so every crash sent is exactly one crash and one restart. The
//! intensity (twice the rate per second) is never reached at that pace, so the expected
//! number of escalations is 0. Afterwards it waits until every child runs again, then
//! compares: crashes sent, crashes that happened, restarts in the supervisor's tree,
//! starts, live actors; and after the supervisor's stop, live actors again (0).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hardy_supervisor::{ChildRef, ChildSpec, ChildStatus, Pid, Supervisor};

use super::{escalations, process, runtime_tasks, Crash, CrashKind, Crasher, Probe};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct FlatParams {
    /// Children under the one supervisor.
    pub children: usize,
    /// Crashes per second, in all.
    pub rate: u64,
    /// Crashes in all.
    pub total: u64,
    /// Print a progress line this often (`None`: silent).
    pub progress: Option<Duration>,
}

/// One sample taken during the run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Since the first crash.
    pub at: Duration,
    /// Crashes sent so far.
    pub sent: u64,
    /// Resident memory, KiB.
    pub rss_kib: Option<u64>,
    /// Crashing actors alive.
    pub live: u64,
    /// tokio's count of alive tasks.
    pub runtime_tasks: usize,
}

/// What the run saw.
#[derive(Debug, Clone, Default)]
pub struct FlatReport {
    /// Crashes sent (each to a running incarnation that had not been sent one).
    pub sent: u64,
    /// Sends skipped because the child was restarting or already had its crash.
    pub skipped: u64,
    /// Crashes that happened, by abnormal exit.
    pub crashed_error: u64,
    /// Crashes that happened, by panic.
    pub crashed_panic: u64,
    /// The sum of the children's restart counts in the supervisor's tree.
    pub restarts: u64,
    /// `started` calls (first starts and restarts).
    pub starts: u64,
    /// Escalations the supervisor reported.
    pub escalations: u64,
    /// Children running at the end, per `count_children`.
    pub active: usize,
    /// Children whose status in the tree was not `Running` at the end.
    pub not_running: usize,
    /// Crashing actors alive after the storm (should be `children`).
    pub live_after_storm: u64,
    /// Crashing actors alive after the supervisor stopped (should be 0).
    pub live_after_stop: u64,
    /// tokio's alive tasks before the supervisor started, and after it stopped.
    pub runtime_tasks_before: usize,
    /// See `runtime_tasks_before`.
    pub runtime_tasks_after: usize,
    /// Time from the first crash to the last one sent.
    pub storm: Duration,
    /// Time from the last crash sent until every child ran again.
    pub settle: Duration,
    /// Resident memory before the supervisor started, after the storm, after the stop.
    pub rss_start_kib: Option<u64>,
    /// See `rss_start_kib`.
    pub rss_end_kib: Option<u64>,
    /// See `rss_start_kib`.
    pub rss_after_stop_kib: Option<u64>,
    /// The process's high-water mark at the end.
    pub hwm_kib: Option<u64>,
    /// CPU time the process used during the storm and its settling, in seconds.
    pub cpu_seconds: Option<f64>,
    /// One sample a second.
    pub samples: Vec<Sample>,
}

impl FlatReport {
    /// Crashes that happened, of both kinds.
    pub fn crashed(&self) -> u64 {
        self.crashed_error + self.crashed_panic
    }
}

const NAME: &str = "storm";

/// Runs the storm on the current arbiter. Errors: a step that did not finish in time.
pub async fn run(params: FlatParams) -> Result<FlatReport, String> {
    escalations::install();
    super::quiet_crash_panics();
    let mut report = FlatReport {
        rss_start_kib: process::rss_kib(),
        runtime_tasks_before: runtime_tasks(),
        ..FlatReport::default()
    };
    let probe = Probe::counting();
    let mut refs = Vec::with_capacity(params.children);
    let mut builder = Supervisor::builder()
        .name(NAME)
        .intensity(intensity_for(params.rate), Duration::from_secs(1));
    for i in 0..params.children {
        let p = probe.clone();
        let spec = ChildSpec::worker(format!("c{i}"), move || Ok(p.crasher(i)));
        refs.push(spec.child_ref::<Crasher>().map_err(|e| e.to_string())?);
        builder = builder.child(spec);
    }
    let sup = builder.start_async().await.map_err(|e| e.to_string())?;
    let escalations_before = escalations::of(NAME);

    let started = Instant::now();
    let cpu_before = process::cpu_seconds();
    pace(&params, &refs, &probe, &mut report).await;
    report.storm = started.elapsed();

    let settling = Instant::now();
    wait_all_running(&refs, Duration::from_secs(30)).await?;
    report.settle = settling.elapsed();
    report.cpu_seconds = process::cpu_seconds().zip(cpu_before).map(|(a, b)| a - b);
    let tree = sup.tree().await.map_err(|e| e.to_string())?;
    report.restarts = tree.children.iter().map(|c| u64::from(c.restarts)).sum();
    report.not_running = tree
        .children
        .iter()
        .filter(|c| !matches!(c.status, ChildStatus::Running(_)))
        .count();
    report.active = sup
        .count_children()
        .await
        .map_err(|e| e.to_string())?
        .active;
    report.crashed_error = probe.crashed_error.load(Ordering::SeqCst);
    report.crashed_panic = probe.crashed_panic.load(Ordering::SeqCst);
    report.starts = probe.starts.load(Ordering::SeqCst);
    report.live_after_storm = probe.live();
    report.rss_end_kib = process::rss_kib();
    report.escalations = escalations::of(NAME) - escalations_before;

    tokio::time::timeout(Duration::from_secs(60), sup.stop())
        .await
        .map_err(|_| "the supervisor did not stop within 60 s".to_string())?;
    report.live_after_stop = probe.live();
    report.runtime_tasks_after = runtime_tasks();
    report.rss_after_stop_kib = process::rss_kib();
    report.hwm_kib = process::hwm_kib();
    Ok(report)
}

/// Twice the rate per second: the pacer never sends more than the rate (plus one tick's
/// catch-up), so the intensity is never reached and no escalation is expected.
fn intensity_for(rate: u64) -> u32 {
    u32::try_from(rate.saturating_mul(2).max(10)).unwrap_or(u32::MAX)
}

/// Sends `params.total` crashes at `params.rate`, one tick a millisecond, each tick
/// sending what the elapsed time allows (at most 4 ticks' worth, so a stall never turns
/// into a burst above the intensity).
async fn pace(
    params: &FlatParams,
    refs: &[ChildRef<Crasher>],
    probe: &Probe,
    report: &mut FlatReport,
) {
    let mut last_pid: Vec<Option<Pid>> = vec![None; refs.len()];
    let per_tick_cap = (params.rate / 1000).max(1) * 4;
    let mut next = 0usize;
    let started = Instant::now();
    let mut next_sample = Duration::ZERO;
    let mut next_progress = params.progress.unwrap_or(Duration::MAX);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while report.sent < params.total {
        tick.tick().await;
        let elapsed = started.elapsed();
        let due = ((elapsed.as_secs_f64() * params.rate as f64) as u64).min(params.total);
        let mut budget = due.saturating_sub(report.sent).min(per_tick_cap);
        // One pass over the children at most per tick: skip the ones that cannot take a
        // crash now (restarting, or their crash is still in their mailbox).
        let mut tried = 0;
        while budget > 0 && tried < refs.len() {
            let i = next;
            next = (next + 1) % refs.len();
            tried += 1;
            let pid = refs[i].pid();
            if pid.is_none() || pid == last_pid[i] {
                report.skipped += 1;
                continue;
            }
            let kind = CrashKind::nth(report.sent);
            if refs[i].do_send(Crash(kind)).is_ok() {
                last_pid[i] = pid;
                report.sent += 1;
                budget -= 1;
            } else {
                report.skipped += 1;
            }
        }
        if elapsed >= next_sample {
            next_sample += Duration::from_secs(1);
            report.samples.push(Sample {
                at: elapsed,
                sent: report.sent,
                rss_kib: process::rss_kib(),
                live: probe.live(),
                runtime_tasks: runtime_tasks(),
            });
        }
        if elapsed >= next_progress {
            next_progress += params.progress.unwrap_or(Duration::MAX);
            println!(
                "  {:>5.1} s  sent {:>9}  crashed {:>9}  live actors {:>5}  RSS {}",
                elapsed.as_secs_f64(),
                report.sent,
                probe.crashes(),
                probe.live(),
                process::mib(process::rss_kib()),
            );
        }
    }
}

/// Waits until every child runs an incarnation that has not been sent a crash, i.e. every
/// crash sent has happened and been restarted; polls, bounded by `limit`.
async fn wait_all_running(refs: &[ChildRef<Crasher>], limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    // A child that answers a `Ping` is running and had no crash queued ahead of it: the
    // mailbox is FIFO and a crash ends the incarnation before the next message.
    loop {
        let mut pending = 0;
        for r in refs {
            if r.send(Ping).await.is_err() {
                pending += 1;
            }
        }
        if pending == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{pending} children still not running {limit:?} after the storm"
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Answers if the incarnation is alive.
#[derive(actix::Message)]
#[rtype(result = "()")]
pub struct Ping;

impl actix::Handler<Ping> for Crasher {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut actix::Context<Self>) {}
}

/// The checks shared by the test and the bench: an empty list means the storm leaked
/// nothing and did exactly what was sent.
pub fn violations(params: &FlatParams, r: &FlatReport) -> Vec<String> {
    let mut v = Vec::new();
    let children = params.children as u64;
    let mut check = |ok: bool, what: String| {
        if !ok {
            v.push(what);
        }
    };
    check(
        r.sent == params.total,
        format!("sent {} of {} crashes", r.sent, params.total),
    );
    check(
        r.crashed() == r.sent,
        format!("{} crashes happened of {} sent", r.crashed(), r.sent),
    );
    check(
        r.restarts == r.crashed(),
        format!("{} restarts for {} crashes", r.restarts, r.crashed()),
    );
    check(
        r.starts == children + r.restarts,
        format!(
            "{} starts for {} children and {} restarts",
            r.starts, children, r.restarts
        ),
    );
    check(
        r.escalations == 0,
        format!("{} escalations, expected 0", r.escalations),
    );
    check(
        r.active == params.children,
        format!("{} active children of {}", r.active, children),
    );
    check(
        r.not_running == 0,
        format!("{} children not running in the tree", r.not_running),
    );
    check(
        r.live_after_storm == children,
        format!(
            "{} live actors after the storm, expected {children}",
            r.live_after_storm
        ),
    );
    check(
        r.live_after_stop == 0,
        format!("{} live actors after the stop", r.live_after_stop),
    );
    check(
        r.runtime_tasks_after <= r.runtime_tasks_before,
        format!(
            "runtime tasks {} after the stop, {} before the start",
            r.runtime_tasks_after, r.runtime_tasks_before
        ),
    );
    v
}
