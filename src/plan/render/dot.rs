//! The operation DAG in Graphviz DOT (`sgform graph`): one node per API call, named and
//! labelled by what it does — the addresses of the declarations it serves, then the pair
//! (`join i-… to sg-…`), then the API action — and one edge per dependency, labelled with its
//! reason. Node names are those first lines, so the DOT reads (and diffs) without indexes.
//! Sensitive IDs print as `(sensitive value)`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::mask::Mask;
use crate::plan::model::{Action, Operation, Plan};

/// Renders the DAG of `plan` as a DOT digraph.
pub fn render(plan: &Plan) -> String {
    let mask = Mask::of(plan);
    let mut out = String::from("digraph sgform {\n  rankdir = \"LR\";\n  node [shape = box];\n");
    let mut taken = BTreeSet::new();
    let names: Vec<String> = plan
        .operations
        .iter()
        .map(|op| {
            let base = format!("{}: {}", addresses(op), pair(op, &mask));
            // Two calls that read the same (a masked group) still get a node each.
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base} ({n})");
                n += 1;
            }
            quote(&name)
        })
        .collect();
    for (op, name) in plan.operations.iter().zip(&names) {
        let lines: Vec<String> = op
            .addresses
            .iter()
            .map(ToString::to_string)
            .chain([pair(op, &mask), op.api_action().to_owned()])
            .collect();
        let _ = writeln!(out, "  {name} [label = {}];", quote(&lines.join("\n")));
    }
    for (op, name) in plan.operations.iter().zip(&names) {
        for d in &op.depends_on {
            if let Some(from) = names.get(d.on) {
                let _ = writeln!(
                    out,
                    "  {from} -> {name} [label = {}];",
                    quote(d.reason.as_str())
                );
            }
        }
    }
    out.push_str("}\n");
    out
}

/// The declarations an operation serves, comma-separated (`(no declaration)` for a forget).
fn addresses(op: &Operation) -> String {
    if op.addresses.is_empty() {
        return "(no declaration)".to_owned();
    }
    op.addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the call does to the pair: `join i-… to sg-…`, `leave i-… from sg-…`,
/// `replace the groups of i-… with [sg-…, …]`.
fn pair(op: &Operation, mask: &Mask) -> String {
    let target = mask.target(&op.target);
    match (op.action, &op.security_group_id) {
        (Action::Join, Some(g)) => format!("join {target} to {}", mask.group(g)),
        (Action::Leave, Some(g)) => format!("leave {target} from {}", mask.group(g)),
        _ => {
            let groups: Vec<&str> = op.after.iter().map(|g| mask.group(g)).collect();
            format!(
                "replace the groups of {target} with [{}]",
                groups.join(", ")
            )
        }
    }
}

/// A DOT quoted string: `"` and `\` escaped, newlines as `\n`.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
