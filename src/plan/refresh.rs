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
//! A target or group that is not found is simply absent from the inventory (the planner reports
//! it). Facts record the provider they were read through, which is how the planner tells a
//! region mismatch from a missing target. The timing in [`RefreshStats`] is measured here, so
//! the planner stays free of clocks.
//!
//! `sgform generate` reads through the same batched, paged requests with two more entry points:
//! [`declarations`] (step 1 alone: what a configuration declares) and [`list_targets`] (the
//! instances and non-primary ENIs a selection of VPCs, tags and groups chooses, with their
//! groups).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::inventory::{
    GroupFacts, GroupType, InstanceFacts, Inventory, NetworkInterfaceFacts, ProviderAlias,
};
use crate::cloud::Client;
use crate::cloud::api::{
    DescribeInstances, DescribeNetworkInterfaces, DescribeSecurityGroups, Instance,
    MAX_IDS_PER_CALL, NetworkInterface, Paged, SecurityGroup,
};
use crate::config::{Config, DataKind, DataRecord, DataRequest, DataResults, Declaration};
use crate::diag::Diagnostic;
use crate::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target, VpcId};
use crate::state::State;

/// Tag pairs one Describe call can filter by (`Tag.1` … `Tag.20`).
const MAX_TAG_FILTERS: usize = 20;

/// `--parallelism` when not given: requests in flight at once, across all providers.
pub const DEFAULT_PARALLELISM: usize = 10;

/// What a capacity is taken to be when the API does not answer `EcsCount` /
/// `AvailableInstanceAmount` (both documented as deprecated): a basic group's 2,000 members
/// and an enterprise group's 65,536.
pub const FALLBACK_CAPACITY_NORMAL: u64 = 2000;
pub const FALLBACK_CAPACITY_ENTERPRISE: u64 = 65536;

/// One signed client per provider alias (`None`: the default provider). Built by the CLI
/// (`cli::sandbox::connect`) or by a test around an emulator's endpoint.
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
        stats,
    })
}

// ---------------------------------------------------------------------------------------------
// Data sources

/// Full descriptions already read (by a data source or a member listing), per provider.
#[derive(Debug, Clone, Default)]
struct Known {
    instances: BTreeMap<InstanceId, Instance>,
    enis: BTreeMap<NetworkInterfaceId, NetworkInterface>,
}

struct DataRead {
    results: DataResults,
    known: BTreeMap<ProviderAlias, Known>,
    pages: u64,
}

/// One data source's requests (several when `ids` holds more than 100) and its regex.
struct DataJob {
    request: DataRequest,
    regex: Option<regex_automata::meta::Regex>,
    /// Indices into the instance or ENI request lists.
    calls: Vec<usize>,
}

