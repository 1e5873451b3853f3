//! `sgform plan [DIR]`: load the configuration and the state, refresh what they name from the
//! cloud, plan, and show the plan (`--format text|json|markdown`, `--json` for short) on
//! stdout; `--out FILE` saves it for `apply` and `show`.
//!
//! Exit codes as Terraform's: 0 success, 1 error (any error diagnostic), 2 with
//! `--detailed-exitcode` when the plan changes something (and 2 for a usage error, as clap's).
//! Diagnostics, the refresh cost and the time go to stderr; with `--format markdown` the
//! diagnostics are in the Markdown on stdout too, errors included, so a CI job can post why a
//! plan failed.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::args::{SourceArgs, TargetArgs};
use crate::cli::{notice, printer};
use crate::ops;
use crate::ops::plan::Planned;
use crate::plan::render;
use crate::plan::{Plan, PlanOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory (every `*.hcl` file in it, not recursive).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Save the plan to FILE, for `sgform apply FILE` and `sgform show FILE` (an existing FILE
    /// is replaced only if it is a plan file).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: FormatArgs,
    /// Exit 2 when the plan changes something (0: no changes, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// No joins or leaves: only bring the state in line with the cloud.
    #[arg(long)]
    pub refresh_only: bool,
    /// Plan to destroy: leave every membership the state manages (within `--target`), in a
    /// legal order; nothing joins and nothing is adopted. What `sgform destroy` runs; save it
    /// with `--out` and apply it with `sgform apply FILE`.
    #[arg(long, conflicts_with = "refresh_only")]
    pub destroy: bool,
    /// Add the API calls in execution order, with their parameters and what each waits for.
    #[arg(long)]
    pub verbose: bool,
}

/// Shows the diagnostics of `attempt` on stderr; its plan unless there was an error.
pub(crate) fn checked(attempt: ops::plan::Attempt) -> Option<Planned> {
    printer::diagnostics(&attempt.diagnostics, attempt.config.sources());
    attempt.into_planned()
}

/// The Markdown of a run, errors first; an empty plan when the configuration did not load.
fn markdown(attempt: &ops::plan::Attempt) -> String {
    let empty = Plan::default();
    let plan = attempt.planned.as_ref().map_or(&empty, |(_, plan)| plan);
    render::markdown::render(
        plan,
        Some(render::markdown::Diagnostics {
            list: &attempt.diagnostics,
            sources: attempt.config.sources(),
        }),
    )
}

impl Args {
    /// The op's request.
    fn request(&self) -> anyhow::Result<ops::plan::Request> {
        Ok(ops::plan::Request {
            source: self.source.source(&self.dir),
            options: PlanOptions {
                targets: self.targets.addresses()?,
                refresh_only: self.refresh_only,
                destroy: self.destroy,
            },
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // With `--json`, a failure is one errored document on stdout, as Terraform's.
    let json = args.output.format() == Ok(Format::Json);
    plan(args).or_else(|err| failed(json, err))
}

fn plan(args: Args) -> anyhow::Result<ExitCode> {
    let format = match args.output.format() {
        Ok(format) => format,
        Err(message) => return Ok(usage_error("plan", &message)),
    };
    let request = args.request()?;
    if let Some(out) = &args.out {
        // Before any call: `--out` replaces nothing but a plan file.
        ops::plan::check_out(out)?;
    }
    let env = crate::cli::env::environment();
    let mut attempt =
        crate::cli::runtime()?.block_on(ops::plan::plan(&request, &env, &mut notice::show))?;
    // Held until the command ends, as it always was.
    let _lock = attempt.lock.take();
    printer::diagnostics(&attempt.diagnostics, attempt.config.sources());
    if format == Format::Markdown && attempt.has_errors() {
        // The comment says why the plan failed; nothing is saved.
        printer::data(&markdown(&attempt))?;
    }
    if format == Format::Json && attempt.has_errors() {
        let list = printer::diagnostic_list_json(&attempt.diagnostics, attempt.config.sources());
        printer::data(&render::json::errored_string(list))?;
    }
    let Some(planned) = attempt.into_planned() else {
        return Ok(ExitCode::FAILURE);
    };
    if let Some(out) = &args.out {
        ops::plan::save(&planned, out)?;
    }
    let diagnostics = render::markdown::Diagnostics {
        list: &planned.diagnostics,
        sources: planned.config.sources(),
    };
    printer::data(&rendered_as(
        &planned.plan,
        format,
        args.verbose,
        Some(diagnostics),
    ))?;
    // On stderr, so that stdout is the plan alone and `sgform show FILE` prints the same bytes.
    if let Some(out) = &args.out {
        printer::status(&format!(
            "Saved the plan to `{}`; `sgform show {}` shows it again.",
            out.display(),
            out.display()
        ));
    }
    Ok(exit_code(&planned.plan, args.detailed_exitcode))
}

/// 0, or 2 with `--detailed-exitcode` when the plan changes something.
pub(crate) fn exit_code(plan: &Plan, detailed: bool) -> ExitCode {
    if detailed && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

mod format;
#[cfg(test)]
mod tests;

pub use format::{Format, FormatArgs};
pub(crate) use format::{failed, rendered, rendered_as, usage_error};
