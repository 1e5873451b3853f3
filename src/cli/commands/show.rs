//! `sgform show FILE [--json]`: render a plan file saved by `sgform plan --out FILE`, exactly
//! as `plan` rendered it (same text, same JSON, same masking of sensitive values).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::plan::rendered;
use crate::cli::printer;
use crate::plan::planfile::PlanFile;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan file written by `sgform plan --out FILE`.
    pub file: PathBuf,
    /// Print the plan as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Add the API calls in execution order (as `plan --verbose`).
    #[arg(long)]
    pub verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("failed to read plan file `{}`", args.file.display()))?;
    let file = PlanFile::from_bytes(&args.file, &bytes)?;
    printer::data(&rendered(&file.plan, args.json, args.verbose))?;
    Ok(ExitCode::SUCCESS)
}
