//! The nested storm: a root over `mids` supervisors, each over `leaves` supervisors, each
//! over `workers` crashing workers, all one-for-one, and a seeded schedule of crashes
//! whose escalations a model predicts exactly.
//!
//! Every intensity has a period of an hour, so no restart leaves a window during a run and
//! the rule is a count: a supervisor incarnation gives up at its `max + 1`-th restart (a
//! fresh incarnation starts a fresh window). A leaf that gives up is one restart of its
//! mid; a mid that gives up is one restart of the root. The model ([`Model`]) replays the
//! schedule with those rules and says, crash by crash, which workers must start again:
//! the one that crashed, every worker of its leaf (the leaf escalated), or every worker of
//! its mid (the mid escalated too). The driver sends one crash, then waits for exactly
//! those starts before the next, so the order of events is the schedule's.
//!
//! Checked against the model: the set of workers started after each crash; the
//! escalations each supervisor reported (its "restart intensity reached" event); and at
//! the end, every restart count in the root's tree.

use std::time::{Duration, Instant};

use hardy_supervisor::{ChildRef, ChildSpec, Supervisor, SupervisorTree};

use super::{escalations, process, Crash, CrashKind, Crasher, Probe};

/// The tree, its intensities and the schedule.
#[derive(Debug, Clone, Copy)]
pub struct NestedParams {
    /// Supervisors under the root.
    pub mids: usize,
    /// Supervisors under each mid.
    pub leaves: usize,
    /// Workers under each leaf.
    pub workers: usize,
    /// Restarts a leaf incarnation absorbs; the next one escalates.
    pub leaf_max: u32,
    /// Restarts a mid incarnation absorbs; the next one escalates.
    pub mid_max: u32,
    /// Restarts the root absorbs (choose it above what the schedule makes: the root's own
    /// escalation would end the run).
    pub root_max: u32,
    /// Crashes in the schedule.
    pub crashes: u64,
    /// Seeds the schedule.
    pub seed: u64,
}

impl NestedParams {
    fn worker_count(&self) -> usize {
        self.mids * self.leaves * self.workers
    }
    fn leaf_count(&self) -> usize {
        self.mids * self.leaves
    }
}

/// OTP's restart-intensity rules applied to the schedule, counting per supervisor.
#[derive(Debug, Clone)]
pub struct Model {
    p: NestedParams,
    /// Restarts in each leaf's current window (= its current incarnation).
    leaf_window: Vec<u32>,
    /// Restarts in each mid's current window.
    mid_window: Vec<u32>,
    root_window: u32,
    /// Restart counts as each supervisor's tree shows them: per worker in its leaf's
    /// current incarnation, per leaf in its mid's, per mid in the root.
    pub worker_restarts: Vec<u32>,
    /// See `worker_restarts`.
    pub leaf_restarts: Vec<u32>,
    /// See `worker_restarts`.
    pub mid_restarts: Vec<u32>,
    /// Escalations of each leaf, over the whole run.
    pub leaf_escalations: Vec<u64>,
    /// Escalations of each mid, over the whole run.
    pub mid_escalations: Vec<u64>,
    /// Escalations of the root.
    pub root_escalations: u64,
}

impl Model {
    /// A tree where nothing has crashed yet.
    pub fn new(p: NestedParams) -> Self {
        Model {
            p,
            leaf_window: vec![0; p.leaf_count()],
            mid_window: vec![0; p.mids],
            root_window: 0,
            worker_restarts: vec![0; p.worker_count()],
            leaf_restarts: vec![0; p.leaf_count()],
            mid_restarts: vec![0; p.mids],
            leaf_escalations: vec![0; p.leaf_count()],
            mid_escalations: vec![0; p.mids],
            root_escalations: 0,
        }
    }

