//! `sgform apply [DIR | PLANFILE]`: plan (or read a saved plan), confirm, and carry it out
//! through `apply::execute`, persisting the state after every completed operation.
//!
//! Without a plan file the plan is made and shown, then confirmed at a prompt (only `yes`
//! proceeds; `--auto-approve` skips it; a stdin that is not a terminal is an error, never a
//! silent yes). A plan file (a file rather than a directory) is applied without a prompt against
//! the configuration in the current directory, after checking it is not stale: the same
//! configuration files, the same state lineage and serial, and a fresh refresh of the targets
//! it touches showing the status and groups it assumed.
//!
//! Per-operation lines and the summary go to stdout (`--json`: one JSON event per line);
//! diagnostics and status go to stderr, and on a terminal a progress bar below the lines
//! (`cli::progress`). Exit codes: 0 success, 1 failure or cancelled at the prompt, 130 after
//! Ctrl-C (the first stops starting new operations and lets those in flight finish; the second
//! exits at once — the state is persisted after every operation anyway).
//!
//! The state lock is held from before the state is read until the last write (`--lock=false`
//! skips it, `--lock-timeout` waits for it).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tokio::sync::mpsc;

use super::plan as plan_cmd;
use crate::apply::{self, ApplyOptions, Cancel, Event, Outcome, Report};
use crate::cli::args::ChangeArgs;
use crate::cli::lock;
use crate::cli::printer;
use crate::cli::progress::Progress;
use crate::cli::sandbox;
use crate::cli::state_file::StoreSink;
use crate::plan::planfile::{self, PlanFile};
use crate::plan::refresh::{self, Clients};
use crate::plan::render::{Mask, SENSITIVE};
use crate::plan::{Action, Operation, Plan, PlanOptions};
use crate::state::{self, Backend, State};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory, or a plan file saved by `sgform plan --out` (applied
    /// against the configuration in the current directory, without a prompt).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// No joins or leaves: bring the state in line with the cloud (forget pairs that are gone).
    #[arg(long)]
    pub refresh_only: bool,
    /// One JSON event per line on stdout instead of text (and no progress bar; the bar is shown
    /// only when stdout and stderr are terminals).
    #[arg(long)]
    pub json: bool,
}

