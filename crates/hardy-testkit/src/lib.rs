//! Test support: real `redis-server` processes on free loopback ports, and a TCP fault proxy.
#![deny(missing_docs)]
