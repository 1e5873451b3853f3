//! What the refresh read from the cloud: the facts the planner relies on. Plain data, built by
//! `plan::refresh` (the only I/O of `plan`) or by hand in tests.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::DataResults;
use crate::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target, VpcId};

/// The provider a fact was read through: its alias, `None` for the default provider.
pub type ProviderAlias = Option<String>;

/// `normal` or `enterprise` (the API's `SecurityGroupType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupType {
    Normal,
    Enterprise,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Normal => "normal",
            GroupType::Enterprise => "enterprise",
        }
    }
}

/// An instance as DescribeInstances showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceFacts {
    pub id: InstanceId,
    pub provider: ProviderAlias,
    pub region: RegionId,
    /// `Running`, `Stopped`, `Pending`, `Starting`, `Stopping`.
    pub status: String,
    /// `vpc` or `classic`.
    pub network_type: String,
    pub vpc_id: Option<VpcId>,
    /// In the order the API listed them.
    pub security_group_ids: Vec<SecurityGroupId>,
    /// `OperationLocks` holds a `security` lock.
    pub locked_for_security: bool,
    /// e.g. `ecs.g7.large`; decides whether enterprise groups are supported.
    pub instance_type: String,
    /// The primary ENI, when DescribeInstances listed it.
    pub primary_network_interface: Option<NetworkInterfaceId>,
}

/// An ENI as DescribeNetworkInterfaces showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInterfaceFacts {
    pub id: NetworkInterfaceId,
    pub provider: ProviderAlias,
    pub region: RegionId,
    /// `Primary`, `Secondary`, `Trunk`, `Member`.
    pub kind: String,
    /// `Available`, `Attaching`, `InUse`, `Detaching`, `Deleting`, `Creating`.
    pub status: String,
    pub instance_id: Option<InstanceId>,
    pub vpc_id: Option<VpcId>,
    pub service_managed: bool,
    pub security_group_ids: Vec<SecurityGroupId>,
}

/// A security group as DescribeSecurityGroups (with `IsQueryEcsCount`) showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFacts {
    pub id: SecurityGroupId,
    pub provider: ProviderAlias,
    pub region: RegionId,
    pub name: String,
    pub group_type: GroupType,
    /// `None`: a classic-network group.
    pub vpc_id: Option<VpcId>,
    pub service_managed: bool,
    pub rule_count: u64,
    /// Members now (`EcsCount`): instances plus non-primary ENIs.
    pub member_count: u64,
    /// Members it can hold (`EcsCount + AvailableInstanceAmount`).
    pub capacity: u64,
}

/// Everything the refresh read. Maps are keyed by ID (IDs are unique across regions and
/// accounts); each fact records the provider it was read through. A target or group the
/// configuration names that is absent here was not found (or is not visible to the account);
/// a target absent here is *proven* gone only when it is in [`Inventory::gone`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub instances: BTreeMap<InstanceId, InstanceFacts>,
    pub network_interfaces: BTreeMap<NetworkInterfaceId, NetworkInterfaceFacts>,
    pub groups: BTreeMap<SecurityGroupId, GroupFacts>,
    /// For every group a `group_members` block manages: its current members (instances, and
    /// secondary ENIs), read with the `SecurityGroupId` filter.
    pub group_members: BTreeMap<SecurityGroupId, BTreeSet<Target>>,
    /// What each data source returned.
    pub data: DataResults,
    /// Every provider each target and group was seen through (`(alias, ID)`): providers of one
    /// account and region see the same objects, and a fact records only the first. Empty (an
    /// inventory built by hand): a fact is visible through its own provider only.
    #[serde(default)]
    pub seen: BTreeSet<(ProviderAlias, String)>,
    /// The providers the refresh read. A state entry under a provider that was not read says
    /// nothing about the cloud. Empty: every provider was read.
    #[serde(default)]
    pub read: BTreeSet<ProviderAlias>,
    /// Targets proven gone: a by-ID read through their provider (and through every other
    /// provider) did not return them, and that provider saw some of the state's targets of
    /// that kind, so its empty answer is not blindness (credentials, region, RAM). The planner
    /// forgets a managed pair whose target it did not find only when the target is here; one
    /// that is neither found nor here is kept as it is.
    #[serde(default)]
    pub gone: BTreeSet<Target>,
}

impl Inventory {
    /// Whether the object `id`, whose facts were read through `own`, is visible through
    /// `provider`.
    pub fn sees(&self, provider: &ProviderAlias, id: &str, own: &ProviderAlias) -> bool {
        provider == own || self.seen.contains(&(provider.clone(), id.to_owned()))
    }

    /// Whether a by-ID read proved `target` gone (see [`Inventory::gone`]).
    pub fn proven_gone(&self, target: &Target) -> bool {
        self.gone.contains(target)
    }

    /// Whether the refresh read `provider`.
    pub fn was_read(&self, provider: &ProviderAlias) -> bool {
        self.read.is_empty() || self.read.contains(provider)
    }

    /// A target's current groups, if the target was found.
    pub fn groups_of(&self, target: &Target) -> Option<&[SecurityGroupId]> {
        match target {
            Target::Instance(id) => self
                .instances
                .get(id)
                .map(|i| i.security_group_ids.as_slice()),
            Target::NetworkInterface(id) => self
                .network_interfaces
                .get(id)
                .map(|e| e.security_group_ids.as_slice()),
        }
    }

    /// The provider a target was found through.
    pub fn provider_of(&self, target: &Target) -> Option<&ProviderAlias> {
        match target {
            Target::Instance(id) => self.instances.get(id).map(|i| &i.provider),
            Target::NetworkInterface(id) => self.network_interfaces.get(id).map(|e| &e.provider),
        }
    }

    /// The region a target was found in.
    pub fn region_of(&self, target: &Target) -> Option<&RegionId> {
        match target {
            Target::Instance(id) => self.instances.get(id).map(|i| &i.region),
            Target::NetworkInterface(id) => self.network_interfaces.get(id).map(|e| &e.region),
        }
    }
}
