//! The text preview of a plan: what a reviewer reads before a security boundary changes.
//!
//! Deterministic (the same plan gives the same bytes), Terraform-like: the drift section
//! ("Changed outside sgform") first, then a legend of only the symbols used, one block per
//! address with its pairs and each touched target's groups before → after, optionally the API
//! calls in order, and the summary line. Sensitive IDs print as `(sensitive value)` everywhere,
//! the API calls included (see [`Mask`]).

use std::fmt::Write as _;

use similar::{Algorithm, ChangeTag};

use super::mask::Mask;
use crate::ids::{Address, SecurityGroupId, Target};
use crate::plan::model::{Action, Drift, Plan, ResourceChange, TargetChange};
use crate::state::ManagedMembership;

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Add the API calls in execution order, with their parameters and what each waits for.
    pub verbose: bool,
    /// ANSI colour for symbols and headings.
    pub color: bool,
}

/// The last line when the plan changes nothing.
pub const NO_CHANGES: &str = "No changes. Membership matches the configuration.";

/// The last line when a destroy plan changes nothing.
pub const NO_CHANGES_DESTROY: &str = "No changes. No managed memberships to destroy.";

/// The first line of a destroy plan's preview.
pub const DESTROY_HEADING: &str =
    "Destroy plan: every membership sgform manages leaves; nothing joins, nothing is adopted.";

/// The first line of a destroy plan's preview: what it covers, every managed membership or
/// those of its `--target` addresses (each shown through `quote`).
pub fn destroy_heading(plan: &Plan, quote: impl Fn(&Address) -> String) -> String {
    if plan.scope.is_empty() {
        return DESTROY_HEADING.to_owned();
    }
    let listed: Vec<String> = plan.scope.iter().map(quote).collect();
    format!(
        "Destroy plan: the memberships sgform manages under {} leave, and no others; nothing joins, nothing is adopted.",
        listed.join(", ")
    )
}

/// Renders the preview of `plan`.
pub fn render(plan: &Plan, options: TextOptions) -> String {
    let mask = Mask::of(plan);
    let style = Style {
        color: options.color,
    };
    let mut out = String::new();
    if plan.destroy {
        let heading = destroy_heading(plan, |a| format!("`{a}`"));
        let _ = writeln!(out, "{}\n", style.bold(&heading));
    }
    if !plan.drift.is_empty() {
        drift(&mut out, plan, &mask, style);
    }
    let changes: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| !c.is_noop())
        .collect();
    // Forgotten entries that are not drift: the pair stays (the configuration still keeps it
    // under another address), only the state entry of the gone declaration goes.
    let kept: Vec<&ManagedMembership> = plan
        .forget
        .iter()
        .filter(|m| !plan.drift.iter().any(|d| &d.membership == *m))
        .collect();
    if !changes.is_empty() || !kept.is_empty() {
        if !changes.is_empty() {
            legend(&mut out, &changes, style);
        }
        out.push_str("sgform will perform the following actions:\n\n");
        for change in &changes {
            block(&mut out, plan, change, &mask, style);
        }
        for m in kept {
            let header = format!(
                "# {} is no longer in the configuration: the state forgets it (no API call)",
                m.address
            );
            let _ = writeln!(out, "  {}", style.bold(&header));
            let _ = writeln!(
                out,
                "    {} stays in {}: the configuration still keeps the pair\n",
                mask.target(&m.target),
                mask.group(&m.security_group_id)
            );
        }
    }
    if options.verbose && !plan.operations.is_empty() {
        calls(&mut out, plan, &mask, style);
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// The last line: `Plan: N to join, M to leave, K to replace.` or [`NO_CHANGES`].
pub fn summary(plan: &Plan) -> String {
    if !plan.has_changes() {
        if plan
            .resource_changes
            .iter()
            .any(|c| blocked(plan, c).next().is_some())
        {
            return BLOCKED_SUMMARY.to_owned();
        }
        return if plan.destroy {
            NO_CHANGES_DESTROY
        } else {
            NO_CHANGES
        }
        .to_owned();
    }
    let (join, leave, replace) = plan.counts();
    let mut line = format!(
        "Plan: {} to join, {} to leave, {} to replace",
        thousands(join),
        thousands(leave),
        thousands(replace)
    );
    if !plan.adopt.is_empty() {
        let _ = write!(line, ", {} to adopt", thousands(plan.adopt.len()));
    }
    if !plan.forget.is_empty() {
        let _ = write!(line, ", {} to forget", thousands(plan.forget.len()));
    }
    line.push('.');
    line
}

/// The last line when every change is blocked by an error (a plan with errors is not applied).
const BLOCKED_SUMMARY: &str = "No API calls planned: every change above is blocked by an error.";

/// The targets of `change` that it joins, leaves or replaces but no operation changes: the
/// planner blocked them (a rule violation, a cycle, no legal order), so they only show intent.
pub(super) fn blocked<'a>(
    plan: &'a Plan,
    change: &'a ResourceChange,
) -> impl Iterator<Item = &'a Target> {
    change
        .touched_targets()
        .into_iter()
        .filter(|t| !plan.targets.contains_key(*t))
}

