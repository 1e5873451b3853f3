//! Step 5: targets a provider did not find, looked up through the other providers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::facts::{add_enis, add_instances};
use super::fetch::fetch_all;
use super::provider::by_id;
use super::{Clients, Error};
use crate::cloud::Client;
use crate::ids::{InstanceId, NetworkInterfaceId};
use crate::plan::inventory::{Inventory, ProviderAlias};

/// Looks the targets a provider did not find up through the other providers (those with
/// another region or endpoint), so the planner can report "declared under the wrong provider"
/// rather than "not found". Costs calls only when something is missing: per other provider,
/// ⌈missing instances/100⌉ + ⌈missing ENIs/100⌉. Returns the pages used.
pub(super) async fn look_elsewhere(
    clients: &Clients,
    named: &BTreeMap<ProviderAlias, (BTreeSet<InstanceId>, BTreeSet<NetworkInterfaceId>)>,
    inventory: &mut Inventory,
    permits: &Arc<Semaphore>,
) -> Result<u64, Error> {
    let place = |c: &Client| (c.endpoint().to_owned(), c.region().clone());
    let mut instance_jobs = Vec::new();
    let mut eni_jobs = Vec::new();
    for (alias, (instances, enis)) in named {
        let Some(home) = clients.get(alias).map(place) else {
            continue;
        };
        let lost_instances: Vec<InstanceId> = instances
            .iter()
            .filter(|id| !inventory.instances.contains_key(*id))
            .cloned()
            .collect();
        let lost_enis: Vec<NetworkInterfaceId> = enis
            .iter()
            .filter(|id| !inventory.network_interfaces.contains_key(*id))
            .cloned()
            .collect();
        if lost_instances.is_empty() && lost_enis.is_empty() {
            continue;
        }
        let mut asked = BTreeSet::from([home]);
        for (other, client) in clients.iter() {
            // One question per place: two aliases on one region and endpoint answer alike.
            if other == alias || !asked.insert(place(client)) {
                continue;
            }
            let read = by_id(client, lost_instances.clone(), lost_enis.clone());
            for request in read.instance_requests() {
                instance_jobs.push((other.clone(), client.clone(), request));
            }
            for request in read.network_interface_requests() {
                eni_jobs.push((other.clone(), client.clone(), request));
            }
        }
    }
    let instance_from: Vec<ProviderAlias> = instance_jobs.iter().map(|j| j.0.clone()).collect();
    let eni_from: Vec<ProviderAlias> = eni_jobs.iter().map(|j| j.0.clone()).collect();
    let (instances, enis) = tokio::try_join!(
        fetch_all(permits, instance_jobs),
        fetch_all(permits, eni_jobs)
    )?;
    for (alias, items) in instance_from.iter().zip(&instances.items) {
        if let Some(region) = clients.get(alias).map(|c| c.region().clone()) {
            add_instances(inventory, alias, &region, items.iter());
        }
    }
    for (alias, items) in eni_from.iter().zip(&enis.items) {
        if let Some(region) = clients.get(alias).map(|c| c.region().clone()) {
            add_enis(inventory, alias, &region, items.iter());
        }
    }
    Ok(instances.pages + enis.pages)
}
