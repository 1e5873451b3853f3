//! One provider's rounds: group members and named ENIs, then instances, then every group involved.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::Error;
use super::data::Known;
use super::fetch::fetch_all;
use super::want::Want;
use crate::cloud::Client;
use crate::cloud::api::{
    DescribeInstances, DescribeNetworkInterfaces, DescribeSecurityGroups, Instance,
    MAX_IDS_PER_CALL, NetworkInterface, SecurityGroup, TargetsById,
};
use crate::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target};
use crate::plan::inventory::ProviderAlias;

pub(super) struct ProviderRead {
    pub(super) alias: ProviderAlias,
    pub(super) region: RegionId,
    pub(super) instances: BTreeMap<InstanceId, Instance>,
    pub(super) enis: BTreeMap<NetworkInterfaceId, NetworkInterface>,
    pub(super) groups: BTreeMap<SecurityGroupId, SecurityGroup>,
    pub(super) group_members: BTreeMap<SecurityGroupId, BTreeSet<Target>>,
    pub(super) pages: u64,
}

/// The by-ID read of these targets in the client's region (the one shared with apply and import).
pub(super) fn by_id(
    client: &Client,
    instance_ids: Vec<InstanceId>,
    network_interface_ids: Vec<NetworkInterfaceId>,
) -> TargetsById {
    TargetsById {
        region: client.region().clone(),
        instance_ids,
        network_interface_ids,
    }
}

pub(super) async fn refresh_provider(
    alias: ProviderAlias,
    client: Client,
    want: Want,
    known: Known,
    permits: Arc<Semaphore>,
) -> Result<ProviderRead, Error> {
    fn job<A>(alias: &ProviderAlias, client: &Client, r: A) -> (ProviderAlias, Client, A) {
        (alias.clone(), client.clone(), r)
    }
    let Known {
        mut instances,
        mut enis,
    } = known;
    let mut pages = 0;

    // Round 1: group members, and the named ENIs not seen yet.
    let member_groups: Vec<SecurityGroupId> = want.member_groups.iter().cloned().collect();
    let member_instances = member_groups
        .iter()
        .map(|g| {
            job(
                &alias,
                &client,
                DescribeInstances {
                    security_group_id: Some(g.clone()),
                    ..Default::default()
                },
            )
        })
        .collect();
    let member_enis = member_groups
        .iter()
        .map(|g| {
            job(
                &alias,
                &client,
                DescribeNetworkInterfaces {
                    security_group_id: Some(g.clone()),
                    ..Default::default()
                },
            )
        })
        .collect();
    let missing_enis: Vec<NetworkInterfaceId> = want
        .enis
        .iter()
        .filter(|id| !enis.contains_key(*id))
        .cloned()
        .collect();
    let eni_batches = by_id(&client, Vec::new(), missing_enis)
        .network_interface_requests()
        .into_iter()
        .map(|r| job(&alias, &client, r))
        .collect();
    let (listed_instances, listed_enis, described_enis) = tokio::try_join!(
        fetch_all(&permits, member_instances),
        fetch_all(&permits, member_enis),
        fetch_all(&permits, eni_batches),
    )?;
    pages += listed_instances.pages + listed_enis.pages + described_enis.pages;
    let mut group_members: BTreeMap<SecurityGroupId, BTreeSet<Target>> = BTreeMap::new();
    for (g, items) in member_groups.iter().zip(&listed_instances.items) {
        let members = group_members.entry(g.clone()).or_default();
        for i in items {
            members.insert(Target::Instance(i.instance_id.clone()));
            instances.insert(i.instance_id.clone(), i.clone());
        }
    }
    for (g, items) in member_groups.iter().zip(&listed_enis.items) {
        let members = group_members.entry(g.clone()).or_default();
        for e in items {
            // The filter matches secondary ENIs only; a primary one changes with its instance.
            if e.kind != "Primary" {
                members.insert(Target::NetworkInterface(e.network_interface_id.clone()));
            }
            enis.insert(e.network_interface_id.clone(), e.clone());
        }
    }
    for e in described_enis.items.into_iter().flatten() {
        enis.insert(e.network_interface_id.clone(), e);
    }

    // Round 2: the named instances and the instances of the named ENIs, not seen yet.
    let owners = want
        .enis
        .iter()
        .filter_map(|id| enis.get(id)?.instance_id.clone());
    let missing_instances: Vec<InstanceId> = want
        .instances
        .iter()
        .cloned()
        .chain(owners)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|id| !instances.contains_key(id))
        .collect();
    let instance_batches = by_id(&client, missing_instances, Vec::new())
        .instance_requests()
        .into_iter()
        .map(|r| job(&alias, &client, r))
        .collect();
    let described = fetch_all(&permits, instance_batches).await?;
    pages += described.pages;
    for i in described.items.into_iter().flatten() {
        instances.insert(i.instance_id.clone(), i);
    }

    // Round 3: every group involved.
    let mut groups_wanted = want.groups.clone();
    let targets_now = want
        .instances
        .iter()
        .filter_map(|id| instances.get(id))
        .map(|i| &i.security_group_ids)
        .chain(
            want.enis
                .iter()
                .filter_map(|id| enis.get(id))
                .map(|e| &e.security_group_ids),
        );
    for set in targets_now {
        groups_wanted.extend(set.iter().cloned());
    }
    for members in group_members.values() {
        for m in members {
            let set = match m {
                Target::Instance(id) => instances.get(id).map(|i| &i.security_group_ids),
                Target::NetworkInterface(id) => enis.get(id).map(|e| &e.security_group_ids),
            };
            groups_wanted.extend(set.into_iter().flatten().cloned());
        }
    }
    let groups_wanted: Vec<SecurityGroupId> = groups_wanted.into_iter().collect();
    let group_batches = groups_wanted
        .chunks(MAX_IDS_PER_CALL)
        .map(|c| {
            job(
                &alias,
                &client,
                DescribeSecurityGroups {
                    security_group_ids: Some(c.to_vec()),
                    is_query_ecs_count: true,
                    ..Default::default()
                },
            )
        })
        .collect();
    let described = fetch_all(&permits, group_batches).await?;
    pages += described.pages;
    let groups = described
        .items
        .into_iter()
        .flatten()
        .map(|g| (g.security_group_id.clone(), g))
        .collect();

    Ok(ProviderRead {
        region: client.region().clone(),
        alias,
        instances,
        enis,
        groups,
        group_members,
        pages,
    })
}
