//! One `redis-server` with `appendonly yes` and `appendfsync always` (so an acknowledged
//! write survives a SIGKILL) behind a `FaultProxy`: the `single` scenario in plaintext,
//! and the `tls` scenario with the server serving TLS only (a certificate for
//! `127.0.0.1` signed by a CA generated for the run, which every client verifies). The
//! proxy forwards bytes, so its cuts, black-holes and delays hit the TLS records; a
//! killed server restarts with the same certificate.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hardy_testkit::{FaultProxy, RedisServer, ServerCert, TestCerts};

use super::Scenario;
use crate::connect::Endpoint;
use crate::kit::chaos_config;
use crate::kit::faults::{Kind, Targets};

/// 60 faults, ten of each kind, interleaved.
const DEFAULT_FAULTS: &str =
    "cut:10,blackhole:10:1000,delay:10:1000,kill:10:200,stop:10:1000,clientkill:10";

/// Longest wait for the AOF rewrite between clients.
const REWRITE_LIMIT: Duration = Duration::from_secs(120);

/// One server behind the proxy, plaintext or TLS.
pub struct Single {
    targets: Targets,
    /// The TLS scenario's certificates (kept for the server's restarts).
    certs: Option<TestCerts>,
}

impl Single {
    /// Starts the server (serving TLS only when `tls`) and the proxy.
    pub fn start(tls: bool) -> Single {
        let certs = tls.then(|| TestCerts::generate().expect("test certificates"));
        let mut config = chaos_config();
        if let Some(certs) = &certs {
            config = config.tls(certs, ServerCert::Localhost, false);
        }
        let server = config
            .start()
            .expect("redis-server (is it installed? scripts/ensure-redis.sh)");
        let proxy = Arc::new(FaultProxy::start(server.addr()).expect("fault proxy"));
        Single {
            targets: Targets {
                proxy,
                server: Arc::new(Mutex::new(server)),
            },
            certs,
        }
    }

    fn server_addr(&self) -> std::net::SocketAddr {
        self.targets.server.lock().expect("server lock").addr()
    }
}

impl Scenario for Single {
    type Faults = Targets;
    type Store = hardy_redis::Redis;

    fn default_faults(&self) -> &'static str {
        DEFAULT_FAULTS
    }

    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::Cut,
            Kind::Blackhole,
            Kind::Delay,
            Kind::Kill,
            Kind::Stop,
            Kind::ClientKill,
        ]
    }

    fn endpoint(&self) -> Endpoint {
        let addr = self.targets.proxy.addr();
        match &self.certs {
            None => Endpoint::Plain(addr),
            Some(certs) => Endpoint::Tls {
                addr,
                ca_pem: certs.ca_pem().to_owned(),
            },
        }
    }

    fn faults(&self) -> Targets {
        self.targets.clone()
    }

    fn reset(&self) {
        reset(&self.targets.server);
    }

    async fn store(&self) -> hardy_redis::Redis {
        let addr = self.server_addr();
        let mut config = hardy_redis::Config::new(addr.ip().to_string(), addr.port())
            .command_timeout(Duration::from_secs(60));
        if let Some(certs) = &self.certs {
            config = config.tls(hardy_redis::Tls::new().ca_pem(certs.ca_pem()));
        }
        hardy_redis::Redis::connect(config)
            .await
            .expect("a direct connection to the server")
    }
}

/// Empties the server and rewrites its AOF, so each client starts from the same state
/// (and a restart does not replay the previous client's writes).
fn reset(server: &Mutex<RedisServer>) {
    let server = server.lock().expect("server lock");
    server.command(&["FLUSHALL"]).expect("FLUSHALL");
    // Fails when a rewrite is already under way: waiting for it is as good.
    if let Err(e) = server.command(&["BGREWRITEAOF"]) {
        println!("BGREWRITEAOF: {e}");
    }
    let deadline = Instant::now() + REWRITE_LIMIT;
    loop {
        let info = server.command(&["INFO", "persistence"]).expect("INFO");
        let text = info.to_string();
        if text.contains("aof_rewrite_in_progress:0") && text.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "AOF rewrite still running after {REWRITE_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
