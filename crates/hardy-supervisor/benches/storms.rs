//! Supervisor storms, full size: 1,000 children crashing 10,000 times a second in all for
//! 30 s under one one-for-one supervisor (half abnormal exits, half panics), then a nested
//! tree of 8 × 4 × 8 workers through 20,000 seeded crashes whose escalations at each level
//! a model predicts exactly. Prints what happened beside what was expected, the leaks
//! (live actors, children in the supervisors' introspection, tokio's task count) and the
//! memory (RSS sampled each second, the process's high-water mark), and exits non-zero
//! when a check fails.
//!
//! The code is `tests/storm/`, shared with the short storms of the test suite
//! (`tests/storms.rs`). This is a bench target (harness off, release build) rather than a
//! test: it runs for 30 s and more, and its figures are the point.
//!
//! ```sh
//! cargo bench -p hardy-supervisor --bench storms              # full size
//! cargo bench -p hardy-supervisor --bench storms -- --quick   # 100 children, 3 s, 2,000 nested crashes
//! cargo bench -p hardy-supervisor --bench storms -- --children 500 --rate 5000 --seconds 10
//! ```
//!
//! Flags (or environment variables): `--children` (`STORM_CHILDREN`), `--rate`
//! (`STORM_RATE`, crashes per second in all), `--seconds` (`STORM_SECONDS`),
//! `--nested-crashes` (`STORM_NESTED_CRASHES`), `--rss-growth-mib` (`STORM_RSS_GROWTH_MIB`,
//! the bound on RSS growth from the end of the first quarter of the storm to its end;
//! default 16).

#[path = "../tests/storm/mod.rs"]
mod storm;

use std::time::Duration;

use storm::flat::{self, FlatParams, FlatReport};
use storm::nested::{self, NestedParams, NestedReport};
use storm::process::mib;

struct Settings {
    flat: FlatParams,
    seconds: u64,
    nested: NestedParams,
    rss_growth_mib: u64,
}

fn settings() -> Settings {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let get = |flag: &str, env: &str, full: u64, quick_value: u64| -> u64 {
        let from_flag = args
            .iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned();
        from_flag
            .or_else(|| std::env::var(env).ok())
            .map(|v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{flag}: cannot parse {v:?}"))
            })
            .unwrap_or(if quick { quick_value } else { full })
    };
    let children = get("--children", "STORM_CHILDREN", 1_000, 100) as usize;
    let rate = get("--rate", "STORM_RATE", 10_000, 2_000);
    let seconds = get("--seconds", "STORM_SECONDS", 30, 3);
    let nested_crashes = get("--nested-crashes", "STORM_NESTED_CRASHES", 20_000, 2_000);
    let rss_growth_mib = get("--rss-growth-mib", "STORM_RSS_GROWTH_MIB", 16, 16);
    Settings {
        flat: FlatParams {
            children,
            rate,
            total: rate * seconds,
            progress: Some(Duration::from_secs(if seconds >= 10 { 5 } else { 1 })),
        },
        seconds,
        nested: NestedParams {
            mids: 8,
            leaves: 4,
            workers: 8,
            leaf_max: 5,
            mid_max: 3,
            root_max: 1_000_000,
            crashes: nested_crashes,
            seed: 15,
        },
        rss_growth_mib,
    }
}

fn main() {
    let s = settings();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "supervisor storms: {} children, {} crashes/s for {} s (one-for-one); nested tree \
         {}x{}x{} workers, {} crashes; load average {}",
        s.flat.children,
        s.flat.rate,
        s.seconds,
        s.nested.mids,
        s.nested.leaves,
        s.nested.workers,
        s.nested.crashes,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    let (flat, nested) = actix_rt::System::new().block_on(async {
        println!("one-for-one storm:");
        let flat = flat::run(s.flat)
            .await
            .unwrap_or_else(|e| panic!("flat storm: {e}"));
        println!("nested tree:");
        let nested = nested::run(s.nested)
            .await
            .unwrap_or_else(|e| panic!("nested storm: {e}"));
        (flat, nested)
    });
    let mut failures = flat::violations(&s.flat, &flat);
    failures.extend(rss_growth(&s, &flat));
    print_flat(&s, &flat);
    failures.extend(nested::violations(&s.nested, &nested));
    print_nested(&s.nested, &nested);
    if failures.is_empty() {
        println!("\nall checks passed");
    } else {
        println!("\nFAILED:");
        for f in &failures {
            println!("  - {f}");
        }
        std::process::exit(1);
    }
}

