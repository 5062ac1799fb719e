//! The runner's scenarios: what is deployed, what the clients connect to, which faults
//! hit it, and where the results are read back from.
//!
//! - `single` ([`single::Single`]): one `redis-server` behind a `FaultProxy`, plaintext;
//! - `tls` (the same type): the same server serving TLS only, the proxy forwarding the
//!   encrypted bytes;
//! - `sentinel` ([`sentinel::SentinelScenario`]): a primary, two replicas and three
//!   sentinels; failovers and killed primaries;
//! - `cluster` ([`cluster::ClusterScenario`]): three primaries with a replica each; slot
//!   migrations, manual failovers, killed primaries.
//!
//! [`run`] is the same for every scenario: each client library in turn, on an emptied
//! deployment, the kit's workload and fault schedule, then the kit's checks.

pub mod cluster;
pub mod sentinel;
pub mod single;

use std::future::Future;
use std::time::Duration;

use crate::clients::Kind;
use crate::connect::{connect_to, Endpoint};
use crate::kit::faults::{self, Inject, Schedule};
use crate::kit::verify::{self, Row, Store};
use crate::kit::workload;

/// How long a client may take to connect before it is skipped (fred's `init` has no
/// bound of its own).
const CONNECT_LIMIT: Duration = Duration::from_secs(60);

/// One deployment under test.
pub trait Scenario {
    /// What injects this scenario's faults.
    type Faults: Inject;
    /// Where the checks read the results.
    type Store: Store;

    /// The fault schedule when `CHAOS_FAULTS` is not set.
    fn default_faults(&self) -> &'static str;
    /// The fault kinds this scenario can inject.
    fn kinds(&self) -> &'static [faults::Kind];
    /// What the clients connect to.
    fn endpoint(&self) -> Endpoint;
    /// The fault injector.
    fn faults(&self) -> Self::Faults;
    /// Empties the deployment, so each client starts from the same state.
    fn reset(&self);
    /// A connection that reads the servers directly, not through the client under test.
    fn store(&self) -> impl Future<Output = Self::Store>;
}

/// What the runner was asked to do.
pub struct Settings {
    pub clients: Vec<Kind>,
    pub callers: usize,
    pub ops: usize,
    /// What counts as progress (paces the faults, ends a caller).
    pub progress: workload::Progress,
    /// The most one client's run may take.
    pub limit: Duration,
    /// `None`: the scenario's default.
    pub schedule: Option<Schedule>,
}

/// Runs every client of `settings` through `scenario`, one after the other, and returns
/// their rows.
pub fn run<S: Scenario>(scenario: &S, settings: &Settings) -> Vec<Row> {
    let schedule = settings.schedule.clone().unwrap_or_else(|| {
        scenario
            .default_faults()
            .parse()
            .expect("the default schedule")
    });
    if let Some(kind) = schedule.kinds().find(|k| !scenario.kinds().contains(k)) {
        panic!(
            "CHAOS_FAULTS: {} is not a fault of this scenario",
            kind.name()
        );
    }
    let per_caller = match settings.progress {
        workload::Progress::Outcomes => "commands",
        workload::Progress::Successes => "successful commands",
    };
    println!(
        "{} callers x {} {per_caller} per client (faults paced by {}, at most {:?} per client); {} faults: {}",
        settings.callers,
        settings.ops,
        settings.progress,
        settings.limit,
        schedule.len(),
        schedule
    );
    let endpoint = scenario.endpoint();
    let system = actix_rt::System::new();
    system.block_on(async {
        let mut rows = Vec::new();
        for (n, kind) in settings.clients.iter().enumerate() {
            scenario.reset();
            let prefix = format!("{}{n}", kind.name());
            let client =
                match actix_rt::time::timeout(CONNECT_LIMIT, connect_to(*kind, &endpoint)).await {
                    Ok(client) => client,
                    Err(_) => {
                        println!(
                            "{}: not connected within {CONNECT_LIMIT:?}, skipped",
                            kind.name()
                        );
                        continue;
                    }
                };
            let plan = workload::Workload {
                callers: settings.callers,
                ops: settings.ops,
                progress: settings.progress,
                limit: settings.limit,
            };
            let run = workload::run(&client, &prefix, plan, &schedule, &scenario.faults()).await;
            if run.gave_up > 0 {
                println!(
                    "{}: {} callers stopped before {} successes (at {} tries per success or the limit)",
                    kind.name(),
                    run.gave_up,
                    settings.ops,
                    workload::MAX_TRIES_PER_SUCCESS
                );
            }
            let row = verify::check_with(kind.name(), run, &scenario.store().await).await;
            println!("{}", row.line());
            rows.push(row);
            drop(client);
            // Let the previous client's connections close before the next one starts.
            actix_rt::time::sleep(Duration::from_millis(500)).await;
        }
        rows
    })
}
