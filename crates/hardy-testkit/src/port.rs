//! Picking free loopback ports for servers that must be restartable on the same port.
//!
//! Ports come from just below the kernel's ephemeral range: an outgoing connection (for
//! example a client reconnecting while its server is down) is given an ephemeral local port,
//! and if that happened to be the server's port, the server could not be restarted on it.
//! Choosing outside that range removes the collision. A port is only *probably* free when we
//! return it (another process may take it before the server binds), so callers retry on
//! bind failures.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, TcpListener};

/// Lowest port we hand out; below this live well-known services.
const LOWEST: u16 = 15_000;
/// Used when `/proc` does not tell us where the ephemeral range starts.
const DEFAULT_EPHEMERAL_START: u16 = 32_768;
/// How many random candidates to probe before asking the kernel for any port.
const PROBES: usize = 64;

/// Returns a loopback TCP port that nothing listens on right now.
pub(crate) fn free_port() -> std::io::Result<u16> {
    let end = ephemeral_start().max(LOWEST + 1_000);
    for _ in 0..PROBES {
        let candidate = LOWEST + (random() % u64::from(end - LOWEST)) as u16;
        if is_free(candidate) {
            return Ok(candidate);
        }
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
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
        let port = free_port().unwrap();
        assert!(port >= LOWEST);
        assert!(port < ephemeral_start() || ephemeral_start() <= LOWEST + 1_000);
        assert!(is_free(port));
    }
}