/// RSS growth from the first sample at or after a quarter of the storm (warm-up over) to
/// the end of the storm, against the stated bound.
fn rss_growth(s: &Settings, r: &FlatReport) -> Option<String> {
    let warm = warm_rss(r)?;
    let end = r.rss_end_kib?;
    let growth = end.saturating_sub(warm);
    (growth > s.rss_growth_mib * 1024).then(|| {
        format!(
            "RSS grew {} after warm-up, bound {} MiB",
            mib(Some(growth)),
            s.rss_growth_mib
        )
    })
}

fn warm_rss(r: &FlatReport) -> Option<u64> {
    let quarter = r.storm / 4;
    r.samples
        .iter()
        .find(|x| x.at >= quarter)
        .and_then(|x| x.rss_kib)
}

fn print_flat(s: &Settings, r: &FlatReport) {
    let secs = r.storm.as_secs_f64();
    println!("\none-for-one storm ({} children)", s.flat.children);
    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| crashes sent | {} in {:.2} s ({:.0}/s) |",
        r.sent,
        secs,
        r.sent as f64 / secs
    );
    println!(
        "| crashes happened (exit error / panic) | {} ({} / {}) |",
        r.crashed(),
        r.crashed_error,
        r.crashed_panic
    );
    println!("| restarts (sum over the tree) | {} |", r.restarts);
    println!("| starts (first + restarts) | {} |", r.starts);
    println!(
        "| escalations (expected / observed) | 0 / {} |",
        r.escalations
    );
    if let Some(cpu) = r.cpu_seconds {
        println!(
            "| CPU time of the process (user + system) | {cpu:.2} s, {:.1} µs a crash |",
            cpu * 1e6 / r.crashed().max(1) as f64
        );
    }
    println!(
        "| settle after the last crash | {:.1} ms |",
        r.settle.as_secs_f64() * 1e3
    );
    println!(
        "| children active (count_children) | {} of {} |",
        r.active, s.flat.children
    );
    println!(
        "| live actors after the storm / after the stop | {} / {} |",
        r.live_after_storm, r.live_after_stop
    );
    let max_tasks = r.samples.iter().map(|x| x.runtime_tasks).max().unwrap_or(0);
    println!(
        "| tokio alive tasks before / max during / after (not actix's LocalSet tasks) | {} / {} / {} |",
        r.runtime_tasks_before, max_tasks, r.runtime_tasks_after
    );
    println!(
        "| RSS start / after warm-up / end of storm / after stop | {} / {} / {} / {} |",
        mib(r.rss_start_kib),
        mib(warm_rss(r)),
        mib(r.rss_end_kib),
        mib(r.rss_after_stop_kib)
    );
    let max_rss = r.samples.iter().filter_map(|x| x.rss_kib).max();
    println!("| RSS max of the 1 s samples | {} |", mib(max_rss));
    println!("| VmHWM (process high-water mark) | {} |", mib(r.hwm_kib));
    println!(
        "| sends skipped (child restarting or crash pending) | {} |",
        r.skipped
    );
}

fn print_nested(p: &NestedParams, r: &NestedReport) {
    let e = &r.expected;
    let sum = |v: &[u64]| v.iter().sum::<u64>();
    println!(
        "\nnested tree: root -> {} mids (intensity {}) -> {} leaves each (intensity {}) -> {} workers each, period 1 h",
        p.mids, p.mid_max, p.leaves, p.leaf_max, p.workers
    );
    println!("| figure | expected | observed |");
    println!("|---|---|---|");
    println!("| crashes | {} | {} |", p.crashes, r.crashed);
    println!(
        "| leaf escalations | {} | {} |",
        sum(&e.leaf_escalations),
        sum(&r.leaf_escalations)
    );
    println!(
        "| mid escalations | {} | {} |",
        sum(&e.mid_escalations),
        sum(&r.mid_escalations)
    );
    println!(
        "| root escalations | {} | {} |",
        e.root_escalations, r.root_escalations
    );
    println!(
        "| per-supervisor escalations equal | - | {} |",
        r.leaf_escalations == e.leaf_escalations && r.mid_escalations == e.mid_escalations
    );
    println!(
        "| restart counts in the final tree equal | - | {} |",
        r.worker_restarts == e.worker_restarts
            && r.leaf_restarts == e.leaf_restarts
            && r.mid_restarts == e.mid_restarts
    );
    println!("| worker starts (first + restarts) | - | {} |", r.starts);
    println!(
        "| live actors after the schedule / after the stop | {} / 0 | {} / {} |",
        p.mids * p.leaves * p.workers,
        r.live_after_storm,
        r.live_after_stop
    );
    println!(
        "| time ({:.1} µs a crash) | - | {:.2} s |",
        r.elapsed.as_secs_f64() * 1e6 / p.crashes.max(1) as f64,
        r.elapsed.as_secs_f64()
    );
    println!(
        "| RSS at the end / VmHWM | - | {} / {} |",
        mib(r.rss_end_kib),
        mib(r.hwm_kib)
    );
}
