//! The operation DAG in Graphviz DOT (`sgform graph`): one node per API call, labelled with its
//! index, action, target and group; one edge per dependency, labelled with its reason. Sensitive
//! IDs print as `(sensitive value)`.

use std::fmt::Write as _;

use super::mask::Mask;
use crate::plan::model::Plan;

/// Renders the DAG of `plan` as a DOT digraph.
pub fn render(plan: &Plan) -> String {
    let mask = Mask::of(plan);
    let mut out = String::from("digraph sgform {\n  rankdir = \"LR\";\n  node [shape = box];\n");
    for (i, op) in plan.operations.iter().enumerate() {
        let what = match &op.security_group_id {
            Some(g) => format!("{} {}", op.action.verb(), mask.group(g)),
            None => {
                let groups: Vec<&str> = op.after.iter().map(|g| mask.group(g)).collect();
                format!("replace with [{}]", groups.join(", "))
            }
        };
        let label = format!(
            "[{i}] {}\n{}\n{what}",
            op.api_action(),
            mask.target(&op.target)
        );
        let _ = writeln!(out, "  op{i} [label = {}];", quote(&label));
    }
    for (i, op) in plan.operations.iter().enumerate() {
        for d in &op.depends_on {
            let _ = writeln!(
                out,
                "  op{} -> op{i} [label = {}];",
                d.on,
                quote(d.reason.as_str())
            );
        }
    }
    out.push_str("}\n");
    out
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
