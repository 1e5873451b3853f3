//! The plan as a value: what the text preview, the JSON, the plan file and `apply` all read
//! (Terraform's `internal/plans`). Plain data; built only by [`crate::plan::plan`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::inventory::ProviderAlias;
use crate::ids::{Address, RegionId, SecurityGroupId, Target};
use crate::state::ManagedMembership;

/// The limits the planner checks, per provider where the configuration can set them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// `max_groups_per_target` of each provider (by alias); absent: [`Limits::default_groups`].
    pub groups_per_target: BTreeMap<ProviderAlias, usize>,
    pub default_groups: usize,
    /// Rules across all groups of one target (`AclLimitExceed` above it).
    pub rules_per_target: u64,
}

/// The ECS default of rules across the groups of one ENI or instance.
pub const DEFAULT_RULES_PER_TARGET: u64 = 1000;

impl Default for Limits {
    fn default() -> Self {
        Self {
            groups_per_target: BTreeMap::new(),
            default_groups: crate::config::DEFAULT_MAX_GROUPS_PER_TARGET as usize,
            rules_per_target: DEFAULT_RULES_PER_TARGET,
        }
    }
}

impl Limits {
    /// The limits a configuration's providers set.
    pub fn from_providers(providers: &[crate::config::Provider]) -> Self {
        Self {
            groups_per_target: providers
                .iter()
                .map(|p| (p.alias.clone(), p.max_groups_per_target as usize))
                .collect(),
            ..Self::default()
        }
    }

    /// Groups allowed per target for a provider.
    pub fn groups_for(&self, provider: &ProviderAlias) -> usize {
        self.groups_per_target
            .get(provider)
            .copied()
            .unwrap_or(self.default_groups)
    }
}

/// What `plan` is asked to do beyond the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--target ADDR`: only changes of these addresses (an address without key matches all
    /// its instances). Empty: everything.
    pub targets: Vec<Address>,
    /// `--refresh-only`: no operations; only bring the state in line with the cloud.
    pub refresh_only: bool,
    /// `--destroy` (`sgform destroy`): every managed membership in scope leaves, in a legal
    /// order; nothing joins and nothing is adopted, whatever the configuration declares. A
    /// managed pair already gone from the cloud is only forgotten.
    pub destroy: bool,
}

/// One pair: a target in a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pair {
    pub security_group_id: SecurityGroupId,
    pub target: Target,
}

/// The kind of an API operation, with the symbol the preview shows (Terraform's `plans.Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// JoinSecurityGroup.
    Join,
    /// LeaveSecurityGroup.
    Leave,
    /// The whole set at once: ModifyInstanceAttribute `SecurityGroupIds.N` or
    /// ModifyNetworkInterfaceAttribute `SecurityGroupId.N`.
    Replace,
}

impl Action {
    pub fn symbol(self) -> char {
        match self {
            Action::Join => '+',
            Action::Leave => '-',
            Action::Replace => '~',
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::Join => "join",
            Action::Leave => "leave",
            Action::Replace => "replace",
        }
    }
}

/// Why one operation waits for another (an edge of the DAG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Operations on one target run one at a time, in the order that keeps each legal.
    SameTarget,
    /// A join into a group at capacity waits for leaves from it.
    GroupCapacity,
    /// The configuration's `depends_on`.
    DependsOn,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SameTarget => "same target",
            Reason::GroupCapacity => "group capacity",
            Reason::DependsOn => "depends_on",
        }
    }
}

/// An edge: the operation waits for `on` (an index into [`Plan::operations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dependency {
    pub on: usize,
    pub reason: Reason,
}

/// One API call of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub action: Action,
    pub target: Target,
    pub provider: ProviderAlias,
    pub region: RegionId,
    /// Join/Leave: the group. Replace: `None`.
    pub security_group_id: Option<SecurityGroupId>,
    /// The target's groups just before this operation, as planned (in order).
    pub before: Vec<SecurityGroupId>,
    /// The target's groups right after it (for Replace: the set sent).
    pub after: Vec<SecurityGroupId>,
    /// The declarations this operation serves (sorted).
    pub addresses: Vec<Address>,
    /// What must complete first (indices into [`Plan::operations`], all smaller than this
    /// operation's own index: `operations` is in a topological order).
    pub depends_on: Vec<Dependency>,
    /// State entries to record once it succeeded, and entries to forget.
    pub state_add: Vec<ManagedMembership>,
    pub state_remove: Vec<ManagedMembership>,
}

impl Operation {
    /// The ECS API action it calls.
    pub fn api_action(&self) -> &'static str {
        match (self.action, &self.target) {
            (Action::Join, _) => "JoinSecurityGroup",
            (Action::Leave, _) => "LeaveSecurityGroup",
            (Action::Replace, Target::Instance(_)) => "ModifyInstanceAttribute",
            (Action::Replace, Target::NetworkInterface(_)) => "ModifyNetworkInterfaceAttribute",
        }
    }

    /// The call's action parameters, in the order the API documents them.
    pub fn api_params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        match self.action {
            Action::Join | Action::Leave => {
                if let Some(g) = &self.security_group_id {
                    params.push(("SecurityGroupId".to_owned(), g.to_string()));
                }
                params.push((self.target.api_param().to_owned(), self.target.to_string()));
            }
            Action::Replace => {
                params.push((self.target.api_param().to_owned(), self.target.to_string()));
                let list = match self.target {
                    Target::Instance(_) => "SecurityGroupIds",
                    Target::NetworkInterface(_) => "SecurityGroupId",
                };
                for (n, g) in self.after.iter().enumerate() {
                    params.push((format!("{list}.{}", n + 1), g.to_string()));
                }
            }
        }
        params.push(("RegionId".to_owned(), self.region.to_string()));
        params
    }
}

