//! Across renderers: no ID from a sensitive attribute reaches any output, whatever the plan.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::fixtures::{self, change, managed, pair, target, target_change};
use super::{TextOptions, dot, json, markdown, text};
use crate::diag::{Diagnostic, SourceMap};
use crate::ids::Target;
use crate::plan::model::{Action, Drift, Pair, Plan};

const GROUPS: [&str; 4] = [
    "sg-bp1gr0000000000a",
    "sg-bp1gr0000000000b",
    "sg-bp1gr0000000000c",
    "sg-bp1gr0000000000d",
];
const TARGETS: [&str; 4] = [
    "i-bp1ta0000000000a",
    "i-bp1ta0000000000b",
    "eni-bp1ta000000000c",
    "eni-bp1ta000000000d",
];
const KINDS: [&str; 3] = ["membership", "membership_set", "group_members"];
const ATTRS: [&str; 7] = [
    "security_group_id",
    "instance_id",
    "network_interface_id",
    "security_group_ids",
    "ignore_security_group_ids",
    "instance_ids",
    "network_interface_ids",
];

/// A subset of the 16 pairs, as a bit mask.
fn pairs_of(bits: u16) -> Vec<Pair> {
    (0..16)
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| pair(GROUPS[i / 4], TARGETS[i % 4]))
        .collect()
}

fn groups_of(bits: u8) -> Vec<&'static str> {
    (0..4)
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| GROUPS[i])
        .collect()
}

#[derive(Debug, Clone)]
struct ChangeSpec {
    kind: usize,
    before: u16,
    after: u16,
    join: u16,
    leave: u16,
    adopt: u16,
    replace: u8,
    sensitive: u8,
    drift: bool,
}

fn change_spec() -> impl Strategy<Value = ChangeSpec> {
    (
        0..3usize,
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        0..16u8,
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(
            |(kind, before, after, join, leave, adopt, replace, sensitive, drift)| ChangeSpec {
                kind,
                before,
                after,
                join,
                leave,
                adopt,
                replace,
                sensitive,
                drift,
            },
        )
}

fn build(specs: &[ChangeSpec], lists: &[(u8, u8)]) -> Plan {
    let mut plan = Plan::default();
    for (n, s) in specs.iter().enumerate() {
        let addr = format!("{}.n{n}", KINDS[s.kind]);
        let mut c = change(&addr);
        c.before = pairs_of(s.before);
        c.after = pairs_of(s.after);
        c.join = pairs_of(s.join);
        c.leave = pairs_of(s.leave);
        c.adopt = pairs_of(s.adopt);
        c.replace = (0..4)
            .filter(|i| s.replace & (1 << i) != 0)
            .map(|i| target(TARGETS[i]))
            .collect();
        c.removed_from_config = s.after == 0 && s.before != 0;
        c.sensitive = (0..7)
            .filter(|i| s.sensitive & (1 << i) != 0)
            .map(|i| ATTRS[i].to_owned())
            .collect();
        for p in &c.join {
            plan.operations.push(fixtures::op(
                Action::Join,
                p.security_group_id.as_str(),
                p.target.as_str(),
                &[],
                &[p.security_group_id.as_str()],
                &addr,
                vec![],
            ));
        }
        for p in &c.leave {
            plan.operations.push(fixtures::op(
                Action::Leave,
                p.security_group_id.as_str(),
                p.target.as_str(),
                &[p.security_group_id.as_str()],
                &[],
                &addr,
                vec![],
            ));
        }
        for p in &c.adopt {
            plan.adopt.push(managed(
                &addr,
                p.security_group_id.as_str(),
                p.target.as_str(),
            ));
        }
        if s.drift
            && let Some(p) = c.before.first()
        {
            plan.drift.push(Drift {
                membership: managed(&addr, p.security_group_id.as_str(), p.target.as_str()),
                planned_back: !c.removed_from_config,
            });
        }
        plan.resource_changes.push(c);
    }
    for (i, (before, after)) in lists.iter().enumerate() {
        plan.targets.insert(
            target(TARGETS[i]),
            target_change(&groups_of(*before), &groups_of(*after)),
        );
    }
    plan
}

/// The IDs no output may contain: by attribute, from each change's own pairs (and, for
/// ignored groups, its targets' lists). Stated from the attribute docs, not from `Mask`.
fn secrets(plan: &Plan) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in &plan.resource_changes {
        let s = |a: &str| c.sensitive.contains(a);
        let all: Vec<&Pair> = c
            .before
            .iter()
            .chain(&c.after)
            .chain(&c.join)
            .chain(&c.leave)
            .chain(&c.adopt)
            .collect();
        for p in &all {
            if s("security_group_id") || s("security_group_ids") {
                out.insert(p.security_group_id.to_string());
            }
            let target_hidden = match p.target {
                Target::Instance(_) => s("instance_id") || s("instance_ids"),
                Target::NetworkInterface(_) => {
                    s("network_interface_id") || s("network_interface_ids")
                }
            };
            if target_hidden {
                out.insert(p.target.to_string());
            }
        }
        if s("ignore_security_group_ids") {
            for t in c.touched_targets() {
                if let Some(tc) = plan.targets.get(t) {
                    out.extend(tc.before.iter().chain(&tc.after).map(ToString::to_string));
                }
            }
            for op in plan
                .operations
                .iter()
                .filter(|o| o.addresses.contains(&c.address))
            {
                out.extend(op.before.iter().chain(&op.after).map(ToString::to_string));
            }
        }
    }
    out
}

