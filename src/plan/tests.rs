//! The planner's destroy mode, and forgetting only with proof, on hand-built inputs (the golden
//! cases under `testdata/plan/destroy_*` and `testdata/plan/forget_*` run them through a
//! refresh and the emulator too).

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::config::{Common, Membership, MembershipSet};
use crate::ids::{InstanceId, RegionId};
use crate::plan::inventory::{GroupFacts, GroupType, InstanceFacts};

const A: &str = "i-bp1destroy000000a";
const B: &str = "i-bp1destroy000000b";
const C: &str = "i-bp1destroy000000c";
const GONE: &str = "i-bp1destroy0000gon";
const G1: &str = "sg-bp1destroy00001";
const G2: &str = "sg-bp1destroy00002";
const G3: &str = "sg-bp1destroy00003";

fn sg(id: &str) -> SecurityGroupId {
    SecurityGroupId::parse(id).unwrap()
}

fn target(id: &str) -> Target {
    Target::parse(id).unwrap()
}

fn addr(text: &str) -> Address {
    Address::parse(text).unwrap()
}

fn region() -> RegionId {
    RegionId::parse("cn-hangzhou").unwrap()
}

fn common(address: &str, depends_on: &[&str]) -> Common {
    Common {
        address: addr(address),
        provider: None,
        depends_on: depends_on.iter().map(|a| addr(a)).collect(),
        sensitive: BTreeSet::new(),
        span: None,
    }
}

fn membership(address: &str, group: &str, t: &str, depends_on: &[&str]) -> Declaration {
    Declaration::Membership(Membership {
        common: common(address, depends_on),
        security_group_id: sg(group),
        target: target(t),
    })
}

fn managed(address: &str, group: &str, t: &str) -> ManagedMembership {
    ManagedMembership {
        address: addr(address),
        provider: None,
        region: region(),
        security_group_id: sg(group),
        target: target(t),
    }
}

fn state(entries: &[(&str, &str, &str)]) -> State {
    let mut s = State::empty();
    s.lineage = "lineage".to_owned();
    s.serial = 7;
    s.memberships = entries.iter().map(|(a, g, t)| managed(a, g, t)).collect();
    s
}

/// Instances (id, groups) in one VPC, and groups G1..G3 with room to spare.
fn inventory(instances: &[(&str, &[&str])]) -> Inventory {
    let mut inv = Inventory::default();
    for g in [G1, G2, G3] {
        inv.groups.insert(
            sg(g),
            GroupFacts {
                id: sg(g),
                provider: None,
                region: region(),
                name: g.to_owned(),
                group_type: GroupType::Normal,
                vpc_id: None,
                service_managed: false,
                rule_count: 1,
                member_count: 10,
                capacity: 2000,
            },
        );
    }
    for (id, groups) in instances {
        let id = InstanceId::parse(id).unwrap();
        inv.instances.insert(
            id.clone(),
            InstanceFacts {
                id,
                provider: None,
                region: region(),
                status: "Running".to_owned(),
                network_type: "vpc".to_owned(),
                vpc_id: None,
                security_group_ids: groups.iter().map(|g| sg(g)).collect(),
                locked_for_security: false,
                instance_type: "ecs.g7.large".to_owned(),
                primary_network_interface: None,
            },
        );
    }
    inv
}

fn destroy() -> PlanOptions {
    PlanOptions {
        destroy: true,
        ..PlanOptions::default()
    }
}

/// Runs the operations in their order against the inventory's groups, checking every call is
/// legal (the target is a member before a leave and keeps at least one group after it, and
/// nothing joins); returns each target's groups at the end.
fn run(plan: &Plan, inv: &Inventory) -> BTreeMap<Target, Vec<SecurityGroupId>> {
    let mut groups: BTreeMap<Target, Vec<SecurityGroupId>> = inv
        .instances
        .values()
        .map(|i| (Target::Instance(i.id.clone()), i.security_group_ids.clone()))
        .collect();
    for (i, op) in plan.operations.iter().enumerate() {
        assert_eq!(op.action, Action::Leave, "[{i}] a destroy plan only leaves");
        assert!(op.depends_on.iter().all(|d| d.on < i), "[{i}] not in order");
        let set = groups.get_mut(&op.target).unwrap();
        let g = op.security_group_id.as_ref().unwrap();
        assert!(set.contains(g), "[{i}] {} is not in {g}", op.target);
        set.retain(|h| h != g);
        assert!(!set.is_empty(), "[{i}] {} left with no group", op.target);
        assert_eq!(*set, op.after, "[{i}] planned groups after the call");
    }
    groups
}

