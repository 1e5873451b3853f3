//! The state lock: who holds it ([`LockInfo`]), the guard that releases it ([`LockGuard`]), and
//! the local backend's lock, an OS file lock on `.sgform/locks/<state>.lock` beside the state.
//!
//! Why a separate lock file and not a lock on the state file itself (as Terraform's local
//! backend takes): every write replaces the state file by a rename, and a lock belongs to the
//! replaced inode, so the next process would lock the new file while the old holder still runs.
//! The lock file is never renamed or deleted, so every process locks the same inode: deleting
//! it while another process waits on it would let that process lock an inode nobody else will
//! open again, while a third creates and locks a new file under the name.
//!
//! Where: for a state file `DIR/NAME` (a symbolic link's target, so two links to one state
//! share one lock), `DIR/.sgform/locks/NAME.lock` and `DIR/.sgform/locks/NAME.lock.info`; when
//! `DIR` is itself a `.sgform` directory (the sandbox's own state), `DIR/locks/`. A `.sgform/`
//! this creates gets a `.gitignore` of `*`, so a configuration directory keeps nothing but
//! the state, its backup and what the user asked for, and nothing of `.sgform/` is committed.
//!
//! The OS lock (`flock`, through `std::fs::File::lock`) belongs to the open file: it is released
//! when the holder closes the file, exits, crashes or is killed with SIGKILL, so a dead holder
//! never blocks the next run. It names no one, so the holder also writes its [`LockInfo`] to
//! the `.lock.info` file (atomically, mode 0600) for a waiting run to report. That file can
//! outlive its holder (after a SIGKILL); it is only information: the next locker overwrites it,
//! and `force-unlock ID` removes it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Error;
use crate::fsutil::{self, Mode, OWNER_ONLY};

/// Who holds a lock, and since when: enough for a waiting run to name the holder, and for
/// `force-unlock` to remove exactly one lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A UUID v4, fresh for every lock; `force-unlock` takes it.
    pub id: String,
    /// The command that took the lock (`apply`, `state rm`, …).
    pub operation: String,
    /// `user@host`.
    pub who: String,
    /// The holder's host name.
    pub host: String,
    /// The holder's process id.
    pub pid: u32,
    /// When the lock was taken, RFC 3339 in UTC.
    pub since: String,
    /// The sgform version of the holder.
    pub version: String,
}

impl LockInfo {
    /// A new lock request for `operation` by `user` on `host`, with a fresh id, this process's
    /// pid and the current time. The caller supplies the user and the host: the library reads
    /// neither the environment nor the system's name.
    pub fn new(operation: &str, user: &str, host: &str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_owned(),
            who: format!("{user}@{host}"),
            host: host.to_owned(),
            pid: std::process::id(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (operation {}, pid {}, since {}, id {})",
            self.who, self.operation, self.pid, self.since, self.id
        )
    }
}

/// What a backend does to release a lock it granted. Remote backends implement it too.
pub trait HeldLock: Send {
    /// Releases the lock. Called once, by [`LockGuard::unlock`] or on drop.
    fn release(self: Box<Self>) -> Result<(), Error>;
}

/// A held lock: released by [`LockGuard::unlock`] (which reports failures) or, failing that,
/// when dropped (which cannot).
pub struct LockGuard {
    info: LockInfo,
    held: Option<Box<dyn HeldLock>>,
}

impl LockGuard {
    /// A guard over a lock a backend granted.
    pub fn new(info: LockInfo, held: Box<dyn HeldLock>) -> Self {
        Self {
            info,
            held: Some(held),
        }
    }

    /// The holder info this lock was taken with.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Releases the lock now, reporting a failure to clean up.
    pub fn unlock(mut self) -> Result<(), Error> {
        match self.held.take() {
            Some(held) => held.release(),
            None => Ok(()),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            // A drop cannot report; the OS lock is released with the file either way, and a
            // leftover info file is only information.
            let _ = held.release();
        }
    }
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// How long a waiting locker sleeps between attempts: `initial`, doubling up to `max`
/// (Terraform's 1 s to 16 s by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(16),
        }
    }
}

/// The largest holder info read (a real one is a few hundred bytes; anything else is ignored).
const MAX_INFO_BYTES: u64 = 64 * 1024;

/// The local backend's lock files: `<name>.lock` (the OS lock) and `<name>.lock.info` in the
/// lock directory ([`lock_dir`]).
#[derive(Debug, Clone)]
pub(crate) struct FileLock {
    lock_path: PathBuf,
    info_path: PathBuf,
    /// The state's location, for messages.
    location: String,
}

impl FileLock {
    /// The lock files of the state file `target` (the file itself, not a link to it), reported
    /// in messages as the state at `location`.
    pub(crate) fn beside(target: &Path, location: String) -> Self {
        let name = target
            .file_name()
            .map_or_else(|| "state".into(), std::ffi::OsStr::to_os_string);
        let base = lock_dir(target).join(name);
        Self {
            lock_path: fsutil::with_suffix(&base, ".lock"),
            info_path: fsutil::with_suffix(&base, ".lock.info"),
            location,
        }
    }

    fn open(&self) -> Result<File, Error> {
        let failed = |source| Error::Lock {
            location: self.lock_path.display().to_string(),
            source,
        };
        if let Some(dir) = self.lock_path.parent() {
            create_lock_dir(dir).map_err(failed)?;
        }
        fsutil::create_with_mode(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            OWNER_ONLY,
        )
        .open(&self.lock_path)
        .map_err(|source| Error::Lock {
            location: self.lock_path.display().to_string(),
            source,
        })
    }

