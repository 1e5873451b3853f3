//! Step 6: what the by-ID reads prove. A target the refresh asked for by ID and did not get
//! back (through its provider, nor through any other) is proven gone, so the planner may forget
//! its managed pairs, unless its provider saw **none** of the state's targets of that kind:
//! the API answers an empty list, not an error, to credentials of another account, to the
//! wrong region and to a RAM policy without the Describe permission, so that silence proves
//! nothing. Those targets stay unproven (the planner keeps their entries) and the refresh
//! reports an error naming the likely causes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use super::{Clients, provider_name};
use crate::diag::Diagnostic;
use crate::ids::{Address, InstanceId, NetworkInterfaceId, Target};
use crate::plan::inventory::{Inventory, ProviderAlias};
use crate::state::State;

/// Targets named in a diagnostic before "and N more".
const SHOWN: usize = 5;

/// What one provider's state entries name, per kind of target.
#[derive(Default)]
struct Managed {
    instances: BTreeSet<InstanceId>,
    enis: BTreeSet<NetworkInterfaceId>,
    addresses_of_instances: BTreeSet<Address>,
    addresses_of_enis: BTreeSet<Address>,
}

/// Fills `inventory.gone` and reports every provider that saw none of the state's targets of a
/// kind. `named` holds, per provider, every target the refresh read by ID (or found in a
/// listing); the state's targets are always among them.
pub(super) fn judge(
    clients: &Clients,
    state: &State,
    named: &BTreeMap<ProviderAlias, (BTreeSet<InstanceId>, BTreeSet<NetworkInterfaceId>)>,
    inventory: &mut Inventory,
    diagnostics: &mut Vec<Diagnostic>,
) {
    // Every state entry, whatever `--target` selects: the more the refresh saw, the better it
    // tells blindness from deletion.
    let mut managed: BTreeMap<&ProviderAlias, Managed> = BTreeMap::new();
    for m in &state.memberships {
        if clients.get(&m.provider).is_none() {
            continue;
        }
        let entry = managed.entry(&m.provider).or_default();
        match &m.target {
            Target::Instance(id) => {
                entry.instances.insert(id.clone());
                entry.addresses_of_instances.insert(m.address.clone());
            }
            Target::NetworkInterface(id) => {
                entry.enis.insert(id.clone());
                entry.addresses_of_enis.insert(m.address.clone());
            }
        }
    }

    let mut unproven: BTreeSet<Target> = BTreeSet::new();
    for (alias, m) in &managed {
        let Some(client) = clients.get(alias) else {
            continue;
        };
        let region = client.region();
        if !m.instances.is_empty()
            && m.instances
                .iter()
                .all(|id| !inventory.instances.contains_key(id))
        {
            unproven.extend(m.instances.iter().cloned().map(Target::Instance));
            diagnostics.push(blind(
                alias,
                region,
                Kind::Instances,
                &m.instances,
                &m.addresses_of_instances,
            ));
        }
        if !m.enis.is_empty()
            && m.enis
                .iter()
                .all(|id| !inventory.network_interfaces.contains_key(id))
        {
            unproven.extend(m.enis.iter().cloned().map(Target::NetworkInterface));
            diagnostics.push(blind(
                alias,
                region,
                Kind::Enis,
                &m.enis,
                &m.addresses_of_enis,
            ));
        }
    }

    for (instances, enis) in named.values() {
        let lost_instances = instances
            .iter()
            .filter(|id| !inventory.instances.contains_key(*id))
            .cloned()
            .map(Target::Instance);
        let lost_enis = enis
            .iter()
            .filter(|id| !inventory.network_interfaces.contains_key(*id))
            .cloned()
            .map(Target::NetworkInterface);
        let proven: Vec<Target> = lost_instances
            .chain(lost_enis)
            .filter(|t| !unproven.contains(t))
            .collect();
        inventory.gone.extend(proven);
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Instances,
    Enis,
}

impl Kind {
    fn noun(self, n: usize) -> &'static str {
        match (self, n) {
            (Kind::Instances, 1) => "instance",
            (Kind::Instances, _) => "instances",
            (Kind::Enis, 1) => "network interface",
            (Kind::Enis, _) => "network interfaces",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Kind::Instances => "DescribeInstances",
            Kind::Enis => "DescribeNetworkInterfaces",
        }
    }
}

/// The error for a provider that saw none of the state's targets of a kind.
fn blind<T: Display>(
    alias: &ProviderAlias,
    region: &crate::ids::RegionId,
    kind: Kind,
    ids: &BTreeSet<T>,
    addresses: &BTreeSet<Address>,
) -> Diagnostic {
    let n = ids.len();
    let sees = if n == 1 {
        format!("does not see the {} the state manages", kind.noun(1))
    } else {
        format!("sees none of the {n} {} the state manages", kind.noun(n))
    };
    let rm = if addresses.len() <= SHOWN {
        let quoted: Vec<String> = addresses.iter().map(|a| format!("'{a}'")).collect();
        format!("`sgform state rm {}`", quoted.join(" "))
    } else {
        "`sgform state rm ADDRESS…` (`sgform state list` shows them)".to_owned()
    };
    Diagnostic::error(format!(
        "provider {} {sees} through it",
        provider_name(alias),
    ))
    .with_note(format!(
        "{} by ID in region `{region}` returned none of {}",
        kind.action(),
        listed(ids)
    ))
    .with_note(format!(
        "the API answers an empty list, not an error, when the credentials belong to another account, when the region is not the targets' region, and when the RAM policy does not allow `ecs:{}`",
        kind.action()
    ))
    .with_note(
        "an empty answer proves nothing, so sgform plans nothing for these memberships and forgets none of them",
    )
    .with_hint(format!(
        "check the provider's credentials and `region` (`sgform api {} --region {region}` lists what they see) and that the RAM policy allows `ecs:DescribeInstances` and `ecs:DescribeNetworkInterfaces`; if these targets really are all gone, remove their memberships from the state: {rm}",
        kind.action()
    ))
}

/// Up to [`SHOWN`] IDs in code spans, then how many more.
fn listed<T: Display>(ids: &BTreeSet<T>) -> String {
    let mut out: Vec<String> = ids.iter().take(SHOWN).map(|id| format!("`{id}`")).collect();
    if ids.len() > SHOWN {
        out.push(format!("and {} more", ids.len() - SHOWN));
    }
    out.join(", ")
}
