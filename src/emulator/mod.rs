//! A local ECS API emulator: the stand-in for Alibaba Cloud that sgform's tests, sandbox and
//! demos run against, close enough to the real API that the official SDKs talk to it unchanged.
//!
//! It owns the world model, its file format and its validation ([`world`]), the business rules
//! and answers of the nine actions ([`rules`], one file per family of actions, callable without
//! HTTP through [`World::apply`]), the error catalog ([`catalog`]), signature verification
//! ([`verify`]), injected faults ([`faults`]), the HTTP server ([`server`]) and world
//! generation ([`mod@generate`]). The shape of resource IDs (`id_format`) is the one thing both
//! the world's validation and the rules check; it sits below both so neither imports the other.
//!
//! **Architecture Invariant:** this module imports nothing from the rest of the crate, not even
//! `ids`. It is an independent implementation that the client and the planner are checked
//! against; sharing code or wire types with them would let a shared mistake pass every test.

use std::path::PathBuf;

pub mod catalog;
pub mod faults;
pub mod generate;
mod id_format;
pub mod rules;
pub mod server;
pub mod verify;
pub mod world;

pub use catalog::{ApiError, Code};
pub use faults::{Fault, Faults};
pub use generate::{GenerateOptions, generate};
pub use rules::{Action, Body, Request};
pub use server::{BODY_READ_TIMEOUT, HEADER_READ_TIMEOUT, Options, UNKNOWN_ACTION, serve};
pub use world::{MAX_WORLD_FILE_BYTES, World, WorldFile, WorldProblem};

/// Everything that can stop the emulator from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("failed to read world file `{path}`")]
    ReadWorld {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "world file `{}` is larger than {} MiB, the most the emulator reads",
        path.display(),
        MAX_WORLD_FILE_BYTES >> 20
    )]
    WorldTooLarge { path: PathBuf },
    #[error("world file{} is not valid JSON for a world: {message}", display_path(.path))]
    ParseWorld {
        path: Option<PathBuf>,
        message: String,
    },
    #[error("invalid world{}:\n{}", display_path(.path), list(.problems))]
    InvalidWorld {
        path: Option<PathBuf>,
        problems: Vec<WorldProblem>,
    },
    #[error("invalid `{flag} {value}` for a generated world: {why}")]
    GenerateOption {
        flag: &'static str,
        value: usize,
        why: String,
    },
    #[error("invalid --faults `{spec}`: {why}")]
    FaultSpec { spec: String, why: String },
    #[error("failed to write world file `{path}`")]
    WriteWorld {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to open request log `{path}`")]
    OpenLog {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the emulator's listener failed: {0}")]
    Listener(std::io::Error),
}

impl EmulatorError {
    /// Names the file a parse or validation error came from.
    pub(crate) fn with_path(self, p: &std::path::Path) -> EmulatorError {
        match self {
            EmulatorError::ParseWorld { message, .. } => EmulatorError::ParseWorld {
                path: Some(p.to_path_buf()),
                message,
            },
            EmulatorError::InvalidWorld { problems, .. } => EmulatorError::InvalidWorld {
                path: Some(p.to_path_buf()),
                problems,
            },
            other => other,
        }
    }
}

fn display_path(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" `{}`", p.display()))
        .unwrap_or_default()
}

fn list(problems: &[WorldProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
