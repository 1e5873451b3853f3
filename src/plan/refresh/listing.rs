//! What a configuration declares, and what exists: the entry points of `sgform generate` and
//! `sgform import` ([`declarations`], [`list_targets`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use super::data::read_data_sources;
use super::fetch::fetch_all;
use super::{Clients, Error, MAX_TAG_FILTERS, RefreshStats};
use crate::cloud::Client;
use crate::cloud::api::{
    DescribeInstances, DescribeNetworkInterfaces, DescribeSecurityGroups, Instance,
    MAX_IDS_PER_CALL, NetworkInterface, SecurityGroup,
};
use crate::config::{Config, DataResults, Declaration};
use crate::diag::Diagnostic;
use crate::ids::{InstanceId, NetworkInterfaceId, SecurityGroupId, VpcId};
use crate::plan::inventory::ProviderAlias;

/// A configuration's declarations with its data sources read: step 1 of [`refresh`](super::refresh) alone.
#[derive(Debug, Clone)]
pub struct Declared {
    /// What the data sources returned (to expand the configuration again, e.g. with more files).
    pub data: DataResults,
    /// `Config::expand` with those results, sorted by address.
    pub declarations: Vec<Declaration>,
    /// From `Config::expand` and from reading the data sources, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Requests sent, one per page.
    pub calls: u64,
}

/// Reads `config`'s data sources (every page, batched and in parallel as [`refresh`](super::refresh) does) and
/// expands its declarations, without reading any target they name: for a command that needs
/// what a configuration declares, not the facts of its targets (`sgform generate`,
/// `sgform import`).
pub async fn declarations(
    clients: &Clients,
    config: &Config,
    parallelism: usize,
) -> Result<Declared, Error> {
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut diagnostics = Vec::new();
    let data = read_data_sources(clients, config, &permits, &mut diagnostics).await?;
    let (declarations, expand_diags) = config.expand(&data.results);
    diagnostics.extend(expand_diags);
    crate::diag::sort(&mut diagnostics);
    Ok(Declared {
        data: data.results,
        declarations,
        diagnostics,
        calls: data.pages,
    })
}

/// Which targets [`list_targets`] reads, among the instances and non-primary ENIs of one
/// provider's account and region. The three filters combine with AND; within `vpcs` and
/// `groups` any one matches (OR), while every tag of `tags` must match (AND), as the API's
/// `Tag.N` filters do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// In any of these VPCs; empty: in any VPC (or none).
    pub vpcs: Vec<VpcId>,
    /// With all of these tags (key and value exactly); empty: whatever their tags.
    pub tags: Vec<(String, String)>,
    /// Members of any of these groups; empty: whatever their groups.
    pub groups: Vec<SecurityGroupId>,
}

/// What [`list_targets`] read.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The selected instances.
    pub instances: BTreeMap<InstanceId, Instance>,
    /// The selected non-primary ENIs (a primary ENI's groups change through its instance).
    pub network_interfaces: BTreeMap<NetworkInterfaceId, NetworkInterface>,
    /// Every group of a selected target, and every group of `Selection::groups` that exists
    /// (one missing from here was not found).
    pub groups: BTreeMap<SecurityGroupId, SecurityGroup>,
    /// `calls` and `retries` of this listing; `targets` and `groups` as listed here.
    pub stats: RefreshStats,
}

