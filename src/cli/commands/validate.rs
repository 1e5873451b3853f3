//! `sgform validate [DIR] [--json]`: load and check a configuration offline (no credentials, no
//! network). Exit 0 when valid (warnings allowed), 1 with diagnostics otherwise.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    #[command(flatten)]
    pub vars: VarArgs,
}

/// `--var` and `--var-file`, for every command that loads a configuration (`#[command(flatten)]`).
#[derive(Debug, Clone, clap::Args)]
pub struct VarArgs {
    /// Set a variable: `--var name=value` (repeatable; later `--var`/`--var-file` win, and both
    /// win over SGFORM_VAR_* and defaults).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = ordered)]
    pub vars: Vec<Ordered>,
    /// Read variables from an HCL file of `name = value` lines (repeatable).
    #[arg(long = "var-file", value_name = "FILE", value_parser = ordered)]
    pub var_files: Vec<Ordered>,
}

/// A command-line value with its position, so `--var` and `--var-file` apply in the order they
/// were given, as Terraform applies them (clap keeps each flag's values in separate lists).
#[derive(Debug, Clone)]
pub struct Ordered {
    pub position: usize,
    pub value: String,
}

static POSITION: AtomicUsize = AtomicUsize::new(0);

/// clap parses arguments left to right, so a counter bumped here records their order.
fn ordered(value: &str) -> Result<Ordered, String> {
    Ok(Ordered {
        position: POSITION.fetch_add(1, Ordering::Relaxed),
        value: value.to_owned(),
    })
}

impl VarArgs {
    /// The variable inputs: the environment (`SGFORM_VAR_*`), then `--var-file` and `--var` in
    /// command-line order.
    pub fn inputs(&self) -> anyhow::Result<Inputs> {
        let mut inputs = Inputs {
            env: env::with_prefix(env::SGFORM_VAR_PREFIX),
            ..Inputs::default()
        };
        let mut sources: Vec<(usize, VarSource)> = Vec::new();
        for file in &self.var_files {
            let path = PathBuf::from(&file.value);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("failed to read variable file `{}`", path.display()))?;
            sources.push((file.position, VarSource::File { path, text }));
        }
        for var in &self.vars {
            let source = Inputs::parse_var(&var.value).map_err(anyhow::Error::msg)?;
            sources.push((var.position, source));
        }
        sources.sort_by_key(|(position, _)| *position);
        inputs.sources = sources.into_iter().map(|(_, s)| s).collect();
        Ok(inputs)
    }
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
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let (evaluated, deferred) = (config.declarations().len(), config.deferred().len());
            printer::data(&format!(
                "The configuration is valid: {evaluated} declaration{} evaluated, {deferred} block{} \
                 waiting for data sources.\n",
                plural(evaluated),
                plural(deferred),
            ))?;
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
