//! Checks across declarations: pairs declared twice, conflicting authority, and group counts of
//! `membership_set` against `max_groups_per_target`.

use std::collections::{BTreeMap, BTreeSet};

use super::eval::{Model, max_groups};
use super::{Common, Declaration, GroupMembers, MembershipSet, Provider};
use crate::diag::Diagnostic;
use crate::ids::{SecurityGroupId, Target};

fn at(d: Diagnostic, c: &Common, label: String) -> Diagnostic {
    let d = d.with_address(c.address.clone());
    match c.span {
        Some(s) => d.with_span_label(s, label),
        None => d,
    }
}

fn also(d: Diagnostic, c: &Common, label: String) -> Diagnostic {
    match c.span {
        Some(s) => d.with_label(s, label),
        None => d.with_note(label),
    }
}

/// Whether `target` is one of the group's members: `GroupMembers::targets().contains`, without
/// building the set (it was rebuilt for every membership, which made the check quadratic).
fn includes(g: &GroupMembers, target: &Target) -> bool {
    match target {
        Target::Instance(id) => g.instance_ids.contains(id),
        Target::NetworkInterface(id) => g.network_interface_ids.contains(id),
    }
}

pub(super) fn cross_check(
    decls: &[Declaration],
    providers: &[Provider],
    _model: &Model,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut pairs: BTreeMap<(&SecurityGroupId, &Target), &Common> = BTreeMap::new();
    let mut sets: BTreeMap<&Target, &MembershipSet> = BTreeMap::new();
    let mut groups: BTreeMap<&SecurityGroupId, &GroupMembers> = BTreeMap::new();

    for decl in decls {
        match decl {
            Declaration::Membership(m) => {
                let key = (&m.security_group_id, &m.target);
                if let Some(first) = pairs.get(&key) {
                    let d = Diagnostic::error(format!(
                        "`{}` joins `{}` twice",
                        m.target, m.security_group_id
                    ));
                    let d = at(
                        d,
                        &m.common,
                        format!("`{}` declares the pair again", m.common.address),
                    );
                    let d = also(d, first, format!("`{}` declares it first", first.address));
                    diags.push(d.with_hint("remove one of the two declarations"));
                } else {
                    pairs.insert(key, &m.common);
                }
            }
            Declaration::MembershipSet(s) => {
                if let Some(first) = sets.get(&s.target) {
                    let d = Diagnostic::error(format!(
                        "two `membership_set` blocks are authoritative for `{}`",
                        s.target
                    ));
                    let d = at(d, &s.common, format!("`{}` manages it", s.common.address));
                    let d = also(
                        d,
                        &first.common,
                        format!("`{}` manages it too", first.common.address),
                    );
                    diags.push(d.with_hint("merge them into one `membership_set`: each would remove the other's groups"));
                } else {
                    sets.insert(&s.target, s);
                }
                let max = max_groups(providers, s.common.provider.as_deref());
                let n = s.security_group_ids.len();
                if n == 0 {
                    let d = Diagnostic::error(format!(
                        "`membership_set` for `{}` lists no security groups",
                        s.target
                    ));
                    diags.push(
                        at(d, &s.common, "`security_group_ids` is empty".to_owned())
                            .with_note("a target must belong to at least one security group")
                            .with_hint("list at least one group in `security_group_ids`"),
                    );
                } else if n > max as usize {
                    let d = Diagnostic::error(format!(
                        "`membership_set` for `{}` lists {n} security groups; the limit is {max}",
                        s.target
                    ));
                    diags.push(
                        at(d, &s.common, format!("{n} groups"))
                            .with_note(format!("a target can belong to at most {max} security groups (`max_groups_per_target`)"))
                            .with_hint("remove groups, or raise `max_groups_per_target` in the provider if your quota was raised"),
                    );
                }
            }
            Declaration::GroupMembers(g) => {
                if let Some(first) = groups.get(&g.security_group_id) {
                    let d = Diagnostic::error(format!(
                        "two `group_members` blocks are authoritative for `{}`",
                        g.security_group_id
                    ));
                    let d = at(d, &g.common, format!("`{}` manages it", g.common.address));
                    let d = also(
                        d,
                        &first.common,
                        format!("`{}` manages it too", first.common.address),
                    );
                    diags.push(d.with_hint("merge them into one `group_members`: each would remove the other's members"));
                } else {
                    groups.insert(&g.security_group_id, g);
                }
            }
        }
    }

    // Conflicting authority. `groups_of` indexes the `group_members` blocks by member.
    let mut groups_of: BTreeMap<Target, Vec<&SecurityGroupId>> = BTreeMap::new();
    for (group, g) in &groups {
        for target in g.targets() {
            groups_of.entry(target).or_default().push(*group);
        }
    }
    for decl in decls {
        match decl {
            Declaration::Membership(m) => {
                if let Some(s) = sets.get(&m.target)
                    && !s.security_group_ids.contains(&m.security_group_id)
                    && !s.ignore_security_group_ids.contains(&m.security_group_id)
                {
                    let d = Diagnostic::error(format!(
                        "`{}` joins `{}`, but `{}` excludes it",
                        m.target, m.security_group_id, s.common.address
                    ));
                    let d = at(d, &m.common, "wants the pair".to_owned());
                    let d = also(
                        d,
                        &s.common,
                        format!(
                            "authoritative for `{}` without `{}`",
                            m.target, m.security_group_id
                        ),
                    );
                    diags.push(d.with_hint(format!(
                        "add `{}` to the set's `security_group_ids` (or `ignore_security_group_ids`), or remove the membership",
                        m.security_group_id
                    )));
                }
                if let Some(g) = groups.get(&m.security_group_id)
                    && !includes(g, &m.target)
                {
                    let d = Diagnostic::error(format!(
                        "`{}` joins `{}`, but `{}` excludes it",
                        m.target, m.security_group_id, g.common.address
                    ));
                    let d = at(d, &m.common, "wants the pair".to_owned());
                    let d = also(
                        d,
                        &g.common,
                        format!(
                            "authoritative for `{}` without `{}`",
                            m.security_group_id, m.target
                        ),
                    );
                    diags.push(d.with_hint(format!(
                        "add `{}` to the group's members, or remove the membership",
                        m.target
                    )));
                }
            }
            Declaration::MembershipSet(s) => {
                // Only a group that the set lists or that lists the target can disagree; every
                // other group excludes the pair on both sides. Visiting just those, in group
                // order as the walk over every group did, keeps this from scanning every
                // `group_members` block for every set.
                let candidates: BTreeSet<&SecurityGroupId> = s
                    .security_group_ids
                    .iter()
                    .filter(|id| groups.contains_key(id))
                    .chain(groups_of.get(&s.target).into_iter().flatten().copied())
                    .collect();
                for group in candidates {
                    let Some(g) = groups.get(group) else {
                        continue;
                    };
                    if s.ignore_security_group_ids.contains(group) {
                        continue;
                    }
                    let set_wants = s.security_group_ids.contains(group);
                    let group_wants = includes(g, &s.target);
                    if set_wants != group_wants {
                        let (yes, no) = if set_wants {
                            (&s.common, &g.common)
                        } else {
                            (&g.common, &s.common)
                        };
                        let d = Diagnostic::error(format!(
                            "`{}` and `{}` disagree about `{}` in `{}`",
                            s.common.address, g.common.address, s.target, group
                        ));
                        let d = at(
                            d,
                            &s.common,
                            if set_wants {
                                "includes the pair".to_owned()
                            } else {
                                "excludes the pair".to_owned()
                            },
                        );
                        let d = also(
                            d,
                            &g.common,
                            if group_wants {
                                "includes the pair".to_owned()
                            } else {
                                "excludes the pair".to_owned()
                            },
                        );
                        let _ = (yes, no);
                        diags.push(d.with_hint("make both blocks agree, or add the group to `ignore_security_group_ids`"));
                    }
                }
            }
            Declaration::GroupMembers(_) => {}
        }
    }
    diags
}
