//! Reading targets by ID in one region: which groups an instance or ENI is in now. The one
//! read behind apply's re-read of a target, import's check of a pair and the refresh's by-ID
//! rounds.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    DescribeInstances, DescribeNetworkInterfaces, InRegion, Instance, MAX_IDS_PER_CALL,
    NetworkInterface,
};
use crate::cloud::client::Client;
use crate::cloud::error::Error;
use crate::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target};

/// Targets to read by ID in `region`: instances ≤ 100 per DescribeInstances (`InstanceIds`),
/// ENIs ≤ 100 per DescribeNetworkInterfaces (`NetworkInterfaceId.N`), every page of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetsById {
    pub region: RegionId,
    pub instance_ids: Vec<InstanceId>,
    pub network_interface_ids: Vec<NetworkInterfaceId>,
}

impl TargetsById {
    /// These targets, each once (sorted), in `region`.
    pub fn new<'a>(region: RegionId, targets: impl IntoIterator<Item = &'a Target>) -> Self {
        let mut instances = BTreeSet::new();
        let mut enis = BTreeSet::new();
        for target in targets {
            match target {
                Target::Instance(id) => instances.insert(id.clone()),
                Target::NetworkInterface(id) => enis.insert(id.clone()),
            };
        }
        Self {
            region,
            instance_ids: instances.into_iter().collect(),
            network_interface_ids: enis.into_iter().collect(),
        }
    }

    /// The DescribeInstances calls, ≤ 100 IDs each (none without instances).
    pub fn instance_requests(&self) -> Vec<InRegion<DescribeInstances>> {
        self.instance_ids
            .chunks(MAX_IDS_PER_CALL)
            .map(|ids| {
                let request = DescribeInstances {
                    instance_ids: Some(ids.to_vec()),
                    ..DescribeInstances::default()
                };
                InRegion::new(self.region.clone(), request)
            })
            .collect()
    }

    /// The DescribeNetworkInterfaces calls, ≤ 100 IDs each (none without ENIs).
    pub fn network_interface_requests(&self) -> Vec<InRegion<DescribeNetworkInterfaces>> {
        self.network_interface_ids
            .chunks(MAX_IDS_PER_CALL)
            .map(|ids| {
                let request = DescribeNetworkInterfaces {
                    network_interface_ids: ids.to_vec(),
                    ..DescribeNetworkInterfaces::default()
                };
                InRegion::new(self.region.clone(), request)
            })
            .collect()
    }
}

/// What a by-ID read found, by ID. A target absent here was not found: it does not exist in
/// that region (deleted, or never there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundTargets {
    pub instances: BTreeMap<InstanceId, Instance>,
    pub network_interfaces: BTreeMap<NetworkInterfaceId, NetworkInterface>,
    /// Requests sent, one per page, without retries.
    pub pages: usize,
}

impl FoundTargets {
    /// The target's groups now, in the order the API lists them (`None`: not found).
    pub fn groups_of(&self, target: &Target) -> Option<&[SecurityGroupId]> {
        match target {
            Target::Instance(id) => self.instances.get(id).map(|i| &i.security_group_ids[..]),
            Target::NetworkInterface(id) => self
                .network_interfaces
                .get(id)
                .map(|e| &e.security_group_ids[..]),
        }
    }

    /// The target's status now (`Running`, `InUse`, …; `None`: not found).
    pub fn status_of(&self, target: &Target) -> Option<&str> {
        match target {
            Target::Instance(id) => self.instances.get(id).map(|i| i.status.as_str()),
            Target::NetworkInterface(id) => {
                self.network_interfaces.get(id).map(|e| e.status.as_str())
            }
        }
    }
}

impl Client {
    /// Reads targets by ID; see [`TargetsById`]. An answer about an ID that was not asked for
    /// is dropped, so a filter the endpoint ignored cannot make another target look found.
    pub async fn read_targets(&self, read: &TargetsById) -> Result<FoundTargets, Error> {
        let mut found = FoundTargets::default();
        let instance_ids: BTreeSet<&InstanceId> = read.instance_ids.iter().collect();
        let eni_ids: BTreeSet<&NetworkInterfaceId> = read.network_interface_ids.iter().collect();
        for request in read.instance_requests() {
            let (items, pages) = self.collect_pages_counted(request).await?;
            found.pages += pages;
            for i in items {
                if instance_ids.contains(&i.instance_id) {
                    found.instances.insert(i.instance_id.clone(), i);
                }
            }
        }
        for request in read.network_interface_requests() {
            let (items, pages) = self.collect_pages_counted(request).await?;
            found.pages += pages;
            for e in items {
                if eni_ids.contains(&e.network_interface_id) {
                    found
                        .network_interfaces
                        .insert(e.network_interface_id.clone(), e);
                }
            }
        }
        Ok(found)
    }
}
