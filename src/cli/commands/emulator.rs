//! `sgform emulator` (being built; see the open issues).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the ECS API from a world file.
    Serve,
}

pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sgform emulator` is not built yet")
}
