//! API answers to the inventory's facts.

use super::{FALLBACK_CAPACITY_ENTERPRISE, FALLBACK_CAPACITY_NORMAL};
use crate::cloud::api::{Instance, NetworkInterface, SecurityGroup};
use crate::ids::RegionId;
use crate::plan::inventory::{
    GroupFacts, GroupType, InstanceFacts, Inventory, NetworkInterfaceFacts, ProviderAlias,
};

pub(super) fn add_instances<'a>(
    inventory: &mut Inventory,
    alias: &ProviderAlias,
    region: &RegionId,
    instances: impl Iterator<Item = &'a Instance>,
) {
    for i in instances {
        inventory
            .seen
            .insert((alias.clone(), i.instance_id.to_string()));
        inventory
            .instances
            .entry(i.instance_id.clone())
            .or_insert_with(|| instance_facts(alias, region, i));
    }
}

pub(super) fn add_enis<'a>(
    inventory: &mut Inventory,
    alias: &ProviderAlias,
    region: &RegionId,
    enis: impl Iterator<Item = &'a NetworkInterface>,
) {
    for e in enis {
        inventory
            .seen
            .insert((alias.clone(), e.network_interface_id.to_string()));
        inventory
            .network_interfaces
            .entry(e.network_interface_id.clone())
            .or_insert_with(|| eni_facts(alias, region, e));
    }
}

/// An instance's facts. The primary ENI is the one DescribeInstances types `Primary`.
pub fn instance_facts(alias: &ProviderAlias, region: &RegionId, i: &Instance) -> InstanceFacts {
    InstanceFacts {
        id: i.instance_id.clone(),
        provider: alias.clone(),
        region: region.clone(),
        status: i.status.clone(),
        network_type: i.instance_network_type.clone(),
        vpc_id: i.vpc_id().cloned(),
        security_group_ids: i.security_group_ids.clone(),
        locked_for_security: i.locked_for_security(),
        instance_type: i.instance_type.clone(),
        primary_network_interface: i
            .network_interfaces
            .iter()
            .find(|n| n.kind.as_deref() == Some("Primary"))
            .map(|n| n.network_interface_id.clone()),
    }
}

/// An ENI's facts.
pub fn eni_facts(
    alias: &ProviderAlias,
    region: &RegionId,
    e: &NetworkInterface,
) -> NetworkInterfaceFacts {
    NetworkInterfaceFacts {
        id: e.network_interface_id.clone(),
        provider: alias.clone(),
        region: region.clone(),
        kind: e.kind.clone(),
        status: e.status.clone(),
        instance_id: e.instance_id.clone(),
        vpc_id: e.vpc_id.clone(),
        service_managed: e.service_managed,
        security_group_ids: e.security_group_ids.clone(),
    }
}

/// A group's facts; capacity is `EcsCount + AvailableInstanceAmount`, or the documented default
/// of its type when the API leaves those out.
pub fn group_facts(alias: &ProviderAlias, region: &RegionId, g: &SecurityGroup) -> GroupFacts {
    let group_type = if g.security_group_type.eq_ignore_ascii_case("enterprise") {
        GroupType::Enterprise
    } else {
        GroupType::Normal
    };
    let member_count = g.ecs_count.unwrap_or(0);
    let capacity = match (g.ecs_count, g.available_instance_amount) {
        (Some(n), Some(free)) => n.saturating_add(free),
        _ => match group_type {
            GroupType::Normal => FALLBACK_CAPACITY_NORMAL,
            GroupType::Enterprise => FALLBACK_CAPACITY_ENTERPRISE,
        },
    };
    GroupFacts {
        id: g.security_group_id.clone(),
        provider: alias.clone(),
        region: region.clone(),
        name: g.security_group_name.clone(),
        group_type,
        vpc_id: g.vpc_id.clone(),
        service_managed: g.service_managed,
        rule_count: g.rule_count.unwrap_or(0),
        member_count,
        capacity,
    }
}
