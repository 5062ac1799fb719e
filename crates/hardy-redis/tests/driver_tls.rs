//! TLS against real `redis-server` processes serving certificates generated at test time:
//! verified connects work; certificate problems stop after exactly one attempt with a
//! message saying what to fix; network failures are retried; faults over TLS end like
//! faults over TCP.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::join_all;
use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, Redis, Tls};
use hardy_testkit::{RedisConfig, RedisServer, ServerCert, TestCerts};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

fn tls_server(certs: &TestCerts, cert: ServerCert, auth_clients: bool) -> RedisServer {
    RedisConfig::new()
        .tls(certs, cert, auth_clients)
        .start()
        .expect("redis-server with TLS")
}

/// `rediss://127.0.0.1:<port>` trusting the test CA, with a short backoff.
fn config(server: &RedisServer, certs: &TestCerts) -> Config {
    Config::from_url(&server.url())
        .unwrap()
        .tls(Tls::new().ca_pem(certs.ca_pem()))
        .backoff(Duration::from_millis(20), 1.5, Duration::from_millis(200))
}

/// Connections the server has accepted so far, not counting the one asking.
fn accepted(server: &RedisServer) -> u64 {
    let info = server.command(&["INFO", "stats"]).unwrap().to_string();
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .expect("total_connections_received in INFO");
    line.trim().parse::<u64>().unwrap() - 1
}

/// Starts a connection that keeps retrying what is worth retrying, and returns why it
/// stopped, and how many connections the server saw meanwhile.
async fn stops_after(server: &RedisServer, config: Config) -> (String, u64) {
    let before = accepted(server);
    let redis = Redis::start(config);
    let mut state = redis.state().subscribe();
    let reason = timeout(WAIT, async {
        loop {
            if let ConnState::Stopped(reason) = state.borrow_and_update().clone() {
                return reason.to_string();
            }
            state.changed().await.expect("state");
        }
    })
    .await
    .expect("the connection should stop, not retry");
    (reason, accepted(server) - before)
}

#[actix_rt::test]
async fn a_verified_tls_connection_runs_commands_by_ip_and_by_host_name() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::Localhost, false);
    let redis = Redis::connect(config(&server, &certs)).await.unwrap();
    let () = redis
        .command(cmd("SET").arg("greeting").arg("over tls"))
        .await
        .unwrap();
    let got: String = redis.command(cmd("GET").arg("greeting")).await.unwrap();
    assert_eq!(got, "over tls");
    // By name: SNI and verification against "localhost".
    let by_name = Config::new("localhost", server.port()).tls(Tls::new().ca_pem(certs.ca_pem()));
    let redis = Redis::connect(by_name).await.unwrap();
    let got: String = redis.command(cmd("GET").arg("greeting")).await.unwrap();
    assert_eq!(got, "over tls");
}

#[actix_rt::test]
async fn a_wildcard_certificate_is_verified_against_the_configured_server_name() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::Wildcard, false);
    let tls = Tls::new()
        .ca_pem(certs.ca_pem())
        .server_name("node1.hardy.test");
    let redis = Redis::connect(config(&server, &certs).tls(tls))
        .await
        .unwrap();
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
}

#[actix_rt::test]
async fn a_certificate_for_another_host_is_a_configuration_error_after_one_attempt() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::OtherHost, false);
    let (reason, attempts) = stops_after(&server, config(&server, &certs)).await;
    assert!(reason.contains("not valid for the host name"), "{reason}");
    assert!(reason.contains("server_name"), "{reason}");
    assert_eq!(attempts, 1, "{reason}");
    match Redis::connect(config(&server, &certs)).await {
        Err(Error::Config(message)) => assert!(message.contains("host name"), "{message}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_certificate_from_an_unknown_ca_is_a_configuration_error_after_one_attempt() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::UnknownCa, false);
    let (reason, attempts) = stops_after(&server, config(&server, &certs)).await;
    assert!(reason.contains("CA this client does not trust"), "{reason}");
    assert_eq!(attempts, 1, "{reason}");
}

#[actix_rt::test]
async fn an_expired_certificate_is_a_configuration_error_after_one_attempt() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::Expired, false);
    let (reason, attempts) = stops_after(&server, config(&server, &certs)).await;
    assert!(reason.contains("expired"), "{reason}");
    assert_eq!(attempts, 1, "{reason}");
}

