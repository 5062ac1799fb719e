//! The cell shared by a supervisor and one running child incarnation.
//!
//! The supervisor writes a command into it (stop gracefully, or kill) and waits on it for
//! the child's exit; the child's task reads the command and writes the exit. It is `Send`
//! so the child may run on another arbiter (thread) than its supervisor.

use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

use futures::task::AtomicWaker;
use tokio::sync::Notify;

use crate::ExitReason;

pub(crate) const NONE: u8 = 0;
pub(crate) const STOP: u8 = 1;
pub(crate) const KILL: u8 = 2;

/// Commands to one child incarnation, and its exit once it ended.
#[derive(Debug, Default)]
pub(crate) struct Control {
    command: AtomicU8,
    task: AtomicWaker,
    exit: Mutex<Option<ExitReason>>,
    done: Notify,
}

impl Control {
    /// Asks the child to stop (`STOP`) or kills it (`KILL`); a kill is never downgraded.
    pub(crate) fn request(&self, command: u8) {
        self.command.fetch_max(command, Ordering::AcqRel);
        self.task.wake();
    }

    pub(crate) fn command(&self) -> u8 {
        self.command.load(Ordering::Acquire)
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.task.register(waker);
    }

    /// Records the exit and wakes everyone waiting for it.
    pub(crate) fn finish(&self, reason: ExitReason) {
        *self.exit.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
        self.done.notify_waiters();
    }

    /// The exit, if the child has ended.
    pub(crate) fn exit(&self) -> Option<ExitReason> {
        self.exit.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until the child has ended and returns why.
    pub(crate) async fn wait(&self) -> ExitReason {
        loop {
            let mut notified = pin!(self.done.notified());
            notified.as_mut().enable();
            if let Some(reason) = self.exit() {
                return reason;
            }
            notified.await;
        }
    }
}
