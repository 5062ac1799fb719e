//! Exit reasons, and how an actor tells its supervisor why it stopped.
//!
//! actix has no exit reasons: an actor's future simply ends, or its task panics. OTP's
//! restart rules (transient children, escalation, introspection) need to know *why* a child
//! ended, so a supervised actor may call [`exit`] before (or while) it stops. The supervisor
//! sets a per-thread slot while it polls the child's future, so the call lands at the
//! supervisor that owns the child, whichever arbiter it runs on. Outside a supervisor the
//! call is a no-op that returns `false`.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Why an actor stopped, as its supervisor sees it.
///
/// Mirrors OTP's exit reasons: `normal`, `shutdown`, `{shutdown, Term}`, and anything else
/// (abnormal). A panic and a brutal kill are abnormal too.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExitReason {
    /// The actor stopped by itself, normally. Transient children are not restarted.
    Normal,
    /// The actor was asked to shut down (OTP `shutdown`). Not abnormal.
    Shutdown,
    /// The actor shut down with a reason (OTP `{shutdown, Reason}`). Not abnormal.
    ShutdownWith(String),
    /// The actor gave up with an error (any other OTP reason). Abnormal.
    Error(String),
    /// A handler, a lifecycle hook or the actor's future panicked. Abnormal.
    Panic(String),
    /// The actor was killed without running its `stopping`/`stopped` hooks
    /// (brutal kill, or a shutdown timeout that ran out). Abnormal.
    Killed,
}

impl ExitReason {
    /// Whether this exit is abnormal: only `Normal`, `Shutdown` and `ShutdownWith` are not.
    ///
    /// A transient child is restarted only after an abnormal exit.
    pub fn is_abnormal(&self) -> bool {
        !matches!(
            self,
            ExitReason::Normal | ExitReason::Shutdown | ExitReason::ShutdownWith(_)
        )
    }

    /// Builds an abnormal reason from any error, keeping its `Display` text.
    pub fn error(err: impl fmt::Display) -> Self {
        ExitReason::Error(err.to_string())
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::ShutdownWith(r) => write!(f, "shutdown: {r}"),
            ExitReason::Error(e) => write!(f, "error: {e}"),
            ExitReason::Panic(m) => write!(f, "panic: {m}"),
            ExitReason::Killed => f.write_str("killed"),
        }
    }
}

/// Where the supervisor collects the reason of the child it is polling.
#[derive(Debug, Default)]
pub(crate) struct ExitSlot(RefCell<Option<ExitReason>>);

impl ExitSlot {
    /// Takes the reason the child reported, if any.
    pub(crate) fn take(&self) -> Option<ExitReason> {
        self.0.borrow_mut().take()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<ExitSlot>>> = const { RefCell::new(None) };
    static SHARED: Rc<ExitSlot> = Rc::new(ExitSlot::default());
}

/// A slot for one poll of a child: the thread's shared slot (no allocation per child), or a
/// fresh one when a slot is already installed (a poll nested in another poll).
///
/// The caller must `take` the slot after the poll, so nothing is left for the next child.
pub(crate) fn slot_for_poll() -> Rc<ExitSlot> {
    let nested = CURRENT.with(|c| c.borrow().is_some());
    if nested {
        Rc::new(ExitSlot::default())
    } else {
        SHARED.with(Rc::clone)
    }
}

/// Runs `f` with `slot` as the place where [`exit`] records reasons, restoring the previous
/// slot afterwards (also when `f` unwinds).
pub(crate) fn with_slot<R>(slot: &Rc<ExitSlot>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Rc<ExitSlot>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    let prev = CURRENT.with(|c| c.borrow_mut().replace(slot.clone()));
    let _restore = Restore(prev);
    f()
}

/// Records why the actor being polled right now is stopping, for its supervisor.
///
/// Call it from a handler or a lifecycle hook, then stop the actor (`ctx.stop()`). The last
/// call before the actor's future ends wins. An actor that never calls it exits `Normal`
/// (or `Panic`, if it panicked). Returns `false` when no supervisor is listening: the actor
/// was not started by a hardy supervisor.
///
/// ```
/// use hardy_supervisor::{exit, ExitReason};
/// // Outside a supervisor nobody listens:
/// assert!(!exit(ExitReason::ShutdownWith("config reloaded".into())));
/// ```
pub fn exit(reason: ExitReason) -> bool {
    CURRENT.with(|c| match &*c.borrow() {
        Some(slot) => {
            *slot.0.borrow_mut() = Some(reason);
            true
        }
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_lands_in_the_innermost_slot_and_restores_the_outer_one() {
        let outer = Rc::new(ExitSlot::default());
        let inner = Rc::new(ExitSlot::default());
        with_slot(&outer, || {
            with_slot(&inner, || assert!(exit(ExitReason::Killed)));
            assert!(exit(ExitReason::Normal));
        });
        assert_eq!(inner.take(), Some(ExitReason::Killed));
        assert_eq!(outer.take(), Some(ExitReason::Normal));
        assert!(!exit(ExitReason::Normal));
    }

    #[test]
    fn only_normal_and_shutdowns_are_not_abnormal() {
        assert!(!ExitReason::Normal.is_abnormal());
        assert!(!ExitReason::Shutdown.is_abnormal());
        assert!(!ExitReason::ShutdownWith("x".into()).is_abnormal());
        assert!(ExitReason::error("boom").is_abnormal());
        assert!(ExitReason::Panic("p".into()).is_abnormal());
        assert!(ExitReason::Killed.is_abnormal());
    }
}
