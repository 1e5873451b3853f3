//! Providers and data-source filters, evaluated without data.

use std::collections::BTreeMap;

use hcl::Value;

use super::Model;
use super::reader::{INSTANCE_MALFORMED, Reader, SG_MALFORMED};
use crate::config::{DataRequest, Provider, refs};
use crate::diag::Diagnostic;
use crate::ids::{Address, InstanceId, RegionId, SecurityGroupId, VpcId};

/// Every provider block evaluated, plus a default provider when none is declared.
pub(in crate::config) fn providers(
    model: &mut Model,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Provider> {
    let ctx = model.context(&model.locals, None);
    let mut out = Vec::new();
    for block in &model.decoded.providers {
        if block
            .attrs
            .values()
            .any(|a| model.uses_broken(&a.expr) || model.needs_data(&a.expr))
        {
            continue;
        }
        let mut r = Reader {
            ctx: &ctx,
            poisoned: &model.poisoned,
            address: None,
            diags,
        };
        let mut p = Provider::default_for(None);
        p.span = Some(block.header);
        for attr in block.attrs.values() {
            match attr.name.as_str() {
                "alias" => p.alias = r.string(attr),
                "region" => {
                    p.region = r.string(attr).and_then(|s| match RegionId::parse(&s) {
                        Ok(id) => Some(id),
                        Err(e) => {
                            r.push(
                                Diagnostic::error(format!("malformed region ID `{s}`"))
                                    .with_span_label(attr.value_span, e.reason),
                            );
                            None
                        }
                    })
                }
                "profile" => p.profile = r.string(attr),
                "endpoint" => p.endpoint = r.string(attr),
                "sandbox" => p.sandbox = r.string(attr).map(Into::into),
                "max_groups_per_target" => {
                    if let Some(n) = r.positive(attr) {
                        p.max_groups_per_target = n;
                    }
                }
                "rate_limit" => p.rate_limit = r.positive(attr),
                _ => {}
            }
        }
        out.push(p);
    }
    if !out.iter().any(|p| p.alias.is_none()) {
        out.insert(0, Provider::default_for(None));
    }
    out
}

/// Every data source's filters, evaluated.
pub(in crate::config) fn data_requests(
    model: &Model,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DataRequest> {
    let ctx = model.context(&model.locals, None);
    let mut out = Vec::new();
    for ((kind, name), block) in &model.decoded.data {
        let address = Address::new(*kind, name);
        let mut req = DataRequest {
            address: address.clone(),
            kind: *kind,
            name: name.clone(),
            vpc_id: None,
            tags: BTreeMap::new(),
            status: None,
            ids: None,
            security_group_id: None,
            instance_id: None,
            name_regex: None,
            provider: None,
            span: Some(block.header),
        };
        let mut r = Reader {
            ctx: &ctx,
            poisoned: &model.poisoned,
            address: Some(address),
            diags,
        };
        for attr in block.attrs.values() {
            if attr.name == "provider" {
                req.provider = refs::provider_alias(attr).ok();
                continue;
            }
            if model.uses_broken(&attr.expr) || model.uses_unknown_var(&attr.expr) {
                continue;
            }
            if model.needs_data(&attr.expr) {
                r.push(
                    Diagnostic::error("data source filters cannot depend on data sources")
                        .with_span_label(attr.value_span, "refers to a local that uses `data.*`")
                        .with_hint("filter with literal values or variables"),
                );
                continue;
            }
            match attr.name.as_str() {
                "vpc_id" => {
                    req.vpc_id = r
                        .string(attr)
                        .and_then(|s| r.id(attr, &s, VpcId::parse, "InvalidVpcId.Malformed"))
                }
                "status" => req.status = r.string(attr),
                "name_regex" => req.name_regex = r.string(attr),
                "ids" => req.ids = r.strings(attr),
                "security_group_id" => {
                    req.security_group_id = r
                        .string(attr)
                        .and_then(|s| r.id(attr, &s, SecurityGroupId::parse, SG_MALFORMED))
                }
                "instance_id" => {
                    req.instance_id = r
                        .string(attr)
                        .and_then(|s| r.id(attr, &s, InstanceId::parse, INSTANCE_MALFORMED))
                }
                "tags" => match r.value(attr) {
                    Some(Value::Object(o)) => {
                        for (k, v) in o {
                            match v {
                                Value::String(s) => {
                                    req.tags.insert(k, s);
                                }
                                other => {
                                    r.wrong_type(attr, "a map of strings", &other);
                                    break;
                                }
                            }
                        }
                    }
                    Some(other) => r.wrong_type(attr, "a map of strings", &other),
                    None => {}
                },
                _ => {}
            }
        }
        out.push(req);
    }
    out
}
/// The `max_groups_per_target` for a provider alias.
pub(in crate::config) fn max_groups(providers: &[Provider], alias: Option<&str>) -> u32 {
    providers
        .iter()
        .find(|p| p.alias.as_deref() == alias)
        .map_or(crate::config::DEFAULT_MAX_GROUPS_PER_TARGET, |p| {
            p.max_groups_per_target
        })
}
