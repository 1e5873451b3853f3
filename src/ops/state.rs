//! The state commands: `state list|show|rm|pull|push`, `force-unlock` and the hidden
//! `state hold-lock`, over the backend at a [`Location`]; the cloud is never touched.
//!
//! `list` and `show` take no lock: a backend's writes are atomic, so they always read a whole
//! document. `pull` takes it (as `plan` does), so that a state being moved is not one an apply
//! is changing; `push` takes it as every write does.

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

/// The state document at `location` (`state pull`), read under the lock as `locking` says.
/// Nothing stored is an error: there is no document to move.
pub fn pull(
    location: &Location,
    locking: Locking,
    env: &Environment,
    notify: &mut Notify<'_>,
) -> Result<State> {
    super::connect::ensure_state_dir(location)?;
    let backend = state::open(location);
    let lock = lock::acquire(&backend, "state pull", locking, env, notify)?;
    let state = backend.load()?;
    if let Some(guard) = lock {
        guard.unlock()?;
    }
    if state.is_new() {
        return Err(Error::refused(format!(
            "state `{}` is empty: nothing was ever written there, so there is nothing to pull",
            backend.location()
        )));
    }
    Ok(state)
}

/// A `state push`.
#[derive(Debug, Clone)]
pub struct Push {
    /// The state file to push (a local file, whatever the configured backend).
    pub file: std::path::PathBuf,
    /// Where it goes: the configured backend.
    pub location: Location,
    pub locking: Locking,
    /// Push over another lineage or a newer serial.
    pub force: bool,
}

/// What `state push` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The state was stored with this serial (of the file's lineage).
    Stored { serial: u64, lineage: String },
    /// The backend already held exactly this state: nothing was written.
    Unchanged { serial: u64 },
}

/// Writes the state in `request.file` into the configured backend, under its lock, as a
/// compare-and-swap on what was stored when it was read ([`decide_push`] says what is stored).
pub fn push(request: &Push, env: &Environment, notify: &mut Notify<'_>) -> Result<Pushed> {
    let file = request.file.display().to_string();
    if !request.file.is_file() {
        return Err(Error::refused(format!(
            "`{file}` is not a state file: no such file"
        )));
    }
    // FILE is a local state file whatever the configured backend (a journal beside it, left by
    // a crash, is replayed as for any read).
    let pushed = state::open(&Location::Local(request.file.clone())).load()?;
    if pushed.is_new() {
        return Err(Error::refused(format!(
            "`{file}` holds no state: nothing to push"
        )));
    }
    super::connect::ensure_state_dir(&request.location)?;
    let backend = state::open(&request.location);
    let lock = lock::acquire(&backend, "state push", request.locking, env, notify)?;
    let stored = backend.load()?;
    let result = match decide_push(&stored, &pushed, request.force) {
        Err(why) => Err(Error::refused(format!(
            "refusing to push `{file}` to `{}`: {why}\n  hint: `sgform state pull` shows what is there; `--force` overwrites it",
            backend.location()
        ))),
        Ok(None) => Ok(Pushed::Unchanged {
            serial: stored.serial,
        }),
        Ok(Some(next)) => {
            let expected = (!stored.is_new()).then_some((stored.lineage.as_str(), stored.serial));
            backend.replace(expected, &next)?;
            Ok(Pushed::Stored {
                serial: next.serial,
                lineage: next.lineage,
            })
        }
    };
    if let Some(guard) = lock {
        guard.unlock()?;
    }
    result
}

/// What `state push` stores over `stored` (as Terraform's `state push`, but keeping the pushed
/// document whole where it can): `Ok(None)` when `stored` is already `pushed`; otherwise the
/// document to store, `Err` with the reason when it is refused.
///
/// - Nothing stored: `pushed` as it is, lineage and serial included (so a state moved to a new
///   place and back is unchanged).
/// - Another lineage: refused (it is another state, and one would be lost), unless `force`;
///   then `pushed` as it is.
/// - The same lineage: refused when `pushed` is older (its serial below the stored one: the
///   stored state holds writes the file lacks), unless `force`. Stored with `pushed`'s serial
///   when that is newer, with the stored serial + 1 otherwise, so that every change of a
///   lineage still advances its serial (a saved plan against the replaced state goes stale).
pub fn decide_push(
    stored: &State,
    pushed: &State,
    force: bool,
) -> std::result::Result<Option<State>, String> {
    if stored.is_new() {
        return Ok(Some(pushed.clone()));
    }
    if stored.lineage != pushed.lineage {
        if !force {
            return Err(format!(
                "it is of lineage {}, the stored state of lineage {} (another state)",
                pushed.lineage, stored.lineage
            ));
        }
        return Ok(Some(pushed.clone()));
    }
    if pushed.serial < stored.serial && !force {
        return Err(format!(
            "its serial {} is older than the stored serial {} (the stored state has writes the file lacks)",
            pushed.serial, stored.serial
        ));
    }
    if pushed.serial == stored.serial && pushed.memberships == stored.memberships {
        return Ok(None);
    }
    let serial = if pushed.serial > stored.serial {
        pushed.serial
    } else {
        stored.serial.checked_add(1).ok_or_else(|| {
            format!(
                "the stored serial is {}, the largest there is",
                stored.serial
            )
        })?
    };
    Ok(Some(State {
        serial,
        ..pushed.clone()
    }))
}

/// Refuses to go on when the state of the configuration in `dir` is remote
/// ([`Location::is_remote`]) while a local `sgform.state.json` still sits beside it: that file
/// is a state the remote one does not hold (it was never pushed, or pushed and left there), and
/// planning against the remote one alone would adopt, or leave, what it manages.
pub fn refuse_local_state_left_behind(dir: &Path, location: &Location) -> Result<()> {
    left_behind(dir, location.is_remote(), &location.to_string())
}

/// [`refuse_local_state_left_behind`], with whether the state is remote given.
fn left_behind(dir: &Path, remote: bool, location: &str) -> Result<()> {
    let local = dir.join(state::DEFAULT_FILE);
    if !remote || !local.exists() {
        return Ok(());
    }
    let local = local.display();
    let dir = dir.display();
    Err(Error::refused(format!(
        "a local state file `{local}` sits beside the configuration in `{dir}`, whose state is in `{location}`: sgform will not plan against one and leave the other behind\n  hint: move it into the configured state with `sgform state push {local} {dir}`, then move `{local}` away (keep it as a backup elsewhere); if the configured state already holds it, just move it away"
    )))
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
