//! A memcached client on hardy's request/reply layer (the client is
//! `examples/memcached/client.rs`): set, get and delete against a memcached it starts on a
//! free loopback port, then the same calls while that server is gone.
//!
//! ```text
//! cargo run -p hardy --example memcached            # needs `memcached` on the PATH
//! MEMCACHED=127.0.0.1:11211 cargo run -p hardy --example memcached   # or a running one
//! ```

#[path = "memcached/client.rs"]
mod client;

use std::error::Error;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use client::{Delete, Get, Memcached, Set};
use hardy::connection::prelude::*;

#[actix_rt::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (addr, mut server) = match std::env::var("MEMCACHED") {
        Ok(addr) => (addr.parse()?, None),
        Err(_) => {
            let (addr, child) = start_memcached()?;
            (addr, Some(child))
        }
    };
    let builder = ConnectionActor::builder(Memcached { addr })
        .name("memcached-demo")
        .request_timeout(Duration::from_secs(1));
    let watch = builder.state_watch();
    let cache = builder.start_client();
    watch.wait_for(ConnState::is_connected).await;
    println!("connected to memcached at {addr}");

    let set = cache
        .call(Set {
            key: "greeting".into(),
            value: "hello".into(),
            ttl: 60,
        })
        .await;
    println!("set greeting=hello -> {set:?}");
    println!(
        "get greeting -> {:?}",
        cache.call(Get("greeting".into())).await
    );
    println!(
        "delete greeting -> {:?}",
        cache.call(Delete("greeting".into())).await
    );
    println!(
        "get greeting -> {:?}",
        cache.call(Get("greeting".into())).await
    );
    println!(
        "get \"bad key\" -> {:?}",
        cache.call(Get("bad key".into())).await
    );

    if let Some(child) = server.as_mut() {
        println!("-- stopping memcached");
        child.kill()?;
        child.wait()?;
        watch.wait_for(|s| !s.is_connected()).await;
        println!(
            "get greeting while down -> {:?}",
            cache.call(Get("greeting".into())).await
        );
        println!("state: {}", watch.get());
    }
    Ok(())
}

/// Starts memcached on a free loopback port; returns once it accepts connections.
fn start_memcached() -> Result<(std::net::SocketAddr, Child), Box<dyn Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new("memcached")
        .args([
            "-l",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "0",
            "-u",
            "nobody",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start memcached (apt-get install memcached): {e}"))?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..500 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok((addr, child));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err("memcached did not start listening within 5 s".into())
}
