//! `sgform apply [DIR | PLANFILE]`: plan (or read a saved plan), confirm, and carry it out
//! through `apply::execute`, persisting the state after every completed operation.
//!
//! Without a plan file the plan is made and shown, then confirmed at a prompt (only `yes`
//! proceeds; `--auto-approve` skips it; a stdin that is not a terminal is an error, never a
//! silent yes). A plan file (a file rather than a directory) is applied without a prompt against
//! the configuration it was made from, found from where the file is (`ops::plan::locate`; any
//! working directory), once `ops::apply::prepare` has checked that it runs where and as it was
//! made: the same configuration files, variables and state lineage and serial, the same plan
//! re-derived from its recorded inputs, the same endpoints (or sandbox), regions and access key
//! IDs, and a fresh refresh of the targets it touches showing the status and groups it assumed.
//!
//! Per-operation lines and the summary go to stdout (`--json`: one JSON event per line);
//! diagnostics and status go to stderr, and on a terminal a progress bar below the lines
//! (`cli::progress`). Exit codes: 0 success, 1 failure or cancelled at the prompt, 130 after
//! Ctrl-C, 143 after SIGTERM, 129 after SIGHUP (the first stops starting new operations and lets
//! those in flight finish; a second exits at once — the state is persisted after every
//! operation anyway).
//!
//! `--destroy` runs `sgform destroy` (a destroy plan, its prompt and summary), as
//! Terraform's `apply -destroy`.
//!
//! The state lock is held from before the state is read until the last write (`--lock=false`
//! skips it, `--lock-timeout` waits for it).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use super::plan as plan_cmd;
use crate::cli::args::ChangeArgs;
use crate::cli::{env, notice, printer};
use crate::ops;
use crate::ops::apply::Prepared;
use crate::plan::render::Mask;
use crate::plan::{Plan, PlanOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory, or a plan file saved by `sgform plan --out` (applied
    /// against the configuration it was made from, without a prompt).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// No joins or leaves: bring the state in line with the cloud (forget pairs that are gone).
    #[arg(long)]
    pub refresh_only: bool,
    /// Leave every membership the state manages, as `sgform destroy` (Terraform's
    /// `apply -destroy`): the same plan, prompt and summary. Not with a plan file.
    #[arg(long, conflicts_with = "refresh_only")]
    pub destroy: bool,
    /// One JSON event per line on stdout instead of text (and no progress bar; the bar is shown
    /// only when stdout and stderr are terminals).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let run = Run {
        path: &args.path,
        refresh_only: args.refresh_only,
        json: args.json,
        change: &args.change,
    };
    if args.destroy && run.path.is_file() {
        anyhow::bail!(
            "`--destroy` makes a new plan; it cannot be combined with a saved plan file (a saved destroy plan is applied as it is: `sgform apply FILE`)"
        );
    }
    run_with(&run, args.destroy)
}

/// One run of `apply` or `destroy`: the positional path and the flags that are not in a group.
pub(crate) struct Run<'a> {
    pub path: &'a Path,
    pub refresh_only: bool,
    pub json: bool,
    pub change: &'a ChangeArgs,
}

/// [`run`]; with `destroy`, the plan it makes is a destroy plan (`sgform destroy`). The
/// wording of the prompt and the summary follows the plan applied, so a saved destroy plan
/// reads the same.
pub(crate) fn run_with(args: &Run<'_>, destroy: bool) -> anyhow::Result<ExitCode> {
    let change = args.change;
    let from_file = args.path.is_file();
    let auto_approve = change.apply.auto_approve;
    if from_file && (!change.targets.is_empty() || args.refresh_only) {
        anyhow::bail!(
            "`--target` and `--refresh-only` shape a new plan; they cannot be combined with a saved plan file"
        );
    }
    if !from_file && !auto_approve && args.json {
        anyhow::bail!(
            "`--json` has no prompt; pass `--auto-approve` too, or apply a saved plan file (as Terraform's `-json`)"
        );
    }
    if !from_file && !auto_approve && !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "stdin is not a terminal, so sgform cannot ask for confirmation; pass `--auto-approve` to apply without asking, or apply a saved plan file"
        );
    }
    // The configuration: DIR, or for a plan file the one it was made from, found from where
    // the file is (so it applies from any working directory).
    let saved = if from_file {
        Some(ops::plan::read_saved(args.path)?)
    } else {
        None
    };
    let dir = match &saved {
        Some(saved) => ops::plan::locate(saved)?,
        None => args.path.to_path_buf(),
    };
    let request = ops::apply::Request {
        source: change.source.source(&dir),
        plan_file: saved,
        options: PlanOptions {
            targets: change.targets.addresses()?,
            refresh_only: args.refresh_only,
            destroy,
        },
        wait_timeout: change.apply.wait_timeout.0,
    };
    let env = env::environment();
    let runtime = crate::cli::runtime()?;
    // A stop signal before any operation started (during the refresh, at the prompt) ends the
    // run at once: nothing was sent, and dropping the session releases the lock.
    let prepared = runtime.block_on(execute::unless_signalled(ops::apply::prepare(
        &request,
        &env,
        &mut notice::show,
    )))?;
    let session = match prepared {
        Err(code) => return Ok(ExitCode::from(code)),
        Ok(prepared) => prepared?,
    };
    let session = match session {
        Prepared::Ready(session) => session,
        Prepared::Refused {
            config,
            diagnostics,
        } => {
            printer::diagnostics(&diagnostics, config.sources());
            return Ok(ExitCode::FAILURE);
        }
    };
    printer::diagnostics(&session.diagnostics, session.config.sources());
    let plan = &session.plan;
    if !plan.has_changes() {
        let text = crate::plan::render::text::summary(plan);
        runtime.block_on(session.close())?;
        render::emit_line(args.json, &text, render::event("no_changes", json!({})))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !from_file {
        if !args.json {
            printer::data(&plan_cmd::rendered(plan, false, false))?;
        }
        // `Err(exit code)` after a stop signal at the prompt.
        let answer = if auto_approve {
            Ok(true)
        } else {
            runtime.block_on(execute::confirm(plan))?
        };
        if answer != Ok(true) {
            let verb = verb(plan);
            runtime.block_on(session.close())?;
            if let Err(code) = answer {
                return Ok(ExitCode::from(code));
            }
            printer::status(&format!("{verb} cancelled."));
            return Ok(ExitCode::FAILURE);
        }
    }
    let mask = Mask::of(plan);
    let executed = runtime.block_on(execute::execute(&session, &mask, args.json))?;
    let plan = session.plan.clone();
    // Held until the command ends.
    let _lock = runtime.block_on(session.close())?;
    let shown = render::summary(
        &plan,
        &mask,
        &executed.report,
        executed.signal_code,
        args.json,
    );
    match (shown, executed.signal_code) {
        // Stopped by a signal (after SIGHUP the terminal may be gone): the exit code says so
        // even if the summary could not be written.
        (Err(_), Some(code)) => Ok(ExitCode::from(code)),
        (shown, _) => shown,
    }
}

/// `Apply` or `Destroy`, for the prompt's answer and the summary.
pub(super) fn verb(plan: &Plan) -> &'static str {
    if plan.destroy { "Destroy" } else { "Apply" }
}

pub(crate) fn is_yes(answer: &str) -> bool {
    answer.trim_end_matches(['\n', '\r']) == "yes"
}

mod execute;
mod render;
#[cfg(test)]
mod tests;
