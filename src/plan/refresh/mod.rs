//! Refresh: the only I/O of `plan`. Reads exactly what the planner needs from the cloud, per
//! provider, batched and in parallel, and returns it as plain data (an [`Inventory`]).
//!
//! The order, per provider (providers run concurrently; every request waits for one of
//! `parallelism` permits shared by all of them, then for the client's rate limiter):
//!
//! 1. **Data sources** (`Config::data_requests`): DescribeInstances / DescribeNetworkInterfaces
//!    with their filters, every page; `name_regex` is applied here, client-side. Then
//!    [`Config::expand`] turns the results into the declarations.
//! 2. **Round 1**: the current members of every `group_members` group (DescribeInstances and
//!    DescribeNetworkInterfaces with the `SecurityGroupId` filter, every page; the ENI filter
//!    matches secondary ENIs only, as the API documents), and every ENI the declarations or the
//!    state name (`NetworkInterfaceId.N`, ≤ 100 per call).
//! 3. **Round 2**: every instance the declarations or the state name, plus the instance of every
//!    named ENI (the planner needs its `InstanceType`), ≤ 100 per call (`InstanceIds`). Instances
//!    already seen in a data source or a member listing are not described again; that is why the
//!    instances wait for round 1 rather than running beside it.
//! 4. **Round 3**: every group involved: declared, in the state, and every current group of every
//!    target (the planner needs the type and rule count of unmanaged groups too), ≤ 100 per call
//!    with `IsQueryEcsCount=true` for the member count and capacity.
//!
//! The budget this keeps, per provider: ⌈instances/100⌉ + ⌈ENIs/100⌉ + ⌈groups/100⌉ calls
//! plus the data-source and group-member pages, never one call per target.
//!
//! 5. **Only when a named target was not found** and other providers exist (with another region
//!    or endpoint): the missing targets are looked up there too, batched the same way, so the
//!    planner can tell "declared under the wrong provider" (a region mismatch) from "not found".
//!
//! 6. **What the by-ID reads prove** (`proof.rs`): a named target no provider returned is
//!    proven gone (`Inventory::gone`), unless its provider saw none of the state's targets of
//!    its kind: the API answers an empty list, not an error, to another account's credentials,
//!    the wrong region or a RAM policy without the Describe permission, so that proves nothing;
//!    the refresh then reports an error and the planner keeps those entries.
//!
//! A target or group that is not found is simply absent from the inventory (the planner reports
//! it). Facts record the provider they were read through, which is how the planner tells a
//! region mismatch from a missing target. The timing in [`RefreshStats`] is measured here, so
//! the planner stays free of clocks.
//!
//! `sgform generate` reads through the same batched, paged requests with two more entry points:
//! [`declarations`] (step 1 alone: what a configuration declares) and [`list_targets`] (the
//! instances and non-primary ENIs a selection of VPCs, tags and groups chooses, with their
//! groups).
//!
//! The files follow those steps: `data.rs` (step 1), `want.rs` (what each provider must read),
//! `provider.rs` (rounds 1 to 3), `elsewhere.rs` (step 5), `proof.rs` (step 6), `listing.rs` (`generate`'s and
//! `import`'s entry points), `fetch.rs` (the parallel paged requests under the shared permits)
//! and `facts.rs` (API answers to the inventory's facts).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::inventory::{Inventory, ProviderAlias};
use crate::cloud::Client;
use crate::config::{Config, Declaration};
use crate::diag::Diagnostic;
use crate::ids::{InstanceId, NetworkInterfaceId};
use crate::state::State;

mod data;
mod elsewhere;
mod facts;
mod fetch;
mod listing;
mod proof;
mod provider;
mod want;

use data::read_data_sources;
use elsewhere::look_elsewhere;
use facts::{add_enis, add_instances};
pub use facts::{eni_facts, group_facts, instance_facts};
pub use listing::{Declared, Listing, Selection, declarations, list_targets};
use provider::refresh_provider;
use want::wanted;

/// Tag pairs one Describe call can filter by (`Tag.1` … `Tag.20`).
const MAX_TAG_FILTERS: usize = 20;

/// `--parallelism` when not given: requests in flight at once, across all providers.
pub const DEFAULT_PARALLELISM: usize = 10;

/// What a capacity is taken to be when the API does not answer `EcsCount` /
/// `AvailableInstanceAmount` (both documented as deprecated): a basic group's 2,000 members
/// and an enterprise group's 65,536.
pub const FALLBACK_CAPACITY_NORMAL: u64 = 2000;
pub const FALLBACK_CAPACITY_ENTERPRISE: u64 = 65536;

/// One signed client per provider alias (`None`: the default provider). Built by the ops
/// (`ops::connect::connect`) or by a test around an emulator's endpoint.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    by_alias: BTreeMap<ProviderAlias, Client>,
}

impl Clients {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the client of a provider alias.
    pub fn insert(&mut self, alias: ProviderAlias, client: Client) {
        self.by_alias.insert(alias, client);
    }

    /// The client of a provider alias.
    pub fn get(&self, alias: &ProviderAlias) -> Option<&Client> {
        self.by_alias.get(alias)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ProviderAlias, &Client)> {
        self.by_alias.iter()
    }
}

/// What the refresh read and what it cost.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub inventory: Inventory,
    /// `Config::expand` with the data sources' results, sorted by address.
    pub declarations: Vec<Declaration>,
    /// From `Config::expand` and from the refresh itself (a `name_regex` that does not compile,
    /// a malformed `ids` entry, a state entry whose provider is gone), sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Errors for blocks a data source that matched nothing would empty (their leaves are
    /// wrong if the filter is): for a plan that may leave, not for `--destroy` or
    /// `--refresh-only`, which do not plan from the configuration's memberships.
    pub empty_feeds: Vec<Diagnostic>,
    pub stats: RefreshStats,
}

