//! `sgform state pull [DIR]` and `sgform state push FILE [DIR]`: move a state document between
//! backends (or files), as Terraform's commands of the same names.
//!
//! - `pull` prints the configured state's document, exactly as a local state file holds it.
//! - `push` writes FILE's document into the configured state, under its lock; another lineage
//!   or an older serial is refused without `--force` (`ops::state::decide_push` says what is
//!   stored). It says on stdout what it stored.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::args::{LockArgs, StateArgs};
use crate::cli::{env, notice, printer};
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The state file to push (a document as `state pull` prints it).
    pub file: PathBuf,
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Push even over another lineage or a newer serial (the stored state is replaced).
    #[arg(long)]
    pub force: bool,
}

pub fn pull(args: &PullArgs) -> anyhow::Result<ExitCode> {
    let state = ops::state::pull(
        &args.state.location(&args.dir),
        args.lock.locking(),
        &env::environment(),
        &mut notice::show,
    )?;
    printer::data(&state.to_json())?;
    Ok(ExitCode::SUCCESS)
}

pub fn push(args: &PushArgs) -> anyhow::Result<ExitCode> {
    let location = args.state.location(&args.dir);
    let request = ops::state::Push {
        file: args.file.clone(),
        location: location.clone(),
        locking: args.lock.locking(),
        force: args.force,
    };
    let file = args.file.display();
    let text = match ops::state::push(&request, &env::environment(), &mut notice::show)? {
        ops::state::Pushed::Stored { serial, lineage } => {
            format!("Pushed `{file}` to `{location}` (serial {serial} of lineage {lineage}).\n")
        }
        ops::state::Pushed::Unchanged { serial } => {
            format!("`{location}` already holds `{file}` (serial {serial}): nothing to push.\n")
        }
    };
    printer::data(&printer::safe_lines(&text))?;
    Ok(ExitCode::SUCCESS)
}
