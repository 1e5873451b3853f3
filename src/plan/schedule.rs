//! The operation DAG (pure): per target, a sequence of calls each legal at the moment it runs;
//! across targets, edges that keep group capacity and `depends_on`; one topological order.
//!
//! Legal "whatever order the independent ones finish in":
//! - the calls on one target form a chain (the API answers `InvalidOperation.Conflict` to two at
//!   once), ordered so that the target stays within 1..=N groups, under the rule limit and of
//!   one group type after every call: joins first (make before break) while a join is legal,
//!   otherwise a leave (at the cap, or over the rule limit);
//! - a switch between normal and enterprise groups, an authoritative `membership_set`, and a
//!   change no pairwise order can make legal use one atomic replacement;
//! - for a group that would overflow if every join ran before every leave, each join beyond the
//!   free slots waits for a distinct leave from that group. Whatever the interleaving, the
//!   members never exceed the capacity: every completed join past the free slots has its own
//!   completed leave.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use super::inventory::{GroupType, Inventory};
use super::model::{Action, Dependency, Reason};
use crate::ids::{Address, BlockKind, SecurityGroupId, Target};

/// How the calls on one target are ordered when both orders are legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strategy {
    /// Joins before leaves where legal: the target never loses a group it keeps access through.
    MakeBeforeBreak,
    /// Leaves before joins where legal: frees group capacity as early as possible (the fallback
    /// when make-before-break ties targets into a cycle through full groups).
    BreakBeforeMake,
}

/// One call on one target, before it is placed in the DAG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Step {
    pub action: Action,
    pub group: Option<SecurityGroupId>,
    pub before: Vec<SecurityGroupId>,
    pub after: Vec<SecurityGroupId>,
}

impl Step {
    /// The groups this call adds to the target.
    pub fn added(&self) -> impl Iterator<Item = &SecurityGroupId> {
        self.after.iter().filter(|g| !self.before.contains(g))
    }

    /// The groups this call removes from the target.
    pub fn removed(&self) -> impl Iterator<Item = &SecurityGroupId> {
        self.before.iter().filter(|g| !self.after.contains(g))
    }
}

/// What one target needs to be sequenced.
pub(super) struct TargetInput<'a> {
    pub current: &'a [SecurityGroupId],
    pub desired: &'a [SecurityGroupId],
    pub max_groups: usize,
    pub max_rules: u64,
    /// A VPC instance or a secondary ENI: the set can be replaced in one call.
    pub can_replace: bool,
    /// The declaration is authoritative for the target (`membership_set`): replace in one call.
    pub prefer_replace: bool,
}

/// Why no legal sequence exists for a target, and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NoPath(pub String, pub &'static str);

fn facts(inv: &Inventory, g: &SecurityGroupId) -> (GroupType, u64) {
    inv.groups
        .get(g)
        .map_or((GroupType::Normal, 0), |f| (f.group_type, f.rule_count))
}

/// The calls that move one target from `current` to `desired`.
pub(super) fn sequence(
    input: &TargetInput<'_>,
    inv: &Inventory,
    strategy: Strategy,
) -> Result<Vec<Step>, NoPath> {
    let current = input.current;
    let desired = input.desired;
    if current.len() == desired.len() && current.iter().all(|g| desired.contains(g)) {
        return Ok(Vec::new());
    }
    let replace = || Step {
        action: Action::Replace,
        group: None,
        before: current.to_vec(),
        after: desired.to_vec(),
    };
    let type_of = |g: &SecurityGroupId| facts(inv, g).0;
    let switches_type = match desired.first() {
        Some(first) => current.iter().any(|g| type_of(g) != type_of(first)),
        None => false,
    };
    if input.can_replace && (input.prefer_replace || switches_type) {
        return Ok(vec![replace()]);
    }
    match pairwise(input, inv, strategy) {
        Some(steps) => Ok(steps),
        None if input.can_replace => Ok(vec![replace()]),
        None if switches_type => Err(NoPath(
            "its groups switch between normal and enterprise, which needs one atomic replacement, \
             and a classic-network instance's groups cannot be replaced"
                .to_owned(),
            "a classic-network instance keeps groups of one type: migrate it to a VPC to switch \
             type, or keep declaring groups of its current type",
        )),
        None => Err(NoPath(
            "no order of joins and leaves keeps it within the group and rule limits after every \
             call, and a classic-network instance's groups cannot be replaced in one call"
                .to_owned(),
            "split the change over several applies, e.g. first join a temporary group with few \
             rules, so that a group can leave without the target being left with none",
        )),
    }
}