/// Diagnostics that name every ID of each change, in backticks and bare, as an error and as a
/// warning: the Markdown shows diagnostics, and must mask them too.
fn naming_every_id(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in &plan.resource_changes {
        let ids: BTreeSet<String> = c
            .before
            .iter()
            .chain(&c.after)
            .chain(&c.join)
            .chain(&c.leave)
            .chain(&c.adopt)
            .flat_map(|p| [p.security_group_id.to_string(), p.target.to_string()])
            .chain(c.replace.iter().map(ToString::to_string))
            .collect();
        let quoted: Vec<String> = ids.iter().map(|id| format!("`{id}`")).collect();
        out.push(
            Diagnostic::error(format!("{} cannot change", quoted.join(", ")))
                .with_address(c.address.clone())
                .with_note(ids.iter().cloned().collect::<Vec<_>>().join(" "))
                .with_hint(format!(
                    "({})",
                    ids.iter().cloned().collect::<Vec<_>>().join(",")
                )),
        );
    }
    for t in plan.targets.values() {
        let groups: Vec<String> = t
            .before
            .iter()
            .chain(&t.after)
            .map(ToString::to_string)
            .collect();
        out.push(Diagnostic::warning(format!(
            "groups `{}`",
            groups.join("`, `")
        )));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.max(256), ..ProptestConfig::default() })]

    #[test]
    fn no_sensitive_id_reaches_any_output(
        specs in prop::collection::vec(change_spec(), 1..5),
        lists in prop::collection::vec((0..16u8, 0..16u8), 4),
    ) {
        let plan = build(&specs, &lists);
        let hidden = secrets(&plan);
        let diagnostics = naming_every_id(&plan);
        let sources = SourceMap::new();
        let outputs = [
            text::render(&plan, TextOptions { verbose: true, color: false }),
            text::render(&plan, TextOptions { verbose: false, color: true }),
            json::render_string(&plan),
            dot::render(&plan),
            markdown::render(&plan, None),
            markdown::render(
                &plan,
                Some(markdown::Diagnostics { list: &diagnostics, sources: &sources }),
            ),
        ];
        for out in &outputs {
            for id in &hidden {
                prop_assert!(!out.contains(id.as_str()), "`{}` leaked:\n{}", id, out);
            }
        }
    }
}
