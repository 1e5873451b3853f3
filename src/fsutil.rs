//! Files written whole, and files read with a size limit: the one atomic-write helper every
//! file sgform writes goes through (the state and its lock info, `fmt`, the sandbox copy, plan
//! files, `generate`).
//!
//! [`write_atomic`] replaces a file so that a crash at any moment leaves the old content or the
//! new one, never a torn file or an empty one:
//! 1. a temporary file is created beside the file (same directory, so the rename below cannot
//!    cross file systems), under a unique name `.<name>.<uuid>.tmp`, owner-only (0600) from its
//!    creation, so nobody else can read it while it is written;
//! 2. the bytes are written, the file gets its final mode and owner, and is flushed to disk;
//! 3. it is renamed over the file, and the directory is flushed so the rename survives a power
//!    loss.
//!
//! What a rewrite keeps: where the process may change them, the file's owner and group (a user
//! may usually only set the group, and only to one of their own groups); with
//! [`Mode::KeepOr`], its permission bits (`rwx` for user, group and others; not setuid, setgid
//! or sticky), while [`Mode::Exactly`] sets the caller's. A *symbolic link* stays a link: the
//! write goes to the file it points to (followed through every link, relative targets read
//! against the link's directory), and the temporary file is created beside that target. Hard
//! links to the old file keep the old content (the rename gives the name a new inode).
//!
//! [`write_new`] creates a file that must not exist, whole or not at all.
//!
//! **Architecture Invariant:** a leaf: imports nothing from the crate (the state, a leaf
//! itself, uses it). The emulator keeps its own copy of this code: it imports nothing.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

/// The mode of a file only its owner may read and write: state, plan and sandbox files.
pub const OWNER_ONLY: u32 = 0o600;

/// The permission bits a write gives the file (on Unix; elsewhere the platform's default for
/// a new file, and the old file's for a rewrite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An existing file keeps its permission bits; a new file gets these (exactly: the umask
    /// does not apply). For files the user owns the access to (`fmt`'s configuration).
    KeepOr(u32),
    /// The file gets these bits, whatever it had: for files that may hold sensitive values
    /// (the state, plan files, the sandbox world), so a rewrite also narrows a looser mode.
    Exactly(u32),
}

/// How many symbolic links [`resolve_symlinks`] follows before giving up (Linux's limit).
const MAX_LINKS: usize = 40;

/// A write that failed: which file or directory the failing step touched, and why.
///
/// Displayed as ``failed to write `PATH` `` (the OS error is its source); when the directory
/// cannot take a new file (read-only, or not writable by this user) the message names the file
/// and the directory, and a `hint:` line says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub struct WriteError {
    /// The file being written.
    file: PathBuf,
    /// What the failing step touched.
    path: PathBuf,
    step: Step,
    #[source]
    source: io::Error,
}

/// The step of a write that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Following the symbolic links, or reading what the file is now.
    Inspect,
    /// Creating the temporary file (`path` is the temporary file).
    Create,
    /// Writing the temporary file, setting its owner and mode, or flushing it.
    Write,
    /// Putting the new file in place (`path` is the file).
    Place,
    /// Flushing the directory (`path` is the directory).
    SyncDir,
}

impl WriteError {
    fn new(file: &Path, path: &Path, step: Step, source: io::Error) -> Self {
        Self {
            file: file.to_path_buf(),
            path: path.to_path_buf(),
            step,
            source,
        }
    }

    /// The file or directory the failing step touched: the file itself, the temporary file
    /// beside it, or their directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kind of the underlying OS error.
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// Whether [`write_new`] failed because the file exists.
    pub fn already_exists(&self) -> bool {
        self.step == Step::Place && self.source.kind() == io::ErrorKind::AlreadyExists
    }

    fn message(&self) -> String {
        let why = match self.source.kind() {
            io::ErrorKind::PermissionDenied => "is not writable by this user",
            io::ErrorKind::ReadOnlyFilesystem => "is on a read-only file system",
            _ => "",
        };
        if self.step != Step::Create || why.is_empty() {
            return format!("failed to write `{}`", self.path.display());
        }
        let dir = parent_dir(&self.path).display();
        format!(
            "failed to write `{}`: the directory `{dir}` {why}\n  hint: sgform replaces a file by writing a new one beside it and renaming it over (so a crash never leaves half a file): make `{dir}` writable, or choose a path in a writable directory",
            self.file.display()
        )
    }
}