    /// Worker `w` crashes: returns the workers that start again, in index order.
    pub fn crash(&mut self, w: usize) -> std::ops::Range<usize> {
        let leaf = w / self.p.workers;
        let mid = leaf / self.p.leaves;
        self.leaf_window[leaf] += 1;
        if self.leaf_window[leaf] <= self.p.leaf_max {
            self.worker_restarts[w] += 1;
            return w..w + 1;
        }
        self.leaf_escalations[leaf] += 1;
        self.mid_window[mid] += 1;
        if self.mid_window[mid] <= self.p.mid_max {
            self.fresh_leaf(leaf);
            self.leaf_restarts[leaf] += 1;
            return self.workers_of_leaf(leaf);
        }
        self.mid_escalations[mid] += 1;
        self.root_window += 1;
        if self.root_window > self.p.root_max {
            self.root_escalations += 1;
        }
        self.mid_window[mid] = 0;
        let leaves = mid * self.p.leaves..(mid + 1) * self.p.leaves;
        for l in leaves {
            self.fresh_leaf(l);
            self.leaf_restarts[l] = 0;
        }
        self.mid_restarts[mid] += 1;
        let first = self.workers_of_leaf(mid * self.p.leaves).start;
        first..first + self.p.leaves * self.p.workers
    }

    fn fresh_leaf(&mut self, leaf: usize) {
        self.leaf_window[leaf] = 0;
        for w in self.workers_of_leaf(leaf) {
            self.worker_restarts[w] = 0;
        }
    }

    fn workers_of_leaf(&self, leaf: usize) -> std::ops::Range<usize> {
        leaf * self.p.workers..(leaf + 1) * self.p.workers
    }
}

/// A seeded sequence of worker indices (splitmix64), the same on every machine.
pub fn schedule(p: &NestedParams) -> impl Iterator<Item = usize> {
    let mut state = p.seed;
    let n = p.worker_count() as u64;
    (0..p.crashes).map(move |_| {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n) as usize
    })
}

/// What the run saw, beside what the model predicted.
#[derive(Debug, Clone)]
pub struct NestedReport {
    /// The model after the whole schedule.
    pub expected: Model,
    /// Escalations each leaf reported, in leaf order.
    pub leaf_escalations: Vec<u64>,
    /// Escalations each mid reported, in mid order.
    pub mid_escalations: Vec<u64>,
    /// Escalations the root reported.
    pub root_escalations: u64,
    /// Restart counts in the final tree, as the model's fields.
    pub worker_restarts: Vec<u32>,
    /// See `worker_restarts`.
    pub leaf_restarts: Vec<u32>,
    /// See `worker_restarts`.
    pub mid_restarts: Vec<u32>,
    /// Crashes that happened.
    pub crashed: u64,
    /// Worker starts, first ones included.
    pub starts: u64,
    /// Crashing actors alive after the schedule (should be every worker), and after the
    /// root's stop (should be 0).
    pub live_after_storm: u64,
    /// See `live_after_storm`.
    pub live_after_stop: u64,
    /// The whole schedule, from the first crash to the last restart.
    pub elapsed: Duration,
    /// Resident memory at the end, and the high-water mark.
    pub rss_end_kib: Option<u64>,
    /// See `rss_end_kib`.
    pub hwm_kib: Option<u64>,
}

const HOUR: Duration = Duration::from_secs(3600);

fn mid_name(m: usize) -> String {
    format!("mid{m}")
}

fn leaf_name(l: usize, p: &NestedParams) -> String {
    format!("leaf{}.{}", l / p.leaves, l % p.leaves)
}

