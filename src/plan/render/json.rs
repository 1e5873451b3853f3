//! The JSON form of a plan: Terraform's plan JSON (`format_version` 1.2) where it fits, plus
//! sgform's own `operations` (the API calls in execution order) and `summary`.
//!
//! Shape (keys in this order; fixed by the structs below, so the bytes are deterministic):
//!
//! ```text
//! { "format_version": "1.2", "sgform_version": "0.1.0", "applyable": true, "complete": true,
//!   "errored": false, "destroy"?: true,
//!   "resource_drift": [ { address, mode, type, name, index?, provider_name, provider_alias,
//!                         change: { actions, before, after, after_unknown, before_sensitive,
//!                                   after_sensitive },
//!                         planned_back } ],
//!   "resource_changes": [ { address, mode, type, name, index?, provider_name, provider_alias,
//!                           change: { actions, before, after, after_unknown, before_sensitive,
//!                                     after_sensitive, importing? },
//!                           action_reason?, removed_from_config, join, leave, adopt,
//!                           replace } ],
//!   "operations": [ { index, action, kind, target, parameters, depends_on, addresses } ],
//!   "summary": { join, leave, replace, adopt, forget } }
//! ```
//!
//! `change.actions` keep Terraform's meaning, so a policy written for Terraform plans reads
//! them right (see `actions`; the README maps them). A run that failed prints
//! [`errored_string`] instead.
//!
//! `before`/`after` per type: `membership` a pair object
//! (`{"security_group_id", "instance_id" | "network_interface_id"}`) or `null`;
//! `membership_set` `{"instance_id" | "network_interface_id", "security_group_ids": [...]}`;
//! `group_members` `{"security_group_id", "instance_ids": [...], "network_interface_ids": [...]}`.
//! Unlike Terraform, sensitive values are not written at all: they are `"(sensitive value)"`,
//! and `before_sensitive`/`after_sensitive` mark the attributes, as Terraform's do.

use std::collections::HashSet;

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

/// The document `--json` prints instead of a plan when the run failed (a configuration with
/// errors, or a plan that could not be made): Terraform's header with `"errored": true` and
/// the run's `diagnostics` (as `validate --json` writes each one), and nothing planned.
pub fn errored_string(diagnostics: Vec<Value>) -> String {
    #[derive(Serialize)]
    struct Errored {
        format_version: &'static str,
        sgform_version: &'static str,
        applyable: bool,
        complete: bool,
        errored: bool,
        diagnostics: Vec<Value>,
    }
    let mut text = serde_json::to_string_pretty(&Errored {
        format_version: FORMAT_VERSION,
        sgform_version: env!("CARGO_PKG_VERSION"),
        applyable: false,
        complete: false,
        errored: true,
        diagnostics,
    })
    .unwrap_or_else(|e| unreachable!("plan JSON serialisation failed: {e}"));
    text.push('\n');
    text
}

