//! Where the state lives: the [`Backend`] interface (load, compare-and-swap write, lock,
//! force-unlock) and [`LocalFile`], the state file beside the configuration.
//!
//! `apply` and the state commands talk to a `&dyn Backend`, so a remote backend (an OSS bucket
//! with a table lock, say) can be added without touching them.
//!
//! Every local write is atomic ([`fsutil::write_atomic`]): the new document goes to a temporary
//! file in the same directory (0600 from its creation), is flushed to disk, renamed over the
//! state file, and the directory is flushed, so a crash at any point leaves either the old or
//! the new state, never a torn one. The state file is 0600 (a looser mode is narrowed: the
//! state may hold sensitive values) and keeps its owner where the process may set it. The
//! previous version is first kept as `<state>.backup`.
//!
//! A state file that is a *symbolic link* stays one: the write goes to the file it points to,
//! and the backup (`<target>.backup`) and the lock (`<target>.lock`, `<target>.lock.info`) live
//! beside that target, not beside the link. So two configurations that link to one state file
//! share one lock (two locks beside two links would let both write), and the backup's hard link
//! stays on the target's file system. Messages name the state as given (the link); the reader's
//! messages about the content (unreadable, corrupt, newer) name the file read, beside which its
//! backup is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::lock::{Backoff, FileLock, LockGuard, LockInfo};
use super::{Error, MAX_STATE_BYTES, ManagedMembership, State, VERSION};
use crate::fsutil::{self, Mode, OWNER_ONLY, ReadError};

/// A place that keeps one state document, with a lock.
///
/// The contract every backend keeps:
/// - [`load`](Backend::load) returns the state, or [`State::empty`] when none was ever written;
///   a corrupt or newer-version document is an error, never the empty state.
/// - [`write`](Backend::write) is a compare-and-swap on `(lineage, serial)`: `state` carries
///   the lineage and serial it was loaded with (or that the previous `write` returned), and the
///   write succeeds only if the stored document still has them. It stores `state` with
///   `serial + 1` (and a new lineage if `state` is new) and returns what it stored, which is the
///   value to pass to the next `write`. A document that changed underneath, belongs to another
///   lineage, is corrupt or is newer is refused and left as it is, and so is a `state` whose
///   serial is `u64::MAX` ([`Error::SerialExhausted`]: the next serial would wrap to 0).
/// - [`lock`](Backend::lock) grants one exclusive lock at a time. Without `timeout` it fails at
///   once with [`Error::Locked`] naming the holder; with one, it retries with backoff (1 s
///   doubling to 16 s) until the timeout, then fails the same way. The lock is released when
///   the [`LockGuard`] is dropped or [`LockGuard::unlock`]ed, and must not outlive its process
///   where the backend can manage that.
/// - [`force_unlock`](Backend::force_unlock) removes a lock only when given its id, and only
///   one whose holder is gone; it returns the holder info it removed.
///
/// The lock and the compare-and-swap are complementary: the lock keeps well-behaved writers
/// apart; the compare-and-swap catches one that ran with `--lock=false` or edited the file.
/// The methods block; async callers run them on a blocking thread.
pub trait Backend: Send + Sync {
    /// Where the state is, for messages (`sgform.state.json`, a URL).
    fn location(&self) -> String;
    /// The stored state, or the empty state when there is none.
    fn load(&self) -> Result<State, Error>;
    /// Stores `state` if the stored one still has `state`'s lineage and serial; returns the
    /// stored state (serial + 1).
    fn write(&self, state: &State) -> Result<State, Error>;
    /// Persists a change of `state` (as loaded, or as the previous `commit` left it): `add`
    /// joins the managed set, `remove` leaves it. A compare-and-swap on `state`'s lineage and
    /// serial, like [`write`](Backend::write); on success `state` is updated in place (the
    /// change applied, `serial + 1`, a new lineage if it was new), on error it is left as it
    /// was. Where the backend can, it costs O(change), not O(state): this is what `apply`
    /// calls after every batch of completed operations.
    fn commit(
        &self,
        state: &mut State,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), Error>;
    /// Ends a series of [`commit`](Backend::commit)s with `state` as the last one left it: a
    /// backend that records commits as a journal folds it into the document here. Nothing is
    /// lost when it is never called (a crash): the next `load` replays what was committed.
    fn settle(&self, state: &State) -> Result<(), Error> {
        let _ = state;
        Ok(())
    }
    /// Takes the exclusive lock for `info.operation`.
    fn lock(&self, info: LockInfo, timeout: Option<Duration>) -> Result<LockGuard, Error>;
    /// Removes the lock with this id whose holder is gone.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, Error>;
}