/// Builds the tree's specs: the worker `ChildRef`s (in index order) follow every
/// incarnation, since a restarted supervisor rebuilds its children from the same specs.
fn build(
    p: &NestedParams,
    probe: &std::sync::Arc<Probe>,
) -> Result<(Vec<ChildSpec>, Vec<ChildRef<Crasher>>), String> {
    let mut mids = Vec::with_capacity(p.mids);
    let mut refs = Vec::with_capacity(p.worker_count());
    for m in 0..p.mids {
        let mut leaves = Vec::with_capacity(p.leaves);
        for j in 0..p.leaves {
            let leaf = m * p.leaves + j;
            let mut workers = Vec::with_capacity(p.workers);
            for k in 0..p.workers {
                let w = leaf * p.workers + k;
                let probe = probe.clone();
                let spec = ChildSpec::worker(format!("w{w}"), move || Ok(probe.crasher(w)));
                refs.push(spec.child_ref::<Crasher>().map_err(|e| e.to_string())?);
                workers.push(spec);
            }
            let (name, max) = (leaf_name(leaf, p), p.leaf_max);
            leaves.push(ChildSpec::supervisor(name.clone(), move || {
                Supervisor::builder()
                    .name(name.clone())
                    .intensity(max, HOUR)
                    .children(workers.clone())
                    .build()
            }));
        }
        let (name, max) = (mid_name(m), p.mid_max);
        mids.push(ChildSpec::supervisor(name.clone(), move || {
            Supervisor::builder()
                .name(name.clone())
                .intensity(max, HOUR)
                .children(leaves.clone())
                .build()
        }));
    }
    Ok((mids, refs))
}

/// Runs the schedule on the current arbiter. Errors: a step whose starts differ from the
/// model's, or that did not finish in time.
pub async fn run(p: NestedParams) -> Result<NestedReport, String> {
    escalations::install();
    super::quiet_crash_panics();
    let (probe, mut started) = Probe::reporting();
    let (mids, refs) = build(&p, &probe)?;
    let root = Supervisor::builder()
        .name("root")
        .intensity(p.root_max, HOUR)
        .children(mids)
        .start_async()
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..p.worker_count() {
        recv(&mut started).await?;
    }
    let before = Counts::now(&p);
    let mut model = Model::new(p);
    let began = Instant::now();
    for (n, w) in schedule(&p).enumerate() {
        let expected = model.crash(w);
        if refs[w].do_send(Crash(CrashKind::nth(n as u64))).is_err() {
            return Err(format!("crash {n}: worker {w} is not running"));
        }
        let mut seen = Vec::with_capacity(expected.len());
        for _ in 0..expected.len() {
            seen.push(
                recv(&mut started)
                    .await
                    .map_err(|e| format!("crash {n} of worker {w}: {e}"))?,
            );
        }
        seen.sort_unstable();
        if !seen.iter().copied().eq(expected.clone()) {
            return Err(format!(
                "crash {n} of worker {w}: workers {seen:?} started, the model expected {expected:?}"
            ));
        }
    }
    let elapsed = began.elapsed();
    let tree = root.tree().await.map_err(|e| e.to_string())?;
    let after = Counts::now(&p);
    let mut report = NestedReport {
        leaf_escalations: after
            .leaves
            .iter()
            .zip(&before.leaves)
            .map(|(a, b)| a - b)
            .collect(),
        mid_escalations: after
            .mids
            .iter()
            .zip(&before.mids)
            .map(|(a, b)| a - b)
            .collect(),
        root_escalations: after.root - before.root,
        worker_restarts: vec![0; p.worker_count()],
        leaf_restarts: vec![0; p.leaf_count()],
        mid_restarts: vec![0; p.mids],
        crashed: probe.crashes(),
        starts: probe.starts.load(std::sync::atomic::Ordering::SeqCst),
        live_after_storm: probe.live(),
        live_after_stop: 0,
        elapsed,
        rss_end_kib: process::rss_kib(),
        hwm_kib: None,
        expected: model,
    };
    read_restarts(&tree, &p, &mut report)?;
    tokio::time::timeout(Duration::from_secs(60), root.stop())
        .await
        .map_err(|_| "the root did not stop within 60 s".to_string())?;
    report.live_after_stop = probe.live();
    report.hwm_kib = process::hwm_kib();
    Ok(report)
}

