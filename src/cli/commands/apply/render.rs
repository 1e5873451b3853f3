//! How `apply` and `destroy` show what happens: a line (or, with `--json`, a JSON event) per
//! event, then the failures and the summary.

use std::process::ExitCode;

use serde_json::json;

use super::verb;
use crate::apply::{Event, Outcome, Report};
use crate::cli::printer;
use crate::plan::render::{Mask, SENSITIVE};
use crate::plan::{Action, Operation, Plan};

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

pub(super) fn emit_line(
    json_out: bool,
    text: &str,
    value: serde_json::Value,
) -> anyhow::Result<()> {
    if json_out {
        printer::data(&format!("{value}\n"))
    } else {
        printer::data(&format!("{text}\n"))
    }
}

pub(super) fn print_event(
    plan: &Plan,
    mask: &Mask,
    event: &Event,
    json_out: bool,
) -> anyhow::Result<()> {
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

pub(super) fn summary(
    plan: &Plan,
    mask: &Mask,
    report: &Report,
    signal_code: Option<u8>,
    json_out: bool,
) -> anyhow::Result<ExitCode> {
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
        return Ok(ExitCode::from(
            signal_code.unwrap_or(crate::cli::exit::SIGINT),
        ));
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
