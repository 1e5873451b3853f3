//! Step 1: the data sources, every page, batched and in parallel; `name_regex` is applied here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::fetch::fetch_all;
use super::{Clients, Error, MAX_TAG_FILTERS};
use crate::cloud::Client;
use crate::cloud::api::{
    DescribeInstances, DescribeNetworkInterfaces, Instance, MAX_IDS_PER_CALL, NetworkInterface,
};
use crate::config::{Config, DataKind, DataRecord, DataRequest, DataResults, Declaration};
use crate::diag::Diagnostic;
use crate::ids::{Address, BlockKind, DeclarationKind, InstanceId, NetworkInterfaceId};
use crate::plan::inventory::ProviderAlias;
use crate::state::State;

/// Full descriptions already read (by a data source or a member listing), per provider.
#[derive(Debug, Clone, Default)]
pub(super) struct Known {
    pub(super) instances: BTreeMap<InstanceId, Instance>,
    pub(super) enis: BTreeMap<NetworkInterfaceId, NetworkInterface>,
}

pub(super) struct DataRead {
    pub(super) results: DataResults,
    pub(super) known: BTreeMap<ProviderAlias, Known>,
    pub(super) pages: u64,
    /// The data sources read without error that matched nothing (kind, name).
    pub(super) empty: BTreeSet<(DataKind, String)>,
}

/// One data source's requests (several when `ids` holds more than 100) and its regex.
pub(super) struct DataJob {
    pub(super) request: DataRequest,
    pub(super) regex: Option<regex_automata::meta::Regex>,
    /// Indices into the instance or ENI request lists.
    pub(super) calls: Vec<usize>,
    /// A filter was rejected (already reported): its emptiness says nothing.
    pub(super) failed: bool,
}

pub(super) async fn read_data_sources(
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
                        failed: true,
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
                failed: true,
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
            failed: false,
        });
    }

    let (instances, enis) = tokio::try_join!(
        fetch_all(permits, instance_calls),
        fetch_all(permits, eni_calls)
    )?;
    let pages = instances.pages + enis.pages;
    let mut results = DataResults::new();
    let mut known: BTreeMap<ProviderAlias, Known> = BTreeMap::new();
    let mut empty = BTreeSet::new();
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
        if records.is_empty() && !job.failed {
            diagnostics.push(matched_nothing(&job.request));
            empty.insert((job.request.kind, job.request.name.clone()));
        }
        results.insert(job.request.kind, job.request.name.clone(), records);
    }
    Ok(DataRead {
        results,
        known,
        pages,
        empty,
    })
}

/// The warning for a data source that matched nothing: often a typo in a filter.
fn matched_nothing(request: &DataRequest) -> Diagnostic {
    let mut d = Diagnostic::warning(format!(
        "data source `{}` matched nothing",
        request.address
    ))
    .with_address(request.address.clone())
    .with_note(format!("its filters: {}", request.filters()))
    .with_hint(
        "check the filters (tag keys and values, VPC, IDs, name_regex) and the provider's region",
    );
    if let Some(span) = request.span {
        d = d.with_span(span);
    }
    d
}

/// Errors for blocks an empty data source would empty: a `group_members` or `membership_set`
/// that reads one (directly or through locals), or a block whose `for_each` now yields nothing
/// while the state manages earlier instances of it (the plan would leave them). A block with
/// `allow_empty = true` is planned as written.
pub(super) fn empty_feed_errors(
    config: &Config,
    empty: &BTreeSet<(DataKind, String)>,
    declarations: &[Declaration],
    state: &State,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for feed in config.empty_feeds(empty) {
        if feed.allow_empty {
            continue;
        }
        let block = &feed.block;
        let same = |a: &Address| a.kind == block.kind && a.name == block.name;
        let authoritative = matches!(
            block.kind,
            BlockKind::Declaration(DeclarationKind::GroupMembers | DeclarationKind::MembershipSet)
        );
        let emptied = !declarations.iter().any(|d| same(d.address()))
            && state.memberships.iter().any(|m| same(&m.address));
        if !authoritative && !emptied {
            continue;
        }
        let names: Vec<String> = feed
            .sources
            .iter()
            .map(|r| format!("`{}`", r.address))
            .collect();
        let mut d = Diagnostic::error(format!(
            "`{block}` reads {}, which matched nothing: planning it would {}",
            names.join(", "),
            if authoritative {
                "leave the members it manages"
            } else {
                "leave every instance of it the state manages"
            }
        ))
        .with_address(block.clone());
        if let Some(span) = feed.span {
            d = d.with_span(span);
        }
        for r in &feed.sources {
            d = d.with_note(format!("`{}` filters: {}", r.address, r.filters()));
        }
        out.push(d.with_hint(
            "check the data source's filters; if the block may really be empty, set `allow_empty = true` in it",
        ));
    }
    out
}

pub(super) fn data_diag(request: &DataRequest, summary: String, note: String) -> Diagnostic {
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
pub(super) fn id_batches<T: Clone>(
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

pub(super) fn tags_map(tags: &[crate::cloud::api::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

pub(super) fn instance_record(i: &Instance) -> DataRecord {
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

pub(super) fn eni_record(e: &NetworkInterface) -> DataRecord {
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
