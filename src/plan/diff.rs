//! Desired versus actual versus state, per target (pure).
//!
//! Every declaration says something about pairs (a target in a group):
//! - `membership` (additive): its pair must exist; the target's other groups are untouched;
//! - `membership_set` (authoritative for a target): the target's groups become exactly its
//!   `security_group_ids` plus whatever it has now of `ignore_security_group_ids`;
//! - `group_members` (authoritative for a group): the listed targets are in it, every other
//!   current member leaves.
//!
//! The state says which pairs sgform manages, and through which address. A managed pair whose
//! declaration is gone leaves (unless another declaration still wants it, which moves it in the
//! state without a call); a declared pair already present but not in the state is adopted.
//!
//! A destroy plan ([`PlanOptions::destroy`]) wants nothing: every managed pair in scope leaves,
//! as if no declaration existed. The declarations stay in scope only to say which block
//! declared a target (for a diagnostic's span) and which of its values are sensitive.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::inventory::{Inventory, ProviderAlias};
use super::model::PlanOptions;
use crate::config::{Common, Declaration, MembershipSet};
use crate::ids::{Address, SecurityGroupId, Target};
use crate::state::{ManagedMembership, State};

/// What the configuration and the state say about one target.
#[derive(Debug, Default)]
pub(super) struct TargetDiff<'a> {
    /// The provider of the declarations (the first one that names the target).
    pub provider: ProviderAlias,
    /// Every provider a declaration or a state entry names the target through.
    pub providers: Vec<ProviderAlias>,
    /// The target's groups now; `None` when the refresh did not find it.
    pub current: Option<Vec<SecurityGroupId>>,
    /// The groups it must end with, in the order a replacement would send them (kept groups in
    /// their current order, then new ones sorted). Equal to `current` as a set when nothing
    /// changes. Empty when `current` is `None`.
    pub desired: Vec<SecurityGroupId>,
    /// The `membership_set` authoritative for it, if any.
    pub set: Option<&'a MembershipSet>,
    /// Groups a declaration wants the target in, with the addresses that want it.
    pub wanted: GroupMap<Vec<&'a Address>>,
    /// Groups a declaration wants the target out of (a `group_members` that does not list it,
    /// a `membership_set` that does not list it, or a state entry whose declaration is gone).
    pub unwanted: GroupMap<Vec<Address>>,
    /// The declarations that name the target, in address order (for diagnostics).
    pub declarations: Vec<&'a Common>,
}

impl TargetDiff<'_> {
    /// The groups it joins: desired, not current.
    pub fn joins(&self) -> impl Iterator<Item = &SecurityGroupId> {
        let current = self.current.as_deref().unwrap_or_default();
        self.desired.iter().filter(move |g| !current.contains(g))
    }

    /// The groups it leaves: current, not desired.
    pub fn leaves(&self) -> impl Iterator<Item = &SecurityGroupId> {
        self.current
            .iter()
            .flatten()
            .filter(move |g| !self.desired.contains(g))
    }

    pub fn changes(&self) -> bool {
        self.current.as_ref().is_some_and(|current| {
            current.len() != self.desired.len() || current.iter().any(|g| !self.desired.contains(g))
        })
    }

    /// The declaration that best explains a change of `group` (for a diagnostic's span): one
    /// that wants the group, else one that wants it gone, else the first that names the target.
    pub fn culprit(&self, group: Option<&SecurityGroupId>) -> Option<&Common> {
        let by_address = |a: &Address| self.declarations.iter().copied().find(|c| &c.address == a);
        group
            .and_then(|g| {
                self.wanted
                    .get(g)
                    .and_then(|addrs| addrs.iter().find_map(|a| by_address(a)))
                    .or_else(|| {
                        self.unwanted
                            .get(g)
                            .and_then(|addrs| addrs.iter().find_map(by_address))
                    })
            })
            .or_else(|| self.declarations.first().copied())
    }
}

