//! The JSON form of a plan: Terraform's plan JSON (`format_version` 1.2) where it fits, plus
//! sgform's own `operations` (the API calls in execution order) and `summary`.
//!
//! Shape (keys in this order; fixed by the structs below, so the bytes are deterministic):
//!
//! ```text
//! { "format_version": "1.2", "sgform_version": "0.1.0", "applyable": true, "destroy"?: true,
//!   "resource_drift": [ { address, mode, type, name, index?, provider_name, provider_alias,
//!                         change: { actions, before, after, before_sensitive, after_sensitive },
//!                         planned_back } ],
//!   "resource_changes": [ { address, mode, type, name, index?, provider_name, provider_alias,
//!                           change: { actions, before, after, before_sensitive,
//!                                     after_sensitive, importing? },
//!                           removed_from_config, join, leave, adopt, replace } ],
//!   "operations": [ { index, action, kind, target, parameters, depends_on, addresses } ],
//!   "summary": { join, leave, replace, adopt, forget } }
//! ```
//!
//! `before`/`after` per type: `membership` a pair object
//! (`{"security_group_id", "instance_id" | "network_interface_id"}`) or `null`;
//! `membership_set` `{"instance_id" | "network_interface_id", "security_group_ids": [...]}`;
//! `group_members` `{"security_group_id", "instance_ids": [...], "network_interface_ids": [...]}`.
//! Unlike Terraform, sensitive values are not written at all: they are `"(sensitive value)"`,
//! and `before_sensitive`/`after_sensitive` mark the attributes, as Terraform's do.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::mask::Mask;
use crate::ids::{Address, DeclarationKind, Target};
use crate::plan::model::{Drift, Pair, Plan, Reason, ResourceChange};

/// The Terraform plan JSON version this shape follows.
pub const FORMAT_VERSION: &str = "1.2";

/// Renders `plan` as a JSON value (objects sorted by key; see [`render_string`] for the
/// document in its written order).
pub fn render(plan: &Plan) -> Value {
    serde_json::to_value(document(plan)).unwrap_or_else(|e| {
        // Every field is a string, a number, a bool or a value built here.
        unreachable!("plan JSON serialisation failed: {e}")
    })
}

/// Renders `plan` as pretty JSON with a trailing newline (what `--json` prints), keys in the
/// order of the module docs.
pub fn render_string(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(&document(plan))
        .unwrap_or_else(|e| unreachable!("plan JSON serialisation failed: {e}"));
    text.push('\n');
    text
}

fn document(plan: &Plan) -> Document {
    let mask = Mask::of(plan);
    let (join, leave, replace) = plan.counts();
    Document {
        format_version: FORMAT_VERSION,
        sgform_version: env!("CARGO_PKG_VERSION"),
        applyable: plan.has_changes(),
        destroy: plan.destroy,
        resource_drift: plan.drift.iter().map(|d| drift(plan, d, &mask)).collect(),
        resource_changes: plan
            .resource_changes
            .iter()
            .map(|c| change(c, &mask))
            .collect(),
        operations: operations(plan, &mask),
        summary: Summary {
            join,
            leave,
            replace,
            adopt: plan.adopt.len(),
            forget: plan.forget.len(),
        },
    }
}

#[derive(Serialize)]
struct Document {
    format_version: &'static str,
    sgform_version: &'static str,
    applyable: bool,
    /// Only in a destroy plan (`plan --destroy`), as `true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    destroy: bool,
    resource_drift: Vec<DriftJson>,
    resource_changes: Vec<ChangeJson>,
    operations: Vec<OperationJson>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    join: usize,
    leave: usize,
    replace: usize,
    adopt: usize,
    forget: usize,
}

/// The identifying fields Terraform writes for every resource instance, in its order.
#[derive(Serialize)]
struct Head {
    address: String,
    mode: &'static str,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<String>,
    provider_name: &'static str,
    provider_alias: Option<String>,
}

impl Head {
    fn new(address: &Address, provider: &Option<String>) -> Self {
        Self {
            address: address.to_string(),
            mode: "managed",
            kind: address.kind.to_string(),
            name: address.name.to_string(),
            index: address.key.as_deref().map(str::to_owned),
            provider_name: "alicloud",
            provider_alias: provider.clone(),
        }
    }
}

