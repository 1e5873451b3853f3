//! Where the state lives: the [`Backend`] interface (load, compare-and-swap write and commit,
//! lock, force-unlock) and [`LocalFile`], the state file beside the configuration.
//!
//! `apply` and the state commands talk to a `&dyn Backend`, so a remote backend can be added
//! without touching them.
//!
//! Every whole write of the local file is atomic ([`fsutil::write_atomic`]): the new document
//! goes to a temporary file in the same directory (0600 from its creation), is flushed to disk,
//! renamed over the state file, and the directory is flushed, so a crash at any point leaves
//! either the old or the new state, never a torn one. The state file is 0600 (a looser mode is
//! narrowed: the state may hold sensitive values) and keeps its owner where the process may set
//! it. The previous version is first kept as `<state>.backup`.
//!
//! A commit ([`Backend::commit`], after every batch of an apply) does not rewrite the document:
//! it appends the change to `<state>.journal` (0600) and flushes it, O(change) however large the
//! state (the format is `journal`'s). [`Backend::settle`] at the end of the command, or any
//! whole write, folds the journal into the document (one atomic write, the document before the
//! command kept as the backup) and removes it, so the journal exists only while a command
//! commits, or after one was killed; then the next read replays it. Its compare-and-swap check
//! compares the identities (device, inode, size, times) of the document and the journal with
//! those this store last read or wrote, instead of reading the document again; a change by any
//! other process (a rename over the document, an append to the journal) changes them.
//!
//! A state file that is a *symbolic link* stays one: the write goes to the file it points to,
//! and the backup (`<target>.backup`), the journal (`<target>.journal`) and the lock (in
//! `.sgform/locks/` beside the target: see `lock`) live beside that target, not beside the link.
//! So two configurations that link to one state file share one lock (two locks beside two links
//! would let both write), and the backup's hard link stays on the target's file system.
//! Messages name the state as given (the link); the reader's messages about the content
//! (unreadable, corrupt, newer) name the file read, beside which its backup is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::journal::{self, FileId};
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
    /// Stores `state` exactly as given, its lineage and serial included (`state push`), if
    /// the stored state is still `expected`: its `(lineage, serial)`, `None` when nothing is
    /// stored. A compare-and-swap like [`write`](Backend::write), refused the same ways. The
    /// default refuses: a backend that can store a given lineage and serial overrides it.
    fn replace(&self, expected: Option<(&str, u64)>, state: &State) -> Result<(), Error> {
        let _ = (expected, state);
        Err(Error::Unsupported {
            location: self.location(),
            what: "replacing the whole state (`state push`)".to_owned(),
        })
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
            fn replace(&self, expected: Option<(&str, u64)>, state: &State) -> Result<(), Error> {
                (**self).replace(expected, state)
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

/// The state in a local file, locked through `.sgform/locks/<file>.lock`, backed up to
/// `<file>.backup`,
/// committed to through `<file>.journal` (`<file>` being a symbolic link's target when the
/// state is a link: see the module docs).
#[derive(Debug, Clone)]
pub struct LocalFile {
    path: PathBuf,
    backoff: Backoff,
    seen: SeenCell,
}

/// What this store last read or wrote: the files' identities and the state they held. While
/// both files still have these identities, the compare-and-swap check of a commit needs no
/// read of the document (whose parse grows with the state), only two `stat`s. Shared by
/// clones of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// The file read (a symbolic link's target): a link changed meanwhile is another file.
    target: PathBuf,
    /// Empty when nothing is stored.
    lineage: String,
    serial: u64,
    doc: Option<FileId>,
    journal: Option<FileId>,
}

impl Seen {
    /// `(lineage, serial)` of what is stored, `None` when nothing is.
    fn facts(&self) -> Option<(&str, u64)> {
        (!self.lineage.is_empty()).then_some((self.lineage.as_str(), self.serial))
    }
}

#[derive(Debug, Clone, Default)]
struct SeenCell(std::sync::Arc<std::sync::Mutex<Option<Seen>>>);

impl SeenCell {
    fn get(&self) -> Option<Seen> {
        self.0.lock().ok()?.clone()
    }

    fn set(&self, seen: Option<Seen>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = seen;
        }
    }
}

