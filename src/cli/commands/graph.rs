//! `sgform graph [DIR]`: plan as `sgform plan` does and print the operation DAG in Graphviz
//! DOT on stdout (`sgform graph | dot -Tsvg > plan.svg`): a node per API call, an edge per
//! dependency labelled with its reason.

use std::path::PathBuf;
use std::process::ExitCode;

use super::plan::make_plan;
use crate::cli::args::{ConfigArgs, ConnectionArgs, LockArgs, StateArgs};
use crate::cli::{lock, printer};
use crate::plan::PlanOptions;
use crate::plan::render::dot;
use crate::state;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub vars: ConfigArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // As `plan`: the lock keeps an apply from changing the state while we read it.
    let backend = state::open(&args.state.location(&args.dir));
    let _lock = lock::acquire(&backend, "graph", &args.lock)?;
    let Some(planned) = make_plan(
        &args.dir,
        &args.vars,
        &backend,
        &args.connection,
        &PlanOptions::default(),
    )?
    else {
        return Ok(ExitCode::FAILURE);
    };
    printer::data(&dot::render(&planned.plan))?;
    Ok(ExitCode::SUCCESS)
}