#[derive(Serialize)]
struct Inner {
    actions: &'static [&'static str],
    before: Value,
    after: Value,
    before_sensitive: Value,
    after_sensitive: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    importing: Option<Value>,
}

#[derive(Serialize)]
struct ChangeJson {
    #[serde(flatten)]
    head: Head,
    change: Inner,
    removed_from_config: bool,
    join: Value,
    leave: Value,
    adopt: Value,
    replace: Vec<String>,
}

#[derive(Serialize)]
struct DriftJson {
    #[serde(flatten)]
    head: Head,
    change: Inner,
    planned_back: bool,
}

#[derive(Serialize)]
struct DependencyJson {
    index: usize,
    reason: Reason,
}

#[derive(Serialize)]
struct OperationJson {
    index: usize,
    action: &'static str,
    kind: &'static str,
    target: String,
    /// In the order the API documents them.
    parameters: IndexMap<String, String>,
    depends_on: Vec<DependencyJson>,
    addresses: Vec<String>,
    groups_before: Vec<String>,
    groups_after: Vec<String>,
}

/// Terraform's `change.actions` for one address.
pub fn actions(change: &ResourceChange) -> &'static [&'static str] {
    if change.join.is_empty() && change.leave.is_empty() && change.replace.is_empty() {
        &["no-op"]
    } else if change.removed_from_config || change.after.is_empty() {
        &["delete"]
    } else if change.before.is_empty() {
        &["create"]
    } else {
        &["update"]
    }
}

fn target_attr(target: &Target) -> &'static str {
    match target {
        Target::Instance(_) => "instance_id",
        Target::NetworkInterface(_) => "network_interface_id",
    }
}

/// `before`/`after` of one change from its pair set, in the shape of its type.
fn object(change: &ResourceChange, pairs: &[Pair], mask: &Mask) -> Value {
    let Some(kind) = change.address.declaration() else {
        // Only declarations change; a data source's address is never a resource change.
        return Value::Null;
    };
    if pairs.is_empty() && kind == DeclarationKind::Membership {
        return Value::Null;
    }
    // Pairs are sorted by group, then target, and each list below has one target or one
    // group, so the lists have no duplicates. They are not deduplicated after masking, so
    // two hidden IDs still count as two.
    let all_pairs = || {
        change
            .before
            .iter()
            .chain(&change.after)
            .chain(&change.join)
            .chain(&change.leave)
    };
    match kind {
        DeclarationKind::Membership => {
            let Some(p) = pairs.iter().next() else {
                return Value::Null;
            };
            let mut o = Map::new();
            o.insert(
                kind.group_attr().into(),
                json!(mask.group(&p.security_group_id)),
            );
            o.insert(
                kind.target_attr(&p.target).into(),
                json!(mask.target(&p.target)),
            );
            Value::Object(o)
        }
        DeclarationKind::GroupMembers => {
            // The group, from any of the change's pairs (`before` is empty on creation).
            let group = all_pairs().next().map(|p| mask.group(&p.security_group_id));
            let members = |instance: bool| -> Vec<&str> {
                pairs
                    .iter()
                    .filter(|p| matches!(p.target, Target::Instance(_)) == instance)
                    .map(|p| mask.target(&p.target))
                    .collect()
            };
            let mut o = Map::new();
            o.insert(kind.group_attr().into(), json!(group));
            o.insert(kind.instance_attr().into(), json!(members(true)));
            o.insert(kind.network_interface_attr().into(), json!(members(false)));
            Value::Object(o)
        }
        DeclarationKind::MembershipSet => {
            // One target; name it from any of the change's pairs.
            let target = all_pairs().map(|p| &p.target).chain(&change.replace).next();
            let mut o = Map::new();
            if let Some(t) = target {
                o.insert(kind.target_attr(t).into(), json!(mask.target(t)));
            }
            let groups: Vec<&str> = pairs
                .iter()
                .map(|p| mask.group(&p.security_group_id))
                .collect();
            o.insert(kind.group_attr().into(), json!(groups));
            Value::Object(o)
        }
    }
}

