//! The planner (issue 7): refresh (the only I/O), then pure diff, rule checks, scheduling and
//! rendering over plain data.
//!
//! **Architecture Invariant:** everything but `refresh` is pure: no async, no clock, no
//! filesystem, no HTTP. `plan` never shares rule code with the emulator.

pub mod inventory;
pub mod model;
pub mod planfile;
pub mod refresh;
pub mod render;

pub use check::check;
pub use inventory::{
    GroupFacts, GroupType, InstanceFacts, Inventory, NetworkInterfaceFacts, ProviderAlias,
};
pub use model::{
    Action, Dependency, Drift, Limits, Operation, Pair, Plan, PlanOptions, Reason, ResourceChange,
    TargetChange,
};

mod check;
mod diff;
mod rules;
mod schedule;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::config::Declaration;
use crate::diag::Diagnostic;
use crate::ids::{Address, SecurityGroupId, Target};
use crate::state::{ManagedMembership, State};

use schedule::{Node, Strategy, TargetInput};

/// Plans the changes (pure: no I/O, no clock). Returns the plan and every problem found; with
/// an error diagnostic the plan must not be applied (its operations leave out what is blocked).
pub fn plan(
    declarations: &[Declaration],
    state: &State,
    inventory: &Inventory,
    limits: &Limits,
    options: &PlanOptions,
) -> (Plan, Vec<Diagnostic>) {
    let diff = diff::diff(declarations, state, inventory, options);
    let checked = rules::check(&diff, inventory, limits);
    let mut diagnostics = checked.diagnostics;
    let blocked = checked.blocked;

    let mut by_pair: BTreeMap<(&SecurityGroupId, &Target), Vec<&ManagedMembership>> =
        BTreeMap::new();
    for m in &state.memberships {
        by_pair
            .entry((&m.security_group_id, &m.target))
            .or_default()
            .push(m);
    }
    let in_state: HashSet<(&Address, &SecurityGroupId, &Target)> = state
        .memberships
        .iter()
        .map(|m| (&m.address, &m.security_group_id, &m.target))
        .collect();

    let mut plan = Plan {
        destroy: options.destroy,
        scope: options.targets.clone(),
        ..Plan::default()
    };

    // Drift, forget, adopt: state-only changes.
    for m in &diff.managed {
        let t = &diff.targets[&m.target];
        let declared = diff.declares(&m.address, &m.security_group_id, &m.target);
        let present = t
            .current
            .as_ref()
            .is_some_and(|c| c.contains(&m.security_group_id));
        // Forget only with proof: the target was read and is not in the group, or a by-ID read
        // proved it gone. One neither read nor proven gone (its provider saw none of the
        // state's targets of its kind; the refresh reports that as an error) keeps its entry.
        let proven = t.current.is_some() || inventory.proven_gone(&m.target);
        if !present && !proven {
            continue;
        }
        if !present {
            plan.drift.push(Drift {
                membership: (*m).clone(),
                planned_back: declared && t.current.is_some() && !options.refresh_only,
            });
            if !declared || options.refresh_only {
                plan.forget.push((*m).clone());
            }
        } else if !declared && t.desired.contains(&m.security_group_id) && !options.refresh_only {
            plan.forget.push((*m).clone());
        }
    }
    let region_of = |target: &Target| inventory.region_of(target).cloned();
    if !options.refresh_only && !options.destroy {
        for (address, g, target) in diff.pairs() {
            let target = &target;
            let t = &diff.targets[target];
            let present = t.current.as_ref().is_some_and(|c| c.contains(g));
            if present
                && !in_state.contains(&(address, g, target))
                && let Some(region) = region_of(target)
            {
                plan.adopt.push(ManagedMembership {
                    address: (*address).clone(),
                    provider: t.provider.clone(),
                    region,
                    security_group_id: g.clone(),
                    target: target.clone(),
                });
            }
        }
    }

    // Sequence every target, then the DAG; on a cycle, try again freeing capacity first.
    // By block: every `for_each` instance of a block has the same `depends_on`.
    let mut depends_on: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for d in diff.declarations.values() {
        let c = d.common();
        if !c.depends_on.is_empty() {
            depends_on
                .entry(c.address.block())
                .or_default()
                .extend(c.depends_on.iter().cloned());
        }
    }
    if options.destroy {
        // As Terraform destroys: what depended on a block goes first, so `depends_on` points
        // the other way.
        let mut reversed: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
        for (block, on) in depends_on {
            for dep in on {
                reversed
                    .entry(dep.block())
                    .or_default()
                    .insert(block.clone());
            }
        }
        depends_on = reversed;
    }
    let destroy_rank = if options.destroy {
        ranks(&depends_on)
    } else {
        BTreeMap::new()
    };
    let mut scheduled = None;
    let mut no_path = Vec::new();
    if !options.refresh_only {
        for strategy in [Strategy::MakeBeforeBreak, Strategy::BreakBeforeMake] {
            no_path.clear();
            let mut nodes = Vec::new();
            for (target, t) in &diff.targets {
                if blocked.contains(target) || !t.changes() {
                    continue;
                }
                let Some(current) = &t.current else {
                    continue;
                };
                let can_replace = match target {
                    Target::Instance(id) => inventory
                        .instances
                        .get(id)
                        .is_some_and(|i| i.network_type != "classic"),
                    Target::NetworkInterface(_) => true,
                };
                let input = TargetInput {
                    current,
                    desired: &t.desired,
                    max_groups: limits.groups_for(&t.provider),
                    max_rules: limits.rules_per_target,
                    can_replace,
                    prefer_replace: t.set.is_some(),
                };
                match schedule::sequence(&input, inventory, strategy) {
                    Ok(mut steps) => {
                        if options.destroy {
                            leaves_in_destroy_order(&mut steps, t, current, &destroy_rank);
                        }
                        for (position, step) in steps.into_iter().enumerate() {
                            let addresses = addresses_of(t, &step);
                            nodes.push(Node {
                                target: target.clone(),
                                step,
                                addresses,
                                position,
                            });
                        }
                    }
                    Err(why) => no_path.push((target, why)),
                }
            }
            let deps = schedule::edges(&nodes, inventory, &depends_on);
            match schedule::order(&deps) {
                Ok(order) => {
                    scheduled = Some((nodes, deps, order));
                    break;
                }
                Err(cycles) => {
                    if strategy == Strategy::BreakBeforeMake {
                        for cycle in cycles {
                            diagnostics.push(cycle_diagnostic(&nodes, &deps, &cycle, &diff));
                        }
                    }
                }
            }
        }
    }
    for (target, why) in no_path {
        let t = &diff.targets[target];
        let mut d = Diagnostic::error(format!(
            "no legal order of API calls moves `{target}` to its desired groups"
        ))
        .with_note(format!("why: {}", why.0));
        if let Some(c) = t.culprit(None) {
            d = d.with_address(c.address.clone());
            if let Some(span) = c.span {
                d = d.with_span_label(span, format!("declared by `{}`", c.address));
            }
        }
        diagnostics.push(d.with_hint(why.1));
    }

    if let Some((nodes, deps, order)) = scheduled {
        let mut index = vec![0usize; nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            index[old] = new;
        }
        let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
        plan.operations.reserve_exact(slots.len());
        for &old in &order {
            let Some(node) = slots[old].take() else {
                continue;
            };
            let t = &diff.targets[&node.target];
            let Some(region) = region_of(&node.target) else {
                continue;
            };
            let entry = |g: &SecurityGroupId, address: &Address| ManagedMembership {
                address: address.clone(),
                provider: t.provider.clone(),
                region: region.clone(),
                security_group_id: g.clone(),
                target: node.target.clone(),
            };
            let step = &node.step;
            let added = step.added();
            let removed = step.removed();
            // Collected lists start at four slots; most hold one entry, and at fleet scale the
            // slack is most of the plan's memory, so each is shrunk to fit.
            let mut state_add: Vec<ManagedMembership> = added
                .flat_map(|g| {
                    t.wanted
                        .get(g)
                        .into_iter()
                        .flatten()
                        .map(move |a| entry(g, a))
                })
                .collect();
            let mut state_remove: Vec<ManagedMembership> = removed
                .flat_map(|g| {
                    by_pair
                        .get(&(g, &node.target))
                        .into_iter()
                        .flatten()
                        .map(|m| (*m).clone())
                })
                .collect();
            let mut depends: Vec<Dependency> = deps[old]
                .iter()
                .map(|d| Dependency {
                    on: index[d.on],
                    reason: d.reason,
                })
                .collect();
            depends.sort();
            depends.shrink_to_fit();
            state_add.shrink_to_fit();
            state_remove.shrink_to_fit();
            let schedule::Step {
                action,
                group,
                before,
                after,
            } = node.step;
            plan.operations.push(Operation {
                action,
                target: node.target,
                provider: t.provider.clone(),
                region,
                security_group_id: group,
                before,
                after,
                addresses: node.addresses,
                depends_on: depends,
                state_add,
                state_remove,
            });
        }
        for op in &plan.operations {
            let t = &diff.targets[&op.target];
            let status = match &op.target {
                Target::Instance(id) => inventory.instances.get(id).map(|i| i.status.clone()),
                Target::NetworkInterface(id) => inventory
                    .network_interfaces
                    .get(id)
                    .map(|e| e.status.clone()),
            }
            .unwrap_or_default();
            let change = plan
                .targets
                .entry(op.target.clone())
                .or_insert_with(|| TargetChange {
                    provider: t.provider.clone(),
                    region: op.region.clone(),
                    status,
                    before: t.current.clone().unwrap_or_default(),
                    after: t.desired.clone(),
                    replace: false,
                });
            change.replace |= op.action == Action::Replace;
        }
    }

    plan.resource_changes = resource_changes(&diff, inventory, &plan, &in_state, options);
    plan.drift.sort();
    plan.adopt.sort();
    plan.forget.sort();
    crate::diag::sort(&mut diagnostics);
    // After the sorted ones: the checks over the finished plan, in their own order.
    diagnostics.extend(empty_configuration(declarations, &plan, options));
    let known = declarations
        .iter()
        .map(|d| &d.common().address)
        .chain(state.memberships.iter().map(|m| &m.address));
    diagnostics.extend(check::check_known(&plan, options, known));
    (plan, diagnostics)
}

