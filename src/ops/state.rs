//! The state commands: `state list|show|rm`, `force-unlock` and the hidden `state hold-lock`,
//! over the backend at a [`Location`]; the cloud is never touched.
//!
//! Read-only ops take no lock: a backend's writes are atomic, so they always read a whole
//! document.

use std::path::Path;

use super::lock::{self, Locking};
use super::plan::Variables;
use super::{Environment, Error, Notify, Result};
use crate::config;
use crate::ids::Address;
use crate::state::{self, Backend, Location, LockGuard, LockInfo, ManagedMembership, State};

/// The state at `location` (`state list`).
pub fn list(location: &Location) -> Result<State> {
    Ok(state::open(location).load()?)
}

/// The values of the sensitive variables of the configuration in `dir` (every string of 3
/// characters or more in them, as [`config::Config::sensitive_values`]), so the state
/// commands can mask them as plans do. No configuration there (a missing path, a file, a
/// directory with no `*.hcl`) is no error: the state commands work on the state alone, and
/// then nothing is known to be sensitive. A configuration with errors still gives the values
/// it could evaluate.
pub fn sensitive_values(dir: &Path, variables: &Variables) -> Result<Vec<String>> {
    let inputs = variables.inputs()?;
    match config::load(dir, &inputs) {
        Ok((config, _)) => Ok(config.sensitive_values().to_vec()),
        Err(
            config::Error::NoDirectory { .. }
            | config::Error::NotADirectory { .. }
            | config::Error::NoConfiguration { .. },
        ) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The entries `query` names (`state show`): exactly its address, or every instance of a block
/// without key; an error when there is none.
pub fn show(location: &Location, query: &Address) -> Result<Vec<ManagedMembership>> {
    let backend = state::open(location);
    let entries = matching(&backend.load()?, query);
    if entries.is_empty() {
        return Err(no_match(query, &backend));
    }
    Ok(entries)
}

/// A `state rm`.
#[derive(Debug, Clone)]
pub struct Remove {
    pub location: Location,
    pub locking: Locking,
    /// What to forget (without a key: every instance of the block); each must match an entry.
    pub queries: Vec<Address>,
    /// Say what would be removed, and change nothing (and take no lock).
    pub dry_run: bool,
}

/// What `state rm` removed (or would remove).
pub struct Removed {
    /// The entries, sorted.
    pub entries: Vec<ManagedMembership>,
    /// The serial of the state written; `None` on a dry run.
    pub serial: Option<u64>,
    /// The lock, still held: release it once the removal is reported (the write stands even if
    /// the unlock fails).
    pub lock: Option<LockGuard>,
}

/// Forgets the entries `request` names: under the lock, all or nothing (a query that matches
/// nothing is an error and nothing is removed), in one write.
pub fn remove(request: &Remove, env: &Environment, notify: &mut Notify<'_>) -> Result<Removed> {
    let backend = state::open(&request.location);
    let lock = if request.dry_run {
        None
    } else {
        lock::acquire(&backend, "state rm", request.locking, env, notify)?
    };
    let mut state = backend.load()?;
    let mut entries = Vec::new();
    for query in &request.queries {
        let found = matching(&state, query);
        if found.is_empty() {
            return Err(no_match(query, &backend));
        }
        entries.extend(found);
    }
    entries.sort();
    entries.dedup();
    let serial = if request.dry_run {
        None
    } else {
        for m in &entries {
            state.memberships.remove(m);
        }
        Some(backend.write(&state)?.serial)
    };
    Ok(Removed {
        entries,
        serial,
        lock,
    })
}

/// Removes the lock with this id whose holder is gone (`force-unlock`): the holder it had, and
/// where the state is.
pub fn force_unlock(location: &Location, id: &str) -> Result<(LockInfo, String)> {
    // The sandbox's state lives in `.sgform/`: a missing one is "not locked", as elsewhere.
    super::connect::ensure_state_dir(location)?;
    let backend = state::open(location);
    let holder = backend.force_unlock(id)?;
    Ok((holder, backend.location()))
}

/// Takes the lock of the state at `location` for `state hold-lock`, and returns it held.
pub fn hold_lock(
    location: &Location,
    locking: Locking,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<LockGuard> {
    super::connect::ensure_state_dir(location)?;
    let backend = state::open(location);
    lock::acquire(&backend, "state hold-lock", locking, env, notify)?
        .ok_or_else(|| Error::refused("the lock was not taken"))
}

/// The entries `query` names: exactly its address, or every instance of a block without key.
fn matching(state: &State, query: &Address) -> Vec<ManagedMembership> {
    state
        .memberships
        .iter()
        .filter(|m| m.address == *query || (query.key.is_none() && m.address.block() == *query))
        .cloned()
        .collect()
}

fn no_match(query: &Address, backend: &dyn Backend) -> Error {
    Error::refused(format!(
        "no state entry for `{query}` in `{}`\n  hint: `sgform state list` shows the addresses in the state",
        backend.location()
    ))
}

#[cfg(test)]
mod tests;
