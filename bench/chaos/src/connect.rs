//! How each library connects to each scenario's deployment: one server in plaintext or
//! TLS (through the fault proxy), a Sentinel group, a Cluster. Every library gets its
//! defaults, plus what it needs to survive the run at all (fred's reconnect policy) and
//! what the deployment needs (the run's CA, the sentinels, the cluster's seeds).

use std::net::SocketAddr;
use std::time::Duration;

use crate::clients::{Client, Kind};

/// fred's reconnect policy here: the one its README shows (exponential from 100 ms,
/// doubling, up to 30 s, never giving up). Without one, fred does not reconnect at all.
pub const FRED_POLICY: (u32, u32, u32, u32) = (0, 100, 30_000, 2);

/// fred's reconnect policy for Sentinel and Cluster, as in bench/redis-compare's failover
/// and cluster benchmarks: hardy's default backoff range (100 ms doubling to 1 s), so a
/// failover is not waited out for up to 30 s.
pub const FRED_HA_POLICY: (u32, u32, u32, u32) = (0, 100, 1_000, 2);

/// What a scenario's clients connect to.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// One server (or the proxy in front of it), plaintext.
    Plain(SocketAddr),
    /// One server (or the proxy in front of it), TLS only, with a certificate for
    /// `127.0.0.1` signed by the CA `ca_pem`.
    Tls { addr: SocketAddr, ca_pem: String },
    /// The sentinels of `service`.
    Sentinel {
        sentinels: Vec<(String, u16)>,
        service: String,
    },
    /// A cluster, by its seed nodes.
    Cluster { seeds: Vec<(String, u16)> },
}

/// Connects `kind` to `addr` in plaintext with the library's defaults.
pub async fn connect(kind: Kind, addr: SocketAddr) -> Client {
    connect_to(kind, &Endpoint::Plain(addr)).await
}

/// Connects hardy-redis with `config` (for runs with non-default settings).
pub async fn connect_hardy(config: hardy_redis::Config) -> Client {
    Client::Hardy(crate::kit::Hardy::connect(config).await)
}

/// Connects `kind` to `endpoint`.
pub async fn connect_to(kind: Kind, endpoint: &Endpoint) -> Client {
    match kind {
        Kind::Hardy => hardy(endpoint).await,
        Kind::RedisRs => redis_rs(endpoint).await,
        Kind::Fred => fred(endpoint).await,
    }
}

async fn hardy(endpoint: &Endpoint) -> Client {
    use hardy_redis::{cluster, Config, Sentinel, Tls};
    let config = match endpoint {
        Endpoint::Plain(addr) => format!("redis://{addr}").parse().expect("hardy URL"),
        Endpoint::Tls { addr, ca_pem } => {
            Config::new(addr.ip().to_string(), addr.port()).tls(Tls::new().ca_pem(ca_pem.as_str()))
        }
        Endpoint::Sentinel { sentinels, service } => {
            Config::sentinel(Sentinel::new(service.as_str(), sentinels.clone()))
        }
        Endpoint::Cluster { seeds } => {
            let seeds = seeds.iter().map(|(h, p)| format!("{h}:{p}"));
            let config = cluster::ClusterConfig::new(seeds).expect("hardy cluster seeds");
            let cluster = cluster::Cluster::connect(config)
                .await
                .expect("hardy cluster connect");
            return Client::HardyCluster(cluster);
        }
    };
    connect_hardy(config).await
}

async fn redis_rs(endpoint: &Endpoint) -> Client {
    let manager = |client: redis::Client| async move {
        let manager = client
            .get_connection_manager()
            .await
            .expect("redis-rs connect");
        Client::RedisRs(manager)
    };
    match endpoint {
        Endpoint::Plain(addr) => {
            manager(redis::Client::open(format!("redis://{addr}")).expect("redis-rs URL")).await
        }
        Endpoint::Tls { addr, ca_pem } => {
            let certs = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(ca_pem.as_bytes().to_vec()),
            };
            let url = format!("rediss://{addr}");
            manager(redis::Client::build_with_tls(url, certs).expect("redis-rs TLS client")).await
        }
        Endpoint::Sentinel { sentinels, service } => Client::RedisRsSentinel(
            crate::redis_rs_sentinel::SentinelManager::connect(sentinels, service).await,
        ),
        Endpoint::Cluster { seeds } => {
            let urls: Vec<String> = seeds
                .iter()
                .map(|(h, p)| format!("redis://{h}:{p}"))
                .collect();
            let client = redis::cluster::ClusterClient::new(urls).expect("redis-rs cluster");
            Client::RedisRsCluster(
                client
                    .get_async_connection()
                    .await
                    .expect("redis-rs cluster connect"),
            )
        }
    }
}

async fn fred(endpoint: &Endpoint) -> Client {
    use fred::prelude::{Builder, ClientLike, Config, ReconnectPolicy, ServerConfig};
    let (config, policy) = match endpoint {
        Endpoint::Plain(addr) => (
            Config::from_url(&format!("redis://{addr}")).expect("fred URL"),
            FRED_POLICY,
        ),
        Endpoint::Tls { addr, ca_pem } => {
            let mut config = Config::from_url(&format!("rediss://{addr}")).expect("fred URL");
            config.tls = Some(fred_tls(ca_pem).into());
            (config, FRED_POLICY)
        }
        Endpoint::Sentinel { sentinels, service } => (
            Config {
                server: ServerConfig::new_sentinel(sentinels.clone(), service.as_str()),
                ..Config::default()
            },
            FRED_HA_POLICY,
        ),
        Endpoint::Cluster { seeds } => (
            Config {
                server: ServerConfig::new_clustered(seeds.clone()),
                ..Config::default()
            },
            FRED_HA_POLICY,
        ),
    };
    let (attempts, min, max, base) = policy;
    let mut builder = Builder::from_config(config);
    builder.set_policy(ReconnectPolicy::new_exponential(attempts, min, max, base));
    if matches!(
        endpoint,
        Endpoint::Sentinel { .. } | Endpoint::Cluster { .. }
    ) {
        // As in bench/redis-compare's cluster benchmark: fred has no command timeout by
        // default, and a command to a killed node would wait forever; hardy's 5 s.
        builder
            .with_connection_config(|c| c.internal_command_timeout = Duration::from_secs(5))
            .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(5));
    }
    let client = builder.build().expect("fred client");
    client.init().await.expect("fred connect");
    Client::Fred(client)
}

/// fred's TLS: a rustls client on the ring provider (hardy's) trusting `ca_pem`, as in
/// bench/redis-compare with `BENCH_TLS=1`.
fn fred_tls(ca_pem: &str) -> fred::types::config::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    fred::types::config::TlsConnector::from(config)
}
