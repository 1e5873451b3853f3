//! How `apply` and `destroy` show what happens: a line (or, with `--json`, a JSON event) per
//! event, then the failures and the summary.

use std::process::ExitCode;

use serde_json::json;

use super::verb;
use crate::apply::{Event, Outcome, Report};
use crate::cli::printer;
use crate::plan::render::text::{count, thousands};
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

/// The version of the `--json` event schema (README, "apply --json events"): every event
/// carries it as `"version"`. Adding an event type or a field keeps it; renaming or removing
/// one, or changing a field's meaning, raises it.
pub(crate) const EVENTS_VERSION: u32 = 1;

/// One `--json` event: `fields` with its `type` and the schema's `version`.
pub(super) fn event(kind: &str, fields: serde_json::Value) -> serde_json::Value {
    let mut event = json!({"type": kind, "version": EVENTS_VERSION});
    if let (Some(to), serde_json::Value::Object(from)) = (event.as_object_mut(), fields) {
        to.extend(from);
    }
    event
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
    happened: &Event,
    json_out: bool,
) -> anyhow::Result<()> {
    let op_of = |i: usize| &plan.operations[i];
    match happened {
        Event::Started { index } => {
            let op = op_of(*index);
            let text = format!("{}: {} ...", address_of(op, mask), what(op, mask));
            emit_line(
                json_out,
                &text,
                event(
                    "started",
                    json!({"index": index, "address": address_of(op, mask),
                           "action": op.action, "target": mask.target(&op.target)}),
                ),
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
                event(
                    "waiting",
                    json!({"index": index, "address": address_of(op, mask), "status": status,
                           "elapsed_s": elapsed.as_secs_f64()}),
                ),
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
                event(
                    "rechecking",
                    json!({"index": index, "address": address_of(op, mask)}),
                ),
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
                event(
                    "finished",
                    json!({"index": index, "outcome": kind,
                           "address": address_of(op, mask), "elapsed_s": secs}),
                ),
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
                event(
                    "skipped",
                    json!({"index": index, "address": address_of(op, mask), "because": because}),
                ),
            )
        }
        Event::Persisted { index } => {
            if json_out {
                printer::data(&format!(
                    "{}\n",
                    event("persisted", json!({"index": index}))
                ))
            } else {
                Ok(())
            }
        }
        Event::Cancelling { in_flight } => {
            printer::status(&format!(
                "Cancelling: starting nothing new, waiting for {} in flight.",
                count(*in_flight, "operation", "operations")
            ));
            if json_out {
                printer::data(&format!(
                    "{}\n",
                    event("cancelling", json!({"in_flight": in_flight}))
                ))?;
            }
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
                        event(
                            "failure",
                            json!({"index": r.index, "address": address_of(op, mask),
                                   "action": op.api_action(), "code": f.code,
                                   "message": f.message, "request_id": f.request_id,
                                   "hint": f.hint})
                        )
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
    let counts = counts(report);
    if report.cancelled {
        let text = format!(
            "{verb} cancelled: {}, {} failed, {} not started; the state holds every completed operation.",
            done(plan, report),
            thousands(report.failed),
            thousands(report.not_started)
        );
        if !json_out {
            for f in &failures {
                printer::data(&format!("\n{f}"))?;
            }
        }
        emit_line(
            json_out,
            &format!("\n{text}"),
            event("cancelled", json!({"counts": counts})),
        )?;
        return Ok(ExitCode::from(
            signal_code.unwrap_or(crate::cli::exit::SIGINT),
        ));
    }
    if report.succeeded() {
        let text = format!(
            "\n{verb} complete! {} in {:.1} s ({}, {}).",
            done(plan, report),
            report.elapsed.as_secs_f64(),
            count(usize_of(report.calls), "API call", "API calls"),
            count(usize_of(report.retries), "retry", "retries")
        );
        emit_line(
            json_out,
            &text,
            event("complete", json!({"counts": counts})),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if !json_out {
        for f in &failures {
            printer::data(&format!("\n{f}"))?;
        }
    }
    // What did not happen beyond the failures, when something did not.
    let mut undone = String::new();
    if report.skipped > 0 {
        undone.push_str(&format!(", {} skipped", thousands(report.skipped)));
    }
    if report.not_started > 0 {
        undone.push_str(&format!(", {} not started", thousands(report.not_started)));
    }
    let text = format!(
        "\n{verb} failed: {}, {} failed{undone}.",
        done(plan, report),
        thousands(report.failed)
    );
    emit_line(json_out, &text, event("failed", json!({"counts": counts})))?;
    Ok(ExitCode::FAILURE)
}

/// What the run did, in the summary's words. A destroy plan only leaves and forgets, so its
/// summary says only that: `3 left, 0 forgotten`; an apply's names every kind of change:
/// `1 joined, 0 left, 0 replaced, 2 adopted, 0 forgotten`.
fn done(plan: &Plan, report: &Report) -> String {
    let n = |v: usize| thousands(v);
    if plan.destroy {
        format!("{} left, {} forgotten", n(report.left), n(report.forgotten))
    } else {
        format!(
            "{} joined, {} left, {} replaced, {} adopted, {} forgotten",
            n(report.joined),
            n(report.left),
            n(report.replaced),
            n(report.adopted),
            n(report.forgotten)
        )
    }
}

/// The `counts` object of the final event: the same numbers as the summary line, and the same
/// keys for apply and destroy.
fn counts(report: &Report) -> serde_json::Value {
    json!({"joined": report.joined, "left": report.left, "replaced": report.replaced,
        "adopted": report.adopted, "forgotten": report.forgotten,
        "failed": report.failed, "skipped": report.skipped, "not_started": report.not_started,
        "api_calls": report.calls, "retries": report.retries,
        "elapsed_s": report.elapsed.as_secs_f64()})
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
