//! `sgform graph [DIR]`: plan as `sgform plan` does and print the operation DAG in Graphviz
//! DOT on stdout (`sgform graph | dot -Tsvg > plan.svg`): a node per API call, an edge per
//! dependency labelled with its reason.

use std::path::PathBuf;
use std::process::ExitCode;

use super::plan::{SourceArgs, make_plan};
use super::validate::VarArgs;
use crate::cli::printer;
use crate::plan::PlanOptions;
use crate::plan::render::dot;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(planned) = make_plan(&args.dir, &args.vars, &args.source, &PlanOptions::default())?
    else {
        return Ok(ExitCode::FAILURE);
    };
    printer::data(&dot::render(&planned.plan))?;
    Ok(ExitCode::SUCCESS)
}