    /// Tries once; `Ok(false)` when another open file holds the lock.
    fn try_acquire(&self, file: &File) -> Result<bool, Error> {
        match file.try_lock() {
            Ok(()) => Ok(true),
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(source)) => Err(Error::Lock {
                location: self.lock_path.display().to_string(),
                source,
            }),
        }
    }

    /// The holder info on disk: `None` when absent or unreadable (it is only information).
    pub(crate) fn holder(&self) -> Option<LockInfo> {
        let text = fsutil::read_to_string_capped(&self.info_path, MAX_INFO_BYTES).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn locked(&self, waited: Option<Duration>) -> Error {
        Error::Locked {
            location: self.location.clone(),
            holder: self.holder().map(Box::new),
            waited,
        }
    }

    /// Takes the lock: at once or fail naming the holder (`timeout` `None`), or retrying with
    /// `backoff` until `timeout` has passed.
    pub(crate) fn acquire(
        &self,
        info: LockInfo,
        timeout: Option<Duration>,
        backoff: Backoff,
    ) -> Result<LockGuard, Error> {
        let file = self.open()?;
        let start = Instant::now();
        let mut delay = backoff.initial;
        while !self.try_acquire(&file)? {
            let Some(timeout) = timeout else {
                return Err(self.locked(None));
            };
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(self.locked(Some(timeout)));
            }
            std::thread::sleep(delay.min(left));
            delay = (delay * 2).min(backoff.max);
        }
        // From here the lock is ours; if writing the info fails, dropping `file` releases it.
        let text = serde_json::to_string_pretty(&info)
            .unwrap_or_else(|e| unreachable!("lock info serialisation failed: {e}"));
        fsutil::write_atomic(&self.info_path, text.as_bytes(), Mode::Exactly(OWNER_ONLY))?;
        Ok(LockGuard::new(
            info.clone(),
            Box::new(HeldFileLock {
                file,
                id: info.id,
                info_path: self.info_path.clone(),
            }),
        ))
    }

    /// Removes the lock with id `id`, if its holder is gone. Returns the holder info removed.
    pub(crate) fn force_unlock(&self, id: &str) -> Result<LockInfo, Error> {
        let holder = self.holder();
        let file = self.open()?;
        let free = self.try_acquire(&file)?;
        let Some(holder) = holder else {
            return Err(if free {
                Error::NotLocked {
                    location: self.location.clone(),
                }
            } else {
                self.locked(None)
            });
        };
        if holder.id != id {
            return Err(Error::LockIdMismatch {
                location: self.location.clone(),
                given: id.to_owned(),
                holder: Box::new(holder),
            });
        }
        if !free {
            return Err(Error::LockStillHeld {
                location: self.location.clone(),
                holder: Box::new(holder),
            });
        }
        remove_info(&self.info_path, id)?;
        drop(file);
        Ok(holder)
    }
}

/// The directory of the lock files of the state file `target`: `.sgform/locks/` beside it, or
/// `locks/` when `target` is itself in a `.sgform` directory.
pub(crate) fn lock_dir(target: &Path) -> PathBuf {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if dir.file_name() == Some(LOCAL_DIR.as_ref()) {
        dir.join("locks")
    } else {
        dir.join(LOCAL_DIR).join("locks")
    }
}

/// sgform's own directory beside a configuration (the sandbox keeps its files there too).
const LOCAL_DIR: &str = ".sgform";

/// Creates the lock directory `dir` (`…/.sgform/locks`), and a `.gitignore` of `*` in the
/// `.sgform/` above it if it has none, so that nothing in it is ever committed.
fn create_lock_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    // The state's own directory is not created: a `--state` in a missing directory is an
    // error, as its write would be.
    let local = dir.parent().unwrap_or(Path::new("."));
    let state_dir = match local.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !state_dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no directory `{}`", state_dir.display()),
        ));
    }
    std::fs::create_dir_all(dir)?;
    if let Some(local) = dir.parent() {
        let ignore = local.join(".gitignore");
        if !ignore.exists() {
            // Another process may create it at the same moment: either one's `*` will do.
            match fsutil::write_new(&ignore, b"*\n", 0o644) {
                Ok(()) => {}
                Err(_) if ignore.exists() => {}
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
    }
    Ok(())
}

/// Removes the info file if it still names lock `id`.
fn remove_info(info_path: &Path, id: &str) -> Result<(), Error> {
    let ours = fsutil::read_to_string_capped(info_path, MAX_INFO_BYTES)
        .ok()
        .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok())
        .is_some_and(|i| i.id == id);
    if !ours {
        return Ok(());
    }
    match std::fs::remove_file(info_path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Lock {
            location: info_path.display().to_string(),
            source,
        }),
    }
}

struct HeldFileLock {
    file: File,
    id: String,
    info_path: PathBuf,
}

impl HeldLock for HeldFileLock {
    fn release(self: Box<Self>) -> Result<(), Error> {
        // Remove the info while still holding the lock, so no new holder's info is removed.
        let removed = remove_info(&self.info_path, &self.id);
        // Closing the file releases the OS lock.
        drop(self.file);
        removed
    }
}

#[cfg(test)]
mod tests;