async fn read_data_sources(
    clients: &Clients,
    config: &Config,
    permits: &Arc<Semaphore>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<DataRead, Error> {
    let mut instance_calls: Vec<(ProviderAlias, Client, DescribeInstances)> = Vec::new();
    let mut eni_calls: Vec<(ProviderAlias, Client, DescribeNetworkInterfaces)> = Vec::new();
    let mut jobs = Vec::new();
    for request in config.data_requests() {
        let alias: ProviderAlias = request.provider.clone();
        let client = clients.get(&alias).ok_or_else(|| Error::NoClient {
            provider: alias.clone(),
        })?;
        let regex = match &request.name_regex {
            None => None,
            Some(pattern) => match regex_automata::meta::Regex::new(pattern) {
                Ok(r) => Some(r),
                Err(e) => {
                    diagnostics.push(data_diag(
                        request,
                        format!("`name_regex` of `{}` is not a valid regex", request.address),
                        e.to_string(),
                    ));
                    jobs.push(DataJob {
                        request: request.clone(),
                        regex: None,
                        calls: Vec::new(),
                    });
                    continue;
                }
            },
        };
        if request.tags.len() > MAX_TAG_FILTERS {
            diagnostics.push(data_diag(
                request,
                format!(
                    "`tags` of `{}` has {} entries; the API filters by at most {MAX_TAG_FILTERS}",
                    request.address,
                    request.tags.len()
                ),
                "DescribeInstances and DescribeNetworkInterfaces take `Tag.1` to `Tag.20`"
                    .to_owned(),
            ));
            jobs.push(DataJob {
                request: request.clone(),
                regex: None,
                calls: Vec::new(),
            });
            continue;
        }
        let tags: Vec<(String, String)> = request
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut calls = Vec::new();
        match request.kind {
            DataKind::Instances => {
                let base = DescribeInstances {
                    vpc_id: request.vpc_id.clone(),
                    security_group_id: request.security_group_id.clone(),
                    status: request.status.clone(),
                    tags,
                    ..Default::default()
                };
                for ids in id_batches(request, InstanceId::parse, diagnostics) {
                    calls.push(instance_calls.len());
                    let mut r = base.clone();
                    r.instance_ids = ids;
                    instance_calls.push((alias.clone(), client.clone(), r));
                }
            }
            DataKind::NetworkInterfaces => {
                let base = DescribeNetworkInterfaces {
                    vpc_id: request.vpc_id.clone(),
                    security_group_id: request.security_group_id.clone(),
                    instance_id: request.instance_id.clone(),
                    status: request.status.clone(),
                    tags,
                    ..Default::default()
                };
                for ids in id_batches(request, NetworkInterfaceId::parse, diagnostics) {
                    calls.push(eni_calls.len());
                    let mut r = base.clone();
                    r.network_interface_ids = ids.unwrap_or_default();
                    eni_calls.push((alias.clone(), client.clone(), r));
                }
            }
        }
        jobs.push(DataJob {
            request: request.clone(),
            regex,
            calls,
        });
    }

    let (instances, enis) = tokio::try_join!(
        fetch_all(permits, instance_calls),
        fetch_all(permits, eni_calls)
    )?;
    let pages = instances.pages + enis.pages;
    let mut results = DataResults::new();
    let mut known: BTreeMap<ProviderAlias, Known> = BTreeMap::new();
    for job in jobs {
        let alias = job.request.provider.clone();
        let entry = known.entry(alias).or_default();
        let mut records = Vec::new();
        let mut seen = BTreeSet::new();
        match job.request.kind {
            DataKind::Instances => {
                for i in job.calls.iter().flat_map(|&c| &instances.items[c]) {
                    let name_ok = job
                        .regex
                        .as_ref()
                        .is_none_or(|r| r.is_match(&i.instance_name));
                    if name_ok && seen.insert(i.instance_id.to_string()) {
                        records.push(instance_record(i));
                    }
                    entry.instances.insert(i.instance_id.clone(), i.clone());
                }
            }
            DataKind::NetworkInterfaces => {
                for e in job.calls.iter().flat_map(|&c| &enis.items[c]) {
                    let name_ok = job
                        .regex
                        .as_ref()
                        .is_none_or(|r| r.is_match(&e.network_interface_name));
                    if name_ok && seen.insert(e.network_interface_id.to_string()) {
                        records.push(eni_record(e));
                    }
                    entry.enis.insert(e.network_interface_id.clone(), e.clone());
                }
            }
        }
        results.insert(job.request.kind, job.request.name.clone(), records);
    }
    Ok(DataRead {
        results,
        known,
        pages,
    })
}

fn data_diag(request: &DataRequest, summary: String, note: String) -> Diagnostic {
    let mut d = Diagnostic::error(summary)
        .with_address(request.address.clone())
        .with_note(note);
    if let Some(span) = request.span {
        d = d.with_span(span);
    }
    d
}

/// The `ids` filter in batches of at most 100 (`None`: no `ids` filter, one request). A
/// malformed ID is reported and left out: no such object can exist.
fn id_batches<T: Clone>(
    request: &DataRequest,
    parse: impl Fn(&str) -> Result<T, crate::ids::IdError>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Option<Vec<T>>> {
    let Some(raw) = &request.ids else {
        return vec![None];
    };
    let mut ids = Vec::new();
    for id in raw {
        match parse(id) {
            Ok(id) => ids.push(id),
            Err(e) => diagnostics.push(
                data_diag(
                    request,
                    format!("`ids` of `{}` holds a malformed ID `{id}`", request.address),
                    e.to_string(),
                )
                .with_hint("no object with this ID can exist; fix or remove it"),
            ),
        }
    }
    if ids.is_empty() {
        // An empty list is a filter that matches nothing: no call needed.
        return Vec::new();
    }
    ids.chunks(MAX_IDS_PER_CALL)
        .map(|c| Some(c.to_vec()))
        .collect()
}

fn tags_map(tags: &[crate::cloud::api::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

fn instance_record(i: &Instance) -> DataRecord {
    DataRecord {
        id: i.instance_id.to_string(),
        name: i.instance_name.clone(),
        status: i.status.clone(),
        vpc_id: i.vpc_id().map(ToString::to_string).unwrap_or_default(),
        instance_id: None,
        security_group_ids: i
            .security_group_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        tags: tags_map(&i.tags),
    }
}

fn eni_record(e: &NetworkInterface) -> DataRecord {
    DataRecord {
        id: e.network_interface_id.to_string(),
        name: e.network_interface_name.clone(),
        status: e.status.clone(),
        vpc_id: e
            .vpc_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        instance_id: e.instance_id.as_ref().map(ToString::to_string),
        security_group_ids: e
            .security_group_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        tags: tags_map(&e.tags),
    }
}

// ---------------------------------------------------------------------------------------------
// What each provider must read

/// What the declarations and the state name under one provider.
#[derive(Debug, Clone, Default)]
struct Want {
    instances: BTreeSet<InstanceId>,
    enis: BTreeSet<NetworkInterfaceId>,
    groups: BTreeSet<SecurityGroupId>,
    /// `group_members` groups: their members are listed.
    member_groups: BTreeSet<SecurityGroupId>,
}

impl Want {
    fn is_empty(&self) -> bool {
        self.instances.is_empty()
            && self.enis.is_empty()
            && self.groups.is_empty()
            && self.member_groups.is_empty()
    }

    fn target(&mut self, target: &Target) {
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
fn wanted(
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

// ---------------------------------------------------------------------------------------------
// One provider's rounds

struct ProviderRead {
    alias: ProviderAlias,
    region: RegionId,
    instances: BTreeMap<InstanceId, Instance>,
    enis: BTreeMap<NetworkInterfaceId, NetworkInterface>,
    groups: BTreeMap<SecurityGroupId, SecurityGroup>,
    group_members: BTreeMap<SecurityGroupId, BTreeSet<Target>>,
    pages: u64,
}

async fn refresh_provider(
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
    let eni_batches = missing_enis
        .chunks(MAX_IDS_PER_CALL)
        .map(|c| {
            job(
                &alias,
                &client,
                DescribeNetworkInterfaces {
                    network_interface_ids: c.to_vec(),
                    ..Default::default()
                },
            )
        })
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
    let instance_batches = missing_instances
        .chunks(MAX_IDS_PER_CALL)
        .map(|c| {
            job(
                &alias,
                &client,
                DescribeInstances {
                    instance_ids: Some(c.to_vec()),
                    ..Default::default()
                },
            )
        })
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

/// Looks the targets a provider did not find up through the other providers (those with
/// another region or endpoint), so the planner can report "declared under the wrong provider"
/// rather than "not found". Costs calls only when something is missing: per other provider,
/// ⌈missing instances/100⌉ + ⌈missing ENIs/100⌉. Returns the pages used.
async fn look_elsewhere(
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
            for c in lost_instances.chunks(MAX_IDS_PER_CALL) {
                let request = DescribeInstances {
                    instance_ids: Some(c.to_vec()),
                    ..Default::default()
                };
                instance_jobs.push((other.clone(), client.clone(), request));
            }
            for c in lost_enis.chunks(MAX_IDS_PER_CALL) {
                let request = DescribeNetworkInterfaces {
                    network_interface_ids: c.to_vec(),
                    ..Default::default()
                };
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

// ---------------------------------------------------------------------------------------------
// What a configuration declares, and what exists (`sgform generate`)

/// A configuration's declarations with its data sources read: step 1 of [`refresh`] alone.
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

/// Reads `config`'s data sources (every page, batched and in parallel as [`refresh`] does) and
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
/// client, with every group they are in, batched like [`refresh`] and under `parallelism`
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

// ---------------------------------------------------------------------------------------------
// Parallel paged requests

struct Fetched<T> {
    /// Per request, in the order given.
    items: Vec<Vec<T>>,
    pages: u64,
}

/// Runs every request (each to its last page) concurrently, each holding one of `permits`
/// while it runs. The first failure cancels the rest.
async fn fetch_all<A>(
    permits: &Arc<Semaphore>,
    requests: Vec<(ProviderAlias, Client, A)>,
) -> Result<Fetched<A::Item>, Error>
where
    A: Paged + Send + Sync + 'static,
    A::Item: Send + 'static,
{
    let n = requests.len();
    let mut tasks = JoinSet::new();
    for (index, (alias, client, request)) in requests.into_iter().enumerate() {
        let permits = permits.clone();
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            let result = client.collect_pages_counted(request).await;
            (
                index,
                result.map_err(|source| Error::Cloud {
                    provider: alias,
                    source,
                }),
            )
        });
    }
    let mut items: Vec<Vec<A::Item>> = (0..n).map(|_| Vec::new()).collect();
    let mut pages = 0u64;
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.map_err(|e| Error::Task(e.to_string()))?;
        let (found, used) = result?;
        pages += used as u64;
        if let Some(slot) = items.get_mut(index) {
            *slot = found;
        }
    }
    Ok(Fetched { items, pages })
}

// ---------------------------------------------------------------------------------------------
// API answers to facts

fn add_instances<'a>(
    inventory: &mut Inventory,
    alias: &ProviderAlias,
    region: &RegionId,
    instances: impl Iterator<Item = &'a Instance>,
) {
    for i in instances {
        inventory
            .seen
            .insert((alias.clone(), i.instance_id.to_string()));
        inventory
            .instances
            .entry(i.instance_id.clone())
            .or_insert_with(|| instance_facts(alias, region, i));
    }
}

fn add_enis<'a>(
    inventory: &mut Inventory,
    alias: &ProviderAlias,
    region: &RegionId,
    enis: impl Iterator<Item = &'a NetworkInterface>,
) {
    for e in enis {
        inventory
            .seen
            .insert((alias.clone(), e.network_interface_id.to_string()));
        inventory
            .network_interfaces
            .entry(e.network_interface_id.clone())
            .or_insert_with(|| eni_facts(alias, region, e));
    }
}

/// An instance's facts. The primary ENI is the one DescribeInstances types `Primary`.
pub fn instance_facts(alias: &ProviderAlias, region: &RegionId, i: &Instance) -> InstanceFacts {
    InstanceFacts {
        id: i.instance_id.clone(),
        provider: alias.clone(),
        region: region.clone(),
        status: i.status.clone(),
        network_type: i.instance_network_type.clone(),
        vpc_id: i.vpc_id().cloned(),
        security_group_ids: i.security_group_ids.clone(),
        locked_for_security: i.locked_for_security(),
        instance_type: i.instance_type.clone(),
        primary_network_interface: i
            .network_interfaces
            .iter()
            .find(|n| n.kind.as_deref() == Some("Primary"))
            .map(|n| n.network_interface_id.clone()),
    }
}

/// An ENI's facts.
pub fn eni_facts(
    alias: &ProviderAlias,
    region: &RegionId,
    e: &NetworkInterface,
) -> NetworkInterfaceFacts {
    NetworkInterfaceFacts {
        id: e.network_interface_id.clone(),
        provider: alias.clone(),
        region: region.clone(),
        kind: e.kind.clone(),
        status: e.status.clone(),
        instance_id: e.instance_id.clone(),
        vpc_id: e.vpc_id.clone(),
        service_managed: e.service_managed,
        security_group_ids: e.security_group_ids.clone(),
    }
}

/// A group's facts; capacity is `EcsCount + AvailableInstanceAmount`, or the documented default
/// of its type when the API leaves those out.
pub fn group_facts(alias: &ProviderAlias, region: &RegionId, g: &SecurityGroup) -> GroupFacts {
    let group_type = if g.security_group_type.eq_ignore_ascii_case("enterprise") {
        GroupType::Enterprise
    } else {
        GroupType::Normal
    };
    let member_count = g.ecs_count.unwrap_or(0);
    let capacity = match (g.ecs_count, g.available_instance_amount) {
        (Some(n), Some(free)) => n.saturating_add(free),
        _ => match group_type {
            GroupType::Normal => FALLBACK_CAPACITY_NORMAL,
            GroupType::Enterprise => FALLBACK_CAPACITY_ENTERPRISE,
        },
    };
    GroupFacts {
        id: g.security_group_id.clone(),
        provider: alias.clone(),
        region: region.clone(),
        name: g.security_group_name.clone(),
        group_type,
        vpc_id: g.vpc_id.clone(),
        service_managed: g.service_managed,
        rule_count: g.rule_count.unwrap_or(0),
        member_count,
        capacity,
    }
}

#[cfg(test)]
mod tests;