/// What will be applied, and against which state.
struct Ready {
    state: State,
    plan: Plan,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let run = Run {
        path: &args.path,
        refresh_only: args.refresh_only,
        json: args.json,
        change: &args.change,
    };
    run_with(&run, false)
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
    if from_file && (!change.targets.is_empty() || args.refresh_only) {
        anyhow::bail!(
            "`--target` and `--refresh-only` shape a new plan; they cannot be combined with a saved plan file"
        );
    }
    if !from_file && !change.apply.auto_approve && args.json {
        anyhow::bail!(
            "`--json` has no prompt; pass `--auto-approve` too, or apply a saved plan file (as Terraform's `-json`)"
        );
    }
    if !from_file && !change.apply.auto_approve && !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "stdin is not a terminal, so sgform cannot ask for confirmation; pass `--auto-approve` to apply without asking, or apply a saved plan file"
        );
    }
    let targets = change.targets.addresses()?;
    // The configuration: of DIR, or for a plan file, of the current directory (as Terraform).
    let dir = if from_file { Path::new(".") } else { args.path };
    // One backend: it holds the lock until the command ends (nothing else writes this state
    // between our read and our last write), and it does every write.
    let backend = state::open(&change.state.location(dir));
    let operation = if destroy { "destroy" } else { "apply" };
    let _lock = lock::acquire(&backend, operation, &change.lock)?;
    let Some(loaded) = plan_cmd::load(dir, &change.vars, &backend)? else {
        return Ok(ExitCode::FAILURE);
    };
    let file = if from_file {
        let bytes = std::fs::read(args.path)
            .with_context(|| format!("failed to read plan file `{}`", args.path.display()))?;
        let file = PlanFile::from_bytes(args.path, &bytes)?;
        let digest = plan_cmd::config_digest(&loaded.config);
        if let Err(stale) = planfile::check_fresh(&file, &digest, &loaded.state) {
            anyhow::bail!("stale plan: run sgform plan again ({stale})");
        }
        Some(file)
    } else {
        None
    };

    // One runtime and one connection (one sandbox) for the refresh and the calls.
    let runtime = crate::cli::runtime()?;
    let config = loaded.config.clone();
    let connection = runtime.block_on(sandbox::connect_with(
        &config,
        change.connection.sandbox.as_deref(),
        change.connection.rate_limit,
    ))?;
    let ready = runtime.block_on(async {
        match file {
            Some(file) => {
                let refreshed = refresh::refresh(
                    &connection.clients,
                    &loaded.config,
                    &loaded.state,
                    change.connection.parallelism as usize,
                )
                .await?;
                if let Err(stale) = planfile::check_remote(&file, &refreshed.inventory) {
                    anyhow::bail!("stale plan: run sgform plan again ({stale})");
                }
                anyhow::Ok(Some(Ready {
                    state: loaded.state,
                    plan: file.plan,
                }))
            }
            None => {
                let options = PlanOptions {
                    targets,
                    refresh_only: args.refresh_only,
                    destroy,
                };
                let planned = plan_cmd::plan_with(
                    &connection.clients,
                    loaded,
                    change.connection.parallelism,
                    &options,
                )
                .await?;
                Ok(planned.map(|p| Ready {
                    state: p.state,
                    plan: p.plan,
                }))
            }
        }
    });
    let ready = match ready {
        Ok(Some(ready)) => ready,
        other => {
            runtime.block_on(connection.shutdown())?;
            return other.map(|_| ExitCode::FAILURE);
        }
    };

    if !ready.plan.has_changes() {
        runtime.block_on(connection.shutdown())?;
        emit_line(
            args.json,
            &crate::plan::render::text::summary(&ready.plan),
            json!({"type": "no_changes"}),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if !from_file {
        if !args.json {
            printer::data(&plan_cmd::rendered(&ready.plan, false, false))?;
        }
        if !change.apply.auto_approve && !confirm(ready.plan.destroy)? {
            runtime.block_on(connection.shutdown())?;
            printer::status(&format!("{} cancelled.", verb(&ready.plan)));
            return Ok(ExitCode::FAILURE);
        }
    }
    let mask = Mask::of(&ready.plan);
    let report = runtime.block_on(execute(args, &backend, &ready, &mask, &connection.clients))?;
    runtime.block_on(connection.shutdown())?;
    summary(&ready.plan, &mask, &report, args.json)
}

/// `Apply` or `Destroy`, for the prompt's answer and the summary.
fn verb(plan: &Plan) -> &'static str {
    if plan.destroy { "Destroy" } else { "Apply" }
}

/// Asks on stderr and reads one line from stdin; only `yes` proceeds.
fn confirm(destroy: bool) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    let question = if destroy {
        "Do you really want to destroy all managed memberships?\n  sgform will leave every membership shown above. There is no undo.\n  Only 'yes' will be accepted:"
    } else {
        "Do you want to apply these changes? Only 'yes' will be accepted:"
    };
    write!(err, "\n{question} ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(is_yes(&answer))
}

pub(crate) fn is_yes(answer: &str) -> bool {
    answer.trim_end_matches(['\n', '\r']) == "yes"
}

async fn execute(
    args: &Run<'_>,
    backend: &dyn Backend,
    ready: &Ready,
    mask: &Mask,
    clients: &Clients,
) -> anyhow::Result<Report> {
    let options = ApplyOptions {
        parallelism: args.change.connection.parallelism as usize,
        wait_timeout: args.change.apply.wait_timeout.0,
        ..ApplyOptions::default()
    };
    let plan = &ready.plan;
    let mut sink = StoreSink::new(backend, ready.state.clone());
    let json_out = args.json;
    let progress = Progress::for_apply(plan.operations.len(), json_out);
    let (cancel_tx, cancel) = Cancel::new();
    // One listener for the whole apply, made before any call: a second Ctrl-C that comes
    // while the first is being handled is still seen (a listener made afresh after the first
    // would miss it).
    let mut interrupt = Interrupts::listen()?;
    let shown = progress.clone();
    let interrupts = tokio::spawn(async move {
        let mut seen = 0;
        while interrupt.recv().await {
            seen += 1;
            if seen == 1 {
                shown.print(|| printer::status(
                    "Interrupt received: finishing the operations in flight and saving the state; press Ctrl-C again to exit at once.",
                ));
                let _ = cancel_tx.send(true);
            } else {
                shown.finish();
                printer::status("Exiting at once; the state holds every completed operation.");
                std::process::exit(130);
            }
        }
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let printing = progress.print_events(&mut rx, |event| print_event(plan, mask, event, json_out));
    let (report, ()) = tokio::join!(
        apply::execute(plan, clients, &mut sink, &options, tx, cancel),
        printing
    );
    interrupts.abort();
    progress.finish();
    Ok(report)
}

/// SIGINT (Ctrl-C elsewhere), as one stream for the whole apply.
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    fn listen() -> anyhow::Result<Interrupts> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c();
        Ok(Interrupts {
            signal: signal.context("failed to listen for Ctrl-C")?,
        })
    }

    /// The next interrupt; `false` once no more can come.
    async fn recv(&mut self) -> bool {
        self.signal.recv().await.is_some()
    }
}

