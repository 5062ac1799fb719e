//! The chaos runner's short version, hardy-redis only, with its invariants as assertions:
//! 16 callers share one connection through a `FaultProxy` and send 51,200 tagged
//! commands (`ECHO`, `SET`, `INCR`) while one fault of each kind fires (proxy cut,
//! black-hole, delay, `redis-server` SIGKILL and restart on the same port, SIGSTOP and
//! SIGCONT, `CLIENT KILL`). The full run, beside redis-rs and fred, is
//! `bench/chaos`; both use `chaos_kit` (see its `mod.rs`), and docs/reliability.md
//! gives the figures.

mod chaos_kit;

use std::sync::{Arc, Mutex};

use chaos_kit::faults::{Schedule, Targets};
use chaos_kit::{chaos_server, verify, workload, Hardy};
use hardy_testkit::FaultProxy;

const CALLERS: usize = 16;
const OPS: usize = 3_200;
const FAULTS: &str = "cut:1,blackhole:1:300,delay:1:300,kill:1:100,stop:1:300,clientkill:1";

#[actix_rt::test]
async fn every_request_gets_one_outcome_and_no_write_is_lost_or_doubled_under_every_fault_kind() {
    let server = chaos_server();
    let addr = server.addr();
    let proxy = Arc::new(FaultProxy::start(addr).expect("fault proxy"));
    let targets = Targets {
        proxy: proxy.clone(),
        server: Arc::new(Mutex::new(server)),
    };
    let schedule: Schedule = FAULTS.parse().expect("schedule");
    let client = Hardy::connect(format!("redis://{}", proxy.addr()).parse().expect("URL")).await;

    let plan = workload::Workload {
        callers: CALLERS,
        ops: OPS,
        progress: workload::Progress::Outcomes,
        limit: workload::RUN_LIMIT,
    };
    let run = workload::run(&client, "hardy", plan, &schedule, &targets).await;
    let row = verify::check("hardy", run, addr).await;

    let line = row.line();
    println!("{line}");
    assert_eq!(row.run.commands, CALLERS * OPS, "{line}");
    assert_eq!(row.run.faults, schedule.len(), "every fault fired: {line}");
    assert_eq!(row.run.ok + row.run.errors, row.run.commands, "{line}");
    assert_eq!(
        row.run.misaligned, 0,
        "replies belonging to another command: {line}"
    );
    assert_eq!(
        row.run.without_outcome, 0,
        "requests without an outcome: {line}"
    );
    assert_eq!(
        row.lost_acked_writes, 0,
        "acknowledged writes missing: {line}"
    );
    assert_eq!(
        row.extra_incrs, 0,
        "INCRs applied more often than acked + maybe: {line}"
    );
    // The faults did reach the client: some requests failed, and the run still got most
    // of its work done.
    assert!(row.run.errors > 0, "no fault was seen: {line}");
    assert!(row.run.ok > row.run.commands / 2, "{line}");
}
