//! The world: what the emulated cloud contains, in the shape of its JSON file format.
//!
//! The field names are a user-facing interface (other tools write world files), so they are
//! spelled exactly as documented in the README and never renamed. Every optional field has a
//! default, and unknown fields are refused, so a misspelled field is an error rather than a
//! silently ignored default.
//!
//! Reading and writing the file is in `file.rs`; the checks that refuse an impossible world at
//! start are in `validate.rs`.

mod file;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::EmulatorError;

pub use file::MAX_WORLD_FILE_BYTES;
pub use validate::{WorldProblem, validate};

/// Limits that apply to every target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default = "default_groups_per_target")]
    pub groups_per_target: usize,
    #[serde(default = "default_rules_per_target")]
    pub rules_per_target: u64,
}

fn default_groups_per_target() -> usize {
    5
}
fn default_rules_per_target() -> u64 {
    1000
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            groups_per_target: default_groups_per_target(),
            rules_per_target: default_rules_per_target(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
}

/// An AccessKey pair. `Debug` never shows the secret or the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    /// Set for STS credentials: requests must then carry this `SecurityToken`.
    #[serde(default)]
    pub security_token: Option<String>,
    /// Actions this key may not call (`JoinSecurityGroup`, `ecs:JoinSecurityGroup`, `*`).
    #[serde(default)]
    pub deny_actions: Vec<String>,
    /// Resources this key's RAM policy does not cover: an ID, a prefix ending in `*`
    /// (`eni-*`), or `*` for all. The listing Describe* actions leave them out (the real API
    /// answers such a key an empty list, not an error); any other action naming one is
    /// `Forbidden.RAM`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<String>,
}

impl AccessKey {
    /// Whether the key's `hidden` covers the resource `id`.
    pub fn hides(&self, id: &str) -> bool {
        self.hidden
            .iter()
            .any(|h| h == "*" || h == id || h.strip_suffix('*').is_some_and(|p| id.starts_with(p)))
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"***")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "***"),
            )
            .field("deny_actions", &self.deny_actions)
            .field("hidden", &self.hidden)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    pub id: String,
    pub region: String,
    pub owner: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum GroupType {
    #[default]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub id: String,
    pub region: String,
    pub owner: String,
    /// `None` is a classic-network group.
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(rename = "type", default)]
    pub group_type: GroupType,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub rule_count: u64,
    /// How many targets (instances and ENIs) the group can hold.
    #[serde(default = "default_capacity")]
    pub capacity: u64,
    #[serde(default)]
    pub service_managed: bool,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

fn default_capacity() -> u64 {
    2000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NetworkType {
    #[default]
    Vpc,
    Classic,
}

impl NetworkType {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkType::Vpc => "vpc",
            NetworkType::Classic => "classic",
        }
    }
}

/// Instance statuses the API documents (reference §4.6).
pub const INSTANCE_STATUSES: &[&str] = &["Pending", "Running", "Starting", "Stopping", "Stopped"];
/// ENI statuses the API documents.
pub const ENI_STATUSES: &[&str] = &["Available", "Attaching", "InUse", "Detaching", "Deleting"];
/// ENI types: `Trunk` and `Member` exist in the API and cannot change groups through Join/Leave.
pub const ENI_TYPES: &[&str] = &["Primary", "Secondary", "Trunk", "Member"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub to: String,
    pub after_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub id: String,
    pub region: String,
    pub owner: String,
    #[serde(default)]
    pub network_type: NetworkType,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default = "default_instance_status")]
    pub status: String,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default)]
    pub locked_for_security: bool,
    /// Whether enterprise security groups may be joined (the rules read this, not the type).
    #[serde(default = "default_true")]
    pub supports_enterprise_groups: bool,
    /// What DescribeInstances answers as `InstanceType`. Absent: `ecs.g7.large` when
    /// `supports_enterprise_groups` is true, `ecs.t1.small` when it is false (see
    /// [`Instance::instance_type`]), so a client can tell the two apart as on the real cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// Still being created: DescribeInstances answers `Status: "Pending"` whatever `status`
    /// says, and mutations fail with `Forbidden.InstanceIsBeingCreated`.
    #[serde(default)]
    pub being_created: bool,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<Transition>,
}