async fn recv(started: &mut tokio::sync::mpsc::UnboundedReceiver<usize>) -> Result<usize, String> {
    match tokio::time::timeout(Duration::from_secs(10), started.recv()).await {
        Ok(Some(w)) => Ok(w),
        Ok(None) => Err("the start channel closed".into()),
        Err(_) => Err("no worker started within 10 s".into()),
    }
}

/// Escalations reported so far, per supervisor of the tree.
struct Counts {
    leaves: Vec<u64>,
    mids: Vec<u64>,
    root: u64,
}

impl Counts {
    fn now(p: &NestedParams) -> Self {
        Counts {
            leaves: (0..p.leaf_count())
                .map(|l| escalations::of(&leaf_name(l, p)))
                .collect(),
            mids: (0..p.mids).map(|m| escalations::of(&mid_name(m))).collect(),
            root: escalations::of("root"),
        }
    }
}

/// Copies every restart count of the final tree into the report, in the model's order.
fn read_restarts(
    tree: &SupervisorTree,
    p: &NestedParams,
    r: &mut NestedReport,
) -> Result<(), String> {
    for m in 0..p.mids {
        let mid = tree
            .child(&mid_name(m))
            .ok_or(format!("{} missing", mid_name(m)))?;
        r.mid_restarts[m] = mid.restarts;
        let mid_tree = mid
            .children
            .as_ref()
            .ok_or(format!("{} not running", mid_name(m)))?;
        for j in 0..p.leaves {
            let l = m * p.leaves + j;
            let leaf = mid_tree
                .child(&leaf_name(l, p))
                .ok_or(format!("{} missing", leaf_name(l, p)))?;
            r.leaf_restarts[l] = leaf.restarts;
            let leaf_tree = leaf
                .children
                .as_ref()
                .ok_or(format!("{} not running", leaf_name(l, p)))?;
            for k in 0..p.workers {
                let w = l * p.workers + k;
                let worker = leaf_tree
                    .child(&format!("w{w}"))
                    .ok_or(format!("w{w} missing"))?;
                r.worker_restarts[w] = worker.restarts;
            }
        }
    }
    Ok(())
}

/// The checks shared by the test and the bench: an empty list means every escalation and
/// every restart happened exactly where the model put it, and nothing leaked.
pub fn violations(p: &NestedParams, r: &NestedReport) -> Vec<String> {
    let mut v = Vec::new();
    let e = &r.expected;
    let mut check = |ok: bool, what: String| {
        if !ok {
            v.push(what);
        }
    };
    check(
        r.leaf_escalations == e.leaf_escalations,
        format!(
            "leaf escalations {:?}, expected {:?}",
            r.leaf_escalations, e.leaf_escalations
        ),
    );
    check(
        r.mid_escalations == e.mid_escalations,
        format!(
            "mid escalations {:?}, expected {:?}",
            r.mid_escalations, e.mid_escalations
        ),
    );
    check(
        r.root_escalations == e.root_escalations,
        format!(
            "root escalations {}, expected {}",
            r.root_escalations, e.root_escalations
        ),
    );
    check(
        r.mid_restarts == e.mid_restarts,
        format!(
            "mid restarts {:?}, expected {:?}",
            r.mid_restarts, e.mid_restarts
        ),
    );
    check(
        r.leaf_restarts == e.leaf_restarts,
        format!(
            "leaf restarts {:?}, expected {:?}",
            r.leaf_restarts, e.leaf_restarts
        ),
    );
    check(
        r.worker_restarts == e.worker_restarts,
        "worker restarts differ from the model's".into(),
    );
    check(
        r.crashed == p.crashes,
        format!("{} crashes happened of {}", r.crashed, p.crashes),
    );
    let workers = p.worker_count() as u64;
    check(
        r.live_after_storm == workers,
        format!(
            "{} live actors after the schedule, expected {workers}",
            r.live_after_storm
        ),
    );
    check(
        r.live_after_stop == 0,
        format!("{} live actors after the stop", r.live_after_stop),
    );
    v
}