/// Lists the instances and non-primary ENIs that `selection` chooses through one provider's
/// client, with every group they are in, batched like [`refresh`](super::refresh) and under `parallelism`
/// requests in flight: per VPC (or once, without `--vpc`) and per selected group (or once), one
/// DescribeInstances and one DescribeNetworkInterfaces listing with the VPC, group and tag
/// filters (every page), then the groups ≤ 100 per DescribeSecurityGroups call. The answers are
/// checked against the selection again here, so a filter the API ignores cannot widen it.
pub async fn list_targets(
    client: &Client,
    alias: &ProviderAlias,
    selection: &Selection,
    parallelism: usize,
) -> Result<Listing, Error> {
    let started = Instant::now();
    let retries_before = client.stats().retries;
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let vpcs: Vec<Option<VpcId>> = if selection.vpcs.is_empty() {
        vec![None]
    } else {
        selection.vpcs.iter().cloned().map(Some).collect()
    };
    let groups: Vec<Option<SecurityGroupId>> = if selection.groups.is_empty() {
        vec![None]
    } else {
        selection.groups.iter().cloned().map(Some).collect()
    };
    // One call filters by at most 20 tags; any others are checked below only.
    let tags: Vec<(String, String)> = selection
        .tags
        .iter()
        .take(MAX_TAG_FILTERS)
        .cloned()
        .collect();
    let mut instance_jobs = Vec::new();
    let mut eni_jobs = Vec::new();
    for group in &groups {
        for vpc in &vpcs {
            let instances = DescribeInstances {
                security_group_id: group.clone(),
                vpc_id: vpc.clone(),
                tags: tags.clone(),
                ..Default::default()
            };
            instance_jobs.push((alias.clone(), client.clone(), instances));
            let enis = DescribeNetworkInterfaces {
                security_group_id: group.clone(),
                vpc_id: vpc.clone(),
                tags: tags.clone(),
                ..Default::default()
            };
            eni_jobs.push((alias.clone(), client.clone(), enis));
        }
    }
    let (listed_instances, listed_enis) = tokio::try_join!(
        fetch_all(&permits, instance_jobs),
        fetch_all(&permits, eni_jobs)
    )?;
    let mut pages = listed_instances.pages + listed_enis.pages;

    let tags_ok = |have: &[crate::cloud::api::Tag]| {
        selection
            .tags
            .iter()
            .all(|(k, v)| have.iter().any(|t| &t.key == k && &t.value == v))
    };
    let vpc_ok = |vpc: Option<&VpcId>| {
        selection.vpcs.is_empty() || vpc.is_some_and(|v| selection.vpcs.contains(v))
    };
    let groups_ok = |have: &[SecurityGroupId]| {
        selection.groups.is_empty() || have.iter().any(|g| selection.groups.contains(g))
    };
    let instances: BTreeMap<InstanceId, Instance> = listed_instances
        .items
        .into_iter()
        .flatten()
        .filter(|i| vpc_ok(i.vpc_id()) && tags_ok(&i.tags) && groups_ok(&i.security_group_ids))
        .map(|i| (i.instance_id.clone(), i))
        .collect();
    let network_interfaces: BTreeMap<NetworkInterfaceId, NetworkInterface> = listed_enis
        .items
        .into_iter()
        .flatten()
        .filter(|e| e.kind != "Primary")
        .filter(|e| {
            vpc_ok(e.vpc_id.as_ref()) && tags_ok(&e.tags) && groups_ok(&e.security_group_ids)
        })
        .map(|e| (e.network_interface_id.clone(), e))
        .collect();

    let wanted: BTreeSet<SecurityGroupId> = selection
        .groups
        .iter()
        .chain(instances.values().flat_map(|i| &i.security_group_ids))
        .chain(
            network_interfaces
                .values()
                .flat_map(|e| &e.security_group_ids),
        )
        .cloned()
        .collect();
    let wanted: Vec<SecurityGroupId> = wanted.into_iter().collect();
    let group_jobs = wanted
        .chunks(MAX_IDS_PER_CALL)
        .map(|c| {
            let request = DescribeSecurityGroups {
                security_group_ids: Some(c.to_vec()),
                ..Default::default()
            };
            (alias.clone(), client.clone(), request)
        })
        .collect();
    let described = fetch_all(&permits, group_jobs).await?;
    pages += described.pages;
    let groups: BTreeMap<SecurityGroupId, SecurityGroup> = described
        .items
        .into_iter()
        .flatten()
        .map(|g| (g.security_group_id.clone(), g))
        .collect();

    let stats = RefreshStats {
        calls: pages,
        retries: client.stats().retries.saturating_sub(retries_before),
        targets: instances.len() + network_interfaces.len(),
        groups: groups.len(),
        elapsed: started.elapsed(),
    };
    Ok(Listing {
        instances,
        network_interfaces,
        groups,
        stats,
    })
}