/// An error when the configuration declares no membership at all and the plan would leave
/// managed ones: an empty configuration never plans to leave anything (a wrong directory,
/// files renamed or emptied, a `for_each` over nothing); leaving everything is `destroy`'s job.
/// Forgetting what is proven gone changes nothing in the cloud, so it may still run.
fn empty_configuration(
    declarations: &[Declaration],
    plan: &Plan,
    options: &PlanOptions,
) -> Option<Diagnostic> {
    let leaves = plan.operations.len();
    (declarations.is_empty() && leaves > 0 && !options.destroy).then(|| {
            Diagnostic::error(format!(
                "the configuration declares no membership, so this plan would leave {}: an empty configuration never plans to leave anything",
                render::text::count(leaves, "managed membership", "managed memberships")
            ))
            .with_note(
                "no `membership`, `membership_set` or `group_members` block, or only blocks whose `for_each` is empty",
            )
            .with_hint(
                "to leave every membership the state manages, run `sgform destroy`; to stop managing them without leaving, `sgform state rm`; if the configuration is in another directory, pass it as DIR",
            )
    })
}

/// How deep each block sits in `depends_on` (block → the blocks it waits for): 0 for a block
/// that waits for none, else one more than the deepest it waits for.
fn ranks(depends_on: &BTreeMap<Address, BTreeSet<Address>>) -> BTreeMap<Address, usize> {
    fn rank(
        block: &Address,
        depends_on: &BTreeMap<Address, BTreeSet<Address>>,
        memo: &mut BTreeMap<Address, usize>,
        path: &mut BTreeSet<Address>,
    ) -> usize {
        if let Some(&r) = memo.get(block) {
            return r;
        }
        // A cycle in `depends_on` is reported by the loader; here it only must not recurse.
        if !path.insert(block.clone()) {
            return 0;
        }
        let r = depends_on
            .get(block)
            .into_iter()
            .flatten()
            .map(|on| rank(on, depends_on, memo, path) + 1)
            .max()
            .unwrap_or(0);
        path.remove(block);
        memo.insert(block.clone(), r);
        r
    }
    let mut memo = BTreeMap::new();
    for block in depends_on.keys() {
        rank(block, depends_on, &mut memo, &mut BTreeSet::new());
    }
    memo
}

