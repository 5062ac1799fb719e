//! What the user of a leased connection may have changed about its session.
//!
//! A connection goes back to the [`BlockingPool`](super::BlockingPool) for the next
//! caller, who expects it as its [`Config`] describes it: in the configured database,
//! under the configured name and user, watching nothing. A `SELECT`, `CLIENT SETNAME` or a
//! `WATCH` left open would hand them something else, and silently. The connection's actor
//! notes every command that changes its session (whichever way it was sent: a lease's
//! command, a pipeline, a transaction, a `Watch`), and a lease whose connection was changed
//! closes it instead of returning it. Such commands are rare on a blocking connection; a
//! fresh connect is the one reset that restores every piece of session state.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Cmd, Config};

/// The marks of one dedicated connection, shared by its actor (which sets them) and the
/// pool (which reads them when a lease ends).
#[derive(Debug, Default)]
pub(crate) struct SessionMarks {
    /// A command changed the session for good (database, name, user, tracking, ...).
    changed: AtomicBool,
    /// A `WATCH` was sent and no `EXEC`, `DISCARD` or `UNWATCH` since.
    watching: AtomicBool,
}

/// What one command does to the session.
#[derive(Debug, PartialEq, Eq)]
enum Effect {
    None,
    Changes,
    Watches,
    Unwatches,
}

impl SessionMarks {
    /// Notes `cmds`, in the order they are written.
    pub(crate) fn note(&self, cmds: &[Cmd]) {
        for cmd in cmds {
            match effect(cmd) {
                Effect::None => {}
                Effect::Changes => self.changed.store(true, Ordering::Relaxed),
                Effect::Watches => self.watching.store(true, Ordering::Relaxed),
                Effect::Unwatches => self.watching.store(false, Ordering::Relaxed),
            }
        }
    }

    /// Whether the session is still as the config set it up.
    pub(crate) fn is_pristine(&self) -> bool {
        !self.changed.load(Ordering::Relaxed) && !self.watching.load(Ordering::Relaxed)
    }
}

impl Config {
    /// Marks the session state `cmds` change, on a connection that tracks it (those of a
    /// [`BlockingPool`](super::BlockingPool)); nothing on any other.
    pub(crate) fn note_session(&self, cmds: &[Cmd]) {
        if let Some(marks) = &self.session_marks {
            marks.note(cmds);
        }
    }
}

fn effect(cmd: &Cmd) -> Effect {
    match cmd.name() {
        "SELECT" | "AUTH" | "HELLO" | "RESET" | "READONLY" | "READWRITE" => Effect::Changes,
        "CLIENT" => {
            const SESSION: [&[u8]; 7] = [
                b"SETNAME",
                b"SETINFO",
                b"TRACKING",
                b"CACHING",
                b"NO-EVICT",
                b"NO-TOUCH",
                b"REPLY",
            ];
            match cmd.args().nth(1) {
                Some(sub) if SESSION.iter().any(|s| sub.eq_ignore_ascii_case(s)) => Effect::Changes,
                _ => Effect::None,
            }
        }
        "WATCH" => Effect::Watches,
        "EXEC" | "DISCARD" | "UNWATCH" => Effect::Unwatches,
        _ => Effect::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd;

    #[test]
    fn session_changing_commands_are_told_from_the_rest() {
        let cases = [
            (cmd("select").arg(1), Effect::Changes),
            (cmd("CLIENT").arg("setname").arg("x"), Effect::Changes),
            (cmd("CLIENT").arg("TRACKING").arg("ON"), Effect::Changes),
            (cmd("CLIENT").arg("ID"), Effect::None),
            (cmd("CLIENT").arg("GETNAME"), Effect::None),
            (cmd("WATCH").arg("k"), Effect::Watches),
            (cmd("EXEC"), Effect::Unwatches),
            (cmd("GET").arg("SELECT"), Effect::None),
        ];
        for (cmd, want) in cases {
            assert_eq!(effect(&cmd), want, "{cmd:?}");
        }
    }

    #[test]
    fn a_watch_ended_by_exec_leaves_the_session_pristine_a_select_does_not() {
        let marks = SessionMarks::default();
        marks.note(&[cmd("WATCH").arg("k"), cmd("GET").arg("k")]);
        assert!(!marks.is_pristine());
        marks.note(&[cmd("MULTI"), cmd("SET").arg("k").arg(1), cmd("EXEC")]);
        assert!(marks.is_pristine());
        marks.note(&[cmd("SELECT").arg(2), cmd("UNWATCH")]);
        assert!(!marks.is_pristine());
    }
}
