//! A small number per thread, so the pool can tell "this member runs on my arbiter" with
//! one atomic load (a `ThreadId` does not fit in an atomic).

use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static TAG: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
}

/// The calling thread's tag: never 0, unique for the process.
pub(crate) fn current() -> u64 {
    TAG.with(|t| *t)
}
