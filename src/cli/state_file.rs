//! The state file as `apply` persists it until the state store lands: the whole document
//! rewritten atomically after every completed operation (a temp file in the same directory,
//! fsync, rename, fsync of the directory), mode 0600, `serial` +1 per write, a fresh UUID v4
//! `lineage` when the state is new. No lock and no `.backup` yet: those come with the store,
//! which replaces this behind the same [`StateSink`].

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::apply::{SinkError, StateSink};
use crate::state::{ManagedMembership, State};

/// The state at `path`, rewritten on every record.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    state: State,
}

impl StateFile {
    /// Starts from `state`, as read from `path`.
    pub fn new(path: PathBuf, state: State) -> Self {
        Self { path, state }
    }

    /// The state as last written (or as given, before any write).
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl StateSink for StateFile {
    fn record(
        &mut self,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), SinkError> {
        let mut next = self.state.clone();
        for m in remove {
            next.memberships.remove(m);
        }
        next.memberships.extend(add.iter().cloned());
        if next.lineage.is_empty() {
            next.lineage = uuid::Uuid::new_v4().to_string();
        }
        next.serial += 1;
        write_atomic(&self.path, next.to_json().as_bytes())?;
        self.state = next;
        Ok(())
    }
}

/// Writes `bytes` to `path` so that a reader (or a crash) sees the old file or the new one,
/// never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sgform.state.json".to_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let context = |what: &str, e: std::io::Error| -> SinkError {
        format!("failed to {what} state file `{}`: {e}", path.display()).into()
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(context("write", e));
    }
    // The rename is durable only once the directory is.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