/// A whole read of the state: the document with its journal replayed, and what was read.
struct Whole {
    state: State,
    seen: Seen,
    /// A torn tail to cut off (the length of the whole frames), or a journal whose records the
    /// document already holds: the journal needs a repair before anything is appended.
    torn_at: Option<u64>,
    stale_journal: bool,
}

impl LocalFile {
    /// The state at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            path,
            backoff: Backoff::default(),
            seen: SeenCell::default(),
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

    /// The journal of commits not yet folded into the document, `<target>.journal` (it
    /// exists only while a command commits, or after one was killed).
    pub fn journal_path(&self) -> PathBuf {
        journal::path_of(&self.target())
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
        match fsutil::read_to_string_capped(target, MAX_STATE_BYTES) {
            Ok(text) => Ok(Some(text)),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(read_error(target, e)),
        }
    }

    /// Reads the document and replays its journal. The document is stat'ed before and after:
    /// when it was replaced meanwhile (a fold by another process), the read starts over, so
    /// the journal read always belongs to the document read.
    fn read_whole(&self, target: &Path) -> Result<Whole, Error> {
        let journal_path = journal::path_of(target);
        let stat = |path: &Path| journal::stat(path).map_err(|e| read_error(path, e.into()));
        let mut attempts = 0;
        loop {
            attempts += 1;
            let before = stat(target)?;
            let text = Self::read_bytes(target)?;
            let mut state = match &text {
                Some(text) => Some(State::from_json(&target.display().to_string(), text)?),
                None => None,
            };
            let journal = journal::read(&journal_path, MAX_STATE_BYTES)
                .map_err(|e| read_error(&journal_path, e))?;
            if stat(target)? != before && attempts < 3 {
                continue;
            }
            let mut whole = Whole {
                state: State::empty(),
                seen: Seen {
                    target: target.to_path_buf(),
                    lineage: String::new(),
                    serial: 0,
                    doc: before,
                    journal: None,
                },
                torn_at: None,
                stale_journal: false,
            };
            if let Some((bytes, id)) = journal {
                let unfit = |reason| Error::Journal {
                    location: target.display().to_string(),
                    journal: journal_path.display().to_string(),
                    reason,
                };
                let decoded = journal::decode(&bytes).map_err(unfit)?;
                let replayed = journal::replay(state.as_mut(), &decoded.records).map_err(unfit)?;
                whole.torn_at = decoded.torn.then_some(decoded.valid_len);
                whole.stale_journal = replayed.applied == 0;
                whole.seen.journal = Some(id);
            }
            if let Some(state) = state {
                whole.seen.lineage.clone_from(&state.lineage);
                whole.seen.serial = state.serial;
                whole.state = state;
            }
            return Ok(whole);
        }
    }

    /// What is stored now: from the files' identities when they are what this store last saw,
    /// otherwise by reading them whole. A journal that needs it is repaired first (a torn tail
    /// cut off, a journal already folded removed), so that a commit can append to it.
    fn current(&self, target: &Path) -> Result<Seen, Error> {
        let journal_path = journal::path_of(target);
        if let Some(seen) = self.seen.get().filter(|s| s.target == target) {
            let doc = journal::stat(target).map_err(|e| read_error(target, e.into()))?;
            let journal =
                journal::stat(&journal_path).map_err(|e| read_error(&journal_path, e.into()))?;
            if doc == seen.doc && journal == seen.journal {
                return Ok(seen);
            }
        }
        self.seen.set(None);
        let whole = self.read_whole(target)?;
        let repair = |result: std::io::Result<()>| {
            result.map_err(|source| Error::JournalWrite {
                location: journal_path.display().to_string(),
                source,
            })
        };
        if whole.stale_journal {
            repair(journal::remove(&journal_path))?;
        } else if let Some(len) = whole.torn_at {
            repair(journal::truncate(&journal_path, len))?;
        } else {
            return Ok(whole.seen);
        }
        Ok(self.read_whole(target)?.seen)
    }

