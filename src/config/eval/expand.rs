//! Expanding blocks into declarations: `for_each` instances, each decoded by its kind.

use std::collections::BTreeSet;

use hcl::Value;

use super::Model;
use super::data::data_value;
use super::decls::{group_members, membership, membership_set};
use super::reader::Reader;
use crate::config::decode::Resource;
use crate::config::expr::Scope;
use crate::config::show::type_name;
use crate::config::{Common, DataResults, Declaration, functions, refs};
use crate::diag::Diagnostic;
use crate::ids::DeclarationKind;

/// Evaluates every block: without data, only the ones that do not need it; with data, all.
pub(in crate::config) fn expand(
    model: &Model,
    data: Option<&DataResults>,
) -> (Vec<Declaration>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut model = model.clone();
    let data_value = data.map(|d| data_value(&model, d, &mut diags));
    let locals = match &data_value {
        Some(dv) => {
            let (locals, errs) = model.eval_locals(Some(dv));
            diags.extend(errs);
            locals
        }
        None => model.locals.clone(),
    };
    let ctx = model.context(&locals, data_value.as_ref());
    let mut each_ctx = EachContext::new(&ctx);
    let mut out = Vec::new();
    for res in model.decoded.resources.values() {
        if data.is_none() && model.block_needs_data(&res.block) {
            // Known statically: report it now rather than after reading the data sources.
            if let Some(d) = sensitive_for_each(&model, res) {
                diags.push(d);
            }
            continue;
        }
        if res.block.attrs.values().any(|a| model.uses_broken(&a.expr)) {
            continue;
        }
        if let Some(d) = sensitive_for_each(&model, res) {
            diags.push(d);
            continue;
        }
        expand_resource(&model, res, &ctx, &mut each_ctx, &mut out, &mut diags);
    }
    (out, diags)
}

/// `for_each` over a value derived from a sensitive variable: the keys would become part of
/// addresses, which are printed everywhere, so Terraform refuses it and so do we.
fn sensitive_for_each(model: &Model, res: &Resource) -> Option<Diagnostic> {
    let attr = res.block.attr("for_each")?;
    if model.poisoned.contains(&attr.value_span) {
        return None;
    }
    let why = model.sensitive_why(&attr.expr)?;
    Some(
        Diagnostic::error(
            "invalid `for_each` argument: it is derived from a sensitive value",
        )
        .with_span_label(attr.value_span, format!("uses {why}"))
        .with_address(res.address())
        .with_note(
            "the keys of `for_each` become part of addresses, which plans, state and logs print",
        )
        .with_hint(
            "iterate over keys that are not secret and look the secret up inside the block \
             (`for_each = toset(var.names)` with `var.secret_groups[each.key]`), or drop \
             `sensitive = true` from the variable if its values are not secret",
        ),
    )
}

/// The context of `for_each` instances: the blocks' context plus `each`. It is built once per
/// [`expand`] and reused, with `each` declared again for every instance. A copy per instance
/// would clone every variable and local, including the collection being iterated, once per
/// instance: quadratic (7,500 memberships took 10.6 s that way). Blocks without `for_each` keep
/// the context without `each`, so `each` stays undefined there.
struct EachContext<'a> {
    base: &'a Scope,
    ctx: Option<Scope>,
}

impl<'a> EachContext<'a> {
    fn new(base: &'a Scope) -> Self {
        Self { base, ctx: None }
    }

    /// The context with `each` bound to `each` (replacing the previous instance's).
    fn declare(&mut self, each: Value) -> &Scope {
        let base = self.base;
        let scope = self.ctx.get_or_insert_with(|| base.clone());
        scope.ctx.declare_var("each", each);
        scope
    }
}