/// The mark after a pair or replacement line whose target is blocked.
fn blocked_mark(plan: &Plan, target: &Target) -> &'static str {
    if plan.targets.contains_key(target) {
        ""
    } else {
        "  (blocked: see the errors)"
    }
}

/// `1 target`, `2 targets`, `12,345 targets`: a count and the word that agrees with it, with
/// thousands separators. Every count a renderer shows before a noun goes through it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `12345` as `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn symbol(self, symbol: char) -> String {
        let code = match symbol {
            '+' => "32",
            '-' => "31",
            '~' => "33",
            _ => "36",
        };
        self.paint(code, &symbol.to_string())
    }
}

/// The adoption symbol: recorded in the state, no API call.
pub(super) const ADOPT: char = '=';

fn legend(out: &mut String, changes: &[&ResourceChange], style: Style) {
    let (mut join, mut leave, mut replace, mut adopt) = (false, false, false, false);
    for c in changes {
        join |= c.join.iter().any(|p| !c.replace.contains(&p.target));
        leave |= c.leave.iter().any(|p| !c.replace.contains(&p.target));
        replace |= !c.replace.is_empty();
        adopt |= !c.adopt.is_empty();
    }
    out.push_str("Membership changes are shown with these symbols:\n");
    let rows = [
        (join, Action::Join.symbol(), "join"),
        (leave, Action::Leave.symbol(), "leave"),
        (
            replace,
            Action::Replace.symbol(),
            "replace (atomic set replacement)",
        ),
        (
            adopt,
            ADOPT,
            "adopt (already a member: recorded in the state, no API call)",
        ),
    ];
    for (present, symbol, text) in rows {
        if present {
            let _ = writeln!(out, "  {} {text}", style.symbol(symbol));
        }
    }
    out.push('\n');
}

fn drift(out: &mut String, plan: &Plan, mask: &Mask, style: Style) {
    let _ = writeln!(out, "{}\n", style.bold("Changed outside sgform"));
    out.push_str(
        "sgform found these memberships it manages gone from the cloud since the last apply:\n\n",
    );
    for d in &plan.drift {
        let m = &d.membership;
        let _ = writeln!(
            out,
            "  # {} has changed outside sgform: {} is no longer in {}",
            m.address,
            mask.target(&m.target),
            mask.group(&m.security_group_id)
        );
        let _ = writeln!(out, "    {}", drift_outcome(plan, d));
    }
    out.push_str(
        "\n─────────────────────────────────────────────────────────────────────────────\n\n",
    );
}

/// What the plan does about one drifted membership, as a sentence about "it".
pub(super) fn drift_outcome(plan: &Plan, d: &Drift) -> &'static str {
    let m = &d.membership;
    // `planned_back` is false for four reasons: the declaration is gone, the plan is
    // refresh-only or a destroy plan (the state forgets it), or the target itself is gone (an
    // error).
    let declared = plan
        .change(&m.address)
        .is_some_and(|c| !c.removed_from_config);
    if d.planned_back {
        "it is still declared, so this plan joins it again"
    } else if plan.destroy {
        "a destroy plan has nothing to leave here: the state forgets it (no API call)"
    } else if !declared {
        "it is no longer declared, so the state forgets it (no API call)"
    } else if plan.forget.contains(m) {
        "it is still declared, but a refresh-only plan makes no API calls: the state forgets it"
    } else {
        "it is still declared but cannot be joined again (see the errors)"
    }
}