/// Terraform's `before_sensitive`/`after_sensitive`: `false` for a null object, else an
/// object marking each sensitive attribute `true`.
fn sensitive_marks(change: &ResourceChange, value: &Value) -> Value {
    if value.is_null() {
        return Value::Bool(false);
    }
    let mut o = Map::new();
    if let Value::Object(fields) = value {
        for attr in fields.keys() {
            if change.is_sensitive(attr) {
                o.insert(attr.clone(), Value::Bool(true));
            }
        }
    }
    Value::Object(o)
}

fn pairs_json(pairs: &[Pair], mask: &Mask) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|p| {
                json!({
                    "security_group_id": mask.group(&p.security_group_id),
                    "target": mask.target(&p.target),
                })
            })
            .collect(),
    )
}

fn change(c: &ResourceChange, mask: &Mask) -> ChangeJson {
    let before = object(c, &c.before, mask);
    let after = if c.removed_from_config {
        Value::Null
    } else {
        object(c, &c.after, mask)
    };
    ChangeJson {
        head: Head::new(&c.address, &c.provider),
        change: Inner {
            actions: actions(c),
            before_sensitive: sensitive_marks(c, &before),
            after_sensitive: sensitive_marks(c, &after),
            before,
            after,
            // Terraform marks an import this way; sgform's adoption is the same idea.
            importing: (!c.adopt.is_empty())
                .then(|| json!({ "pairs": pairs_json(&c.adopt, mask) })),
        },
        removed_from_config: c.removed_from_config,
        join: pairs_json(&c.join, mask),
        leave: pairs_json(&c.leave, mask),
        adopt: pairs_json(&c.adopt, mask),
        replace: c
            .replace
            .iter()
            .map(|t| mask.target(t).to_owned())
            .collect(),
    }
}

/// A drift entry: the pair the state records was deleted outside sgform.
fn drift(plan: &Plan, d: &Drift, mask: &Mask) -> DriftJson {
    let m = &d.membership;
    let mut before = Map::new();
    before.insert(
        "security_group_id".into(),
        json!(mask.group(&m.security_group_id)),
    );
    before.insert(target_attr(&m.target).into(), json!(mask.target(&m.target)));
    let marks: Map<String, Value> = match plan.change(&m.address) {
        Some(c) => before
            .keys()
            .filter(|k| {
                c.is_sensitive(k)
                    || (k.as_str() == "security_group_id" && c.is_sensitive("security_group_ids"))
            })
            .map(|k| (k.clone(), Value::Bool(true)))
            .collect(),
        None => Map::new(),
    };
    DriftJson {
        head: Head::new(&m.address, &m.provider),
        change: Inner {
            actions: &["delete"],
            before: Value::Object(before),
            after: Value::Null,
            before_sensitive: Value::Object(marks),
            after_sensitive: Value::Bool(false),
            importing: None,
        },
        planned_back: d.planned_back,
    }
}

fn operations(plan: &Plan, mask: &Mask) -> Vec<OperationJson> {
    let shown = |list: &[crate::ids::SecurityGroupId]| -> Vec<String> {
        list.iter().map(|g| mask.group(g).to_owned()).collect()
    };
    plan.operations
        .iter()
        .enumerate()
        .map(|(i, op)| OperationJson {
            index: i,
            action: op.api_action(),
            kind: op.action.verb(),
            target: mask.target(&op.target).to_owned(),
            parameters: op
                .api_params()
                .into_iter()
                .map(|(k, v)| {
                    let v = mask.param(&v).to_owned();
                    (k, v)
                })
                .collect(),
            depends_on: op
                .depends_on
                .iter()
                .map(|d| DependencyJson {
                    index: d.on,
                    reason: d.reason,
                })
                .collect(),
            addresses: op.addresses.iter().map(ToString::to_string).collect(),
            groups_before: shown(&op.before),
            groups_after: shown(&op.after),
        })
        .collect()
}

#[cfg(test)]
mod tests;