/// Joins and leaves in an order where every call is legal, if there is one.
fn pairwise(input: &TargetInput<'_>, inv: &Inventory, strategy: Strategy) -> Option<Vec<Step>> {
    /// A group with the facts the order depends on, looked up once.
    #[derive(Clone)]
    struct G {
        id: SecurityGroupId,
        ty: GroupType,
        rules: u64,
    }
    let known = |g: &SecurityGroupId| {
        let (ty, rules) = facts(inv, g);
        G {
            id: g.clone(),
            ty,
            rules,
        }
    };
    let mut set: Vec<G> = input.current.iter().map(known).collect();
    // Joins with few rules first; leaves with many rules first: both keep the rule total low.
    let mut joins: Vec<G> = input
        .desired
        .iter()
        .filter(|g| !input.current.contains(g))
        .map(known)
        .collect();
    joins.sort_by(|a, b| (a.rules, &a.id).cmp(&(b.rules, &b.id)));
    let mut leaves: Vec<G> = set
        .iter()
        .filter(|g| !input.desired.contains(&g.id))
        .cloned()
        .collect();
    leaves.sort_by(|a, b| (b.rules, &a.id).cmp(&(a.rules, &b.id)));
    let ids = |set: &[G]| -> Vec<SecurityGroupId> { set.iter().map(|g| g.id.clone()).collect() };
    let mut steps = Vec::new();
    while !joins.is_empty() || !leaves.is_empty() {
        let rules: u64 = set.iter().map(|g| g.rules).sum();
        let can_join = |g: &G| {
            set.len() < input.max_groups
                && rules + g.rules <= input.max_rules
                && set.iter().all(|h| h.ty == g.ty)
        };
        let can_leave = set.len() > 1 && !leaves.is_empty();
        let join_at = joins.iter().position(can_join);
        let do_join = match (join_at, strategy) {
            (None, _) => false,
            (Some(_), Strategy::MakeBeforeBreak) => true,
            (Some(_), Strategy::BreakBeforeMake) => !can_leave,
        };
        let before = ids(&set);
        if do_join {
            let g = joins.remove(join_at?);
            let id = g.id.clone();
            set.push(g);
            steps.push(Step {
                action: Action::Join,
                group: Some(id),
                before,
                after: ids(&set),
            });
        } else if can_leave {
            let g = leaves.remove(0);
            set.retain(|h| h.id != g.id);
            steps.push(Step {
                action: Action::Leave,
                group: Some(g.id),
                before,
                after: ids(&set),
            });
        } else {
            return None;
        }
    }
    Some(steps)
}

/// An operation before it has its final index.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub target: Target,
    pub step: Step,
    /// The declarations it serves (for `depends_on` and the preview).
    pub addresses: Vec<Address>,
    /// Its place in its target's chain.
    pub position: usize,
}

