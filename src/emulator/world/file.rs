//! Reading and writing the world file.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{World, WorldFile};
use crate::emulator::EmulatorError;

/// The largest world file the emulator reads: 256 MiB, about four times a generated world of
/// 100,000 instances and 20,000 ENIs (64 MB).
pub const MAX_WORLD_FILE_BYTES: u64 = 256 << 20;

impl World {
    /// Reads and validates a world file. A file over [`MAX_WORLD_FILE_BYTES`] is refused: by
    /// its size before anything is read, and, for what has no size (a pipe, a device), once
    /// that much has been read.
    pub fn load(path: &Path) -> Result<World, EmulatorError> {
        let read_err = |source| EmulatorError::ReadWorld {
            path: path.to_path_buf(),
            source,
        };
        let too_large = || EmulatorError::WorldTooLarge {
            path: path.to_path_buf(),
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        if file.metadata().map_err(read_err)?.len() > MAX_WORLD_FILE_BYTES {
            return Err(too_large());
        }
        let mut text = String::new();
        file.take(MAX_WORLD_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(read_err)?;
        if text.len() as u64 > MAX_WORLD_FILE_BYTES {
            return Err(too_large());
        }
        World::from_json(&text).map_err(|e| e.with_path(path))
    }

    /// Parses and validates a world from JSON text.
    pub fn from_json(text: &str) -> Result<World, EmulatorError> {
        let file: WorldFile =
            serde_json::from_str(text).map_err(|e| EmulatorError::ParseWorld {
                path: None,
                message: e.to_string(),
            })?;
        World::from_file(file)
    }

    /// The world as pretty JSON, the same format as the file.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings, numbers and maps with string keys cannot fail.
        serde_json::to_string_pretty(&self.to_file()).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Writes the world to `path` as `write_atomic` (below) does, so a reader never sees half a file.
    pub fn save(&self, path: &Path) -> Result<(), EmulatorError> {
        let mut text = self.to_json();
        text.push('\n');
        write_atomic(path, text.as_bytes()).map_err(|source| EmulatorError::WriteWorld {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Replaces the file at `path` with `bytes`: a temporary file in the same directory, renamed
/// over. A symlink is followed, so its target is what changes and the link stays. An existing
/// file keeps its permissions (and its owner, where the process may set it); a new file is
/// created 0600, since a world holds access keys.
///
/// Nothing is fsynced: `--persist` writes under the world's lock after every mutation, and a
/// sync there would cap the sandbox at a few dozen mutations a second. The write is atomic
/// against the emulator stopping or crashing, not against the machine losing power.
///
/// The crate has its own helper for this; the emulator keeps a copy because it imports nothing
/// from the crate.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let target = resolve_links(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "world.json".to_owned());
    let existing = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        if let Some(meta) = &existing {
            // Not subject to the umask, unlike the mode at creation.
            file.set_permissions(meta.permissions())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt as _;
                // Only root may give a file away; anyone else keeps their own, which is what
                // the file already had when they own it.
                let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
            }
        }
        file.write_all(bytes)?;
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// `path` with every symlink in its last component followed, to the file a write must change
/// (which need not exist yet). Relative link targets are read from the link's directory.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // As many hops as Linux allows before ELOOP.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "too many levels of symbolic links at `{}`",
        path.display()
    )))
}
