//! One file per command; each has an `Args` (clap) and a `run` that returns the exit code.

pub mod api;
pub mod apply;
pub mod completions;
pub mod destroy;
pub mod emulator;
pub mod fmt;
pub mod force_unlock;
pub mod generate;
pub mod graph;
pub mod import;
pub mod plan;
pub mod sandbox;
pub mod show;
pub mod state;
pub mod validate;