/// A small map keyed by group: a target has a handful of groups, and a linear scan over a
/// `Vec` beats a B-tree node per target in time and memory at fleet scale. Keys keep their
/// first-insertion order.
#[derive(Debug)]
pub(super) struct GroupMap<V>(Vec<(SecurityGroupId, V)>);

impl<V> Default for GroupMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V: Default> GroupMap<V> {
    /// The value for `g`, inserted empty if absent.
    pub fn slot(&mut self, g: &SecurityGroupId) -> &mut V {
        let at = match self.0.iter().position(|(k, _)| k == g) {
            Some(at) => at,
            None => {
                self.0.push((g.clone(), V::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

impl<V> GroupMap<V> {
    pub fn get(&self, g: &SecurityGroupId) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == g).map(|(_, v)| v)
    }

    pub fn contains_key(&self, g: &SecurityGroupId) -> bool {
        self.get(g).is_some()
    }

    pub fn keys(&self) -> impl Iterator<Item = &SecurityGroupId> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Adds an element to a short list unless it is there already.
pub(super) trait AddOnce<T> {
    fn add(&mut self, item: T);
}

impl<T: PartialEq> AddOnce<T> for Vec<T> {
    fn add(&mut self, item: T) {
        if !self.contains(&item) {
            self.push(item);
        }
    }
}

/// The whole diff.
#[derive(Debug, Default)]
pub(super) struct Diff<'a> {
    pub targets: BTreeMap<Target, Box<TargetDiff<'a>>>,
    /// State entries in scope.
    pub managed: Vec<&'a ManagedMembership>,
    /// Declarations in scope, by address.
    pub declarations: HashMap<&'a Address, &'a Declaration>,
    /// The same, in the order given (sorted by address).
    pub in_order: Vec<&'a Declaration>,
    /// A destroy plan: no declaration wants any pair (see the module docs).
    pub destroy: bool,
}

impl Diff<'_> {
    /// Whether the declaration at `address` (in scope) wants the pair.
    pub fn declares(&self, address: &Address, g: &SecurityGroupId, target: &Target) -> bool {
        if self.destroy {
            return false;
        }
        match self.declarations.get(address) {
            None => false,
            Some(Declaration::Membership(m)) => m.security_group_id == *g && m.target == *target,
            Some(Declaration::MembershipSet(s)) => {
                s.target == *target && s.security_group_ids.contains(g)
            }
            Some(Declaration::GroupMembers(gm)) => {
                gm.security_group_id == *g
                    && match target {
                        Target::Instance(i) => gm.instance_ids.contains(i),
                        Target::NetworkInterface(e) => gm.network_interface_ids.contains(e),
                    }
            }
        }
    }

    /// Every pair a declaration wants, with its address, in declaration order.
    pub fn pairs(&self) -> impl Iterator<Item = (&Address, &SecurityGroupId, Target)> + '_ {
        self.in_order
            .iter()
            .flat_map(|d| -> Box<dyn Iterator<Item = _>> {
                match d {
                    Declaration::Membership(m) => Box::new(std::iter::once((
                        &m.common.address,
                        &m.security_group_id,
                        m.target.clone(),
                    ))),
                    Declaration::MembershipSet(s) => Box::new(
                        s.security_group_ids
                            .iter()
                            .map(move |g| (&s.common.address, g, s.target.clone())),
                    ),
                    Declaration::GroupMembers(gm) => Box::new(
                        gm.members()
                            .map(move |t| (&gm.common.address, &gm.security_group_id, t)),
                    ),
                }
            })
    }
}

/// Whether `address` is selected by `--target` (an address without key selects every key).
pub(super) fn selected(options: &PlanOptions, address: &Address) -> bool {
    options.targets.is_empty()
        || options.targets.iter().any(|t| {
            t.kind == address.kind
                && t.name == address.name
                && (t.key.is_none() || t.key == address.key)
        })
}

pub(super) fn diff<'a>(
    declarations: &'a [Declaration],
    state: &'a State,
    inventory: &Inventory,
    options: &PlanOptions,
) -> Diff<'a> {
    let mut diff = Diff {
        destroy: options.destroy,
        ..Diff::default()
    };
    for decl in declarations {
        let common = decl.common();
        if !selected(options, &common.address) {
            continue;
        }
        diff.declarations.insert(&common.address, decl);
        diff.in_order.push(decl);
        if options.destroy {
            continue;
        }
        match decl {
            Declaration::Membership(m) => {
                let t = entry(&mut diff.targets, &m.target, common);
                t.wanted.slot(&m.security_group_id).add(&common.address);
            }
            Declaration::MembershipSet(s) => {
                let t = entry(&mut diff.targets, &s.target, common);
                t.set = Some(s);
                for g in &s.security_group_ids {
                    t.wanted.slot(g).add(&common.address);
                }
            }
            Declaration::GroupMembers(gm) => {
                let g = &gm.security_group_id;
                let listed = gm.members();
                let mut listed_set = BTreeSet::new();
                for target in listed {
                    let t = entry(&mut diff.targets, &target, common);
                    t.wanted.slot(g).add(&common.address);
                    listed_set.insert(target);
                }
                for member in inventory.group_members.get(g).into_iter().flatten() {
                    if !listed_set.contains(member) {
                        let t = entry(&mut diff.targets, member, common);
                        t.unwanted.slot(g).add(common.address.clone());
                    }
                }
            }
        }
    }