fn address_of(op: &Operation, mask: &Mask) -> String {
    let shown = op
        .addresses
        .first()
        .map_or_else(|| op.target.to_string(), ToString::to_string);
    if mask.hides_target(&op.target) {
        shown.replace(op.target.as_str(), SENSITIVE)
    } else {
        shown
    }
}

fn what(op: &Operation, mask: &Mask) -> String {
    match (&op.action, &op.security_group_id) {
        (Action::Join, Some(g)) => format!("Joining {}", mask.group(g)),
        (Action::Leave, Some(g)) => format!("Leaving {}", mask.group(g)),
        _ => format!(
            "Replacing groups with {}",
            op.after
                .iter()
                .map(|g| mask.group(g))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn done_word(action: Action) -> &'static str {
    match action {
        Action::Join => "Joined",
        Action::Leave => "Left",
        Action::Replace => "Replaced",
    }
}

fn emit_line(json_out: bool, text: &str, value: serde_json::Value) -> anyhow::Result<()> {
    if json_out {
        printer::data(&format!("{value}\n"))
    } else {
        printer::data(&format!("{text}\n"))
    }
}

fn print_event(plan: &Plan, mask: &Mask, event: &Event, json_out: bool) -> anyhow::Result<()> {
    let op_of = |i: usize| &plan.operations[i];
    match event {
        Event::Started { index } => {
            let op = op_of(*index);
            let text = format!("{}: {} ...", address_of(op, mask), what(op, mask));
            emit_line(
                json_out,
                &text,
                json!({"type": "started", "index": index, "address": address_of(op, mask),
                       "action": op.action, "target": mask.target(&op.target)}),
            )
        }
        Event::Waiting {
            index,
            status,
            elapsed,
        } => {
            let op = op_of(*index);
            let text = format!(
                "{}: still waiting for {} ({status}, {}s elapsed)",
                address_of(op, mask),
                mask.target(&op.target),
                elapsed.as_secs()
            );
            emit_line(
                json_out,
                &text,
                json!({"type": "waiting", "index": index, "status": status,
                       "elapsed_s": elapsed.as_secs_f64()}),
            )
        }
        Event::Rechecking { index, .. } => {
            let op = op_of(*index);
            let text = format!(
                "{}: outcome unknown, re-reading {} before deciding",
                address_of(op, mask),
                mask.target(&op.target)
            );
            emit_line(
                json_out,
                &text,
                json!({"type": "rechecking", "index": index}),
            )
        }
        Event::Finished {
            index,
            outcome,
            elapsed,
        } => {
            let op = op_of(*index);
            let secs = elapsed.as_secs_f64();
            let (text, kind) = match outcome {
                Outcome::Done => (format!("{} ({secs:.1}s)", done_word(op.action)), "done"),
                Outcome::AlreadyDone { code } => (
                    format!(
                        "{} (already in effect{}, {secs:.1}s)",
                        done_word(op.action),
                        code.as_deref()
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default()
                    ),
                    "already_done",
                ),
                Outcome::Failed(f) => (
                    format!("Failed: {}", f.code.as_deref().unwrap_or("error")),
                    "failed",
                ),
                Outcome::Skipped { .. } | Outcome::NotStarted => (String::new(), "skipped"),
            };
            emit_line(
                json_out,
                &format!("{}: {text}", address_of(op, mask)),
                json!({"type": "finished", "index": index, "outcome": kind,
                       "address": address_of(op, mask), "elapsed_s": secs}),
            )
        }
        Event::Skipped { index, because } => {
            let op = op_of(*index);
            let text = format!(
                "{}: Skipped ({} on {} failed)",
                address_of(op, mask),
                op_of(*because).api_action(),
                address_of(op_of(*because), mask)
            );
            emit_line(
                json_out,
                &text,
                json!({"type": "skipped", "index": index, "because": because}),
            )
        }
        Event::Persisted { index } => {
            if json_out {
                printer::data(&format!(
                    "{}\n",
                    json!({"type": "persisted", "index": index})
                ))
            } else {
                Ok(())
            }
        }
        Event::Cancelling { in_flight } => {
            printer::status(&format!(
                "Cancelling: starting nothing new, waiting for {in_flight} operation(s) in flight."
            ));
            Ok(())
        }
    }
}

fn summary(plan: &Plan, mask: &Mask, report: &Report, json_out: bool) -> anyhow::Result<ExitCode> {
    let verb = verb(plan);
    let mut failures = Vec::new();
    for r in &report.operations {
        let op = &plan.operations[r.index];
        match &r.outcome {
            Outcome::Failed(f) => {
                let mut text = format!(
                    "error: {} failed for {} ({})\n",
                    op.api_action(),
                    address_of(op, mask),
                    mask.target(&op.target)
                );
                match &f.code {
                    Some(code) => text.push_str(&format!("  Caused by: {code}: {}\n", f.message)),
                    None => text.push_str(&format!("  Caused by: {}\n", f.message)),
                }
                if let Some(id) = &f.request_id {
                    text.push_str(&format!("  request id: {id}\n"));
                }
                if let Some(hint) = &f.hint {
                    text.push_str(&format!("  hint: {hint}\n"));
                }
                failures.push(text);
                if json_out {
                    printer::data(&format!(
                        "{}\n",
                        json!({"type": "failure", "index": r.index, "address": address_of(op, mask),
                               "action": op.api_action(), "code": f.code, "message": f.message,
                               "request_id": f.request_id, "hint": f.hint})
                    ))?;
                }
            }
            Outcome::Skipped { because } => failures.push(format!(
                "skipped: {} for {}, because {} for {} did not succeed\n",
                op.api_action(),
                address_of(op, mask),
                plan.operations[*because].api_action(),
                address_of(&plan.operations[*because], mask)
            )),
            _ => {}
        }
    }
    if let Some(e) = &report.persist_error {
        failures.push(format!(
            "error: the state could not be saved, so nothing more was started: {e}\n"
        ));
    }
    let counts = json!({"joined": report.joined, "left": report.left, "replaced": report.replaced,
        "failed": report.failed, "skipped": report.skipped, "not_started": report.not_started,
        "api_calls": report.calls, "retries": report.retries,
        "elapsed_s": report.elapsed.as_secs_f64()});
    if report.cancelled {
        let text = format!(
            "{verb} cancelled: {} joined, {} left, {} replaced, {} failed, {} not started; the state holds every completed operation.",
            report.joined, report.left, report.replaced, report.failed, report.not_started
        );
        if !json_out {
            for f in &failures {
                printer::data(&format!("\n{f}"))?;
            }
        }
        emit_line(
            json_out,
            &format!("\n{text}"),
            json!({"type": "cancelled", "counts": counts}),
        )?;
        return Ok(ExitCode::from(130));
    }
    if report.succeeded() {
        let text = format!(
            "\n{verb} complete! {} joined, {} left, {} replaced in {:.1} s ({} API calls, {} retries).",
            report.joined,
            report.left,
            report.replaced,
            report.elapsed.as_secs_f64(),
            report.calls,
            report.retries
        );
        emit_line(
            json_out,
            &text,
            json!({"type": "complete", "counts": counts}),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if !json_out {
        for f in &failures {
            printer::data(&format!("\n{f}"))?;
        }
    }
    let text = format!(
        "\n{verb} failed: {} joined, {} left, {} replaced, {} failed.",
        report.joined, report.left, report.replaced, report.failed
    );
    emit_line(json_out, &text, json!({"type": "failed", "counts": counts}))?;
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests;