macro_rules! forward_backend {
    ($($ty:ty),*) => {$(
        impl<B: Backend + ?Sized> Backend for $ty {
            fn location(&self) -> String {
                (**self).location()
            }
            fn load(&self) -> Result<State, Error> {
                (**self).load()
            }
            fn write(&self, state: &State) -> Result<State, Error> {
                (**self).write(state)
            }
            fn commit(
                &self,
                state: &mut State,
                add: &[ManagedMembership],
                remove: &[ManagedMembership],
            ) -> Result<(), Error> {
                (**self).commit(state, add, remove)
            }
            fn settle(&self, state: &State) -> Result<(), Error> {
                (**self).settle(state)
            }
            fn lock(&self, info: LockInfo, timeout: Option<Duration>) -> Result<LockGuard, Error> {
                (**self).lock(info, timeout)
            }
            fn force_unlock(&self, id: &str) -> Result<LockInfo, Error> {
                (**self).force_unlock(id)
            }
        }
    )*};
}

// A boxed or shared backend (what `state::open` returns) is a backend.
forward_backend!(Box<B>, std::sync::Arc<B>, &B);

/// The state in a local file, locked through `<file>.lock`, backed up to `<file>.backup`
/// (`<file>` being a symbolic link's target when the state is a link: see the module docs).
#[derive(Debug, Clone)]
pub struct LocalFile {
    path: PathBuf,
    backoff: Backoff,
    last_written: LastWritten,
}

/// The bytes this store last wrote, with their lineage and serial: when the file still holds
/// exactly those bytes, the compare-and-swap check needs no parse of the whole document (an
/// apply writes after every batch of operations, and parsing grew with the state). Shared by
/// clones of the store.
#[derive(Clone, Default)]
struct LastWritten(std::sync::Arc<std::sync::Mutex<Option<(String, u64, String)>>>);

impl LastWritten {
    /// `(lineage, serial)` when `bytes` are the ones this store wrote last.
    fn facts_of(&self, bytes: &str) -> Option<(String, u64)> {
        let guard = self.0.lock().ok()?;
        let (lineage, serial, written) = guard.as_ref()?;
        (written == bytes).then(|| (lineage.clone(), *serial))
    }

    fn remember(&self, state: &State, bytes: String) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((state.lineage.clone(), state.serial, bytes));
        }
    }
}

impl std::fmt::Debug for LastWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let serial = self
            .0
            .lock()
            .ok()
            .and_then(|g| g.as_ref().map(|(_, s, _)| *s));
        f.debug_struct("LastWritten")
            .field("serial", &serial)
            .finish()
    }
}

impl LocalFile {
    /// The state at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            path,
            backoff: Backoff::default(),
            last_written: LastWritten::default(),
        }
    }

    /// The same store with another wait between lock attempts (tests use milliseconds).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The state file, as given (a symbolic link stays a link: see [`LocalFile::target`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file that holds the state: [`LocalFile::path`], or the file at the end of its
    /// symbolic links. Read again at every use, so a link changed meanwhile is followed.
    pub fn target(&self) -> PathBuf {
        // A link loop is reported by the read or write that follows.
        fsutil::resolve_symlinks(&self.path).unwrap_or_else(|_| self.path.clone())
    }

    /// The backup of the previous version, `<target>.backup`.
    pub fn backup_path(&self) -> PathBuf {
        fsutil::with_suffix(&self.target(), ".backup")
    }

    /// The holder info of the current (or last, if its holder died) lock, if any.
    pub fn lock_holder(&self) -> Option<LockInfo> {
        self.file_lock().holder()
    }

    /// The lock files, beside the target.
    fn file_lock(&self) -> FileLock {
        FileLock::beside(&self.target(), self.location())
    }

    /// The bytes of `target`, `None` when it does not exist; never more than
    /// [`MAX_STATE_BYTES`] of them.
    fn read_bytes(target: &Path) -> Result<Option<String>, Error> {
        let location = || target.display().to_string();
        match fsutil::read_to_string_capped(target, MAX_STATE_BYTES) {
            Ok(text) => Ok(Some(text)),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(ReadError::Io(source)) => Err(Error::Read {
                location: location(),
                source,
            }),
            Err(ReadError::TooLarge { size, .. }) => Err(Error::TooLarge {
                location: location(),
                size,
            }),
        }
    }
}

