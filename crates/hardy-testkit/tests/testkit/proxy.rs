//! `FaultProxy`: forwarding, cut, black-hole, delay, refuse.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use hardy_testkit::{FaultProxy, RedisServer};

use crate::support::{eventually, Client, PROMPT, SILENCE};

fn server_and_proxy() -> (RedisServer, FaultProxy) {
    let server = RedisServer::start().unwrap();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    (server, proxy)
}

#[test]
fn proxy_forwards_both_ways_and_counts_connections() {
    let (server, proxy) = server_and_proxy();
    assert!(proxy.addr().ip().is_loopback());
    assert_eq!(proxy.upstream(), server.addr());
    let mut client = Client::connect(proxy.addr());
    assert_eq!(client.ping(), "+PONG\r\n");
    assert_eq!(proxy.connections(), 1);
    drop(client);
    eventually("the closed connection is no longer counted", || {
        proxy.connections() == 0
    });
}

#[test]
fn cut_closes_open_connections_but_accepts_new_ones() {
    let (_server, proxy) = server_and_proxy();
    let mut client = Client::connect(proxy.addr());
    assert_eq!(client.ping(), "+PONG\r\n");

    proxy.cut();

    assert_eq!(proxy.connections(), 0);
    assert!(client.is_closed());
    assert_eq!(Client::connect(proxy.addr()).ping(), "+PONG\r\n");
}

#[test]
fn cut_also_closes_the_server_side() {
    let (server, proxy) = server_and_proxy();
    let mut client = Client::connect(proxy.addr());
    assert_eq!(client.ping(), "+PONG\r\n");
    let clients = || server.command(&["CLIENT", "LIST"]).unwrap().to_string();
    assert_eq!(clients().lines().count(), 2); // the proxied one and the admin one

    proxy.cut();

    eventually("the server sees only the admin connection", || {
        clients().lines().count() == 1
    });
}

#[test]
fn blackhole_stalls_without_closing_and_delivers_when_lifted() {
    let (_server, proxy) = server_and_proxy();
    let mut client = Client::connect(proxy.addr());
    assert_eq!(client.ping(), "+PONG\r\n");

    proxy.blackhole(true);
    client.send_ping();
    let silent = client.read_line(SILENCE);
    assert!(
        matches!(silent, Err(ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "{silent:?}"
    );
    assert_eq!(proxy.connections(), 1);

    proxy.blackhole(false);
    assert_eq!(client.read_line(PROMPT).unwrap(), "+PONG\r\n");
}

#[test]
fn delay_slows_each_direction() {
    let (_server, proxy) = server_and_proxy();
    let mut client = Client::connect(proxy.addr());
    let delay = Duration::from_millis(150);
    proxy.set_delay(delay);

    let started = Instant::now();
    assert_eq!(client.ping(), "+PONG\r\n");
    assert!(started.elapsed() >= 2 * delay, "{:?}", started.elapsed());

    proxy.set_delay(Duration::ZERO);
    assert_eq!(client.ping(), "+PONG\r\n");
}

#[test]
fn refuse_closes_new_connections_and_spares_existing_ones() {
    let (_server, proxy) = server_and_proxy();
    let mut existing = Client::connect(proxy.addr());
    assert_eq!(existing.ping(), "+PONG\r\n");

    proxy.refuse(true);
    let mut refused = Client::connect(proxy.addr());
    assert!(refused.is_closed());
    assert_eq!(existing.ping(), "+PONG\r\n");

    proxy.refuse(false);
    assert_eq!(Client::connect(proxy.addr()).ping(), "+PONG\r\n");
}

#[test]
fn upstream_down_means_the_proxied_connection_closes() {
    let (mut server, proxy) = server_and_proxy();
    server.kill().unwrap();
    let mut client = Client::connect(proxy.addr());
    assert!(client.is_closed());
    server.restart().unwrap();
    assert_eq!(Client::connect(proxy.addr()).ping(), "+PONG\r\n");
}

#[test]
fn dropping_the_proxy_closes_its_connections() {
    let (_server, proxy) = server_and_proxy();
    let mut client = Client::connect(proxy.addr());
    assert_eq!(client.ping(), "+PONG\r\n");
    let addr = proxy.addr();
    drop(proxy);
    assert!(client.is_closed());
    // A parallel test forking a redis-server may briefly hold a copy of the listening socket
    // (between fork and exec), so a connect may succeed; it must then be closed unserved.
    if let Ok(stream) = std::net::TcpStream::connect(addr) {
        assert!(Client::from_stream(stream).is_closed());
    }
}