/// The instance type answered for an instance that supports enterprise groups, when the world
/// does not name one.
pub const DEFAULT_INSTANCE_TYPE: &str = "ecs.g7.large";
/// The instance type answered for an instance that does not support enterprise groups.
pub const DEFAULT_INSTANCE_TYPE_NO_ENTERPRISE: &str = "ecs.t1.small";

impl Instance {
    /// The `InstanceType` DescribeInstances answers.
    pub fn instance_type(&self) -> &str {
        match &self.instance_type {
            Some(t) => t,
            None if self.supports_enterprise_groups => DEFAULT_INSTANCE_TYPE,
            None => DEFAULT_INSTANCE_TYPE_NO_ENTERPRISE,
        }
    }

    /// The `Status` DescribeInstances answers: `Pending` while being created.
    pub fn answered_status(&self) -> &str {
        if self.being_created {
            "Pending"
        } else {
            &self.status
        }
    }
}

fn default_instance_status() -> String {
    "Running".to_owned()
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    pub id: String,
    pub region: String,
    pub owner: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(rename = "type", default = "default_eni_type")]
    pub eni_type: String,
    #[serde(default = "default_eni_status")]
    pub status: String,
    #[serde(default)]
    pub instance_id: Option<String>,
    /// For a primary ENI this is always its instance's set.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default)]
    pub service_managed: bool,
    /// Still being created: DescribeNetworkInterfaces answers `Status: "Creating"` whatever
    /// `status` says, and mutations fail with `InvalidStatus.EniOrInstanceIsBeingCreated`.
    #[serde(default)]
    pub being_created: bool,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl NetworkInterface {
    /// The `Status` DescribeNetworkInterfaces answers: `Creating` while being created.
    pub fn answered_status(&self) -> &str {
        if self.being_created {
            "Creating"
        } else {
            &self.status
        }
    }
}

fn default_eni_type() -> String {
    "Secondary".to_owned()
}
fn default_eni_status() -> String {
    "Available".to_owned()
}

/// The world file, exactly as read and written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub vpcs: Vec<Vpc>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    #[serde(default)]
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterface>,
}

/// The validated, in-memory world. Business rules live in `rules/` (`World::apply`).
///
/// Resources keep the order of the file (IndexMap), so `GET /_emulator/world` and `--persist`
/// write the world back in the order a person wrote it.
#[derive(Debug, Clone)]
pub struct World {
    pub(crate) limits: Limits,
    pub(crate) accounts: Vec<Account>,
    pub(crate) vpcs: IndexMap<String, Vpc>,
    pub(crate) groups: IndexMap<String, SecurityGroup>,
    pub(crate) instances: IndexMap<String, Instance>,
    pub(crate) enis: IndexMap<String, NetworkInterface>,
    /// Members per group (instances plus non-primary ENIs), kept in step with every change.
    pub(crate) members: HashMap<String, u64>,
    /// The ENIs attached to each instance, in world order (attachments never change here).
    pub(crate) attached: HashMap<String, Vec<String>>,
    /// Milliseconds since the world started, as last told by [`World::advance`].
    pub(crate) elapsed_ms: u64,
}

