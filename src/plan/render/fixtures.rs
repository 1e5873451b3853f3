//! Hand-built plans for the renderer and plan-file tests.

#![allow(clippy::field_reassign_with_default)] // building plans field by field reads best here

use std::collections::BTreeSet;

use crate::ids::{Address, RegionId, SecurityGroupId, Target};
use crate::plan::model::{
    Action, Dependency, Drift, Operation, Pair, Plan, Reason, ResourceChange, TargetChange,
};
use crate::state::ManagedMembership;

pub const WEB: &str = "i-bp1web0000000001";
pub const DB: &str = "i-bp1db00000000001";
pub const ENI: &str = "eni-bp1eni000000001";
pub const OLD: &str = "sg-bp1old0000000001";
pub const NEW: &str = "sg-bp1new0000000001";
pub const BASE: &str = "sg-bp1base000000001";
pub const SECRET_GROUP: &str = "sg-bp1secret0000001";

pub fn sg(id: &str) -> SecurityGroupId {
    SecurityGroupId::parse(id).unwrap()
}

pub fn target(id: &str) -> Target {
    Target::parse(id).unwrap()
}

pub fn address(text: &str) -> Address {
    Address::parse(text).unwrap()
}

pub fn region() -> RegionId {
    RegionId::parse("cn-hangzhou").unwrap()
}

pub fn pair(group: &str, t: &str) -> Pair {
    Pair {
        security_group_id: sg(group),
        target: target(t),
    }
}

pub fn pairs<const N: usize>(list: [(&str, &str); N]) -> Vec<Pair> {
    let mut v: Vec<Pair> = list.into_iter().map(|(g, t)| pair(g, t)).collect();
    v.sort();
    v.dedup();
    v
}

pub fn managed(addr: &str, group: &str, t: &str) -> ManagedMembership {
    ManagedMembership {
        address: address(addr),
        provider: None,
        region: region(),
        security_group_id: sg(group),
        target: target(t),
    }
}

pub fn change(addr: &str) -> ResourceChange {
    ResourceChange::new(address(addr), None)
}

pub fn groups(list: &[&str]) -> Vec<SecurityGroupId> {
    list.iter().map(|g| sg(g)).collect()
}

pub fn target_change(before: &[&str], after: &[&str]) -> TargetChange {
    TargetChange {
        provider: None,
        region: region(),
        status: "Running".to_owned(),
        before: groups(before),
        after: groups(after),
        replace: false,
    }
}

/// A pairwise Join or Leave.
pub fn op(
    action: Action,
    group: &str,
    t: &str,
    before: &[&str],
    after: &[&str],
    addr: &str,
    depends_on: Vec<Dependency>,
) -> Operation {
    let entry = managed(addr, group, t);
    let (state_add, state_remove) = match action {
        Action::Leave => (vec![], vec![entry]),
        _ => (vec![entry], vec![]),
    };
    Operation {
        action,
        target: target(t),
        provider: None,
        region: region(),
        security_group_id: Some(sg(group)),
        before: groups(before),
        after: groups(after),
        addresses: vec![address(addr)],
        depends_on,
        state_add,
        state_remove,
    }
}

pub fn after(on: usize, reason: Reason) -> Dependency {
    Dependency { on, reason }
}

/// `membership_set.web` swaps `OLD` for `NEW` on `WEB` (1 → 1: join first).
pub fn swap_plan() -> Plan {
    let addr = "membership_set.web";
    let mut c = change(addr);
    c.before = pairs([(OLD, WEB)]);
    c.after = pairs([(NEW, WEB)]);
    c.join = pairs([(NEW, WEB)]);
    c.leave = pairs([(OLD, WEB)]);
    let mut plan = Plan::default();
    plan.resource_changes.push(c);
    plan.operations = vec![
        op(Action::Join, NEW, WEB, &[OLD], &[OLD, NEW], addr, vec![]),
        op(
            Action::Leave,
            OLD,
            WEB,
            &[OLD, NEW],
            &[NEW],
            addr,
            vec![after(0, Reason::SameTarget)],
        ),
    ];
    plan.targets
        .insert(target(WEB), target_change(&[OLD], &[NEW]));
    plan
}

