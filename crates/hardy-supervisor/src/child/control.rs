//! The cell shared by a supervisor and one running child incarnation.
//!
//! The supervisor writes a command into it (stop gracefully, or kill) and waits on it for
//! the child's start acknowledgement (OTP's `proc_lib` init ack) and for its exit; the
//! child's task reads the command and writes the acknowledgement and the exit. It is `Send`
//! so the child may run on another arbiter (thread) than its supervisor.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;

use futures::task::AtomicWaker;
use tokio::sync::Notify;

use crate::{ChildId, ExitReason};

pub(crate) const NONE: u8 = 0;
pub(crate) const STOP: u8 = 1;
pub(crate) const KILL: u8 = 2;

/// How far the start of an incarnation got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Init {
    /// Launched; its `started` has not run yet (or a supervisor is still starting its own
    /// children).
    Pending,
    /// Started and acknowledged.
    Running,
    /// Its factory answered `Ignore` (on another arbiter).
    Ignored,
    /// It failed to start: a factory error, a panic in `started`, or (for a supervisor) one
    /// of its own children failed to start (`child`).
    Failed {
        /// For a supervisor: the child of its own that failed.
        child: Option<ChildId>,
        /// Why.
        reason: String,
    },
}

impl Init {
    /// The text a parent reports for this failure: "failed to start child `x`: ..." when a
    /// nested supervisor's own child failed.
    pub(crate) fn failure_text(&self) -> Option<String> {
        match self {
            Init::Failed {
                child: Some(id),
                reason,
            } => Some(format!("failed to start child `{id}`: {reason}")),
            Init::Failed {
                child: None,
                reason,
            } => Some(reason.clone()),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Status {
    init: Init,
    exit: Option<ExitReason>,
}

/// Commands to one child incarnation, its start acknowledgement, and its exit.
#[derive(Debug)]
pub(crate) struct Control {
    command: AtomicU8,
    task: AtomicWaker,
    /// A supervisor acknowledges its own start, once its children are started.
    defer_ack: AtomicBool,
    status: Mutex<Status>,
    done: Notify,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            command: AtomicU8::new(NONE),
            task: AtomicWaker::new(),
            defer_ack: AtomicBool::new(false),
            status: Mutex::new(Status {
                init: Init::Pending,
                exit: None,
            }),
            done: Notify::new(),
        }
    }
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

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The child acknowledges its start itself (a supervisor, once its children run).
    pub(crate) fn defer_ack(&self) {
        self.defer_ack.store(true, Ordering::Release);
    }

    pub(crate) fn defers_ack(&self) -> bool {
        self.defer_ack.load(Ordering::Acquire)
    }

    fn set_init(&self, init: Init) {
        let mut status = self.status();
        if status.init == Init::Pending {
            status.init = init;
            drop(status);
            self.done.notify_waiters();
        }
    }

    /// The start is acknowledged: `started` ran.
    pub(crate) fn ack(&self) {
        self.set_init(Init::Running);
    }

    /// The factory answered `Ignore`: no incarnation runs.
    pub(crate) fn ignore(&self) {
        self.set_init(Init::Ignored);
        self.finish_if_unset(ExitReason::Normal);
    }

    /// The start failed before any incarnation ran, or a supervisor's own start failed.
    pub(crate) fn fail_start(&self, child: Option<ChildId>, reason: String) {
        self.set_init(Init::Failed {
            child,
            reason: reason.clone(),
        });
    }

    /// The start failed and no task will ever record an exit.
    pub(crate) fn fail_unlaunched(&self, reason: String) {
        self.fail_start(None, reason.clone());
        self.finish_if_unset(ExitReason::Error(reason));
    }

    fn finish_if_unset(&self, reason: ExitReason) {
        let mut status = self.status();
        if status.exit.is_none() {
            status.exit = Some(reason);
        }
        drop(status);
        self.done.notify_waiters();
    }

    /// Records the exit and wakes everyone waiting for it. An exit before the start was
    /// acknowledged is a start failure with that reason.
    pub(crate) fn finish(&self, reason: ExitReason) {
        let mut status = self.status();
        if status.init == Init::Pending {
            status.init = Init::Failed {
                child: None,
                reason: reason.to_string(),
            };
        }
        status.exit = Some(reason);
        drop(status);
        self.done.notify_waiters();
    }

    /// How far the start got.
    pub(crate) fn init(&self) -> Init {
        self.status().init.clone()
    }

    /// The exit, if the child has ended.
    pub(crate) fn exit(&self) -> Option<ExitReason> {
        self.status().exit.clone()
    }

    /// Waits until the start is acknowledged or has failed.
    pub(crate) async fn wait_init(&self) -> Init {
        loop {
            let mut notified = pin!(self.done.notified());
            notified.as_mut().enable();
            let init = self.init();
            if init != Init::Pending {
                return init;
            }
            notified.await;
        }
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
