//! Property tests of the planner with the emulator's in-memory world as an independent oracle:
//! for random targets, groups, limits and desired sets, running the plan's DAG in *any*
//! topological order through `World::apply` never gets an error and ends exactly at the desired
//! sets; planning is deterministic; planning what already holds is empty; calls on one target
//! are chained. `PROPTEST_CASES=2000 cargo test plan_props` for a deeper run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use proptest::prelude::*;
use serde_json::json;
use sgform::config::{Common, Declaration, Membership, MembershipSet};
use sgform::emulator::World;
use sgform::ids::{Address, DeclarationKind, RegionId, SecurityGroupId, Target};
use sgform::plan::{Limits, Plan, PlanOptions, Reason, plan};
use sgform::state::{ManagedMembership, State};

use crate::support::oracle;

const ACCOUNT: &str = "1111111111111111";
const VPC: &str = "vpc-bp1prop00000001";

fn group_id(i: usize) -> String {
    format!("sg-bp1prop0000{i:04}")
}

fn target_id(i: usize, eni: bool) -> String {
    if eni {
        format!("eni-bp1prop000{i:04}")
    } else {
        format!("i-bp1prop0000{i:04}")
    }
}

#[derive(Clone, Debug)]
struct GroupSpec {
    enterprise: bool,
    rules: u64,
    capacity: u64,
}

#[derive(Clone, Debug)]
struct TargetSpec {
    eni: bool,
    current: Vec<usize>,
    desired: Vec<usize>,
    /// Authoritative (`membership_set`) or additive (`membership` blocks, with the leaves as
    /// state entries whose declaration is gone).
    authoritative: bool,
}

/// One generated case; `Debug` prints it as a world and HCL so a shrunk failure can become a
/// golden case.
#[derive(Clone)]
struct Case {
    max_groups: usize,
    max_rules: u64,
    groups: Vec<GroupSpec>,
    targets: Vec<TargetSpec>,
    /// Picks among ready operations while executing.
    picks: Vec<u16>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# world.json\n{}", self.world_json())?;
        writeln!(f, "# main.hcl")?;
        for (i, t) in self.targets.iter().enumerate() {
            let id = target_id(i, t.eni);
            let attr = if t.eni {
                "network_interface_id"
            } else {
                "instance_id"
            };
            if t.authoritative {
                let gs: Vec<String> = t
                    .desired
                    .iter()
                    .map(|g| format!("{:?}", group_id(*g)))
                    .collect();
                writeln!(
                    f,
                    "membership_set \"t{i}\" {{\n  {attr} = {id:?}\n  security_group_ids = [{}]\n}}",
                    gs.join(", ")
                )?;
            } else {
                for g in &t.desired {
                    writeln!(
                        f,
                        "membership \"t{i}_g{g}\" {{\n  {attr} = {id:?}\n  security_group_id = {:?}\n}}",
                        group_id(*g)
                    )?;
                }
                let gone: Vec<String> = t
                    .current
                    .iter()
                    .filter(|g| !t.desired.contains(g))
                    .map(|g| group_id(*g))
                    .collect();
                if !gone.is_empty() {
                    writeln!(f, "# state: managed, declaration gone: {id} in {gone:?}")?;
                }
            }
        }
        writeln!(f, "# picks: {:?}", self.picks)
    }
}

impl Case {
    fn world_json(&self) -> String {
        let groups: Vec<_> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                json!({"id": group_id(i), "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC,
                       "type": if g.enterprise { "enterprise" } else { "normal" },
                       "rule_count": g.rules, "capacity": g.capacity})
            })
            .collect();
        let mut instances = Vec::new();
        let mut enis = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            let sgs: Vec<String> = t.current.iter().map(|g| group_id(*g)).collect();
            if t.eni {
                enis.push(
                    json!({"id": target_id(i, true), "region": "cn-hangzhou", "owner": ACCOUNT,
                                 "vpc_id": VPC, "type": "Secondary", "status": "Available",
                                 "security_group_ids": sgs}),
                );
            } else {
                instances.push(json!({"id": target_id(i, false), "region": "cn-hangzhou",
                                      "owner": ACCOUNT, "vpc_id": VPC, "status": "Running",
                                      "security_group_ids": sgs}));
            }
        }
        serde_json::to_string_pretty(&json!({
            "limits": {"groups_per_target": self.max_groups, "rules_per_target": self.max_rules},
            "accounts": [{"id": ACCOUNT, "access_keys": [{"id": "LTAI5tPropTestKey001", "secret": "s"}]}],
            "vpcs": [{"id": VPC, "region": "cn-hangzhou", "owner": ACCOUNT}],
            "security_groups": groups,
            "instances": instances,
            "network_interfaces": enis,
        }))
        .unwrap()
    }

    fn world(&self) -> Option<World> {
        World::from_json(&self.world_json()).ok()
    }

    fn target(&self, i: usize) -> Target {
        Target::parse(&target_id(i, self.targets[i].eni)).unwrap()
    }

    fn declarations(&self) -> Vec<Declaration> {
        let mut out = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            let target = self.target(i);
            if t.authoritative {
                out.push(Declaration::MembershipSet(MembershipSet {
                    common: common(Address::new(
                        DeclarationKind::MembershipSet,
                        format!("t{i}"),
                    )),
                    target,
                    security_group_ids: t.desired.iter().map(|g| sg(*g)).collect(),
                    ignore_security_group_ids: BTreeSet::new(),
                }));
            } else {
                for g in &t.desired {
                    out.push(Declaration::Membership(Membership {
                        common: common(Address::new(
                            DeclarationKind::Membership,
                            format!("t{i}_g{g}"),
                        )),
                        security_group_id: sg(*g),
                        target: target.clone(),
                    }));
                }
            }
        }
        out.sort_by(|a, b| a.address().cmp(b.address()));
        out
    }

    /// The state: additive targets' current groups that are not desired are managed by a
    /// declaration that is gone (so they leave).
    fn state(&self) -> State {
        let mut state = State::empty();
        state.lineage = "proptest".to_owned();
        for (i, t) in self.targets.iter().enumerate() {
            if t.authoritative {
                continue;
            }
            for g in t.current.iter().filter(|g| !t.desired.contains(g)) {
                state.memberships.insert(ManagedMembership {
                    address: Address::new(DeclarationKind::Membership, format!("gone_t{i}_g{g}")),
                    provider: None,
                    region: RegionId::parse("cn-hangzhou").unwrap(),
                    security_group_id: sg(*g),
                    target: self.target(i),
                });
            }
        }
        state
    }

    fn limits(&self) -> Limits {
        Limits {
            default_groups: self.max_groups,
            rules_per_target: self.max_rules,
            ..Limits::default()
        }
    }
}