/// Destroying, a target only leaves groups and keeps one it is not managed in, so its leaves
/// are legal in any order: they are put in `depends_on` order (by the [`ranks`] of the blocks
/// they serve), so the chain on one target never contradicts a `depends_on` between two blocks
/// that share it.
fn leaves_in_destroy_order(
    steps: &mut [schedule::Step],
    t: &diff::TargetDiff<'_>,
    current: &[SecurityGroupId],
    rank: &BTreeMap<Address, usize>,
) {
    if steps.len() < 2 || steps.iter().any(|s| s.action != Action::Leave) {
        return;
    }
    steps.sort_by_cached_key(|s| {
        addresses_of(t, s)
            .iter()
            .filter_map(|a| rank.get(&a.block()))
            .max()
            .copied()
            .unwrap_or(0)
    });
    let mut set = current.to_vec();
    for step in steps {
        step.before = set.clone();
        if let Some(g) = &step.group {
            set.retain(|h| h != g);
        }
        step.after = set.clone();
    }
}

/// The declarations a step serves: those that want an added group, or want a removed one gone.
fn addresses_of(t: &diff::TargetDiff<'_>, step: &schedule::Step) -> Vec<Address> {
    let mut out: BTreeSet<Address> = BTreeSet::new();
    for g in step.added() {
        out.extend(t.wanted.get(g).into_iter().flatten().map(|a| (*a).clone()));
    }
    for g in step.removed() {
        out.extend(t.unwanted.get(g).into_iter().flatten().cloned());
        if let Some(set) = t.set
            && !t.unwanted.contains_key(g)
        {
            out.insert(set.common.address.clone());
        }
    }
    out.into_iter().collect()
}