impl Backend for LocalFile {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&self) -> Result<State, Error> {
        let target = self.target();
        match Self::read_bytes(&target)? {
            Some(text) => State::from_json(&target.display().to_string(), &text),
            None => Ok(State::empty()),
        }
    }

    fn write(&self, state: &State) -> Result<State, Error> {
        let Some(serial) = state.serial.checked_add(1) else {
            return Err(Error::SerialExhausted {
                location: self.location(),
                serial: state.serial,
            });
        };
        let target = self.target();
        let current = Self::read_bytes(&target)?;
        let unchanged_since_our_write = current
            .as_deref()
            .and_then(|text| self.last_written.facts_of(text))
            .is_some_and(|(lineage, serial)| {
                !state.is_new() && lineage == state.lineage && serial == state.serial
            });
        if !unchanged_since_our_write {
            let on_disk = match &current {
                Some(text) => Some(State::from_json(&target.display().to_string(), text)?),
                None => None,
            };
            check_unchanged(&self.location(), state, on_disk.as_ref())?;
        }
        if let Some(text) = &current {
            keep_as_backup(&target, &fsutil::with_suffix(&target, ".backup"), text)?;
        }
        let mut next = state.clone();
        next.version = VERSION;
        if next.is_new() {
            next.lineage = uuid::Uuid::new_v4().to_string();
        }
        next.serial = serial;
        let bytes = next.to_json();
        fsutil::write_atomic(&target, bytes.as_bytes(), Mode::Exactly(OWNER_ONLY))?;
        self.last_written.remember(&next, bytes);
        Ok(next)
    }

    /// For now a whole-document [`write`](Backend::write) per commit.
    fn commit(
        &self,
        state: &mut State,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), Error> {
        let mut next = state.clone();
        for m in remove {
            next.memberships.remove(m);
        }
        next.memberships.extend(add.iter().cloned());
        *state = self.write(&next)?;
        Ok(())
    }

    fn lock(&self, info: LockInfo, timeout: Option<Duration>) -> Result<LockGuard, Error> {
        self.file_lock().acquire(info, timeout, self.backoff)
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, Error> {
        self.file_lock().force_unlock(id)
    }
}

/// The compare-and-swap check: the stored document is the one `state` was loaded from.
fn check_unchanged(location: &str, state: &State, on_disk: Option<&State>) -> Result<(), Error> {
    let changed = |found: String| Error::ChangedUnderneath {
        location: location.to_owned(),
        expected: describe(state),
        found,
    };
    match on_disk {
        None if state.is_new() => Ok(()),
        None => Err(changed("no state file (it was removed)".to_owned())),
        Some(disk) if state.is_new() => Err(changed(describe(disk))),
        Some(disk) if disk.lineage != state.lineage => Err(Error::OtherLineage {
            location: location.to_owned(),
            expected: state.lineage.clone(),
            found: disk.lineage.clone(),
        }),
        Some(disk) if disk.serial != state.serial => Err(changed(describe(disk))),
        Some(_) => Ok(()),
    }
}

fn describe(state: &State) -> String {
    if state.is_new() {
        "no state file".to_owned()
    } else {
        format!("serial {} of lineage {}", state.serial, state.lineage)
    }
}

/// Makes the current state file (whose bytes are `text`) the backup. The state is always
/// replaced by renaming a new file over it, so the current file's inode *is* the previous
/// version: a hard link to it, renamed over the backup, keeps it with no copy and no extra
/// fsync (its data was synced when it was written, and the directory is synced by the state
/// write that follows). That halves the syncs of every write of an apply. Where hard links are
/// not supported, the bytes are written as a file of their own.
fn keep_as_backup(state: &Path, backup: &Path, text: &str) -> Result<(), Error> {
    if fsutil::hard_link_over(state, backup).is_ok() {
        return Ok(());
    }
    Ok(fsutil::write_atomic(
        backup,
        text.as_bytes(),
        Mode::Exactly(OWNER_ONLY),
    )?)
}

#[cfg(test)]
mod tests;
