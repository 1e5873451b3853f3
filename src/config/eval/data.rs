//! Data-source results as the values `data.KIND.NAME` evaluates to.

use hcl::Value;

use super::Model;
use crate::config::{DataRecord, DataResults};
use crate::diag::Diagnostic;

pub(super) fn data_value(
    model: &Model,
    results: &DataResults,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    let mut kinds: hcl::Map<String, Value> = hcl::Map::new();
    for ((kind, name), block) in &model.decoded.data {
        let records = match results.get(*kind, name) {
            Some(r) => r,
            None => {
                diags.push(
                    Diagnostic::error(format!("no result for `data.{}.{name}`", kind.as_str()))
                        .with_span_label(block.header, "this data source was not read")
                        .with_hint("this is a bug in sgform, please report it"),
                );
                &[]
            }
        };
        let mut ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut obj = hcl::Map::new();
        obj.insert(
            "ids".to_owned(),
            Value::Array(ids.into_iter().map(Value::String).collect()),
        );
        obj.insert(
            kind.list_attr().to_owned(),
            Value::Array(records.iter().map(record_value).collect()),
        );
        let entry = kinds
            .entry(kind.as_str().to_owned())
            .or_insert_with(|| Value::Object(hcl::Map::new()));
        if let Value::Object(m) = entry {
            m.insert(name.clone(), Value::Object(obj));
        }
    }
    Value::Object(kinds)
}

fn record_value(r: &DataRecord) -> Value {
    let mut o = hcl::Map::new();
    o.insert("id".to_owned(), Value::String(r.id.clone()));
    o.insert("name".to_owned(), Value::String(r.name.clone()));
    o.insert("status".to_owned(), Value::String(r.status.clone()));
    o.insert("vpc_id".to_owned(), Value::String(r.vpc_id.clone()));
    o.insert(
        "instance_id".to_owned(),
        r.instance_id.clone().map_or(Value::Null, Value::String),
    );
    o.insert(
        "security_group_ids".to_owned(),
        Value::Array(
            r.security_group_ids
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        ),
    );
    o.insert(
        "tags".to_owned(),
        Value::Object(
            r.tags
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ),
    );
    Value::Object(o)
}