#[test]
fn destroy_leaves_every_managed_pair_in_a_legal_order_and_nothing_else() {
    // A: G1 (declared and managed), G2 (managed, declaration gone), G3 (not managed).
    // B: G1 is managed, G2 is not. C: declared into G2 but not a member (a normal plan would
    // join it), and declared into G1 where it already is (a normal plan would adopt it).
    let declarations = vec![
        membership(r#"membership.a["g1"]"#, G1, A, &[]),
        membership("membership.b", G1, B, &[]),
        membership("membership.c_join", G2, C, &[]),
        membership("membership.c_adopt", G1, C, &[]),
    ];
    let state = state(&[
        (r#"membership.a["g1"]"#, G1, A),
        ("membership.old", G2, A),
        ("membership.b", G1, B),
    ]);
    let inv = inventory(&[(A, &[G1, G2, G3]), (B, &[G2, G1]), (C, &[G1])]);
    let (plan, diags) = plan(&declarations, &state, &inv, &Limits::default(), &destroy());
    assert!(!crate::diag::has_errors(&diags), "{diags:?}");
    assert!(plan.destroy);
    assert!(plan.adopt.is_empty(), "{:?}", plan.adopt);
    assert!(plan.forget.is_empty());
    assert_eq!(plan.counts(), (0, 3, 0));
    // The two leaves of A are one chain: never in flight together.
    let on_a: Vec<usize> = (0..plan.operations.len())
        .filter(|&i| plan.operations[i].target == target(A))
        .collect();
    assert_eq!(on_a.len(), 2);
    assert!(
        plan.operations[on_a[1]]
            .depends_on
            .iter()
            .any(|d| d.on == on_a[0] && d.reason == Reason::SameTarget)
    );
    let end = run(&plan, &inv);
    assert_eq!(end[&target(A)], vec![sg(G3)]);
    assert_eq!(end[&target(B)], vec![sg(G2)]);
    assert_eq!(end[&target(C)], vec![sg(G1)], "C is not managed: untouched");
    // Every managed entry is forgotten by the operation that leaves it, and only those.
    let removed: BTreeSet<&ManagedMembership> = plan
        .operations
        .iter()
        .flat_map(|o| &o.state_remove)
        .collect();
    assert_eq!(removed, state.memberships.iter().collect());
    assert!(plan.operations.iter().all(|o| o.state_add.is_empty()));
    // The preview's changes are the state's addresses, each a delete.
    let addresses: Vec<String> = plan
        .resource_changes
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(
        addresses,
        [r#"membership.a["g1"]"#, "membership.b", "membership.old"]
    );
    assert!(plan.resource_changes.iter().all(|c| c.after.is_empty()
        && c.join.is_empty()
        && c.adopt.is_empty()
        && c.leave.len() == 1));
    let old = plan.change(&addr("membership.old")).unwrap();
    assert!(old.removed_from_config);
    assert!(
        !plan
            .change(&addr("membership.b"))
            .unwrap()
            .removed_from_config
    );
}

#[test]
fn destroy_runs_depends_on_the_other_way() {
    // `web` depends on `base`: applying, base's joins go first; destroying, web's leaves do.
    let declarations = vec![
        membership("membership.base", G1, A, &[]),
        membership("membership.web", G1, B, &["membership.base"]),
    ];
    let state = state(&[("membership.base", G1, A), ("membership.web", G1, B)]);
    let inv = inventory(&[(A, &[G1, G2]), (B, &[G1, G2])]);
    let (plan, diags) = plan(&declarations, &state, &inv, &Limits::default(), &destroy());
    assert!(!crate::diag::has_errors(&diags), "{diags:?}");
    assert_eq!(plan.operations.len(), 2);
    let index = |t: &str| {
        plan.operations
            .iter()
            .position(|o| o.target == target(t))
            .unwrap()
    };
    let (base, web) = (index(A), index(B));
    assert!(web < base);
    assert!(
        plan.operations[base].depends_on.contains(&Dependency {
            on: web,
            reason: Reason::DependsOn
        }),
        "{:?}",
        plan.operations[base]
    );
    assert!(plan.operations[web].depends_on.is_empty());
    run(&plan, &inv);
}

#[test]
fn destroy_orders_the_leaves_of_one_target_by_depends_on() {
    // Both blocks manage a group of A. The chain's default order (more rules first, then by
    // ID) would leave G1 (`base`) before G2 (`web`), against `web depends_on base` reversed.
    let declarations = vec![
        membership("membership.base", G1, A, &[]),
        membership("membership.web", G2, A, &["membership.base"]),
    ];
    let state = state(&[("membership.base", G1, A), ("membership.web", G2, A)]);
    let inv = inventory(&[(A, &[G1, G2, G3])]);
    let (plan, diags) = plan(&declarations, &state, &inv, &Limits::default(), &destroy());
    assert!(!crate::diag::has_errors(&diags), "{diags:?}");
    let groups: Vec<&SecurityGroupId> = plan
        .operations
        .iter()
        .filter_map(|o| o.security_group_id.as_ref())
        .collect();
    assert_eq!(groups, [&sg(G2), &sg(G1)]);
    assert_eq!(run(&plan, &inv)[&target(A)], vec![sg(G3)]);
}

#[test]
fn destroy_refuses_to_leave_a_target_with_no_group_naming_it_and_the_address() {
    // A's only group is managed (through a membership_set); B is fine and is still planned.
    let declarations = vec![Declaration::MembershipSet(MembershipSet {
        common: common("membership_set.a", &[]),
        target: target(A),
        security_group_ids: [sg(G1), sg(G2)].into_iter().collect(),
        ignore_security_group_ids: BTreeSet::new(),
    })];
    let state = state(&[
        ("membership_set.a", G1, A),
        ("membership_set.a", G2, A),
        ("membership.b", G1, B),
    ]);
    let inv = inventory(&[(A, &[G1, G2]), (B, &[G1, G3])]);
    let (plan, diags) = plan(&declarations, &state, &inv, &Limits::default(), &destroy());
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{diags:?}");
    let d = errors[0];
    assert!(d.summary.contains(A), "{}", d.summary);
    assert!(d.summary.contains("no security group"), "{}", d.summary);
    assert_eq!(d.address, Some(addr("membership_set.a")));
    let notes = d.notes.join("\n");
    assert!(notes.contains("InstanceLastSecurityGroup"), "{notes}");
    assert!(notes.contains("LeaveSecurityGroup"), "{notes}");
    assert!(notes.contains("at least one security group"), "{notes}");
    let hints = d.hints.join("\n");
    assert!(
        hints.contains("`sgform state rm membership_set.a`"),
        "{hints}"
    );
    // Nothing is planned for A; B's leave is, though the plan as a whole must not be applied.
    assert!(plan.operations.iter().all(|o| o.target != target(A)));
    assert_eq!(plan.counts(), (0, 1, 0));
}

#[test]
fn the_last_group_rule_of_an_ordinary_plan_keeps_its_own_words() {
    // The same path without `destroy`: a membership_set whose groups are all gone from the
    // configuration (its address is only in the state) would leave the target with none.
    let state = state(&[("membership.a", G1, A)]);
    let inv = inventory(&[(A, &[G1])]);
    let (_, diags) = plan(
        &[],
        &state,
        &inv,
        &Limits::default(),
        &PlanOptions::default(),
    );
    let d = diags.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(
        d.summary,
        format!("`{A}` would be left with no security group")
    );
}

#[test]
fn destroy_only_forgets_pairs_already_gone_from_the_cloud() {
    // A left G2 outside sgform; the instance GONE was deleted; B still has G1 and leaves it.
    let declarations = vec![membership("membership.a", G2, A, &[])];
    let state = state(&[
        ("membership.a", G2, A),
        ("membership.gone", G1, GONE),
        ("membership.b", G1, B),
    ]);
    let mut inv = inventory(&[(A, &[G1]), (B, &[G1, G3])]);
    inv.gone.insert(target(GONE));
    let (plan, diags) = plan(&declarations, &state, &inv, &Limits::default(), &destroy());
    assert!(!crate::diag::has_errors(&diags), "{diags:?}");
    let forgotten: Vec<&Address> = plan.forget.iter().map(|m| &m.address).collect();
    assert_eq!(forgotten, [&addr("membership.a"), &addr("membership.gone")]);
    assert!(
        plan.drift.iter().all(|d| !d.planned_back),
        "{:?}",
        plan.drift
    );
    assert_eq!(plan.operations.len(), 1);
    assert_eq!(plan.operations[0].target, target(B));
    assert_eq!(run(&plan, &inv)[&target(A)], vec![sg(G1)]);
}

#[test]
fn destroy_with_targets_leaves_only_the_selected_addresses() {
    let state = state(&[("membership.a", G1, A), ("membership.b", G1, B)]);
    let inv = inventory(&[(A, &[G1, G2]), (B, &[G1, G2])]);
    let options = PlanOptions {
        targets: vec![addr("membership.b")],
        destroy: true,
        ..PlanOptions::default()
    };
    let (plan, diags) = plan(&[], &state, &inv, &Limits::default(), &options);
    assert!(!crate::diag::has_errors(&diags), "{diags:?}");
    assert_eq!(plan.operations.len(), 1);
    assert_eq!(plan.operations[0].target, target(B));
    assert_eq!(plan.resource_changes.len(), 1);
}

#[test]
fn destroy_with_an_empty_state_changes_nothing() {
    let declarations = vec![membership("membership.a", G2, A, &[])];
    let inv = inventory(&[(A, &[G1])]);
    let (plan, diags) = plan(
        &declarations,
        &State::empty(),
        &inv,
        &Limits::default(),
        &destroy(),
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert!(!plan.has_changes());
    assert!(plan.resource_changes.is_empty());
}

#[test]
fn a_target_not_found_and_not_proven_gone_keeps_its_entries() {
    // GONE is neither in the inventory nor proven gone (its provider saw none of the state's
    // instances): nothing about it is drift, nothing is forgotten, in any mode.
    let state = state(&[("membership.gone", G1, GONE), ("membership.old", G2, GONE)]);
    let declarations = vec![membership("membership.gone", G1, GONE, &[])];
    let inv = inventory(&[]);
    for options in [
        PlanOptions::default(),
        destroy(),
        PlanOptions {
            refresh_only: true,
            ..PlanOptions::default()
        },
    ] {
        let (plan, _) = plan(&declarations, &state, &inv, &Limits::default(), &options);
        assert!(plan.forget.is_empty(), "{options:?}: {:?}", plan.forget);
        assert!(plan.drift.is_empty(), "{options:?}: {:?}", plan.drift);
        assert!(plan.operations.is_empty(), "{options:?}");
    }
}

#[test]
fn a_target_proven_gone_or_proven_not_a_member_is_forgotten() {
    // GONE was proven gone by a by-ID read; A was read and is no longer in G2.
    let state = state(&[("membership.gone", G1, GONE), ("membership.a", G2, A)]);
    let mut inv = inventory(&[(A, &[G1])]);
    inv.gone.insert(target(GONE));
    let (plan, diags) = plan(
        &[],
        &state,
        &inv,
        &Limits::default(),
        &PlanOptions::default(),
    );
    assert!(!crate::diag::has_errors(&diags), "{diags:?}");
    let forgotten: Vec<&Address> = plan.forget.iter().map(|m| &m.address).collect();
    assert_eq!(forgotten, [&addr("membership.a"), &addr("membership.gone")]);
    assert_eq!(plan.drift.len(), 2);
    assert!(plan.operations.is_empty());
}