    // State entries in scope: their targets are part of the diff (a gone declaration leaves).
    for m in &state.memberships {
        // Under a provider the refresh could not read, the state says nothing about the cloud
        // (the refresh warned): leave such entries alone.
        if !selected(options, &m.address) || !inventory.was_read(&m.provider) {
            continue;
        }
        diff.managed.push(m);
        let declared = diff.declares(&m.address, &m.security_group_id, &m.target);
        let t = diff.targets.entry(m.target.clone()).or_default();
        if t.declarations.is_empty() && t.providers.is_empty() {
            t.provider = m.provider.clone();
        }
        t.providers.add(m.provider.clone());
        if !declared {
            t.unwanted.slot(&m.security_group_id).add(m.address.clone());
        }
        // Destroying: the declaration that manages the pair names the target (for the span of
        // a diagnostic and for masking), though it wants nothing.
        if options.destroy
            && let Some(decl) = diff.declarations.get(&m.address)
            && !t
                .declarations
                .iter()
                .any(|c| c.address == decl.common().address)
        {
            t.declarations.push(decl.common());
        }
    }

    for (target, t) in &mut diff.targets {
        t.current = inventory.groups_of(target).map(<[_]>::to_vec);
        t.desired = desired(t);
    }
    diff
}

fn entry<'a, 'm>(
    targets: &'m mut BTreeMap<Target, Box<TargetDiff<'a>>>,
    target: &Target,
    common: &'a Common,
) -> &'m mut TargetDiff<'a> {
    let t = targets.entry(target.clone()).or_default();
    if t.declarations.is_empty() {
        t.provider = common.provider.clone();
    }
    if t.declarations
        .last()
        .is_none_or(|c| c.address != common.address)
    {
        t.declarations.push(common);
    }
    t.providers.add(common.provider.clone());
    t
}

/// The target's groups after the plan: see [`TargetDiff::desired`].
fn desired(t: &TargetDiff<'_>) -> Vec<SecurityGroupId> {
    let Some(current) = &t.current else {
        return Vec::new();
    };
    let keep = |g: &SecurityGroupId| -> bool {
        if t.wanted.contains_key(g) {
            return true;
        }
        match t.set {
            Some(set) => set.ignore_security_group_ids.contains(g),
            None => !t.unwanted.contains_key(g),
        }
    };
    let mut out: Vec<SecurityGroupId> = current.iter().filter(|g| keep(g)).cloned().collect();
    for g in t.wanted.keys() {
        if !current.contains(g) {
            out.push(g.clone());
        }
    }
    out
}
