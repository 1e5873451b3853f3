//! `sgform validate [DIR] [--json]`: load and check a configuration offline (no credentials, no
//! network). Exit 0 when valid (warnings allowed), 1 with diagnostics otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::args::ConfigArgs;
use crate::cli::printer;
use crate::config;
use crate::diag;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Print the diagnostics as JSON on stdout instead of text on stderr.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub vars: ConfigArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut inputs = args.vars.inputs()?;
    inputs.validate_only = true;
    let (config, diags) = config::load(&args.dir, &inputs)?;
    let valid = !diag::has_errors(&diags);
    if args.json {
        let json = printer::diagnostics_json(&diags, config.sources());
        printer::data(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        printer::diagnostics(&diags, config.sources());
        if valid {
            use crate::plan::render::text::count;
            let (evaluated, deferred) = (config.declarations().len(), config.deferred().len());
            printer::data(&format!(
                "The configuration is valid: {} evaluated, {} waiting for data sources.\n",
                count(evaluated, "declaration", "declarations"),
                count(deferred, "block", "blocks"),
            ))?;
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