impl World {
    /// Validates a parsed world file.
    pub fn from_file(file: WorldFile) -> Result<World, EmulatorError> {
        let problems = validate(&file);
        if !problems.is_empty() {
            return Err(EmulatorError::InvalidWorld {
                path: None,
                problems,
            });
        }
        let mut world = World {
            limits: file.limits,
            accounts: file.accounts,
            vpcs: file.vpcs.into_iter().map(|v| (v.id.clone(), v)).collect(),
            groups: file
                .security_groups
                .into_iter()
                .map(|g| (g.id.clone(), g))
                .collect(),
            instances: file
                .instances
                .into_iter()
                .map(|i| (i.id.clone(), i))
                .collect(),
            enis: file
                .network_interfaces
                .into_iter()
                .map(|e| (e.id.clone(), e))
                .collect(),
            members: HashMap::new(),
            attached: HashMap::new(),
            elapsed_ms: 0,
        };
        // A primary ENI shares its instance's set; validation allowed it to be left empty.
        let primaries: Vec<(String, Vec<String>)> = world
            .enis
            .values()
            .filter(|e| e.eni_type == "Primary")
            .filter_map(|e| {
                let inst = world.instances.get(e.instance_id.as_deref()?)?;
                Some((e.id.clone(), inst.security_group_ids.clone()))
            })
            .collect();
        for (id, groups) in primaries {
            if let Some(eni) = world.enis.get_mut(&id) {
                eni.security_group_ids = groups;
            }
        }
        world.members = count_members(&world);
        for eni in world.enis.values() {
            if let Some(inst) = &eni.instance_id {
                world
                    .attached
                    .entry(inst.clone())
                    .or_default()
                    .push(eni.id.clone());
            }
        }
        world.advance(0);
        Ok(world)
    }

    /// The world in its file format; a pending transition shows the time it still has to run.
    pub fn to_file(&self) -> WorldFile {
        let instances = self
            .instances
            .values()
            .map(|i| {
                let mut i = i.clone();
                if let Some(t) = &mut i.transition {
                    t.after_ms = t.after_ms.saturating_sub(self.elapsed_ms);
                }
                i
            })
            .collect();
        WorldFile {
            limits: self.limits.clone(),
            accounts: self.accounts.clone(),
            vpcs: self.vpcs.values().cloned().collect(),
            security_groups: self.groups.values().cloned().collect(),
            instances,
            network_interfaces: self.enis.values().cloned().collect(),
        }
    }

    /// The world as a key that does not see the resources `hidden` chooses: they belong to no
    /// account (the empty one, which owns nothing), so every Describe* leaves them out, with
    /// paging and `TotalCount` as if they did not exist.
    pub(crate) fn without(&self, hidden: impl Fn(&str) -> bool) -> World {
        let mut view = self.clone();
        for i in view.instances.values_mut().filter(|i| hidden(&i.id)) {
            i.owner.clear();
        }
        for e in view.enis.values_mut().filter(|e| hidden(&e.id)) {
            e.owner.clear();
        }
        for g in view.groups.values_mut().filter(|g| hidden(&g.id)) {
            g.owner.clear();
        }
        view
    }

    /// Moves the world's clock to `elapsed_ms` since start: instances whose transition is due
    /// take their new status.
    pub fn advance(&mut self, elapsed_ms: u64) {
        self.elapsed_ms = self.elapsed_ms.max(elapsed_ms);
        for inst in self.instances.values_mut() {
            if let Some(t) = &inst.transition
                && t.after_ms <= self.elapsed_ms
            {
                inst.status = t.to.clone();
                inst.transition = None;
            }
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn instance(&self, id: &str) -> Option<&Instance> {
        self.instances.get(id)
    }

    pub fn network_interface(&self, id: &str) -> Option<&NetworkInterface> {
        self.enis.get(id)
    }

    pub fn security_group(&self, id: &str) -> Option<&SecurityGroup> {
        self.groups.get(id)
    }

    /// The groups of an instance (`i-…`) or network interface (`eni-…`), in order.
    pub fn groups_of(&self, target: &str) -> Option<&[String]> {
        self.instances
            .get(target)
            .map(|i| i.security_group_ids.as_slice())
            .or_else(|| {
                self.enis
                    .get(target)
                    .map(|e| e.security_group_ids.as_slice())
            })
    }

    /// How many targets (instances and non-primary ENIs) are in a group.
    pub fn member_count(&self, group: &str) -> u64 {
        self.members.get(group).copied().unwrap_or(0)
    }
}

fn count_members(world: &World) -> HashMap<String, u64> {
    let mut members = HashMap::new();
    let sets = world
        .instances
        .values()
        .map(|i| &i.security_group_ids)
        .chain(
            world
                .enis
                .values()
                .filter(|e| e.eni_type != "Primary")
                .map(|e| &e.security_group_ids),
        );
    for set in sets {
        for g in set {
            *members.entry(g.clone()).or_insert(0) += 1;
        }
    }
    members
}
