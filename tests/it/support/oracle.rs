//! The emulator's in-memory world as the planner's oracle (no HTTP): an `Inventory` read off a
//! world the way a refresh would see it, and the plan's operations run through `World::apply`.
//! Test-only glue; the planner and the emulator share no rule code.

use std::collections::BTreeSet;

use sgform::emulator::{Request, World};
use sgform::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target, VpcId};
use sgform::plan::{
    GroupFacts, GroupType, InstanceFacts, Inventory, NetworkInterfaceFacts, Operation,
};

/// Everything in `world` owned by `account`, as a refresh through the default provider reads
/// it; `group_members` is filled for `managed_groups`.
pub fn inventory(world: &World, account: &str, managed_groups: &[SecurityGroupId]) -> Inventory {
    let file = world.to_file();
    let mut inv = Inventory::default();
    let sgs = |ids: &[String]| -> Vec<SecurityGroupId> {
        ids.iter()
            .map(|g| SecurityGroupId::parse(g).unwrap())
            .collect()
    };
    let vpc = |v: &Option<String>| v.as_deref().map(|v| VpcId::parse(v).unwrap());
    for i in file.instances.iter().filter(|i| i.owner == account) {
        let id = InstanceId::parse(&i.id).unwrap();
        let primary = file
            .network_interfaces
            .iter()
            .find(|e| e.instance_id.as_deref() == Some(&i.id) && e.eni_type == "Primary")
            .map(|e| NetworkInterfaceId::parse(&e.id).unwrap());
        inv.instances.insert(
            id.clone(),
            InstanceFacts {
                id,
                provider: None,
                region: RegionId::parse(&i.region).unwrap(),
                status: if i.being_created {
                    "Pending".to_owned()
                } else {
                    i.status.clone()
                },
                network_type: i.network_type.as_str().to_owned(),
                vpc_id: vpc(&i.vpc_id),
                security_group_ids: sgs(&i.security_group_ids),
                locked_for_security: i.locked_for_security,
                instance_type: if i.supports_enterprise_groups {
                    "ecs.g7.large".to_owned()
                } else {
                    "ecs.t1.small".to_owned()
                },
                primary_network_interface: primary,
            },
        );
    }
    for e in file
        .network_interfaces
        .iter()
        .filter(|e| e.owner == account)
    {
        let id = NetworkInterfaceId::parse(&e.id).unwrap();
        inv.network_interfaces.insert(
            id.clone(),
            NetworkInterfaceFacts {
                id,
                provider: None,
                region: RegionId::parse(&e.region).unwrap(),
                kind: e.eni_type.clone(),
                status: if e.being_created {
                    "Creating".to_owned()
                } else {
                    e.status.clone()
                },
                instance_id: e
                    .instance_id
                    .as_deref()
                    .map(|i| InstanceId::parse(i).unwrap()),
                vpc_id: vpc(&e.vpc_id),
                service_managed: e.service_managed,
                security_group_ids: sgs(&e.security_group_ids),
            },
        );
    }
    for g in file.security_groups.iter().filter(|g| g.owner == account) {
        let id = SecurityGroupId::parse(&g.id).unwrap();
        inv.groups.insert(
            id.clone(),
            GroupFacts {
                id,
                provider: None,
                region: RegionId::parse(&g.region).unwrap(),
                name: g.name.clone(),
                group_type: match g.group_type {
                    sgform::emulator::world::GroupType::Normal => GroupType::Normal,
                    sgform::emulator::world::GroupType::Enterprise => GroupType::Enterprise,
                },
                vpc_id: vpc(&g.vpc_id),
                service_managed: g.service_managed,
                rule_count: g.rule_count,
                member_count: world.member_count(&g.id),
                capacity: g.capacity,
            },
        );
    }
    for g in managed_groups {
        let mut members = BTreeSet::new();
        for i in file.instances.iter().filter(|i| i.owner == account) {
            if i.security_group_ids.iter().any(|x| x == g.as_str()) {
                members.insert(Target::parse(&i.id).unwrap());
            }
        }
        for e in file
            .network_interfaces
            .iter()
            .filter(|e| e.owner == account)
        {
            if e.eni_type != "Primary" && e.security_group_ids.iter().any(|x| x == g.as_str()) {
                members.insert(Target::parse(&e.id).unwrap());
            }
        }
        inv.group_members.insert(g.clone(), members);
    }
    inv
}

/// The emulator request for one planned operation.
pub fn request(op: &Operation) -> Request {
    let target = op.target.as_str();
    let region = op.region.as_str();
    match op.action {
        sgform::plan::Action::Join => Request::join(
            target,
            op.security_group_id.as_ref().unwrap().as_str(),
            region,
        ),
        sgform::plan::Action::Leave => Request::leave(
            target,
            op.security_group_id.as_ref().unwrap().as_str(),
            region,
        ),
        sgform::plan::Action::Replace => {
            let groups: Vec<&str> = op.after.iter().map(|g| g.as_str()).collect();
            Request::replace(target, &groups, region)
        }
    }
}
