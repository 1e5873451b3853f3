//! The checks over a finished plan, whatever made it (a fresh plan, or one read from a plan file
//! by `apply FILE` and `show`): each looks only at the plan, the options it was made with and
//! the addresses it could have named. A policy over the planned end state belongs here.
//!
//! Today, `--target`'s: each address must select something (an error with a did-you-mean
//! otherwise, so a mistyped address neither passes for "No changes" nor destroys less than
//! asked), and a targeted plan says that it may be incomplete (Terraform's "Resource targeting
//! is in effect" warning).

use std::collections::BTreeSet;

use crate::diag::Diagnostic;
use crate::ids::Address;

use super::{Plan, PlanOptions};

/// `check_known` with only the plan's own addresses to suggest (a saved plan keeps no
/// others).
pub fn check(plan: &Plan, options: &PlanOptions) -> Vec<Diagnostic> {
    check_known(plan, options, std::iter::empty())
}

/// The checks; `known` are the addresses a `--target` could have meant besides the plan's
/// (every declaration and state entry, also those out of the targets' scope), for the
/// did-you-mean.
///
/// The plan's `resource_changes` hold every address in scope (declarations and state entries),
/// so a target that selects none of them selected nothing; the rule is the diff's
/// (`diff::selected`): without a key, an address selects all its instances.
pub(super) fn check_known<'a>(
    plan: &'a Plan,
    options: &PlanOptions,
    known: impl Iterator<Item = &'a Address>,
) -> Vec<Diagnostic> {
    if options.targets.is_empty() {
        return Vec::new();
    }
    let in_scope: Vec<&Address> = plan.resource_changes.iter().map(|c| &c.address).collect();
    // Every address, and each keyed one's block (what a target without key names).
    let mut candidates = BTreeSet::new();
    for a in in_scope.iter().copied().chain(known) {
        candidates.insert(a.to_string());
        if a.key.is_some() {
            candidates.insert(format!("{}.{}", a.kind, a.name));
        }
    }
    let mut diagnostics: Vec<Diagnostic> = options
        .targets
        .iter()
        .filter(|t| {
            !in_scope
                .iter()
                .any(|a| a.kind == t.kind && a.name == t.name && (t.key.is_none() || t.key == a.key))
        })
        .map(|t| {
            let shown = t.to_string();
            let d = Diagnostic::error(format!(
                "`--target {shown}` matches nothing in the configuration or the state"
            ));
            match closest(&shown, candidates.iter().map(String::as_str)) {
                Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                None => d.with_hint(
                    "`sgform state list` lists the managed addresses; `sgform plan --json` lists every address under `resource_changes`",
                ),
            }
        })
        .collect();
    diagnostics.push(targeting(&options.targets));
    diagnostics
}

/// Terraform's "Resource targeting is in effect", in sgform's words.
fn targeting(targets: &[Address]) -> Diagnostic {
    let listed: Vec<String> = targets.iter().map(|t| format!("`{t}`")).collect();
    Diagnostic::warning("targeting is in effect: this plan may be incomplete")
        .with_note(format!(
            "it covers only {}; changes the configuration asks for elsewhere are not planned",
            listed.join(", ")
        ))
        .with_hint(
            "`--target` is for exceptional situations, such as recovering from an error, not for routine use; `sgform plan` without it shows every pending change",
        )
}

/// The candidate fewest edits (Levenshtein) away from `typed`, if few enough to be a typo: at
/// most 3, or a third of the address for a long one. Ties go to the first in order.
fn closest<'c>(typed: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let allowed = (typed.chars().count() / 3).max(3);
    candidates
        .map(|c| (strsim::levenshtein(typed, c), c))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
