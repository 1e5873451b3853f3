//! The state: which memberships sgform manages. This file holds the model and the reader;
//! `store` the [`Backend`] interface and the local file (atomic, compare-and-swap writes with a
//! backup), `lock` the exclusive lock and its holder info.
//!
//! A versioned JSON document, `sgform.state.json` beside the configuration by default:
//!
//! ```json
//! { "version": 1, "lineage": "5b0c…", "serial": 3,
//!   "memberships": [ { "address": "membership.web[\"i-…\"]", "provider": null,
//!                      "region": "cn-hangzhou", "security_group_id": "sg-…",
//!                      "target": "i-…" } ] }
//! ```
//!
//! An absent file is the empty state. A file that does not parse, that was written by a newer
//! sgform (`version` above [`VERSION`]), or that no sgform wrote (another version, a lineage
//! that is not a UUID, an entry that names no declaration or appears twice) is refused with an
//! error naming the file and the entry: guessing would risk forgetting memberships sgform
//! manages.
//!
//! **Architecture Invariant:** imports only `ids` and the `fsutil` leaf (tidy test).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::{Address, RegionId, SecurityGroupId, Target};

mod document;
mod journal;
pub mod lock;
pub mod pg;
pub mod store;

pub use lock::{Backoff, HeldLock, LockGuard, LockInfo};
pub use store::{Backend, LocalFile};

/// Where a command's state lives: what the configuration (and `--state`) selects. The one
/// factory, [`open`], turns it into the [`Backend`] every command talks to; no command names a
/// concrete backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file (`sgform.state.json` beside the configuration, or `--state PATH`).
    Local(PathBuf),
    /// A workspace in a PostgreSQL schema (the configuration's `backend "pg"` block).
    Pg(Box<pg::PgLocation>),
}

impl Location {
    /// The default location for the configuration in `dir`, unless `state` overrides it.
    pub fn for_dir(dir: &Path, state: Option<&Path>) -> Self {
        Self::Local(state.map_or_else(|| dir.join(DEFAULT_FILE), Path::to_path_buf))
    }

    /// Whether the state lives anywhere but a local file: then a `sgform.state.json` beside
    /// the configuration is a state left behind, which `plan` and `apply` refuse to ignore.
    pub fn is_remote(&self) -> bool {
        match self {
            Self::Local(_) => false,
            Self::Pg(_) => true,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(path) => write!(f, "{}", path.display()),
            Self::Pg(pg) => write!(f, "{pg}"),
        }
    }
}

/// Opens the backend at `location`: the one place a concrete backend is chosen.
pub fn open(location: &Location) -> Box<dyn Backend> {
    match location {
        Location::Local(path) => Box::new(LocalFile::new(path.clone())),
        Location::Pg(pg) => Box::new(pg::Pg::new((**pg).clone())),
    }
}

/// The state format this sgform writes and the newest it reads.
pub const VERSION: u32 = 1;

/// The largest state file sgform reads: 256 MiB, about a million memberships. A larger file
/// is refused before it is read ([`Error::TooLarge`]), so a wrong `--state` (a disk image,
/// `/dev/zero`) cannot exhaust memory.
pub const MAX_STATE_BYTES: u64 = 256 * 1024 * 1024;

/// The default state file name, beside the configuration.
pub const DEFAULT_FILE: &str = "sgform.state.json";

/// One membership sgform manages: the pair, and the declaration that manages it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ManagedMembership {
    /// The declaration (`membership.web["i-…"]`, `group_members.db`, …).
    pub address: Address,
    /// The provider alias, `None` for the default provider.
    #[serde(default)]
    pub provider: Option<String>,
    pub region: RegionId,
    pub security_group_id: SecurityGroupId,
    pub target: Target,
}

/// The state document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub version: u32,
    /// Fixed when the state is first written (a UUID); a plan or a lock names it.
    pub lineage: String,
    /// +1 on every write.
    pub serial: u64,
    /// Sorted, no duplicates.
    pub memberships: BTreeSet<ManagedMembership>,
}

impl Default for State {
    fn default() -> Self {
        Self::empty()
    }
}

impl State {
    /// The state before anything was applied: no lineage yet (the first write creates one).
    pub fn empty() -> Self {
        Self {
            version: VERSION,
            lineage: String::new(),
            serial: 0,
            memberships: BTreeSet::new(),
        }
    }

    /// Whether nothing was ever written (no lineage).
    pub fn is_new(&self) -> bool {
        self.lineage.is_empty()
    }

    /// One change of the managed set: `remove` leaves it, then `add` joins it (what a
    /// [`Backend::commit`] persists and a journal record holds).
    pub fn apply_change(&mut self, add: &[ManagedMembership], remove: &[ManagedMembership]) {
        for m in remove {
            self.memberships.remove(m);
        }
        self.memberships.extend(add.iter().cloned());
    }

    /// Parses a state document and checks what its types cannot say (see `document`);
    /// `location` names it in errors (a path, or what [`Backend::location`] says).
    pub fn from_json(location: &str, text: &str) -> Result<State, Error> {
        document::parse(location, text)
    }

    /// The state as its file holds it (pretty JSON, trailing newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            // Every field is a plain string or number: serialisation cannot fail.
            unreachable!("state serialisation failed: {e}")
        });
        text.push('\n');
        text
    }
}

/// Reads the state at `path` (through a symbolic link to its target); an absent file is the
/// empty state.
pub fn read(path: &Path) -> Result<State, Error> {
    LocalFile::new(path).load()
}

