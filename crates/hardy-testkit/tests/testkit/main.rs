//! The testkit's own tests: each fixture does what its docs promise, against a real
//! `redis-server` on 127.0.0.1.

mod clock;
mod cluster;
mod proxy;
mod server;
mod support;
