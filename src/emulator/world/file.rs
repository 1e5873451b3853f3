//! Reading and writing the world file.

use std::path::Path;

use super::{World, WorldFile};
use crate::emulator::EmulatorError;

impl World {
    /// Reads and validates a world file.
    pub fn load(path: &Path) -> Result<World, EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::ReadWorld {
            path: path.to_path_buf(),
            source,
        })?;
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
