//! Picking free loopback ports for servers that must be restartable on the same port.
//!
//! Ports come from just below the kernel's ephemeral range: an outgoing connection (for
//! example a client reconnecting while its server is down) is given an ephemeral local port,
//! and if that happened to be the server's port, the server could not be restarted on it.
//! Choosing outside that range removes the collision. A port is only *probably* free when we
//! return it (another process may take it before the server binds), so callers retry on
//! bind failures. Within one test process, a port stays leased to its fixture until the
//! fixture is dropped, so a stopped server's port is not handed to a parallel test while it
//! waits to be restarted.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, MutexGuard};

/// Lowest port we hand out; below this live well-known services.
const LOWEST: u16 = 15_000;
/// Used when `/proc` does not tell us where the ephemeral range starts.
const DEFAULT_EPHEMERAL_START: u16 = 32_768;
/// How many random candidates to probe before asking the kernel for any port.
const PROBES: usize = 64;

/// Ports leased to live fixtures of this process.
static LEASED: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A port reserved for one fixture of this process until dropped.
#[derive(Debug)]
pub(crate) struct PortLease(u16);

impl PortLease {
    /// The leased port number.
    pub(crate) fn port(&self) -> u16 {
        self.0
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        if let Some(leased) = leased().as_mut() {
            leased.remove(&self.0);
        }
    }
}

/// Leases a loopback TCP port that nothing listens on right now and that no other fixture
/// of this process holds.
pub(crate) fn free_port() -> std::io::Result<PortLease> {
    let end = ephemeral_start().max(LOWEST + 1_000);
    let mut leased = leased();
    let leased = leased.get_or_insert_with(HashSet::new);
    for _ in 0..PROBES {
        let candidate = LOWEST + (random() % u64::from(end - LOWEST)) as u16;
        if !leased.contains(&candidate) && is_free(candidate) {
            leased.insert(candidate);
            return Ok(PortLease(candidate));
        }
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = listener.local_addr()?.port();
    leased.insert(port);
    Ok(PortLease(port))
}

fn leased() -> MutexGuard<'static, Option<HashSet<u16>>> {
    // The set stays consistent even if a holder panicked.
    LEASED.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(DEFAULT_EPHEMERAL_START)
}

fn random() -> u64 {
    RandomState::new().build_hasher().finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_is_bindable_and_outside_the_ephemeral_range() {
        let lease = free_port().unwrap();
        let port = lease.port();
        assert!(port >= LOWEST);
        assert!(port < ephemeral_start() || ephemeral_start() <= LOWEST + 1_000);
        assert!(is_free(port));
    }
}

#[cfg(test)]
mod lease_tests {
    use super::*;

    #[test]
    fn a_leased_port_is_not_handed_out_again_until_released() {
        let lease = free_port().unwrap();
        let port = lease.port();
        assert!(leased().as_ref().unwrap().contains(&port));
        drop(lease);
        assert!(!leased().as_ref().unwrap().contains(&port));
    }
}