fn header(plan: &Plan, change: &ResourceChange) -> String {
    if plan.destroy {
        return format!(
            "{} will be destroyed: its memberships will leave",
            change.address
        );
    }
    if change.removed_from_config {
        return format!(
            "{} is no longer in the configuration: its memberships will leave",
            change.address
        );
    }
    let mut verbs = Vec::new();
    if change
        .join
        .iter()
        .any(|p| !change.replace.contains(&p.target))
    {
        verbs.push("join");
    }
    if change
        .leave
        .iter()
        .any(|p| !change.replace.contains(&p.target))
    {
        verbs.push("leave");
    }
    if !change.replace.is_empty() {
        verbs.push("replace groups");
    }
    match verbs.as_slice() {
        [] => format!(
            "{} will be adopted into the state (already a member, no API call)",
            change.address
        ),
        [one] => format!("{} will {one}", change.address),
        [init @ .., last] => format!("{} will {} and {last}", change.address, init.join(", ")),
    }
}

fn block(out: &mut String, plan: &Plan, change: &ResourceChange, mask: &Mask, style: Style) {
    let _ = writeln!(
        out,
        "  {}",
        style.bold(&format!("# {}", header(plan, change)))
    );
    for target in &change.replace {
        let call = match target {
            Target::Instance(_) => "ModifyInstanceAttribute",
            Target::NetworkInterface(_) => "ModifyNetworkInterfaceAttribute",
        };
        let _ = writeln!(
            out,
            "    {} replace the groups of {} (one {call} call){}",
            style.symbol(Action::Replace.symbol()),
            mask.target(target),
            blocked_mark(plan, target)
        );
    }
    for p in change
        .join
        .iter()
        .filter(|p| !change.replace.contains(&p.target))
    {
        let _ = writeln!(
            out,
            "    {} join  {} to {}{}",
            style.symbol(Action::Join.symbol()),
            mask.target(&p.target),
            mask.group(&p.security_group_id),
            blocked_mark(plan, &p.target)
        );
    }
    for p in change
        .leave
        .iter()
        .filter(|p| !change.replace.contains(&p.target))
    {
        let _ = writeln!(
            out,
            "    {} leave {} from {}{}",
            style.symbol(Action::Leave.symbol()),
            mask.target(&p.target),
            mask.group(&p.security_group_id),
            blocked_mark(plan, &p.target)
        );
    }
    for p in &change.adopt {
        let _ = writeln!(
            out,
            "    {} adopt {} in {} (already a member, no API call)",
            style.symbol(ADOPT),
            mask.target(&p.target),
            mask.group(&p.security_group_id)
        );
    }
    for target in change.touched_targets() {
        if let Some(t) = plan.targets.get(target) {
            groups(out, target, t, mask, style);
        }
    }
    out.push('\n');
}

/// A target's groups before → after, line by line: unchanged with two spaces, `-` removed,
/// `+` added, in the order the diff finds.
fn groups(out: &mut String, target: &Target, t: &TargetChange, mask: &Mask, style: Style) {
    let _ = writeln!(
        out,
        "\n      groups of {} ({} → {}):",
        mask.target(target),
        t.before.len(),
        t.after.len()
    );
    let before: Vec<&SecurityGroupId> = t.before.iter().collect();
    let after: Vec<&SecurityGroupId> = t.after.iter().collect();
    for (tag, slice) in similar::utils::diff_slices(Algorithm::Myers, &before, &after) {
        let mark = match tag {
            ChangeTag::Equal => " ".to_owned(),
            ChangeTag::Delete => style.symbol('-'),
            ChangeTag::Insert => style.symbol('+'),
        };
        for g in slice {
            let _ = writeln!(out, "        {mark} {}", mask.group(g));
        }
    }
}

fn calls(out: &mut String, plan: &Plan, mask: &Mask, style: Style) {
    let _ = writeln!(out, "{}\n", style.bold("API calls, in execution order:"));
    for (i, op) in plan.operations.iter().enumerate() {
        let params: Vec<String> = op
            .api_params()
            .iter()
            .map(|(k, v)| format!("{k}={}", mask.param(v)))
            .collect();
        let _ = writeln!(out, "  [{i}] {} {}", op.api_action(), params.join(" "));
        let waits = if op.depends_on.is_empty() {
            "nothing".to_owned()
        } else {
            op.depends_on
                .iter()
                .map(|d| format!("[{}] ({})", d.on, d.reason.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "      waits for: {waits}");
        let addresses: Vec<String> = op.addresses.iter().map(ToString::to_string).collect();
        if !addresses.is_empty() {
            let _ = writeln!(out, "      for: {}", addresses.join(", "));
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests;
