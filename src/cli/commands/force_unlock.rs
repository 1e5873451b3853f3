//! `sgform force-unlock ID [DIR]`: remove a state lock that outlived its holder, by its id.
//!
//! The local lock is an OS lock that dies with its process, so what can outlive a holder is
//! its info file (after a SIGKILL or a crash) or, with a remote backend, the lock itself. The
//! id must match the lock's. A local lock whose holder still runs is never broken: stop the
//! holder instead; the PostgreSQL backend ends the holder's database session where allowed.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::args::StateArgs;
use crate::cli::printer;
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lock id, as the "state is locked" error shows it.
    pub id: String,
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (removed, location) = ops::state::force_unlock(&args.state.location(&args.dir)?, &args.id)?;
    printer::data(&format!(
        "Removed the lock on `{location}` held by {removed}.\n"
    ))?;
    Ok(ExitCode::SUCCESS)
}