/// Replaces the file at `path` with `bytes`, atomically (see the module docs): through a
/// symbolic link to its target, keeping an existing file's owner where allowed, with the
/// permission bits `mode` says.
///
/// On error nothing changed at `path` (unless only the final directory flush failed: then the
/// new content is in place but may not survive a power loss), and no temporary file is left.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> Result<(), WriteError> {
    let target =
        resolve_symlinks(path).map_err(|e| WriteError::new(path, path, Step::Inspect, e))?;
    let existing = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(WriteError::new(&target, &target, Step::Inspect, e)),
    };
    let dir = parent_dir(&target);
    let tmp = temporary_beside(&target);
    let result = (|| {
        write_temporary(&target, &tmp, bytes, existing.as_ref(), mode)?;
        std::fs::rename(&tmp, &target)
            .map_err(|e| WriteError::new(&target, &target, Step::Place, e))?;
        sync_dir(dir).map_err(|e| WriteError::new(&target, dir, Step::SyncDir, e))
    })();
    if result.is_err() {
        // Best effort: the temporary file may not exist, or the rename may have happened.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path`, which must not exist (not even as a dangling symbolic link): the
/// file appears whole with mode `mode`, or not at all. Fails with
/// [`WriteError::already_exists`] when something has the name, also when it took it while the
/// bytes were being written. Where the file system has no hard links, the file is renamed into
/// place after a last check (a name taken in between is then replaced).
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    let exists = || {
        WriteError::new(
            path,
            path,
            Step::Place,
            io::Error::from(io::ErrorKind::AlreadyExists),
        )
    };
    if path.symlink_metadata().is_ok() {
        return Err(exists());
    }
    let dir = parent_dir(path);
    let tmp = temporary_beside(path);
    let result = (|| {
        write_temporary(path, &tmp, bytes, None, Mode::Exactly(mode))?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists()),
            Err(_) if path.symlink_metadata().is_ok() => Err(exists()),
            Err(_) => {
                std::fs::rename(&tmp, path).map_err(|e| WriteError::new(path, path, Step::Place, e))
            }
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    result?;
    sync_dir(dir).map_err(|e| WriteError::new(path, dir, Step::SyncDir, e))
}

/// Makes `link` a hard link to the file `original` (which must be on the same file system),
/// replacing whatever `link` was, atomically: linked under a temporary name beside `link`, then
/// renamed over it. The directory is not flushed (the caller's next write to it does that).
/// Fails where the file system has no hard links; the caller then copies.
pub fn hard_link_over(original: &Path, link: &Path) -> io::Result<()> {
    let tmp = temporary_beside(link);
    let result = std::fs::hard_link(original, &tmp).and_then(|()| std::fs::rename(&tmp, link));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The file a write to `path` changes: `path` itself, or, when it is a symbolic link, the file
/// at the end of its chain of links (each relative target read against its link's directory).
/// The result need not exist (a link may point to a file not yet created). Nothing is made
/// absolute or canonical: a path that is not a link comes back as it was given.
pub fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links from `{}`",
        path.display()
    )))
}

/// `path` with `suffix` appended to its file name: `a.json` and `.backup` give `a.json.backup`.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Sets the mode a file created through `options` gets (on Unix; elsewhere the platform's
/// default), so its content is never readable by others, not even briefly.
pub fn create_with_mode(options: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options
}

/// Flushes a directory, so a rename in it survives a power loss. Unix only: other platforms
/// cannot open a directory as a file.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Why [`read_to_string_capped`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The OS refused, or the content is not UTF-8 (`InvalidData`, as `read_to_string` says).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The file is larger than the limit: its size when the file system says it (`None` for a
    /// stream such as a pipe or `/dev/zero`, which was read only up to the limit). Displayed
    /// to follow "`FILE` is ": `5 bytes, over the limit of 4 bytes`, `over the limit of 4 bytes`.
    #[error("{}over the limit of {limit} bytes", size.map_or_else(String::new, |s| format!("{s} bytes, ")))]
    TooLarge { size: Option<u64>, limit: u64 },
}

/// Reads the file at `path` as UTF-8 text, refusing one over `limit` bytes without reading
/// more than `limit + 1` bytes of it: a regular file by its size first, anything else (a pipe,
/// a device) by counting.
pub fn read_to_string_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut text = String::new();
    let read = file
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)?;
    if u64::try_from(read).map_or(true, |n| n > limit) {
        // A stream, or a file that grew since its size was read.
        let size = std::fs::metadata(path).ok().filter(Metadata::is_file);
        return Err(ReadError::TooLarge {
            size: size.map(|m| m.len()).filter(|s| *s > limit),
            limit,
        });
    }
    Ok(text)
}

/// The directory a file at `path` lives in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh name beside `path` for a temporary file: hidden, unique, recognisably `path`'s.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    parent_dir(path).join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()))
}

/// Creates `tmp` (owner-only) for `target`, writes `bytes`, gives it the owner of `existing`
/// where allowed and the permission bits `mode` says, and flushes it.
fn write_temporary(
    target: &Path,
    tmp: &Path,
    bytes: &[u8],
    existing: Option<&Metadata>,
    mode: Mode,
) -> Result<(), WriteError> {
    let mut file = create_with_mode(OpenOptions::new().write(true).create_new(true), OWNER_ONLY)
        .open(tmp)
        .map_err(|e| WriteError::new(target, tmp, Step::Create, e))?;
    let write_err = |e| WriteError::new(target, tmp, Step::Write, e);
    file.write_all(bytes).map_err(write_err)?;
    // The owner first: changing it can clear mode bits.
    if let Some(meta) = existing {
        keep_owner(&file, meta).map_err(write_err)?;
    }
    let bits = match (mode, existing) {
        (Mode::KeepOr(_), Some(meta)) => permission_bits(meta),
        (Mode::KeepOr(bits) | Mode::Exactly(bits), _) => bits,
    };
    set_mode(&file, bits).map_err(write_err)?;
    file.sync_all().map_err(write_err)
}

/// Gives `file` the owner and group of `meta` where the process may, ignoring a refusal.
fn keep_owner(file: &File, meta: &Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let ours = file.metadata()?;
        if ours.uid() != meta.uid() || ours.gid() != meta.gid() {
            // Only a privileged process may give a file away; a user may set the group to one
            // of their own. Each refusal leaves the file ours, as any new file would be.
            if std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).is_err() {
                let _ = std::os::unix::fs::fchown(file, None, Some(meta.gid()));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (file, meta);
    Ok(())
}

/// The `rwx` bits of a file (not setuid, setgid or sticky).
fn permission_bits(meta: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        meta.permissions().mode() & 0o777
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0o644
    }
}

fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