#[actix_rt::test]
async fn danger_accept_invalid_certs_connects_to_a_server_nobody_vouches_for() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::UnknownCa, false);
    let tls = Tls::new().danger_accept_invalid_certs(true);
    let redis = Redis::connect(config(&server, &certs).tls(tls))
        .await
        .unwrap();
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
}

#[actix_rt::test]
async fn tls_auth_clients_accepts_a_client_certificate_and_refuses_none_clearly() {
    let certs = TestCerts::generate().unwrap();
    let server = tls_server(&certs, ServerCert::Localhost, true);
    let client = certs.client();
    let mutual = Tls::new()
        .ca_pem(certs.ca_pem())
        .client_cert_pem(client.cert_pem.as_str(), client.key_pem.as_str());
    let redis = Redis::connect(config(&server, &certs).tls(mutual.clone()))
        .await
        .unwrap();
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
    let shown = format!("{:?}", config(&server, &certs).tls(mutual));
    assert!(!shown.contains("PRIVATE KEY") && !shown.contains(&client.key_pem[40..80]));

    let (reason, attempts) = stops_after(&server, config(&server, &certs)).await;
    assert!(reason.contains("client certificate"), "{reason}");
    assert_eq!(attempts, 1, "{reason}");
}

#[actix_rt::test]
async fn a_network_failure_during_the_tls_handshake_is_retried() {
    // A peer that accepts and hangs up at once: the TLS handshake sees EOF each time.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepts = std::thread::spawn(move || {
        for _ in 0..3 {
            drop(listener.accept().unwrap());
        }
    });
    let config = Config::new("127.0.0.1", port)
        .tls(Tls::new().danger_accept_invalid_certs(true))
        .backoff(Duration::from_millis(10), 1.0, Duration::from_millis(10));
    let redis = Redis::start(config);
    let mut changes = redis.state().changes();
    let mut attempts = 0;
    timeout(WAIT, async {
        while attempts < 3 {
            match changes.recv().await.unwrap() {
                ConnState::Connecting { .. } => attempts += 1,
                ConnState::Stopped(reason) => panic!("stopped: {reason}"),
                _ => {}
            }
        }
    })
    .await
    .expect("three attempts");
    accepts.join().unwrap();
}

#[actix_rt::test]
async fn killing_a_tls_server_with_commands_in_flight_gives_each_its_reply_or_disconnected() {
    let certs = TestCerts::generate().unwrap();
    let mut server = tls_server(&certs, ServerCert::Localhost, false);
    let redis = Redis::connect(config(&server, &certs)).await.unwrap();
    let answered = Rc::new(Cell::new(0usize));
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let (redis, answered) = (redis.clone(), answered.clone());
            actix_rt::spawn(async move {
                let tag = format!("cmd-{i}");
                let outcome = redis.command::<String>(cmd("ECHO").arg(tag.as_str())).await;
                if let Ok(got) = &outcome {
                    assert_eq!(got, &tag, "a reply went to the wrong caller");
                }
                answered.set(answered.get() + 1);
                outcome.map(drop)
            })
        })
        .collect();
    let mut changes = redis.state().changes();
    while answered.get() < 100 {
        tokio::task::yield_now().await;
    }
    server.kill().unwrap();
    let outcomes: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(outcomes.iter().filter(|o| o.is_ok()).count() >= 100);
    for outcome in &outcomes {
        if let Err(e) = outcome {
            assert!(
                matches!(e, Error::Disconnected(_) | Error::NotConnected),
                "unexpected outcome {e:?}"
            );
        }
    }
    timeout(WAIT, async {
        while changes.recv().await.unwrap() != ConnState::Disconnected {}
    })
    .await
    .expect("disconnected");
    server.restart().unwrap();
    timeout(WAIT, async {
        while !changes.recv().await.unwrap().is_connected() {}
    })
    .await
    .expect("reconnected over TLS");
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
}
