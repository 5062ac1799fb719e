//! Running actix actors under a paused tokio clock, so tests of timeouts, backoff and
//! restart intensity take milliseconds and never depend on machine speed.
//!
//! `#[actix_rt::test]` cannot pause time and `#[tokio::test(start_paused = true)]` has no
//! actix `System`, so `Actor::start` panics there; [`paused_system`] gives both. With the
//! clock paused, tokio jumps it forward whenever every task is waiting — also while a task
//! waits on real network I/O, so a timeout around a real socket read fires at once. Keep
//! real servers and [`FaultProxy`](crate::FaultProxy) (which keeps real time on its own
//! thread) for tests that need real I/O, and the paused clock for pure timing logic.

use std::future::Future;
use std::time::Duration;

/// An actix `System` on a current-thread tokio runtime whose clock starts paused.
///
/// ```
/// let system = hardy_testkit::paused_system();
/// system.block_on(async {
///     let before = tokio::time::Instant::now();
///     tokio::time::sleep(std::time::Duration::from_secs(3600)).await; // instant
///     assert!(before.elapsed() >= std::time::Duration::from_secs(3600));
/// });
/// ```
///
/// # Panics
/// If the tokio runtime cannot be built (the OS refused a thread or an fd).
pub fn paused_system() -> actix_rt::SystemRunner {
    actix_rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("building a paused current-thread tokio runtime")
    })
}

/// Runs `future` to completion in a fresh [`paused_system`]; actors still alive at the end
/// are dropped with the system.
///
/// ```
/// let answer = hardy_testkit::run_paused(async { 42 });
/// assert_eq!(answer, 42);
/// ```
pub fn run_paused<F: Future>(future: F) -> F::Output {
    paused_system().block_on(future)
}

/// Advances the paused clock in `step`s until `condition` holds, for at most `limit` of
/// virtual time; returns whether it held. Between steps every ready task runs, so actors
/// see each tick.
///
/// Must be called inside a runtime whose clock is paused (e.g. [`run_paused`]).
///
/// ```
/// use std::time::Duration;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// hardy_testkit::run_paused(async {
///     let fired = Arc::new(AtomicBool::new(false));
///     let flag = fired.clone();
///     tokio::spawn(async move {
///         tokio::time::sleep(Duration::from_secs(30)).await;
///         flag.store(true, Ordering::SeqCst);
///     });
///     let held = hardy_testkit::advance_until(
///         || fired.load(Ordering::SeqCst),
///         Duration::from_secs(1),
///         Duration::from_secs(60),
///     )
///     .await;
///     assert!(held);
/// });
/// ```
pub async fn advance_until(
    mut condition: impl FnMut() -> bool,
    step: Duration,
    limit: Duration,
) -> bool {
    let mut waited = Duration::ZERO;
    loop {
        settle().await;
        if condition() {
            return true;
        }
        if waited >= limit {
            return false;
        }
        tokio::time::advance(step).await;
        waited += step;
    }
}

/// Lets every task that is ready run; a few yields cover chains of wake-ups (a timer wakes an
/// actor, which sends a message, which wakes another).
async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}
