//! Unix sockets against a real `redis-server` listening on `--unixsocket`: the same
//! handshake and the same fault semantics as TCP.

use std::time::Duration;

use futures::future::join_all;
use hardy_connection::ConnState;
use hardy_redis::{cmd, Config, Error, Redis};
use hardy_testkit::{ClientType, RedisConfig, RedisServer};
use tokio::sync::broadcast;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

fn unix_server() -> RedisServer {
    RedisConfig::new()
        .unix_socket()
        .password("unix-secret")
        .start()
        .expect("redis-server on a Unix socket")
}

fn config(server: &RedisServer) -> Config {
    let path = server.unix_socket().unwrap();
    Config::from_url(&format!(
        "redis+unix://{}?db=2&pass=unix-secret",
        path.display()
    ))
    .unwrap()
    .backoff(Duration::from_millis(20), 1.5, Duration::from_millis(200))
}

async fn next_change(
    changes: &mut broadcast::Receiver<ConnState>,
    mut pred: impl FnMut(&ConnState) -> bool,
) {
    timeout(WAIT, async {
        while !pred(&changes.recv().await.expect("state stream")) {}
    })
    .await
    .expect("state reached");
}

#[actix_rt::test]
async fn a_unix_socket_url_authenticates_selects_the_database_and_runs_commands() {
    let server = unix_server();
    let redis = Redis::connect(config(&server)).await.unwrap();
    let () = redis
        .command(cmd("SET").arg("k").arg("on db 2"))
        .await
        .unwrap();
    let got: String = redis.command(cmd("GET").arg("k")).await.unwrap();
    assert_eq!(got, "on db 2");
    assert!(
        server.command(&["SELECT", "2"]).is_ok(),
        "the admin connection works"
    );
    let names: i64 = redis.command(cmd("DBSIZE")).await.unwrap();
    assert_eq!(names, 1);
    // The `unix://` form and the builder reach the same server.
    let path = server.unix_socket().unwrap();
    let by_builder = Config::unix(&path).password("unix-secret").select(2);
    let redis = Redis::connect(by_builder).await.unwrap();
    let got: String = redis.command(cmd("GET").arg("k")).await.unwrap();
    assert_eq!(got, "on db 2");
    let short = Config::from_url(&format!("unix://{}?db=2&pass=unix-secret", path.display()));
    assert!(Redis::connect(short.unwrap()).await.is_ok());
}

#[actix_rt::test]
async fn a_wrong_password_over_a_unix_socket_stops_like_over_tcp() {
    let server = unix_server();
    let path = server.unix_socket().unwrap();
    let wrong = Config::unix(path).password("nope");
    match Redis::connect(wrong).await {
        Err(Error::Handshake { step, .. }) => assert!(step == "HELLO" || step == "AUTH"),
        other => panic!("expected a handshake error, got {other:?}"),
    }
}

#[actix_rt::test]
async fn killing_and_restarting_a_unix_socket_server_reconnects_on_the_same_path() {
    let mut server = unix_server();
    let redis = Redis::connect(config(&server)).await.unwrap();
    let in_flight: Vec<_> = (0..200)
        .map(|i| {
            let redis = redis.clone();
            actix_rt::spawn(async move {
                let tag = format!("t{i}");
                let got = redis.command::<String>(cmd("ECHO").arg(tag.as_str())).await;
                if let Ok(got) = &got {
                    assert_eq!(got, &tag, "a reply went to the wrong caller");
                }
                got.map(drop)
            })
        })
        .collect();
    tokio::task::yield_now().await;
    let mut changes = redis.state().changes();
    server.kill().unwrap();
    for outcome in join_all(in_flight).await {
        match outcome.unwrap() {
            Ok(()) | Err(Error::Disconnected(_)) | Err(Error::NotConnected) => {}
            Err(other) => panic!("unexpected outcome {other:?}"),
        }
    }
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    server.restart().unwrap();
    next_change(&mut changes, ConnState::is_connected).await;
    let pong: String = redis.command(cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
    // A killed client (not server) reconnects too, and still on database 2.
    assert!(server.client_kill(ClientType::Normal).unwrap() >= 1);
    next_change(&mut changes, |s| *s == ConnState::Disconnected).await;
    next_change(&mut changes, ConnState::is_connected).await;
    let () = redis
        .command(cmd("SET").arg("after").arg("1"))
        .await
        .unwrap();
    let n: i64 = redis.command(cmd("DBSIZE")).await.unwrap();
    assert_eq!(n, 1, "the reconnect selected database 2 again");
}
