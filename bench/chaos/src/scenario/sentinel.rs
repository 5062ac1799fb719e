//! The `sentinel` scenario: the testkit's `SentinelGroup` (a primary, two replicas, three
//! sentinels; a node is down after 1 s of silence), the clients resolving the primary
//! through the sentinels and connecting to it directly (no proxy: the address they dial
//! is the one Sentinel hands out).
//!
//! Faults, each over before the next (the group ready again: replicas in sync, every
//! sentinel agreeing):
//! - `failover`: a planned failover as an operator does it: `CLIENT PAUSE WRITE` on the
//!   primary, `SENTINEL FAILOVER`, and once the sentinels agree on the new primary,
//!   `REPLICAOF` it on the old one, then the pause lifted: writes sent to the old
//!   primary meanwhile wait, then are refused (`READONLY`) without running;
//! - `killprimary`: the primary SIGKILLed; the sentinels promote a replica; after MS the
//!   old primary restarts and Sentinel turns it into a replica of the new one;
//! - `stop`: the primary SIGSTOPped for MS (below the 1 s down-after: no failover);
//! - `clientkill`: the primary closes every client connection.
//!
//! Replication is asynchronous: a write the primary acknowledged but had not yet sent to
//! a replica when it was SIGKILLed is lost by Redis, whatever the client does. So
//! `killprimary` can lose acknowledged writes (and `INCR`s) for every client; the planned
//! `failover` cannot (writes are paused before the switch).

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hardy_testkit::{ClientType, SentinelGroup};

use super::Scenario;
use crate::connect::Endpoint;
use crate::kit::faults::{Inject, Kind};

const DEFAULT_FAULTS: &str = "failover:5,killprimary:5:500,stop:5:500,clientkill:5";

/// How long a failover (and the group becoming ready again) may take.
const SETTLE: Duration = Duration::from_secs(60);

/// The Sentinel group, shared with the fault schedule's thread.
#[derive(Clone)]
pub struct SentinelScenario {
    group: Arc<Mutex<SentinelGroup>>,
    sentinels: Vec<(String, u16)>,
}

impl SentinelScenario {
    pub fn start() -> SentinelScenario {
        let group = SentinelGroup::start().expect("sentinel group");
        SentinelScenario {
            sentinels: group.sentinel_addrs(),
            group: Arc::new(Mutex::new(group)),
        }
    }

    fn primary(group: &SentinelGroup) -> Result<u16, String> {
        group.primary_port().map_err(|e| format!("primary: {e}"))
    }
}

fn failover(group: &SentinelGroup) -> Result<(), String> {
    let old = SentinelScenario::primary(group)?;
    let node = group.node(old).map_err(|e| e.to_string())?;
    node.command(&["CLIENT", "PAUSE", "30000", "WRITE"])
        .map_err(|e| format!("CLIENT PAUSE: {e}"))?;
    // A sentinel may refuse while it still settles the previous failover (INPROG,
    // NOGOODSLAVE): ask again until it takes it.
    let deadline = Instant::now() + SETTLE;
    while let Err(e) = group.failover() {
        if Instant::now() > deadline {
            return Err(format!("SENTINEL FAILOVER: {e}"));
        }
        thread::sleep(Duration::from_millis(200));
    }
    let new = group
        .wait_for_new_primary(old, SETTLE)
        .map_err(|e| format!("after SENTINEL FAILOVER: {e}"))?;
    // The old primary is demoted before the pause is lifted: a write let through before
    // would be acknowledged there, then discarded by the resync. Sentinel's own
    // reconfiguration (a MULTI/EXEC) waits behind the pause, so the operator does it:
    // `REPLICAOF` the new primary, then unpause; writes that waited are refused
    // (`READONLY`). Only a client still on the old primary waits that long.
    node.command(&["REPLICAOF", "127.0.0.1", &new.to_string()])
        .map_err(|e| format!("REPLICAOF: {e}"))?;
    node.command(&["CLIENT", "UNPAUSE"])
        .map_err(|e| format!("CLIENT UNPAUSE: {e}"))?;
    Ok(())
}

fn kill_primary(group: &mut SentinelGroup, hold: Duration) -> Result<(), String> {
    let old = group.kill_primary().map_err(|e| format!("kill: {e}"))?;
    group
        .wait_for_new_primary(old, SETTLE)
        .map_err(|e| format!("after SIGKILL: {e}"))?;
    thread::sleep(hold);
    group
        .node_mut(old)
        .and_then(|n| n.restart())
        .map_err(|e| format!("restart: {e}"))
}

impl Inject for SentinelScenario {
    fn inject(&self, kind: Kind, hold: Duration) -> Result<(), String> {
        let mut group = self.group.lock().expect("group lock");
        match kind {
            Kind::Failover => failover(&group)?,
            Kind::KillPrimary => kill_primary(&mut group, hold)?,
            Kind::Stop => {
                let port = group.pause_primary().map_err(|e| format!("SIGSTOP: {e}"))?;
                thread::sleep(hold);
                group
                    .node(port)
                    .and_then(|n| n.resume())
                    .map_err(|e| format!("SIGCONT: {e}"))?;
            }
            Kind::ClientKill => {
                let port = Self::primary(&group)?;
                group
                    .node(port)
                    .and_then(|n| n.client_kill(ClientType::Normal))
                    .map_err(|e| format!("CLIENT KILL: {e}"))?;
            }
            other => return Err(format!("{}: not a Sentinel fault", other.name())),
        }
        group
            .wait_ready(SETTLE)
            .map_err(|e| format!("after {}: {e}", kind.name()))
    }
}

impl Scenario for SentinelScenario {
    type Faults = SentinelScenario;
    type Store = hardy_redis::Redis;

    fn default_faults(&self) -> &'static str {
        DEFAULT_FAULTS
    }

    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::Failover,
            Kind::KillPrimary,
            Kind::Stop,
            Kind::ClientKill,
        ]
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::Sentinel {
            sentinels: self.sentinels.clone(),
            service: hardy_testkit::SERVICE.to_owned(),
        }
    }

    fn faults(&self) -> SentinelScenario {
        self.clone()
    }

    fn reset(&self) {
        let group = self.group.lock().expect("group lock");
        let port = Self::primary(&group).expect("primary");
        group
            .node(port)
            .and_then(|n| n.command(&["FLUSHALL"]))
            .expect("FLUSHALL");
        group.wait_ready(SETTLE).expect("sentinel group ready");
    }

    /// The final primary, read directly.
    async fn store(&self) -> hardy_redis::Redis {
        let port = {
            let group = self.group.lock().expect("group lock");
            Self::primary(&group).expect("primary")
        };
        let config =
            hardy_redis::Config::new("127.0.0.1", port).command_timeout(Duration::from_secs(60));
        hardy_redis::Redis::connect(config)
            .await
            .expect("a direct connection to the final primary")
    }
}
