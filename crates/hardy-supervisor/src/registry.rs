//! Registered names: a child found by name from anywhere in the process.
//!
//! OTP registers a process under a name so that code anywhere can reach it without being
//! handed its pid (Elixir's `name:` and `via`). Here a spec given a
//! [`name`](crate::ChildSpec::name) is registered while a supervisor keeps it, and
//! [`whereis`] answers the child's stable handle — the same cell its supervisor rewrites on
//! every restart, so the handle follows every incarnation. The cell belongs to the name:
//! a spec registered again under a name that was freed (a nested supervisor rebuilt on
//! restart, with specs made afresh by its factory) writes into the same cell, so handles
//! from `whereis` keep working across restarts at any level. A name belongs to one kept
//! spec at a time: a second spec with a name already taken fails to start
//! ([`Error::NameTaken`]); the name is freed when the spec is deleted or its supervisor
//! ends (its cell is kept, answering `NotRunning`, for the next holder).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use actix::Actor;

use crate::child_ref::Cell;
use crate::{ChildId, ChildRef, Error, Supervisor, SupervisorRef};

struct Entry {
    /// The supervisor's key of the child that holds the name (unique in the process), or
    /// `None` while the name is free.
    key: Option<u64>,
    id: ChildId,
    cell: Arc<dyn Cell>,
}

fn names() -> MutexGuard<'static, HashMap<Arc<str>, Entry>> {
    static NAMES: OnceLock<Mutex<HashMap<Arc<str>, Entry>>> = OnceLock::new();
    NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Registers `name` for the child at `key` and answers the cell the child must use: the
/// name's own cell when it had one for the same actor type, else `cell`. Errors:
/// `NameTaken`.
pub(crate) fn register(
    name: &Arc<str>,
    key: u64,
    id: &ChildId,
    cell: Arc<dyn Cell>,
) -> Result<Arc<dyn Cell>, Error> {
    let mut names = names();
    if let Some(entry) = names.get_mut(name) {
        if entry.key.is_some() {
            return Err(Error::NameTaken(name.to_string()));
        }
        if same_actor(&entry.cell, &cell) {
            entry.key = Some(key);
            entry.id = id.clone();
            return Ok(entry.cell.clone());
        }
    }
    names.insert(
        name.clone(),
        Entry {
            key: Some(key),
            id: id.clone(),
            cell: cell.clone(),
        },
    );
    Ok(cell)
}

fn same_actor(a: &Arc<dyn Cell>, b: &Arc<dyn Cell>) -> bool {
    let (a, b) = (a.clone().into_any(), b.clone().into_any());
    (*a).type_id() == (*b).type_id()
}

/// Frees `name` if the child at `key` holds it.
pub(crate) fn unregister(name: &str, key: u64) {
    let mut names = names();
    if let Some(entry) = names.get_mut(name) {
        if entry.key == Some(key) {
            entry.key = None;
        }
    }
}

/// The stable handle of the child registered as `name`, which must be an actor of type
/// `A`; it follows the child across restarts. Errors: [`Error::NotRegistered`],
/// [`Error::WrongType`].
///
/// ```
/// use actix::prelude::*;
/// use hardy_supervisor::{whereis, ChildSpec, Supervisor};
///
/// struct Cache;
/// impl Actor for Cache { type Context = Context<Self>; }
///
/// #[actix_rt::main]
/// async fn main() {
///     let sup = Supervisor::builder()
///         .child(ChildSpec::worker("cache", || Ok(Cache)).name("app.cache"))
///         .start_async()
///         .await
///         .unwrap();
///     let cache = whereis::<Cache>("app.cache").unwrap();
///     assert!(cache.addr().is_some());
///     sup.stop().await;
///     assert!(whereis::<Cache>("app.cache").is_err());
/// }
/// ```
pub fn whereis<A: Actor>(name: &str) -> Result<ChildRef<A>, Error> {
    let (id, cell) = {
        let names = names();
        let entry = names
            .get(name)
            .filter(|e| e.key.is_some())
            .ok_or_else(|| Error::NotRegistered(name.to_owned()))?;
        (entry.id.clone(), entry.cell.clone())
    };
    ChildRef::from_cell(id, cell.into_any())
}

/// A handle to the nested supervisor registered as `name`, following its restarts.
/// Errors: [`Error::NotRegistered`], [`Error::WrongType`] (the name is a worker's).
pub fn whereis_supervisor(name: &str) -> Result<SupervisorRef, Error> {
    Ok(SupervisorRef::from_child_ref(whereis::<Supervisor>(name)?))
}