fn cycle_diagnostic(
    nodes: &[Node],
    deps: &[Vec<Dependency>],
    cycle: &[usize],
    diff: &diff::Diff<'_>,
) -> Diagnostic {
    let members: BTreeSet<usize> = cycle.iter().copied().collect();
    let describe = |i: usize| {
        let n = &nodes[i];
        let what = match &n.step.group {
            Some(g) => format!(
                "{} `{}` {} `{g}`",
                n.step.action.verb(),
                n.target,
                match n.step.action {
                    Action::Join => "into",
                    _ => "from",
                }
            ),
            None => format!("replace the groups of `{}`", n.target),
        };
        let waits: Vec<String> = deps[i]
            .iter()
            .filter(|d| members.contains(&d.on))
            .map(|d| format!("{} ({})", short(&nodes[d.on]), d.reason.as_str()))
            .collect();
        format!("{what} waits for {}", waits.join(", "))
    };
    let first = &nodes[cycle[0]];
    let mut d = Diagnostic::error(format!(
        "the operations on {} form a cycle: no order runs them legally",
        cycle
            .iter()
            .map(|&i| format!("`{}`", nodes[i].target))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for &i in cycle {
        d = d.with_note(describe(i));
    }
    if let Some(c) = diff
        .targets
        .get(&first.target)
        .and_then(|t| t.culprit(first.step.group.as_ref()))
    {
        d = d.with_address(c.address.clone());
        if let Some(span) = c.span {
            d = d.with_span_label(span, format!("declared by `{}`", c.address));
        }
    }
    let through_depends_on = cycle.iter().any(|&i| {
        deps[i]
            .iter()
            .any(|d| d.reason == Reason::DependsOn && members.contains(&d.on))
    });
    d.with_hint(if through_depends_on {
        "a `depends_on` closes this cycle: remove it, or free capacity in the full group first"
    } else {
        "full groups block each other's joins: free capacity in one of the groups first, or split the change over two applies"
    })
}

fn short(n: &Node) -> String {
    match &n.step.group {
        Some(g) => format!("{} `{}` `{g}`", n.step.action.verb(), n.target),
        None => format!("replace `{}`", n.target),
    }
}

/// Every declaration's change, and one for each address only the state still knows, sorted by
/// address.
fn resource_changes(
    diff: &diff::Diff<'_>,
    inventory: &Inventory,
    plan: &Plan,
    in_state: &HashSet<(&Address, &SecurityGroupId, &Target)>,
    options: &PlanOptions,
) -> Vec<ResourceChange> {
    let replaced: HashSet<&Target> = plan
        .targets
        .iter()
        .filter(|(_, c)| c.replace)
        .map(|(t, _)| t)
        .collect();
    // What one target's diff says about one of its groups: (present now, present after).
    let status = |td: Option<&diff::TargetDiff<'_>>, g: &SecurityGroupId| -> (bool, bool) {
        match td.and_then(|t| t.current.as_ref().map(|c| (t, c))) {
            None => (false, false),
            Some((t, current)) => (current.contains(g), t.desired.contains(g)),
        }
    };
    let pair = |g: &SecurityGroupId, t: &Target| Pair {
        security_group_id: g.clone(),
        target: t.clone(),
    };
    let mut out: Vec<ResourceChange> = Vec::with_capacity(diff.in_order.len());
    // A destroy plan changes only what the state records (below); a declaration wants nothing.
    let declared = if options.destroy {
        &[][..]
    } else {
        &diff.in_order[..]
    };
    for decl in declared {
        let c = decl.common();
        let address = &c.address;
        let mut change = ResourceChange {
            sensitive: c.sensitive.clone(),
            ..ResourceChange::new(address.clone(), c.provider.clone())
        };
        // Each pair the declaration is about: (pair, wanted after, present now, kept after).
        let mut consider = |g: &SecurityGroupId, t: &Target, wanted: bool, td| {
            let (now, stays) = status(td, g);
            let p = pair(g, t);
            if options.refresh_only {
                if now {
                    change.before.push(p.clone());
                }
                if wanted {
                    change.after.push(p);
                }
                return;
            }
            let changed = match (now, wanted) {
                (true, true) => {
                    if !in_state.contains(&(address, g, t)) {
                        change.adopt.push(p.clone());
                    }
                    false
                }
                (false, true) => {
                    change.join.push(p.clone());
                    true
                }
                (true, false) if !stays => {
                    change.leave.push(p.clone());
                    true
                }
                _ => false,
            };
            if changed && replaced.contains(t) {
                change.replace.push(t.clone());
            }
            if now {
                change.before.push(p.clone());
            }
            if wanted {
                change.after.push(p);
            }
        };
        match decl {
            Declaration::Membership(m) => {
                let td = diff.targets.get(&m.target).map(|b| &**b);
                consider(&m.security_group_id, &m.target, true, td);
            }
            Declaration::MembershipSet(s) => {
                let td = diff.targets.get(&s.target).map(|b| &**b);
                let current = td.and_then(|t| t.current.as_deref()).unwrap_or_default();
                for g in current {
                    if !s.ignore_security_group_ids.contains(g) && !s.security_group_ids.contains(g)
                    {
                        consider(g, &s.target, false, td);
                    }
                }
                for g in &s.security_group_ids {
                    consider(g, &s.target, true, td);
                }
            }
            Declaration::GroupMembers(gm) => {
                let g = &gm.security_group_id;
                let listed = gm.members();
                let mut seen = BTreeSet::new();
                for t in listed {
                    consider(g, &t, true, diff.targets.get(&t).map(|b| &**b));
                    seen.insert(t);
                }
                for t in inventory.group_members.get(g).into_iter().flatten() {
                    if !seen.contains(t) {
                        consider(g, t, false, diff.targets.get(t).map(|b| &**b));
                    }
                }
            }
        }
        normalize(&mut change);
        out.push(change);
    }
    // Addresses only the state knows: their declaration is gone. Destroying, every address
    // the state knows: each of its present pairs leaves.
    let mut gone: BTreeMap<&Address, ResourceChange> = BTreeMap::new();
    for m in &diff.managed {
        let declaration = diff.declarations.get(&m.address);
        if declaration.is_some() && !options.destroy {
            continue;
        }
        let change = gone.entry(&m.address).or_insert_with(|| ResourceChange {
            removed_from_config: declaration.is_none(),
            sensitive: declaration
                .map(|d| d.common().sensitive.clone())
                .unwrap_or_default(),
            ..ResourceChange::new(m.address.clone(), m.provider.clone())
        });
        let (now, stays) = status(
            diff.targets.get(&m.target).map(|b| &**b),
            &m.security_group_id,
        );
        if now {
            let p = pair(&m.security_group_id, &m.target);
            change.before.push(p.clone());
            if !options.refresh_only && !stays {
                if replaced.contains(&m.target) {
                    change.replace.push(m.target.clone());
                }
                change.leave.push(p);
            }
        }
    }
    out.extend(gone.into_values().map(|mut c| {
        normalize(&mut c);
        c
    }));
    if !out.is_sorted_by(|a, b| a.address <= b.address) {
        out.sort_by(|a, b| a.address.cmp(&b.address));
    }
    out
}

/// Sorts every list of a change and drops repeats (see [`ResourceChange`]).
fn normalize(c: &mut ResourceChange) {
    fn tidy<T: Ord>(v: &mut Vec<T>) {
        if !v.is_sorted() {
            v.sort();
        }
        v.dedup();
        v.shrink_to_fit();
    }
    tidy(&mut c.before);
    tidy(&mut c.after);
    tidy(&mut c.join);
    tidy(&mut c.leave);
    tidy(&mut c.adopt);
    tidy(&mut c.replace);
}

#[cfg(test)]
mod tests;
