//! Names of children: the id a spec is known by, and the pid of one incarnation.
//!
//! OTP tells an id (stable, chosen by the programmer) from a pid (one process, new at every
//! restart). Tests and dashboards need both: the id to address a child, the pid to see that a
//! restart really produced a new actor.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The id of a child under its supervisor: a name for static children, a number for the
/// children of a dynamic supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChildId(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    Name(Arc<str>),
    Dynamic(u64),
}

impl ChildId {
    /// The id of the `n`th child started by a dynamic supervisor.
    pub fn dynamic(n: u64) -> Self {
        ChildId(Repr::Dynamic(n))
    }

    /// The name, for a named child.
    pub fn name(&self) -> Option<&str> {
        match &self.0 {
            Repr::Name(n) => Some(n),
            Repr::Dynamic(_) => None,
        }
    }

    /// The number, for a child of a dynamic supervisor.
    pub fn number(&self) -> Option<u64> {
        match &self.0 {
            Repr::Name(_) => None,
            Repr::Dynamic(n) => Some(*n),
        }
    }
}

impl From<&str> for ChildId {
    fn from(s: &str) -> Self {
        ChildId(Repr::Name(Arc::from(s)))
    }
}

impl From<String> for ChildId {
    fn from(s: String) -> Self {
        ChildId(Repr::Name(Arc::from(s)))
    }
}

impl fmt::Display for ChildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Name(n) => f.write_str(n),
            Repr::Dynamic(n) => write!(f, "#{n}"),
        }
    }
}

/// One incarnation of a child, unique in the process (like an Erlang pid): a restarted
/// child has a new `Pid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(pub(crate) u64);

impl Pid {
    pub(crate) fn next() -> Pid {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Pid(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number behind this pid.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}
