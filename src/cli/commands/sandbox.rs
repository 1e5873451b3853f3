//! `sgform sandbox reset [DIR] [--sandbox FILE]`: start the embedded sandbox over from the
//! checked-in world (its copy in `DIR/.sgform/sandbox-world.json` is replaced) with an empty
//! state (the sandbox's own, `DIR/.sgform/sandbox.state.json`, is removed).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{env, printer};
use crate::config::{self, Inputs};
use crate::ops::connect as sandbox;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Start the sandbox over from the checked-in world and an empty state (discarding every change made in it).
    Reset(ResetArgs),
}

#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// The configuration directory whose sandbox to reset.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The world to start from (default: the providers' `sandbox`).
    #[arg(long, value_name = "FILE")]
    pub sandbox: Option<PathBuf>,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Reset(args) => reset(args),
    }
}

fn reset(args: ResetArgs) -> anyhow::Result<ExitCode> {
    let world = match &args.sandbox {
        Some(flag) => sandbox::sandbox_world(&config::Config::default(), Some(flag))?,
        None => {
            // Only the providers matter here; problems elsewhere in the configuration are for
            // `validate` and `plan` to report.
            let (config, _) = config::load(&args.dir, &Inputs::default())?;
            sandbox::sandbox_world(&config, None)?
        }
    };
    let world = world.with_context(|| {
        format!(
            "the configuration in `{}` uses no sandbox; set `sandbox = \"world.json\"` in its provider block or pass `--sandbox FILE`",
            args.dir.display()
        )
    })?;
    let done = sandbox::reset(&args.dir, &world, &env::environment())?;
    let verb = if done.replaced { "replaced" } else { "created" };
    let state = match &done.state {
        Some(state) => format!("; removed the sandbox state `{}`", state.display()),
        None => String::new(),
    };
    printer::status(&format!(
        "sandbox reset: {verb} `{}` from `{}`{state}",
        done.copy.display(),
        world.shown
    ));
    Ok(ExitCode::SUCCESS)
}
