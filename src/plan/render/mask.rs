//! Which IDs of a plan must print as `(sensitive value)`.
//!
//! A declaration marks attributes, not values, as sensitive (`ResourceChange::sensitive`). A value
//! from such an attribute shows up in many places besides its own change: the target's group list
//! before → after, the other changes that touch the same target, the API calls and their
//! parameters, drift and adoption entries. Masking by place would need every renderer to know
//! which attribute each printed ID came from, and one forgotten place leaks it. So the mask is
//! by value: every ID that came from a sensitive attribute anywhere in the plan is hidden
//! wherever it prints. That can hide an ID a non-sensitive declaration also names; hiding too
//! much is the safe side.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{Address, DeclarationKind, SecurityGroupId, Target};
use crate::plan::model::{Operation, Pair, Plan, ResourceChange};
use crate::state::ManagedMembership;

/// What every renderer prints instead of a sensitive value (Terraform's words).
pub const SENSITIVE: &str = "(sensitive value)";

/// The sensitive IDs of one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mask {
    groups: BTreeSet<SecurityGroupId>,
    targets: BTreeSet<Target>,
}

/// Which parts of a change's pairs are sensitive, from its attribute names.
#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    groups: bool,
    /// `ignore_security_group_ids`: those groups are in no pair, only in the target's lists.
    ignored_groups: bool,
    instances: bool,
    network_interfaces: bool,
}

impl Marks {
    fn of(change: &ResourceChange) -> Self {
        // By role, under any kind's name for it: a mark the change's own kind would not use
        // still hides (hiding too much is the safe side).
        let s = |attr: fn(DeclarationKind) -> &'static str| {
            DeclarationKind::ALL
                .into_iter()
                .any(|k| change.is_sensitive(attr(k)))
        };
        Self {
            groups: s(DeclarationKind::group_attr),
            ignored_groups: DeclarationKind::ALL
                .into_iter()
                .filter_map(DeclarationKind::ignored_groups_attr)
                .any(|a| change.is_sensitive(a)),
            instances: s(DeclarationKind::instance_attr),
            network_interfaces: s(DeclarationKind::network_interface_attr),
        }
    }

    fn any(self) -> bool {
        self.groups || self.ignored_groups || self.instances || self.network_interfaces
    }

    fn target(self, target: &Target) -> bool {
        match target {
            Target::Instance(_) => self.instances,
            Target::NetworkInterface(_) => self.network_interfaces,
        }
    }
}

impl Mask {
    /// Collects every sensitive ID of `plan`.
    pub fn of(plan: &Plan) -> Self {
        let mut mask = Mask::default();
        let marks: BTreeMap<&Address, Marks> = plan
            .resource_changes
            .iter()
            .map(|c| (&c.address, Marks::of(c)))
            .filter(|(_, m)| m.any())
            .collect();
        if marks.is_empty() {
            return mask;
        }
        // The operations of each address, only needed (and only built) for sensitive ignored
        // groups, so a large plan does not scan every operation per change.
        let mut ops_of: BTreeMap<&Address, Vec<&Operation>> = BTreeMap::new();
        if marks.values().any(|m| m.ignored_groups) {
            for op in &plan.operations {
                for a in &op.addresses {
                    ops_of.entry(a).or_default().push(op);
                }
            }
        }
        for change in &plan.resource_changes {
            let Some(&m) = marks.get(&change.address) else {
                continue;
            };
            let pairs = change
                .before
                .iter()
                .chain(&change.after)
                .chain(&change.join)
                .chain(&change.leave)
                .chain(&change.adopt);
            for pair in pairs {
                mask.add_pair(m, pair);
            }
            for target in &change.replace {
                if m.target(target) {
                    mask.targets.insert(target.clone());
                }
            }
            if m.ignored_groups {
                // The ignored groups stay on the target, so they are in its lists before and
                // after, and in the set a replacement sends. Which of those are the ignored
                // ones the plan does not say: hide them all.
                for target in change.touched_targets() {
                    if let Some(t) = plan.targets.get(target) {
                        mask.groups.extend(t.before.iter().chain(&t.after).cloned());
                    }
                }
                for op in ops_of.get(&change.address).into_iter().flatten() {
                    mask.groups
                        .extend(op.before.iter().chain(&op.after).cloned());
                }
            }
        }
        // The state's entries of a sensitive declaration name the same values.
        let entries = plan
            .adopt
            .iter()
            .chain(&plan.forget)
            .chain(plan.drift.iter().map(|d| &d.membership));
        for entry in entries {
            if let Some(&m) = marks.get(&entry.address) {
                mask.add_membership(m, entry);
            }
        }
        for op in &plan.operations {
            for entry in op.state_add.iter().chain(&op.state_remove) {
                if let Some(&m) = marks.get(&entry.address) {
                    mask.add_membership(m, entry);
                }
            }
        }
        mask
    }

    fn add_pair(&mut self, m: Marks, pair: &Pair) {
        if m.groups {
            self.groups.insert(pair.security_group_id.clone());
        }
        if m.target(&pair.target) {
            self.targets.insert(pair.target.clone());
        }
    }

    fn add_membership(&mut self, m: Marks, entry: &ManagedMembership) {
        if m.groups {
            self.groups.insert(entry.security_group_id.clone());
        }
        if m.target(&entry.target) {
            self.targets.insert(entry.target.clone());
        }
    }

    /// Whether nothing is masked.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.targets.is_empty()
    }

    /// Every ID the mask hides, as text (to find them inside other text).
    pub fn hidden(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .map(SecurityGroupId::as_str)
            .chain(self.targets.iter().map(Target::as_str))
    }

    pub fn hides_group(&self, id: &SecurityGroupId) -> bool {
        self.groups.contains(id)
    }

    pub fn hides_target(&self, target: &Target) -> bool {
        self.targets.contains(target)
    }

    /// A group ID as it may be shown.
    pub fn group<'a>(&self, id: &'a SecurityGroupId) -> &'a str {
        if self.hides_group(id) {
            SENSITIVE
        } else {
            id.as_str()
        }
    }

    /// A target ID as it may be shown.
    pub fn target<'a>(&self, target: &'a Target) -> &'a str {
        if self.hides_target(target) {
            SENSITIVE
        } else {
            target.as_str()
        }
    }

    /// An API parameter value as it may be shown: any ID the mask hides is replaced. Parameter
    /// values are single IDs or region names, so a whole-value comparison suffices.
    pub fn param<'a>(&self, value: &'a str) -> &'a str {
        let hidden = SecurityGroupId::parse(value)
            .map(|g| self.hides_group(&g))
            .unwrap_or(false)
            || Target::parse(value)
                .map(|t| self.hides_target(&t))
                .unwrap_or(false);
        if hidden { SENSITIVE } else { value }
    }
}