/// The API budget a refresh used, for the summary line on stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Requests sent, one per page, without retries.
    pub calls: u64,
    /// Attempts after the first (throttling, 5xx, transport), from the clients' counters.
    pub retries: u64,
    /// Instances and ENIs in the inventory.
    pub targets: usize,
    /// Security groups in the inventory.
    pub groups: usize,
    /// Wall time of the whole refresh.
    pub elapsed: Duration,
}

/// What stops a refresh (what the planner can judge becomes a diagnostic instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration or the state names a provider no client was built for.
    #[error("no client for provider {}", provider_name(.provider))]
    NoClient { provider: ProviderAlias },
    /// A Describe call failed after its retries.
    #[error("refresh through provider {} failed", provider_name(.provider))]
    Cloud {
        provider: ProviderAlias,
        #[source]
        source: crate::cloud::Error,
    },
    /// A refresh task panicked or was cancelled (a bug).
    #[error("a refresh task did not finish: {0}; this is a bug in sgform, please report it")]
    Task(String),
}

fn provider_name(alias: &ProviderAlias) -> String {
    let name = crate::config::provider_name(alias.as_deref());
    match alias {
        None => format!("`{name}` (the default)"),
        Some(_) => format!("`{name}`"),
    }
}

/// Reads everything the plan needs; see the module docs for the order and the budget.
///
/// `clients` must hold a client for every provider the configuration declares (the state's
/// entries under a provider no longer configured are skipped with a warning). `parallelism`
/// bounds the requests in flight across all providers (0 is taken as 1).
pub async fn refresh(
    clients: &Clients,
    config: &Config,
    state: &State,
    parallelism: usize,
) -> Result<Refreshed, Error> {
    let started = Instant::now();
    let before: BTreeMap<ProviderAlias, u64> = clients
        .iter()
        .map(|(a, c)| (a.clone(), c.stats().retries))
        .collect();
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut diagnostics = Vec::new();
    let mut calls = 0u64;

    // 1. Data sources.
    let data = read_data_sources(clients, config, &permits, &mut diagnostics).await?;
    calls += data.pages;
    let (declarations, expand_diags) = config.expand(&data.results);
    diagnostics.extend(expand_diags);
    let empty_feeds = data::empty_feed_errors(config, &data.empty, &declarations, state);

    // 2-4. Per provider, what the declarations and the state name.
    let mut wanted = wanted(&declarations, state, clients, &mut diagnostics);
    let named: BTreeMap<ProviderAlias, (BTreeSet<InstanceId>, BTreeSet<NetworkInterfaceId>)> =
        wanted
            .iter()
            .map(|(a, w)| (a.clone(), (w.instances.clone(), w.enis.clone())))
            .collect();
    let mut tasks = JoinSet::new();
    for (alias, client) in clients.iter() {
        let want = wanted.remove(alias).unwrap_or_default();
        let known = data.known.get(alias).cloned().unwrap_or_default();
        if want.is_empty() {
            continue;
        }
        tasks.spawn(refresh_provider(
            alias.clone(),
            client.clone(),
            want,
            known,
            permits.clone(),
        ));
    }
    if let Some((alias, _)) = wanted.iter().find(|(_, w)| !w.is_empty()) {
        return Err(Error::NoClient {
            provider: alias.clone(),
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        results.push(joined.map_err(|e| Error::Task(e.to_string()))??);
    }
    // Providers in alias order (the default first), so a target seen through two providers is
    // attributed the same way on every run.
    results.sort_by(|a, b| a.alias.cmp(&b.alias));

    let mut inventory = Inventory {
        data: data.results,
        // Every provider with a client was read (what it needed, if anything).
        read: clients.iter().map(|(alias, _)| alias.clone()).collect(),
        ..Inventory::default()
    };
    // Data-source records of providers that needed nothing else still describe real objects.
    for (alias, known) in &data.known {
        if !results.iter().any(|r| &r.alias == alias) {
            let region = clients.get(alias).map(|c| c.region().clone());
            if let Some(region) = region {
                add_instances(&mut inventory, alias, &region, known.instances.values());
                add_enis(&mut inventory, alias, &region, known.enis.values());
            }
        }
    }
    for r in results {
        calls += r.pages;
        add_instances(&mut inventory, &r.alias, &r.region, r.instances.values());
        add_enis(&mut inventory, &r.alias, &r.region, r.enis.values());
        for g in r.groups.values() {
            inventory
                .seen
                .insert((r.alias.clone(), g.security_group_id.to_string()));
            inventory
                .groups
                .entry(g.security_group_id.clone())
                .or_insert_with(|| group_facts(&r.alias, &r.region, g));
        }
        for (group, members) in r.group_members {
            inventory
                .group_members
                .entry(group)
                .or_default()
                .extend(members);
        }
    }

    calls += look_elsewhere(clients, &named, &mut inventory, &permits).await?;
    proof::judge(clients, state, &named, &mut inventory, &mut diagnostics);

    let retries = clients
        .iter()
        .map(|(a, c)| {
            c.stats()
                .retries
                .saturating_sub(before.get(a).copied().unwrap_or(0))
        })
        .sum();
    crate::diag::sort(&mut diagnostics);
    let stats = RefreshStats {
        calls,
        retries,
        targets: inventory.instances.len() + inventory.network_interfaces.len(),
        groups: inventory.groups.len(),
        elapsed: started.elapsed(),
    };
    Ok(Refreshed {
        inventory,
        declarations,
        diagnostics,
        empty_feeds,
        stats,
    })
}

#[cfg(test)]
mod tests;
