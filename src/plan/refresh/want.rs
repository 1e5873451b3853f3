//! What each provider must read: the targets and groups its declarations and state entries name.

use std::collections::{BTreeMap, BTreeSet};

use super::{Clients, provider_name};
use crate::config::Declaration;
use crate::diag::Diagnostic;
use crate::ids::{InstanceId, NetworkInterfaceId, SecurityGroupId, Target};
use crate::plan::inventory::ProviderAlias;
use crate::state::State;

/// What the declarations and the state name under one provider.
#[derive(Debug, Clone, Default)]
pub(super) struct Want {
    pub(super) instances: BTreeSet<InstanceId>,
    pub(super) enis: BTreeSet<NetworkInterfaceId>,
    pub(super) groups: BTreeSet<SecurityGroupId>,
    /// `group_members` groups: their members are listed.
    pub(super) member_groups: BTreeSet<SecurityGroupId>,
}

impl Want {
    pub(super) fn is_empty(&self) -> bool {
        self.instances.is_empty()
            && self.enis.is_empty()
            && self.groups.is_empty()
            && self.member_groups.is_empty()
    }

    pub(super) fn target(&mut self, target: &Target) {
        match target {
            Target::Instance(id) => {
                self.instances.insert(id.clone());
            }
            Target::NetworkInterface(id) => {
                self.enis.insert(id.clone());
            }
        }
    }
}

/// What each provider must read: the targets and groups of its declarations and state entries.
/// State entries under a provider without a client are reported and skipped.
pub(super) fn wanted(
    declarations: &[Declaration],
    state: &State,
    clients: &Clients,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<ProviderAlias, Want> {
    let mut wanted: BTreeMap<ProviderAlias, Want> = BTreeMap::new();
    for decl in declarations {
        let want = wanted.entry(decl.common().provider.clone()).or_default();
        match decl {
            Declaration::Membership(m) => {
                want.target(&m.target);
                want.groups.insert(m.security_group_id.clone());
            }
            Declaration::MembershipSet(m) => {
                want.target(&m.target);
                want.groups.extend(m.security_group_ids.iter().cloned());
            }
            Declaration::GroupMembers(m) => {
                want.groups.insert(m.security_group_id.clone());
                want.member_groups.insert(m.security_group_id.clone());
                want.instances.extend(m.instance_ids.iter().cloned());
                want.enis.extend(m.network_interface_ids.iter().cloned());
            }
        }
    }
    let mut orphans: BTreeSet<ProviderAlias> = BTreeSet::new();
    for m in &state.memberships {
        if clients.get(&m.provider).is_none() {
            orphans.insert(m.provider.clone());
            continue;
        }
        let want = wanted.entry(m.provider.clone()).or_default();
        want.target(&m.target);
        want.groups.insert(m.security_group_id.clone());
    }
    for alias in orphans {
        diagnostics.push(
                Diagnostic::warning(format!(
                    "the state records memberships under provider {}, which the configuration no longer declares",
                    provider_name(&alias)
                ))
                .with_note("their targets and groups were not read")
                .with_hint("declare the provider again, or remove those memberships from the state"),
            );
    }
    wanted
}