fn document(plan: &Plan) -> Document {
    let mask = Mask::of(plan);
    let facts = StateFacts::of(plan);
    let (join, leave, replace) = plan.counts();
    Document {
        format_version: FORMAT_VERSION,
        sgform_version: env!("CARGO_PKG_VERSION"),
        applyable: plan.has_changes(),
        complete: true,
        errored: false,
        destroy: plan.destroy,
        resource_drift: plan.drift.iter().map(|d| drift(plan, d, &mask)).collect(),
        resource_changes: plan
            .resource_changes
            .iter()
            .map(|c| change(c, plan.destroy, &facts, &mask))
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
    /// Every change is planned (sgform defers nothing): `true` here.
    complete: bool,
    /// `false` here; `true` only in the document of a run that failed ([`errored_string`]).
    errored: bool,
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
    /// Every value is known when sgform plans: always `{}`, as Terraform writes it then.
    after_unknown: Value,
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
    /// Terraform's reason for the actions; only `delete_because_no_resource_config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    action_reason: Option<&'static str>,
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

/// What a change's Terraform verdict needs to know beyond the change itself: which addresses
/// hold a state entry that goes away (see [`actions`]).
struct StateFacts<'a> {
    /// Addresses with a state entry that an operation removes (a managed pair that leaves).
    leaving: HashSet<&'a Address>,
    /// Addresses with a state entry dropped without a call (`Plan::forget`).
    forgotten: HashSet<&'a Address>,
}

impl<'a> StateFacts<'a> {
    fn of(plan: &'a Plan) -> Self {
        Self {
            leaving: plan
                .operations
                .iter()
                .flat_map(|op| &op.state_remove)
                .map(|m| &m.address)
                .collect(),
            forgotten: plan.forget.iter().map(|m| &m.address).collect(),
        }
    }

    /// Whether sgform manages a pair of `c` now: one it keeps (declared, present and not
    /// adopted), one that leaves, or one whose entry moves to another address.
    fn manages(&self, c: &ResourceChange) -> bool {
        self.leaving.contains(&c.address)
            || self.forgotten.contains(&c.address)
            || c.after
                .iter()
                .any(|p| c.before.binary_search(p).is_ok() && c.adopt.binary_search(p).is_err())
    }
}

/// Terraform's `change.actions` and `action_reason` for one address (the README's table):
/// - removed from the configuration, or in a destroy plan: `["delete"]` when a pair leaves,
///   else `["forget"]` when only state entries go (the pairs are gone, or another address
///   takes them over), else `["no-op"]`; a removed address says
///   `delete_because_no_resource_config`;
/// - declared: `["no-op"]` when no call changes it; `["create"]` when it only joins and sgform
///   manages no pair of it yet (so a pair that exists and leaves, managed or not, is never part
///   of a create); else `["update"]` (an adoption with calls is Terraform's import with
///   changes).
///
/// An adoption is marked by `importing` beside these actions, as a Terraform 1.5 import is.
fn actions(
    c: &ResourceChange,
    destroy: bool,
    facts: &StateFacts<'_>,
) -> (&'static [&'static str], Option<&'static str>) {
    let calls = !(c.join.is_empty() && c.leave.is_empty() && c.replace.is_empty());
    if c.removed_from_config || destroy {
        let reason = c
            .removed_from_config
            .then_some("delete_because_no_resource_config");
        if !c.leave.is_empty() || !c.replace.is_empty() {
            (&["delete"], reason)
        } else if facts.forgotten.contains(&c.address) {
            (&["forget"], None)
        } else {
            (&["no-op"], None)
        }
    } else if !calls {
        (&["no-op"], None)
    } else if !c.leave.is_empty() || !c.adopt.is_empty() || facts.manages(c) {
        (&["update"], None)
    } else {
        (&["create"], None)
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

/// The `sgform import` ID of each pair (`SG/TARGET`), comma-separated.
fn import_id(pairs: &[Pair], mask: &Mask) -> String {
    let ids: Vec<String> = pairs
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                mask.group(&p.security_group_id),
                mask.target(&p.target)
            )
        })
        .collect();
    ids.join(",")
}

fn change(c: &ResourceChange, destroy: bool, facts: &StateFacts<'_>, mask: &Mask) -> ChangeJson {
    let before = object(c, &c.before, mask);
    let after = if c.removed_from_config {
        Value::Null
    } else {
        object(c, &c.after, mask)
    };
    let (actions, action_reason) = actions(c, destroy, facts);
    ChangeJson {
        head: Head::new(&c.address, &c.provider),
        change: Inner {
            actions,
            before_sensitive: sensitive_marks(c, &before),
            after_sensitive: sensitive_marks(c, &after),
            before,
            after,
            after_unknown: json!({}),
            // Terraform marks an import this way; sgform's adoption is the same idea, and its
            // ID is what `sgform import ADDR ID` takes (`SG/TARGET`), comma-separated when a
            // block adopts several pairs (`adopt` lists them).
            importing: (!c.adopt.is_empty()).then(|| json!({ "id": import_id(&c.adopt, mask) })),
        },
        action_reason,
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
            after_unknown: json!({}),
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