/// What can go wrong reading, writing or locking the state. Each variant names where the state
/// (or the file that failed) lives by a location string: a path for the local file, whatever
/// names the place for another backend ([`Backend::location`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read state file `{location}`")]
    Read {
        location: String,
        source: std::io::Error,
    },
    #[error(
        "state file `{location}` is corrupt: {reason}; sgform will not guess what it manages (restore it from `{location}.backup` or version control)"
    )]
    Corrupt { location: String, reason: String },
    #[error(
        "state file `{location}` is {} the {} MiB sgform reads (`MAX_STATE_BYTES`): it is not a state sgform wrote; check the path",
        size.map_or_else(|| "over".to_owned(), |s| format!("{s} bytes, over")),
        MAX_STATE_BYTES / (1024 * 1024)
    )]
    TooLarge {
        location: String,
        /// The file's size, when the file system says it (not for a pipe or a device).
        size: Option<u64>,
    },
    #[error(
        "state file `{location}` has format version {found}, newer than this sgform understands ({VERSION}); upgrade sgform"
    )]
    NewerVersion { location: String, found: u32 },
    /// A local file could not be written (the message names it).
    #[error(transparent)]
    Write(#[from] crate::fsutil::WriteError),
    #[error(
        "state journal `{journal}` does not continue state file `{location}`: {reason}; sgform will not guess which holds what it manages\n  hint: the journal holds the commits of a command that did not finish; if `{location}` is the state you mean, move `{journal}` away and run `sgform plan` to see what the cloud has"
    )]
    Journal {
        location: String,
        journal: String,
        reason: String,
    },
    #[error("the state backend at `{location}` does not support {what}")]
    Unsupported { location: String, what: String },
    #[error("failed to write state journal `{location}`")]
    JournalWrite {
        location: String,
        source: std::io::Error,
    },
    #[error(
        "state file `{location}` changed since it was read (expected {expected}, found {found}); another run wrote it, so sgform will not overwrite it: run the command again"
    )]
    ChangedUnderneath {
        location: String,
        expected: String,
        found: String,
    },
    #[error(
        "state file `{location}` belongs to another lineage ({found}, not {expected}): it is a different state, so sgform will not overwrite it"
    )]
    OtherLineage {
        location: String,
        expected: String,
        found: String,
    },
    #[error(
        "state file `{location}` has serial {serial}, the largest there is: its next write would wrap it to 0, so sgform will not write it (a serial grows by one per write, so the file was edited; restore it from `{location}.backup` or version control)"
    )]
    SerialExhausted { location: String, serial: u64 },
    #[error("failed to lock `{location}`{}", lock_hint(source, location))]
    Lock {
        location: String,
        source: std::io::Error,
    },
    #[error(
        "state `{location}` is locked by {}{}",
        holder.as_ref().map_or_else(|| "another process (its lock info is missing)".to_owned(), |h| h.to_string()),
        waited.map_or_else(String::new, |w| format!("; gave up after waiting {w:?}"))
    )]
    Locked {
        location: String,
        holder: Option<Box<LockInfo>>,
        waited: Option<std::time::Duration>,
    },
    #[error("state `{location}` is not locked")]
    NotLocked { location: String },
    #[error(
        "lock id `{given}` does not match the lock on state `{location}`, held by {holder}; sgform removes a lock only by its id"
    )]
    LockIdMismatch {
        location: String,
        given: String,
        holder: Box<LockInfo>,
    },
    #[error(
        "the lock on state `{location}` is still held by a running process: {holder}; force-unlock removes only a lock whose holder is gone, so stop that process (pid {} on {}) instead",
        holder.pid,
        holder.host
    )]
    LockStillHeld {
        location: String,
        holder: Box<LockInfo>,
    },
    /// The PostgreSQL backend's settings are wrong (the message never quotes a password).
    #[error("invalid PostgreSQL connection settings: {reason}")]
    PgSettings { reason: String },
    /// A database step failed; `reason` is the driver's or server's message, scrubbed of the
    /// password.
    #[error("state `{location}`: failed to {what}: {reason}")]
    Database {
        location: String,
        what: String,
        reason: String,
    },
    #[error(
        "the lock on state `{location}` is held by {holder}, whose database session (pid {pid}) this database user may not end ({reason})\n  hint: ask a superuser, or a member of the role that session runs as, to run `SELECT pg_terminate_backend({pid});` and then run force-unlock again"
    )]
    TerminateRefused {
        location: String,
        holder: Box<LockInfo>,
        pid: i32,
        reason: String,
    },
}

/// What to do when the lock file cannot be created: its directory is read-only.
fn lock_hint(source: &std::io::Error, lock_file: &str) -> String {
    let why = match source.kind() {
        std::io::ErrorKind::PermissionDenied => "is not writable by this user",
        std::io::ErrorKind::ReadOnlyFilesystem => "is on a read-only file system",
        _ => return String::new(),
    };
    // The lock file is in `.sgform/locks/` beside the state: the state's directory is the one
    // that must be writable.
    let mut dir = Path::new(lock_file).parent().unwrap_or(Path::new(""));
    if dir.ends_with(".sgform/locks") {
        dir = dir.parent().and_then(Path::parent).unwrap_or(Path::new(""));
    }
    let dir = if dir.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        dir.display().to_string()
    };
    format!(
        ": the directory `{dir}` {why}\n  hint: sgform locks the state with a file beside it, so its directory must be writable: make `{dir}` writable, keep the state elsewhere (`--state PATH`), or, for a command that only reads the state, pass `--lock=false`"
    )
}

#[cfg(test)]
mod tests;
