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
use crate::config::{Config, DataKind, DataRecord, DataRequest, DataResults};
use crate::diag::Diagnostic;
use crate::ids::{InstanceId, NetworkInterfaceId};
use crate::plan::inventory::ProviderAlias;

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
}

/// One data source's requests (several when `ids` holds more than 100) and its regex.
pub(super) struct DataJob {
    pub(super) request: DataRequest,
    pub(super) regex: Option<regex_automata::meta::Regex>,
    /// Indices into the instance or ENI request lists.
    pub(super) calls: Vec<usize>,
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
