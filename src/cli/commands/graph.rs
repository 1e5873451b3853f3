//! `sgform graph [DIR]`: plan as `sgform plan` does and print the operation DAG in Graphviz
//! DOT on stdout (`sgform graph | dot -Tsvg > plan.svg`): a node per API call, an edge per
//! dependency labelled with its reason. It takes the state lock as `plan` does.

use std::path::PathBuf;
use std::process::ExitCode;

use super::plan::checked;
use crate::cli::args::SourceArgs;
use crate::cli::{notice, printer};
use crate::ops;
use crate::plan::PlanOptions;
use crate::plan::render::dot;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub source: SourceArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = ops::plan::Request {
        source: args.source.source(&args.dir)?,
        options: PlanOptions::default(),
    };
    let env = crate::cli::env::environment();
    let attempt =
        crate::cli::runtime()?.block_on(ops::plan::plan(&request, &env, &mut notice::show))?;
    let Some(planned) = checked(attempt) else {
        return Ok(ExitCode::FAILURE);
    };
    printer::data(&dot::render(&planned.plan))?;
    Ok(ExitCode::SUCCESS)
}