/// How one declaration changes (Terraform's `resource_changes[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: Address,
    pub provider: ProviderAlias,
    /// The pairs it manages now (present remotely) and the pairs it will manage. Every list of
    /// pairs here is sorted and free of duplicates (a `Vec`, not a `BTreeSet`: most hold one
    /// pair, and a B-tree node per pair would triple a 100,000-membership plan's memory).
    pub before: Vec<Pair>,
    pub after: Vec<Pair>,
    /// Pairs to join, to leave, and already present to adopt into the state (no call).
    pub join: Vec<Pair>,
    pub leave: Vec<Pair>,
    pub adopt: Vec<Pair>,
    /// Targets whose groups change by one atomic replacement.
    pub replace: Vec<Target>,
    /// The declaration is gone from the configuration (its pairs leave).
    pub removed_from_config: bool,
    /// Attributes holding sensitive values (see `config::Common::sensitive`).
    pub sensitive: BTreeSet<String>,
}

impl ResourceChange {
    /// A change of `address` with nothing in it yet.
    pub fn new(address: Address, provider: ProviderAlias) -> Self {
        Self {
            address,
            provider,
            before: Vec::new(),
            after: Vec::new(),
            join: Vec::new(),
            leave: Vec::new(),
            adopt: Vec::new(),
            replace: Vec::new(),
            removed_from_config: false,
            sensitive: BTreeSet::new(),
        }
    }

    /// The targets this change joins, leaves or replaces (sorted).
    pub fn touched_targets(&self) -> BTreeSet<&Target> {
        self.join
            .iter()
            .chain(&self.leave)
            .map(|p| &p.target)
            .chain(&self.replace)
            .collect()
    }

    /// Whether the attribute `attr` (its HCL name) holds a sensitive value.
    pub fn is_sensitive(&self, attr: &str) -> bool {
        self.sensitive.contains(attr)
    }

    /// Whether anything changes (calls or state).
    pub fn is_noop(&self) -> bool {
        self.join.is_empty()
            && self.leave.is_empty()
            && self.adopt.is_empty()
            && self.replace.is_empty()
    }
}

/// What changed outside sgform since the last apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Drift {
    /// The managed membership as the state records it.
    pub membership: ManagedMembership,
    /// `true`: still declared, so the plan joins it again; `false`: no longer declared, so the
    /// state only forgets it.
    pub planned_back: bool,
}

/// A target the plan changes: its groups before and after the whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetChange {
    pub provider: ProviderAlias,
    pub region: RegionId,
    /// The status the plan saw (a stale-plan check compares it).
    pub status: String,
    pub before: Vec<SecurityGroupId>,
    pub after: Vec<SecurityGroupId>,
    /// Changed by one atomic replacement rather than pairwise.
    pub replace: bool,
}

/// The plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// A destroy plan ([`PlanOptions::destroy`]): its operations only leave managed pairs.
    /// Recorded so that a saved plan says what it is (absent in older plan files: `false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub destroy: bool,
    /// The `--target` addresses the plan is limited to (empty: none, everything is in scope).
    /// Recorded so that a saved plan's preview and prompt say what they cover (absent in older
    /// plan files: empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<Address>,
    /// Every declaration (and every address only the state still knows), sorted by address.
    pub resource_changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    /// Declared pairs that already exist remotely: recorded in the state on apply, no call.
    pub adopt: Vec<ManagedMembership>,
    /// State entries to drop without a call (the pair is gone remotely and no longer declared).
    pub forget: Vec<ManagedMembership>,
    /// The API calls in one topological order of the DAG (each depends only on earlier ones).
    pub operations: Vec<Operation>,
    /// Every target an operation changes.
    pub targets: BTreeMap<Target, TargetChange>,
}

impl Plan {
    /// The change of one address (`resource_changes` is sorted by address).
    pub fn change(&self, address: &Address) -> Option<&ResourceChange> {
        self.resource_changes
            .binary_search_by(|c| c.address.cmp(address))
            .ok()
            .map(|i| &self.resource_changes[i])
    }

    /// The number of operations of each kind: (join, leave, replace).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |a: Action| self.operations.iter().filter(|o| o.action == a).count();
        (
            count(Action::Join),
            count(Action::Leave),
            count(Action::Replace),
        )
    }

    /// Whether applying it would change anything, in the cloud or in the state.
    pub fn has_changes(&self) -> bool {
        !self.operations.is_empty() || !self.adopt.is_empty() || !self.forget.is_empty()
    }

    /// The DAG as a petgraph graph: node `i` is `operations[i]`, an edge `a → b` means `b`
    /// waits for `a`.
    pub fn dag(&self) -> petgraph::graph::DiGraph<usize, Reason> {
        let mut g = petgraph::graph::DiGraph::with_capacity(self.operations.len(), 0);
        let nodes: Vec<_> = (0..self.operations.len()).map(|i| g.add_node(i)).collect();
        for (i, op) in self.operations.iter().enumerate() {
            for dep in &op.depends_on {
                if let Some(&from) = nodes.get(dep.on) {
                    g.add_edge(from, nodes[i], dep.reason);
                }
            }
        }
        g
    }
}
