//! The memcached example's client (`examples/memcached/client.rs`, included as is) against
//! a real memcached on a free loopback port: get/set/delete, binary values, many callers
//! pipelined on one socket, refused keys, and an outage with a restart on the same port.

#[path = "../examples/memcached/client.rs"]
mod client;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use client::{Delete, Get, McError, Memcached, Set};
use hardy::connection::prelude::*;

/// A memcached process, killed on drop.
struct Server {
    addr: SocketAddr,
    child: Child,
}

impl Server {
    fn start() -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    fn start_on(addr: SocketAddr) -> Server {
        let mut child = Command::new("memcached")
            .args(["-l", "127.0.0.1", "-p", &addr.port().to_string()])
            .args(["-U", "0", "-u", "nobody"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("memcached is installed (scripts/ensure-redis.sh installs it)");
        // Readiness: memcached logs nothing when it listens, so try to connect (bounded).
        for _ in 0..500 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Server { addr, child };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("memcached did not listen on {addr} within 5 s");
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn set(key: &str, value: &'static [u8]) -> Set {
    Set {
        key: key.into(),
        value: Bytes::from_static(value),
        ttl: 0,
    }
}

async fn connected(addr: SocketAddr) -> Client<Memcached> {
    let builder = ConnectionActor::builder(Memcached { addr })
        .backoff(Constant(Duration::from_millis(50)))
        .request_timeout(Duration::from_secs(5));
    let watch = builder.state_watch();
    let client = builder.start_client();
    watch.wait_for(ConnState::is_connected).await;
    client
}

#[actix_rt::test]
async fn set_get_delete_round_trip() {
    let server = Server::start();
    let cache = connected(server.addr).await;
    assert!(cache.call(set("k", b"v1")).await.unwrap());
    assert_eq!(
        cache.call(Get("k".into())).await.unwrap().as_deref(),
        Some(&b"v1"[..])
    );
    assert!(cache.call(Delete("k".into())).await.unwrap());
    assert!(!cache.call(Delete("k".into())).await.unwrap());
    assert_eq!(cache.call(Get("k".into())).await.unwrap(), None);
}

#[actix_rt::test]
async fn binary_values_with_line_breaks_survive() {
    let server = Server::start();
    let cache = connected(server.addr).await;
    let value = b"a\r\nEND\r\n\0\xff";
    assert!(cache.call(set("bin", value)).await.unwrap());
    let got = cache.call(Get("bin".into())).await.unwrap().unwrap();
    assert_eq!(&got[..], value);
}

#[actix_rt::test]
async fn many_concurrent_callers_each_get_their_own_value() {
    let server = Server::start();
    let cache = connected(server.addr).await;
    let keys: Vec<String> = (0..200).map(|i| format!("key-{i}")).collect();
    let sets = keys.iter().map(|k| {
        cache.call(Set {
            key: k.clone(),
            value: Bytes::from(format!("value-of-{k}")),
            ttl: 0,
        })
    });
    for stored in futures::future::join_all(sets).await {
        assert!(stored.unwrap());
    }
    let gets = futures::future::join_all(keys.iter().map(|k| cache.call(Get(k.clone())))).await;
    for (key, got) in keys.iter().zip(gets) {
        assert_eq!(got.unwrap().unwrap(), format!("value-of-{key}").as_bytes());
    }
}

#[actix_rt::test]
async fn an_invalid_key_is_refused_without_being_sent() {
    let server = Server::start();
    let cache = connected(server.addr).await;
    assert!(matches!(
        cache.call(Get("two words".into())).await,
        Err(McError::InvalidKey(_))
    ));
    assert!(matches!(
        cache.call(Get("x".repeat(251))).await,
        Err(McError::InvalidKey(_))
    ));
    // The link is untouched: the next request works.
    assert_eq!(cache.call(Get("fine".into())).await.unwrap(), None);
}

#[actix_rt::test]
async fn a_killed_server_gives_not_connected_then_the_restarted_one_is_used() {
    let mut server = Server::start();
    let addr = server.addr;
    let cache = connected(addr).await;
    let watch = cache.state_watch().unwrap().clone();
    assert!(cache.call(set("k", b"before")).await.unwrap());
    server.kill();
    watch.wait_for(|s| !s.is_connected()).await;
    assert!(matches!(
        cache.call(Get("k".into())).await,
        Err(McError::Request(RequestError::NotConnected))
    ));
    let _again = Server::start_on(addr);
    watch.wait_for(ConnState::is_connected).await;
    // A new memcached: the old value is gone, the link works.
    assert_eq!(cache.call(Get("k".into())).await.unwrap(), None);
}
