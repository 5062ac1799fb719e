//! The knobs a test turns on a [`FaultProxy`](crate::FaultProxy), shared between the
//! test's thread (which sets them) and the proxy's runtime (which obeys them).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// Fault settings read by every proxied connection on each chunk it forwards.
pub(crate) struct Controls {
    delay_nanos: AtomicU64,
    refuse: AtomicBool,
    connections: AtomicUsize,
    blackhole: watch::Sender<bool>,
}

impl Controls {
    pub(crate) fn new() -> Self {
        Self {
            delay_nanos: AtomicU64::new(0),
            refuse: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            blackhole: watch::Sender::new(false),
        }
    }

    pub(crate) fn delay(&self) -> Duration {
        Duration::from_nanos(self.delay_nanos.load(Ordering::SeqCst))
    }

    pub(crate) fn set_delay(&self, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.delay_nanos.store(nanos, Ordering::SeqCst);
    }

    pub(crate) fn refusing(&self) -> bool {
        self.refuse.load(Ordering::SeqCst)
    }

    pub(crate) fn set_refuse(&self, refuse: bool) {
        self.refuse.store(refuse, Ordering::SeqCst);
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub(crate) fn set_connections(&self, count: usize) {
        self.connections.store(count, Ordering::SeqCst);
    }

    pub(crate) fn set_blackhole(&self, on: bool) {
        self.blackhole.send_replace(on);
    }

    /// Resolves once the link is not black-holed (at once if it is not).
    pub(crate) async fn wait_until_open(&self) {
        let mut state = self.blackhole.subscribe();
        // Only fails if the sender is dropped, and `self` owns it.
        let _ = state.wait_for(|black| !*black).await;
    }
}