fn sg(i: usize) -> SecurityGroupId {
    SecurityGroupId::parse(&group_id(i)).unwrap()
}

fn common(address: Address) -> Common {
    Common {
        address,
        provider: None,
        depends_on: Vec::new(),
        sensitive: BTreeSet::new(),
        span: None,
    }
}

fn subset(n_groups: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::btree_set(0..n_groups, 0..=n_groups.min(6))
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..=5,
        prop_oneof![Just(1000u64), 200u64..700],
        2usize..=7,
        1usize..=6,
    )
        .prop_flat_map(|(max_groups, max_rules, n_groups, n_targets)| {
            let groups = proptest::collection::vec(
                (prop::bool::weighted(0.2), 0u64..300, 1u64..=7).prop_map(
                    |(enterprise, rules, capacity)| GroupSpec {
                        enterprise,
                        rules,
                        capacity,
                    },
                ),
                n_groups,
            );
            let targets = proptest::collection::vec(
                (
                    any::<bool>(),
                    subset(n_groups),
                    subset(n_groups),
                    any::<bool>(),
                )
                    .prop_map(|(eni, current, desired, authoritative)| {
                        TargetSpec {
                            eni,
                            current,
                            desired,
                            authoritative,
                        }
                    }),
                n_targets,
            );
            (
                Just(max_groups),
                Just(max_rules),
                groups,
                targets,
                proptest::collection::vec(any::<u16>(), 64),
            )
        })
        .prop_map(|(max_groups, max_rules, groups, mut targets, picks)| {
            // The world must be a legal starting point: 1..=N groups of one type, under the rules
            // limit. Trim the current sets to make it so (keep the first group's type).
            for t in &mut targets {
                if t.current.is_empty() {
                    t.current.push(0);
                }
                let ty = groups[t.current[0]].enterprise;
                t.current.retain(|g| groups[*g].enterprise == ty);
                t.current.truncate(max_groups);
                while t.current.len() > 1
                    && t.current.iter().map(|g| groups[*g].rules).sum::<u64>() > max_rules
                {
                    t.current.pop();
                }
            }
            Case {
                max_groups,
                max_rules,
                groups,
                targets,
                picks,
            }
        })
}

/// Runs the operations in the topological order `picks` chooses, applying each to `world`.
fn execute(world: &mut World, plan: &Plan, picks: &[u16]) -> Result<(), String> {
    let n = plan.operations.len();
    let mut done = vec![false; n];
    for step in 0..n {
        let ready: Vec<usize> = (0..n)
            .filter(|&i| !done[i] && plan.operations[i].depends_on.iter().all(|d| done[d.on]))
            .collect();
        if ready.is_empty() {
            return Err("no operation is ready: the DAG has a cycle".to_owned());
        }
        let pick = picks.get(step % picks.len().max(1)).copied().unwrap_or(0) as usize;
        let i = ready[pick % ready.len()];
        let op = &plan.operations[i];
        world
            .apply(ACCOUNT, &oracle::request(op))
            .map_err(|e| format!("operation {i} ({op:?}) was rejected: {e:?}"))?;
        done[i] = true;
    }
    Ok(())
}