/// Adds the edges: the chain of each target, group capacity, and `depends_on` (by address
/// without key: `membership.a` depends on every operation of `membership.b`).
pub(super) fn edges(
    nodes: &[Node],
    inv: &Inventory,
    depends_on: &BTreeMap<Address, BTreeSet<Address>>,
) -> Vec<Vec<Dependency>> {
    let mut deps: Vec<Vec<Dependency>> = vec![Vec::new(); nodes.len()];
    // Same target: a chain in step order (nodes of one target are contiguous).
    for i in 1..nodes.len() {
        if nodes[i].target == nodes[i - 1].target {
            deps[i].push(Dependency {
                on: i - 1,
                reason: Reason::SameTarget,
            });
        }
    }
    // Group capacity.
    let mut joins: BTreeMap<&SecurityGroupId, Vec<usize>> = BTreeMap::new();
    let mut leaves: BTreeMap<&SecurityGroupId, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for g in n.step.added() {
            joins.entry(g).or_default().push(i);
        }
        for g in n.step.removed() {
            leaves.entry(g).or_default().push(i);
        }
    }
    for (g, mut js) in joins {
        let Some(facts) = inv.groups.get(g) else {
            continue;
        };
        let free = facts.capacity as i64 - facts.member_count as i64;
        if js.len() as i64 <= free {
            continue;
        }
        let mut ls = leaves.get(g).cloned().unwrap_or_default();
        // Early joins take the free slots; the later ones wait for the earliest leaves.
        js.sort_by_key(|&i| (nodes[i].position, i));
        ls.sort_by_key(|&i| (nodes[i].position, i));
        for (k, &j) in js.iter().enumerate() {
            // Leaves that must be done before the (k+1)-th join: k + 1 - free.
            let need = (k as i64 + 1 - free).max(0) as usize;
            if need == 0 {
                continue;
            }
            // With free ≥ 0 a matching suffices (one distinct leave per join); with a group
            // already over capacity, each join waits for every leave it needs.
            let from = if free >= 0 { need - 1 } else { 0 };
            for &l in ls.iter().take(need).skip(from) {
                deps[j].push(Dependency {
                    on: l,
                    reason: Reason::GroupCapacity,
                });
            }
        }
    }
    // depends_on.
    if !depends_on.is_empty() {
        let mut by_block: BTreeMap<(BlockKind, &str), Vec<usize>> = BTreeMap::new();
        for (i, n) in nodes.iter().enumerate() {
            for a in &n.addresses {
                by_block.entry((a.kind, &*a.name)).or_default().push(i);
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            let mut waits: BTreeSet<usize> = BTreeSet::new();
            for a in &n.addresses {
                let block = a.block();
                for dep in depends_on.get(&block).into_iter().flatten() {
                    for &j in by_block.get(&(dep.kind, &*dep.name)).into_iter().flatten() {
                        if j != i {
                            waits.insert(j);
                        }
                    }
                }
            }
            deps[i].extend(waits.into_iter().map(|on| Dependency {
                on,
                reason: Reason::DependsOn,
            }));
        }
    }
    for d in &mut deps {
        d.sort();
        d.dedup_by_key(|d| d.on);
    }
    deps
}

/// A topological order (Kahn's, smallest index first, so it is deterministic), or the
/// strongly connected components of more than one node when there is a cycle.
pub(super) fn order(deps: &[Vec<Dependency>]) -> Result<Vec<usize>, Vec<Vec<usize>>> {
    let n = deps.len();
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for d in ds {
            indegree[i] += 1;
            out[d.on].push(i);
        }
    }
    let mut ready: BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        order.push(i);
        for &j in &out[i] {
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(std::cmp::Reverse(j));
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    let mut graph = petgraph::graph::DiGraph::<(), ()>::with_capacity(n, 0);
    let ids: Vec<_> = (0..n).map(|_| graph.add_node(())).collect();
    for (i, ds) in deps.iter().enumerate() {
        for d in ds {
            graph.add_edge(ids[d.on], ids[i], ());
        }
    }
    let mut cycles: Vec<Vec<usize>> = petgraph::algo::kosaraju_scc(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut c: Vec<usize> = c.into_iter().map(|x| x.index()).collect();
            c.sort_unstable();
            c
        })
        .collect();
    cycles.sort();
    Err(cycles)
}