/// `membership.db` joins `SECRET_GROUP`, whose ID came from a sensitive variable.
pub fn sensitive_plan() -> Plan {
    let addr = r#"membership.db["primary"]"#;
    let mut c = change(addr);
    c.after = pairs([(SECRET_GROUP, DB)]);
    c.join = pairs([(SECRET_GROUP, DB)]);
    c.sensitive = BTreeSet::from(["security_group_id".to_owned()]);
    let mut plan = Plan::default();
    plan.resource_changes.push(c);
    plan.operations = vec![op(
        Action::Join,
        SECRET_GROUP,
        DB,
        &[BASE],
        &[BASE, SECRET_GROUP],
        addr,
        vec![],
    )];
    plan.targets
        .insert(target(DB), target_change(&[BASE], &[BASE, SECRET_GROUP]));
    plan
}

/// `membership.web` still declared but left outside sgform (planned back), and
/// `membership.gone` neither declared nor present (forgotten).
pub fn drift_plan() -> Plan {
    let addr = "membership.web";
    let mut c = change(addr);
    c.after = pairs([(NEW, WEB)]);
    c.join = pairs([(NEW, WEB)]);
    let mut plan = Plan::default();
    plan.resource_changes.push(c);
    plan.drift = vec![
        Drift {
            membership: managed("membership.gone", OLD, DB),
            planned_back: false,
        },
        Drift {
            membership: managed(addr, NEW, WEB),
            planned_back: true,
        },
    ];
    plan.forget = vec![managed("membership.gone", OLD, DB)];
    plan.operations = vec![op(
        Action::Join,
        NEW,
        WEB,
        &[BASE],
        &[BASE, NEW],
        addr,
        vec![],
    )];
    plan.targets
        .insert(target(WEB), target_change(&[BASE], &[BASE, NEW]));
    plan
}

/// `membership.old` removed from the configuration (leave) and `membership.existing` adopted.
pub fn removal_and_adoption_plan() -> Plan {
    let mut gone = change("membership.old");
    gone.before = pairs([(OLD, WEB)]);
    gone.leave = pairs([(OLD, WEB)]);
    gone.removed_from_config = true;
    let mut adopted = change("membership.existing");
    adopted.before = pairs([(BASE, ENI)]);
    adopted.after = pairs([(BASE, ENI)]);
    adopted.adopt = pairs([(BASE, ENI)]);
    let mut plan = Plan::default();
    plan.resource_changes = vec![adopted, gone];
    plan.adopt = vec![managed("membership.existing", BASE, ENI)];
    plan.operations = vec![op(
        Action::Leave,
        OLD,
        WEB,
        &[BASE, OLD],
        &[BASE],
        "membership.old",
        vec![],
    )];
    plan.targets
        .insert(target(WEB), target_change(&[BASE, OLD], &[BASE]));
    plan
}

/// `membership_set.eni` switches the ENI from normal `OLD` to enterprise `NEW` atomically.
pub fn replace_plan() -> Plan {
    let addr = "membership_set.eni";
    let mut c = change(addr);
    c.before = pairs([(OLD, ENI)]);
    c.after = pairs([(NEW, ENI)]);
    c.join = pairs([(NEW, ENI)]);
    c.leave = pairs([(OLD, ENI)]);
    c.replace = vec![target(ENI)];
    let mut plan = Plan::default();
    plan.resource_changes.push(c);
    plan.operations = vec![Operation {
        action: Action::Replace,
        target: target(ENI),
        provider: None,
        region: region(),
        security_group_id: None,
        before: groups(&[OLD]),
        after: groups(&[NEW]),
        addresses: vec![address(addr)],
        depends_on: vec![],
        state_add: vec![managed(addr, NEW, ENI)],
        state_remove: vec![managed(addr, OLD, ENI)],
    }];
    let mut t = target_change(&[OLD], &[NEW]);
    t.replace = true;
    plan.targets.insert(target(ENI), t);
    plan
}