    /// Writes `next` as the whole document (the current one kept as the backup when
    /// `had_doc`), then removes the journal it supersedes.
    fn store(&self, target: &Path, next: &State, had_doc: bool) -> Result<(), Error> {
        self.seen.set(None);
        if had_doc {
            keep_as_backup(target, &fsutil::with_suffix(target, ".backup"))?;
        }
        fsutil::write_atomic(target, next.to_json().as_bytes(), Mode::Exactly(OWNER_ONLY))?;
        // The document now holds every record: a journal left by a crash here is skipped by
        // the next read, and removed by the next write.
        let journal_path = journal::path_of(target);
        journal::remove(&journal_path).map_err(|source| Error::JournalWrite {
            location: journal_path.display().to_string(),
            source,
        })?;
        if let Ok(doc) = journal::stat(target) {
            self.seen.set(Some(Seen {
                target: target.to_path_buf(),
                lineage: next.lineage.clone(),
                serial: next.serial,
                doc,
                journal: None,
            }));
        }
        Ok(())
    }
}

/// A read error of `path`, named by it.
fn read_error(path: &Path, e: ReadError) -> Error {
    let location = path.display().to_string();
    match e {
        ReadError::Io(source) => Error::Read { location, source },
        ReadError::TooLarge { size, .. } => Error::TooLarge { location, size },
    }
}

impl Backend for LocalFile {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&self) -> Result<State, Error> {
        let whole = self.read_whole(&self.target())?;
        let clean = whole.torn_at.is_none() && !whole.stale_journal;
        self.seen.set(clean.then_some(whole.seen));
        Ok(whole.state)
    }

    fn write(&self, state: &State) -> Result<State, Error> {
        let Some(serial) = state.serial.checked_add(1) else {
            return Err(Error::SerialExhausted {
                location: self.location(),
                serial: state.serial,
            });
        };
        let target = self.target();
        let current = self.current(&target)?;
        check_unchanged(&self.location(), state, current.facts())?;
        let mut next = state.clone();
        next.version = VERSION;
        if next.is_new() {
            next.lineage = uuid::Uuid::new_v4().to_string();
        }
        next.serial = serial;
        self.store(&target, &next, current.doc.is_some())?;
        Ok(next)
    }

    /// Appends the change to the journal and flushes it: O(change). A new state (no lineage
    /// yet) is written whole instead, which costs as little, since it holds only the change.
    fn commit(
        &self,
        state: &mut State,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), Error> {
        if state.is_new() {
            let mut next = state.clone();
            next.apply_change(add, remove);
            *state = self.write(&next)?;
            return Ok(());
        }
        let Some(serial) = state.serial.checked_add(1) else {
            return Err(Error::SerialExhausted {
                location: self.location(),
                serial: state.serial,
            });
        };
        let target = self.target();
        let mut current = self.current(&target)?;
        check_unchanged(&self.location(), state, current.facts())?;
        let frame = journal::encode(&journal::Record {
            lineage: state.lineage.clone(),
            base: state.serial,
            serial,
            add: add.to_vec(),
            remove: remove.to_vec(),
        });
        let journal_path = journal::path_of(&target);
        let expected_len = current.journal.map_or(0, |j| j.len());
        self.seen.set(None);
        let id = journal::append(&journal_path, expected_len, &frame).map_err(|source| {
            Error::JournalWrite {
                location: journal_path.display().to_string(),
                source,
            }
        })?;
        state.apply_change(add, remove);
        state.serial = serial;
        current.serial = serial;
        current.journal = Some(id);
        self.seen.set(Some(current));
        Ok(())
    }

    /// Folds the journal into the document (written atomically, the previous document kept as
    /// the backup) and removes it; nothing to do without a journal.
    fn settle(&self, state: &State) -> Result<(), Error> {
        let target = self.target();
        let journal_path = journal::path_of(&target);
        if journal::stat(&journal_path)
            .map_err(|e| read_error(&journal_path, e.into()))?
            .is_none()
        {
            return Ok(());
        }
        let current = self.current(&target)?;
        check_unchanged(&self.location(), state, current.facts())?;
        let mut next = state.clone();
        next.version = VERSION;
        self.store(&target, &next, current.doc.is_some())
    }

    fn replace(&self, expected: Option<(&str, u64)>, state: &State) -> Result<(), Error> {
        let target = self.target();
        let current = self.current(&target)?;
        let location = self.location();
        match (expected, current.facts()) {
            (None, None) => {}
            (Some((lineage, _)), Some((found, _))) if lineage != found => {
                return Err(Error::OtherLineage {
                    location,
                    expected: lineage.to_owned(),
                    found: found.to_owned(),
                });
            }
            (e, f) if e == f => {}
            (e, f) => {
                let describe = |facts: Option<(&str, u64)>| {
                    facts.map_or_else(|| "no state file".to_owned(), |(l, s)| describe_facts(l, s))
                };
                return Err(Error::ChangedUnderneath {
                    location,
                    expected: describe(e),
                    found: describe(f),
                });
            }
        }
        let mut next = state.clone();
        next.version = VERSION;
        self.store(&target, &next, current.doc.is_some())
    }

    fn lock(&self, info: LockInfo, timeout: Option<Duration>) -> Result<LockGuard, Error> {
        self.file_lock().acquire(info, timeout, self.backoff)
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, Error> {
        self.file_lock().force_unlock(id)
    }
}

