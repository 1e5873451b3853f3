//! Reading and writing the world file.

use std::io::Read as _;
use std::path::Path;

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

    /// Writes the world next to `path` and renames it over, so a reader never sees half a file.
    pub fn save(&self, path: &Path) -> Result<(), EmulatorError> {
        let write_err = |source| EmulatorError::WriteWorld {
            path: path.to_path_buf(),
            source,
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "world.json".to_owned());
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let mut text = self.to_json();
        text.push('\n');
        std::fs::write(&tmp, text).map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(write_err)
    }
}