fn expand_resource(
    model: &Model,
    res: &Resource,
    ctx: &Scope,
    each_ctx: &mut EachContext<'_>,
    out: &mut Vec<Declaration>,
    diags: &mut Vec<Diagnostic>,
) {
    let address = res.address();
    let block = &res.block;
    let instances: Vec<(Option<String>, Value)> = match block.attr("for_each") {
        None => vec![(None, Value::Null)],
        Some(attr) => {
            let mut r = Reader {
                ctx,
                poisoned: &model.poisoned,
                address: Some(address.clone()),
                diags,
            };
            let Some(v) = r.value(attr) else { return };
            match v {
                Value::Object(o) => {
                    let mut entries: Vec<_> = o.into_iter().map(|(k, v)| (Some(k), v)).collect();
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                    entries
                }
                Value::Array(items) if model.is_set_expr(&attr.expr, 0) => {
                    let mut entries = Vec::new();
                    for item in functions::to_set(&items) {
                        match item {
                            Value::String(s) => entries.push((Some(s.clone()), Value::String(s))),
                            other => {
                                r.push(
                                    Diagnostic::error("`for_each` set elements must be strings")
                                        .with_span_label(
                                            attr.value_span,
                                            format!("contains {}", type_name(&other)),
                                        )
                                        .with_hint(
                                            "build a map instead: `{ for x in ... : KEY => x }`",
                                        ),
                                );
                                return;
                            }
                        }
                    }
                    entries
                }
                other => {
                    let what = match &other {
                        Value::Array(_) => "a list",
                        v => type_name(v),
                    };
                    let d = Diagnostic::error("`for_each` must be a set or a map")
                        .with_span_label(attr.value_span, format!("this is {what}"));
                    // Each mistake gets its own remedy: a string is one value (often a
                    // comma-separated list by mistake), a list needs `toset`.
                    let d = match &other {
                        Value::String(s) if s.contains(',') => d
                            .with_note("a string is one value, not a collection of keys")
                            .with_hint("split it into a set: `toset(split(\",\", ...))`, or write a set literal `toset([\"a\", \"b\"])`"),
                        Value::String(_) => d
                            .with_note("a string is one value, not a collection of keys")
                            .with_hint("for one instance, drop `for_each`; for several, write `toset([\"a\", \"b\"])`"),
                        Value::Array(_) => d
                            .with_note(
                                "a list's keys would be positions, which shift when an element is removed",
                            )
                            .with_hint("wrap a list of strings in `toset(...)`, or build a map"),
                        _ => d.with_hint("use a set of strings (`toset([...])`) or a map"),
                    };
                    r.push(d);
                    return;
                }
            }
        }
    };
    let provider = block
        .attr("provider")
        .and_then(|a| refs::provider_alias(a).ok());
    let depends_on = block
        .attr("depends_on")
        .map(|a| refs::depends_on(&model.decoded, a, &mut Vec::new()))
        .unwrap_or_default();
    // `each.*` is never sensitive (a sensitive `for_each` is refused), so this holds for every
    // instance of the block.
    let sensitive: BTreeSet<String> = block
        .attrs
        .values()
        .filter(|a| !matches!(a.name.as_str(), "for_each" | "provider" | "depends_on"))
        .filter(|a| model.is_sensitive(&a.expr))
        .map(|a| a.name.clone())
        .collect();
    for (key, each_value) in instances {
        let mut addr = address.clone();
        let inst_ctx: &Scope = match &key {
            None => ctx,
            Some(k) => {
                addr = addr.with_key(k.clone());
                let mut each = hcl::Map::new();
                each.insert("key".to_owned(), Value::String(k.clone()));
                each.insert("value".to_owned(), each_value);
                each_ctx.declare(Value::Object(each))
            }
        };
        let common = Common {
            address: addr.clone(),
            provider: provider.clone(),
            depends_on: depends_on.clone(),
            sensitive: sensitive.clone(),
            span: Some(block.header),
        };
        let mut r = Reader {
            ctx: inst_ctx,
            poisoned: &model.poisoned,
            address: Some(addr),
            diags,
        };
        let decl = match res.kind {
            DeclarationKind::Membership => membership(&mut r, block, common),
            DeclarationKind::MembershipSet => membership_set(&mut r, block, common),
            DeclarationKind::GroupMembers => group_members(&mut r, block, common),
        };
        if let Some(d) = decl {
            out.push(d);
        }
    }
}
