//! `sgform show FILE [--format text|json|markdown]`: render a plan file saved by
//! `sgform plan --out FILE`, exactly as `plan` rendered it (same text, same JSON, same masking
//! of sensitive values; the Markdown without the diagnostics, which a plan file does not keep).

use std::path::PathBuf;
use std::process::ExitCode;

use super::plan::{FormatArgs, rendered_as, usage_error};
use crate::cli::printer;
use crate::diag::SourceMap;
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan file written by `sgform plan --out FILE`.
    pub file: PathBuf,
    #[command(flatten)]
    pub output: FormatArgs,
    /// Add the API calls in execution order (as `plan --verbose`).
    #[arg(long)]
    pub verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = match args.output.format() {
        Ok(format) => format,
        Err(message) => return Ok(usage_error("show", &message)),
    };
    let saved = ops::plan::read_saved(&args.file)?;
    // The planner's checks over the saved plan (none fire on a plan as `plan` saved it).
    printer::diagnostics(&saved.diagnostics, &SourceMap::new());
    printer::data(&rendered_as(&saved.file.plan, format, args.verbose, None))?;
    Ok(ExitCode::SUCCESS)
}
