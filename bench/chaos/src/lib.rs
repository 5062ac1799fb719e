//! The chaos runner's parts shared by its binaries: `chaos` (src/main.rs, the client
//! libraries side by side under faults), `web_outage` (src/bin/web_outage, an actix-web
//! service under load while redis-server is killed and restarted) and `recovery`
//! (src/bin/recovery.rs, how soon each library is served again once a killed server is
//! ready or a frozen one thawed).

pub mod clients;
pub mod connect;
pub mod redis_rs_sentinel;
pub mod scenario;

/// The client-independent parts (workload, fault schedule, invariants), shared with the
/// short chaos test in hardy-redis's test suite (`tests/chaos_short.rs`).
#[path = "../../../crates/hardy-redis/tests/chaos_kit/mod.rs"]
pub mod kit;