fn run(case: &Case) -> Result<(), TestCaseError> {
    let Some(mut world) = case.world() else {
        // Capacity below the current members: not a world the cloud can be in.
        return Err(TestCaseError::reject("invalid starting world"));
    };
    let decls = case.declarations();
    let state = case.state();
    let limits = case.limits();
    let inventory = oracle::inventory(&world, ACCOUNT, &[]);
    let (p, diags) = plan(&decls, &state, &inventory, &limits, &PlanOptions::default());
    let (again, _) = plan(&decls, &state, &inventory, &limits, &PlanOptions::default());
    prop_assert_eq!(&p, &again, "planning is not deterministic");

    // Every dependency points backwards, and calls on one target are chained.
    let mut last: BTreeMap<&Target, usize> = BTreeMap::new();
    for (i, op) in p.operations.iter().enumerate() {
        prop_assert!(op.depends_on.iter().all(|d| d.on < i));
        if let Some(&prev) = last.get(&op.target) {
            prop_assert!(
                op.depends_on
                    .iter()
                    .any(|d| d.on == prev && d.reason == Reason::SameTarget),
                "operations {} and {} on {} are not chained",
                prev,
                i,
                op.target
            );
        }
        last.insert(&op.target, i);
    }

    if diags.iter().any(|d| d.is_error()) {
        // Reported, not scheduled: the plan is refused before anything is sent. A desired set
        // that breaks a static limit must be among the reported problems.
        return Ok(());
    }
    execute(&mut world, &p, &case.picks).map_err(TestCaseError::fail)?;
    for (i, t) in case.targets.iter().enumerate() {
        let id = target_id(i, t.eni);
        let now: BTreeSet<String> = world.groups_of(&id).unwrap().iter().cloned().collect();
        let want: BTreeSet<String> = t.desired.iter().map(|g| group_id(*g)).collect();
        prop_assert_eq!(now, want, "{} did not end at its desired groups", id);
    }

    // Planning what now holds is empty (with the state the apply would have written).
    let mut after = state.clone();
    for m in p.forget.iter() {
        after.memberships.remove(m);
    }
    after.memberships.extend(p.adopt.iter().cloned());
    for op in &p.operations {
        for m in &op.state_remove {
            after.memberships.remove(m);
        }
        after.memberships.extend(op.state_add.iter().cloned());
    }
    let inventory = oracle::inventory(&world, ACCOUNT, &[]);
    let (p2, diags2) = plan(&decls, &after, &inventory, &limits, &PlanOptions::default());
    prop_assert!(
        !diags2.iter().any(|d| d.is_error()),
        "replanning reported errors: {:?}",
        diags2
    );
    prop_assert!(
        !p2.has_changes(),
        "planning what already holds is not empty: {:?}",
        p2.operations
    );
    Ok(())
}

/// Whether a desired set is statically legal for its target (the planner may still find no
/// order, but must then say so).
fn statically_legal(case: &Case, t: &TargetSpec) -> bool {
    let types: BTreeSet<bool> = t
        .desired
        .iter()
        .map(|g| case.groups[*g].enterprise)
        .collect();
    !t.desired.is_empty()
        && t.desired.len() <= case.max_groups
        && types.len() == 1
        && t.desired.iter().map(|g| case.groups[*g].rules).sum::<u64>() <= case.max_rules
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn any_topological_order_is_legal_and_reaches_the_desired_sets(case in case()) {
        run(&case)?;
    }

    #[test]
    fn illegal_desired_sets_are_reported_not_scheduled(case in case()) {
        let Some(world) = case.world() else {
            return Err(TestCaseError::reject("invalid starting world"));
        };
        let inventory = oracle::inventory(&world, ACCOUNT, &[]);
        let (p, diags) = plan(&case.declarations(), &case.state(), &inventory, &case.limits(), &PlanOptions::default());
        for (i, t) in case.targets.iter().enumerate() {
            if !statically_legal(&case, t) {
                let target = case.target(i);
                prop_assert!(diags.iter().any(|d| d.is_error()), "an illegal desired set was not reported");
                prop_assert!(
                    !p.operations.iter().any(|o| o.target == target),
                    "{} has an illegal desired set but got operations", target
                );
            }
        }
    }
}

#[test]
fn planning_the_current_sets_is_empty() {
    let case = Case {
        max_groups: 5,
        max_rules: 1000,
        groups: (0..3)
            .map(|_| GroupSpec {
                enterprise: false,
                rules: 10,
                capacity: 10,
            })
            .collect(),
        targets: vec![
            TargetSpec {
                eni: false,
                current: vec![0, 1],
                desired: vec![0, 1],
                authoritative: true,
            },
            TargetSpec {
                eni: true,
                current: vec![2],
                desired: vec![2],
                authoritative: false,
            },
        ],
        picks: vec![0],
    };
    let world = case.world().unwrap();
    let inventory = oracle::inventory(&world, ACCOUNT, &[]);
    let (p, diags) = plan(
        &case.declarations(),
        &case.state(),
        &inventory,
        &case.limits(),
        &PlanOptions::default(),
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert!(p.operations.is_empty());
    // Both pairs exist but are not in the state: adopted, without a call.
    assert_eq!(p.adopt.len(), 3);
}
