//! `sgform validate [DIR] [--json]`: load and check a configuration offline (no credentials, no
//! network). Exit 0 when valid (warnings allowed), 1 with diagnostics otherwise.

#![allow(clippy::print_stdout)] // the verdict and the JSON are this command's output

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{env, printer};
use crate::config::{self, Inputs, VarSource};
use crate::diag;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Print the diagnostics as JSON on stdout instead of text on stderr.
    #[arg(long)]
    pub json: bool,
    /// Set a variable: `--var name=value` (repeatable; wins over `--var-file` and SGFORM_VAR_*).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from an HCL file of `name = value` lines (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// Builds the variable inputs shared by every command that loads a configuration: the
/// environment (`SGFORM_VAR_*`), then every `--var-file`, then every `--var`.
pub fn inputs(vars: &[String], var_files: &[PathBuf]) -> anyhow::Result<Inputs> {
    let mut inputs = Inputs {
        env: env::with_prefix(env::SGFORM_VAR_PREFIX),
        ..Inputs::default()
    };
    for path in var_files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read variable file `{}`", path.display()))?;
        inputs.sources.push(VarSource::File {
            path: path.clone(),
            text,
        });
    }
    for var in vars {
        inputs
            .sources
            .push(Inputs::parse_var(var).map_err(anyhow::Error::msg)?);
    }
    Ok(inputs)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut inputs = inputs(&args.vars, &args.var_files)?;
    inputs.validate_only = true;
    let (config, diags) = config::load(&args.dir, &inputs)?;
    let valid = !diag::has_errors(&diags);
    if args.json {
        let json = printer::diagnostics_json(&diags, config.sources());
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        printer::diagnostics(&diags, config.sources());
        if valid {
            println!(
                "The configuration is valid: {} declaration{} evaluated, {} block{} waiting for data sources.",
                config.declarations().len(),
                if config.declarations().len() == 1 {
                    ""
                } else {
                    "s"
                },
                config.deferred().len(),
                if config.deferred().len() == 1 {
                    ""
                } else {
                    "s"
                },
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