/// The compare-and-swap check: the stored state (`(lineage, serial)`, `None` when nothing is
/// stored) is the one `state` was loaded from.
fn check_unchanged(
    location: &str,
    state: &State,
    stored: Option<(&str, u64)>,
) -> Result<(), Error> {
    let changed = |found: String| Error::ChangedUnderneath {
        location: location.to_owned(),
        expected: describe(state),
        found,
    };
    match stored {
        None if state.is_new() => Ok(()),
        None => Err(changed("no state file (it was removed)".to_owned())),
        Some((lineage, serial)) if state.is_new() => Err(changed(describe_facts(lineage, serial))),
        Some((lineage, _)) if lineage != state.lineage => Err(Error::OtherLineage {
            location: location.to_owned(),
            expected: state.lineage.clone(),
            found: lineage.to_owned(),
        }),
        Some((lineage, serial)) if serial != state.serial => {
            Err(changed(describe_facts(lineage, serial)))
        }
        Some(_) => Ok(()),
    }
}

fn describe(state: &State) -> String {
    if state.is_new() {
        "no state file".to_owned()
    } else {
        describe_facts(&state.lineage, state.serial)
    }
}

fn describe_facts(lineage: &str, serial: u64) -> String {
    format!("serial {serial} of lineage {lineage}")
}

/// Makes the current state file the backup. The state is always replaced by renaming a new
/// file over it, so the current file's inode *is* the previous version: a hard link to it,
/// renamed over the backup, keeps it with no copy and no extra fsync (its data was synced when
/// it was written, and the directory is synced by the state write that follows). Where hard
/// links are not supported, the bytes are copied into a file of their own.
fn keep_as_backup(state: &Path, backup: &Path) -> Result<(), Error> {
    if fsutil::hard_link_over(state, backup).is_ok() {
        return Ok(());
    }
    let bytes = std::fs::read(state).map_err(|source| Error::Read {
        location: state.display().to_string(),
        source,
    })?;
    Ok(fsutil::write_atomic(
        backup,
        &bytes,
        Mode::Exactly(OWNER_ONLY),
    )?)
}

#[cfg(test)]
mod tests;
