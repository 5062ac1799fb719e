//! The chaos runner's parts shared by its binaries: `chaos` (src/main.rs, one connection
//! under proxy faults) and `web_outage` (src/bin/web_outage, an actix-web service under
//! load while redis-server is killed and restarted).

pub mod clients;
