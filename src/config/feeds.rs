//! Which data sources each block reads, directly or through `local.*` values: what lets the
//! planner tell a block fed by a data source that matched nothing (issue 14).

use std::collections::BTreeSet;

use hcl_edit::expr::Expression;

use super::decode::Decoded;
use super::refs::references;
use super::{Config, DataKind, DataRequest};
use crate::diag::Span;
use crate::ids::Address;

/// A block that reads at least one data source that matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyFeed {
    /// The block, without a key (`group_members.web`).
    pub block: Address,
    /// The block header in the source.
    pub span: Option<Span>,
    /// `allow_empty = true`: the block says it may be empty.
    pub allow_empty: bool,
    /// The empty data sources it reads, in declaration order.
    pub sources: Vec<DataRequest>,
}

impl DataRequest {
    /// The filters as the configuration set them (`tags = { Role = "web" }, vpc_id = "vpc-…"`),
    /// or `no filters`: for messages about what the data source matched.
    pub fn filters(&self) -> String {
        let mut parts = Vec::new();
        if !self.tags.is_empty() {
            let tags: Vec<String> = self
                .tags
                .iter()
                .map(|(k, v)| format!("{k} = {v:?}"))
                .collect();
            parts.push(format!("tags = {{ {} }}", tags.join(", ")));
        }
        if let Some(v) = &self.vpc_id {
            parts.push(format!("vpc_id = \"{v}\""));
        }
        if let Some(v) = &self.security_group_id {
            parts.push(format!("security_group_id = \"{v}\""));
        }
        if let Some(v) = &self.instance_id {
            parts.push(format!("instance_id = \"{v}\""));
        }
        if let Some(v) = &self.status {
            parts.push(format!("status = {v:?}"));
        }
        if let Some(ids) = &self.ids {
            let ids: Vec<String> = ids.iter().map(|i| format!("{i:?}")).collect();
            parts.push(format!("ids = [{}]", ids.join(", ")));
        }
        if let Some(v) = &self.name_regex {
            parts.push(format!("name_regex = {v:?}"));
        }
        if parts.is_empty() {
            "no filters".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// The data sources (kind, name) an expression reads, directly or through locals.
fn data_sources(
    decoded: &Decoded,
    expr: &Expression,
    seen_locals: &mut BTreeSet<String>,
    out: &mut BTreeSet<(DataKind, String)>,
) {
    for r in references(expr) {
        match (r.root(), r.name(1), r.name(2)) {
            ("data", Some(kind), Some(name)) => {
                if let Some(kind) = DataKind::parse(kind) {
                    out.insert((kind, name.to_owned()));
                }
            }
            ("local", Some(name), _) => {
                if seen_locals.insert(name.to_owned())
                    && let Some(attr) = decoded.locals.get(name)
                {
                    data_sources(decoded, &attr.expr, seen_locals, out);
                }
            }
            _ => {}
        }
    }
}

impl Config {
    /// Every block that reads (directly or through locals) one of the data sources in `empty`
    /// (kind and name of those that matched nothing), in declaration order.
    pub fn empty_feeds(&self, empty: &BTreeSet<(DataKind, String)>) -> Vec<EmptyFeed> {
        if empty.is_empty() {
            return Vec::new();
        }
        let decoded = &self.model.decoded;
        let mut out = Vec::new();
        for res in decoded.resources.values() {
            let mut read = BTreeSet::new();
            let mut seen = BTreeSet::new();
            for attr in res.block.attrs.values() {
                if !matches!(
                    attr.name.as_str(),
                    "depends_on" | "provider" | "allow_empty"
                ) {
                    data_sources(decoded, &attr.expr, &mut seen, &mut read);
                }
            }
            let sources: Vec<DataRequest> = self
                .data_requests
                .iter()
                .filter(|r| {
                    let key = (r.kind, r.name.clone());
                    read.contains(&key) && empty.contains(&key)
                })
                .cloned()
                .collect();
            if sources.is_empty() {
                continue;
            }
            out.push(EmptyFeed {
                block: res.address(),
                span: Some(res.block.header),
                allow_empty: res
                    .block
                    .attr("allow_empty")
                    .and_then(|a| a.expr.as_bool())
                    .unwrap_or(false),
                sources,
            });
        }
        out
    }
}
