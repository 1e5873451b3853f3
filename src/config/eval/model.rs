//! [`Model`]: everything evaluation needs, built once per load; locals in dependency order, and
//! which values are sensitive or wait for data sources.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use hcl::Value;
use hcl_edit::expr::Expression;

use crate::config::cost;
use crate::config::decode::{Decoded, RawBlock, Resource};
use crate::config::expr::{Scope, base_context};
use crate::config::refs::{self, references};
use crate::config::variables::{Resolved, leaves};
use crate::diag::{Diagnostic, Span};
use crate::ids::Address;

/// Everything evaluation needs, built once by [`Model::new`]. `Debug` shows names only: values
/// may be sensitive.
#[derive(Clone, Default)]
pub(in crate::config) struct Model {
    pub(in crate::config) decoded: Decoded,
    pub(super) vars: hcl::Map<String, Value>,
    pub(super) set_vars: BTreeSet<String>,
    /// Locals known without data sources.
    pub(super) locals: hcl::Map<String, Value>,
    /// Locals that depend on data sources, evaluated in [`expand`].
    pub(super) data_locals: BTreeSet<String>,
    /// Locals that could not be evaluated (the error is already reported).
    pub(super) broken_locals: BTreeSet<String>,
    /// String forms of sensitive values, masked in every message.
    pub(super) secrets: Vec<String>,
    /// Variables without a value (only under `validate`): unknown, like data.
    pub(super) unknown_vars: BTreeSet<String>,
    /// Attribute values with a bad reference (already reported): never evaluated.
    pub(super) poisoned: BTreeSet<Span>,
    /// Variables declared `sensitive = true` (whether or not they have a value).
    pub(super) sensitive_vars: BTreeSet<String>,
    /// Locals whose value is derived from a sensitive variable, directly or through other
    /// locals, each with the variable it comes from (for messages).
    pub(super) sensitive_locals: BTreeMap<String, String>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("locals", &self.decoded.locals.keys().collect::<Vec<_>>())
            .field("data_locals", &self.data_locals)
            .field("broken_locals", &self.broken_locals)
            .field("resources", &self.decoded.resources.len())
            .finish_non_exhaustive()
    }
}

impl Model {
    pub(in crate::config) fn new(
        decoded: Decoded,
        poisoned: BTreeSet<Span>,
        variables: &BTreeMap<String, Resolved>,
        diags: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut m = Model {
            decoded,
            poisoned,
            ..Model::default()
        };
        for (name, var) in variables {
            m.vars
                .insert(name.clone(), var.value.clone().unwrap_or(Value::Null));
            if var.value.is_none() {
                m.unknown_vars.insert(name.clone());
            }
            if var.ty.is_set() {
                m.set_vars.insert(name.clone());
            }
            if var.sensitive {
                m.sensitive_vars.insert(name.clone());
                if let Some(v) = &var.value {
                    leaves(v, &mut m.secrets);
                }
            }
        }
        m.sensitive_locals = m.find_sensitive_locals();
        m.secrets.retain(|s| s.len() >= 3);
        m.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let (locals, errs) = m.eval_locals(None);
        m.locals = locals;
        diags.extend(errs);
        m
    }

    /// The sensitive variables' values: every string in them of 3 characters or more,
    /// longest first.
    pub(in crate::config) fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Masks sensitive values in every message.
    pub(in crate::config) fn redact(&self, diags: &mut [Diagnostic]) {
        if self.secrets.is_empty() {
            return;
        }
        let mask = |s: &mut String| {
            let mut hit = false;
            for secret in &self.secrets {
                if s.contains(secret.as_str()) {
                    *s = s.replace(secret.as_str(), "(sensitive value)");
                    hit = true;
                }
            }
            hit
        };
        for d in diags {
            let mut hit = mask(&mut d.summary);
            for l in &mut d.labels {
                hit |= mask(&mut l.message);
            }
            for n in d.notes.iter_mut().chain(d.hints.iter_mut()) {
                hit |= mask(n);
            }
            if let Some(l) = &mut d.primary_label {
                hit |= mask(l);
                // The label explains the value ("it contains `T`"): hide it all.
                if hit {
                    *l = "details hidden: the value is sensitive".to_owned();
                }
            }
        }
    }

    /// Locals derived from sensitive variables: a fixed point over the references, so a chain
    /// of locals of any length (and locals in a cycle, already reported) ends.
    pub(super) fn find_sensitive_locals(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let mut progressed = false;
            for (name, attr) in &self.decoded.locals {
                if out.contains_key(name) {
                    continue;
                }
                if let Some(var) = self.sensitive_origin_in(&attr.expr, &out) {
                    out.insert(name.clone(), var);
                    progressed = true;
                }
            }
            if !progressed {
                return out;
            }
        }
    }

    /// The sensitive variable `expr` is derived from, if any: `(variable, through local)`.
    pub(super) fn sensitive_origin_in(
        &self,
        expr: &Expression,
        locals: &BTreeMap<String, String>,
    ) -> Option<String> {
        let refs = references(expr);
        refs.iter()
            .find_map(|r| match (r.root(), r.name(1)) {
                ("var", Some(n)) if self.sensitive_vars.contains(n) => Some(n.to_owned()),
                _ => None,
            })
            .or_else(|| {
                refs.iter().find_map(|r| match (r.root(), r.name(1)) {
                    ("local", Some(n)) => locals.get(n).cloned(),
                    _ => None,
                })
            })
    }

    /// Whether the value of `expr` is derived from a sensitive variable.
    pub(in crate::config) fn is_sensitive(&self, expr: &Expression) -> bool {
        self.sensitive_origin_in(expr, &self.sensitive_locals)
            .is_some()
    }

    /// Why `expr` is sensitive, for messages: "`var.x`" or "`local.y` (from `var.x`)".
    pub(super) fn sensitive_why(&self, expr: &Expression) -> Option<String> {
        let refs = references(expr);
        refs.iter()
            .find_map(|r| match (r.root(), r.name(1)) {
                ("var", Some(n)) if self.sensitive_vars.contains(n) => Some(format!("`var.{n}`")),
                _ => None,
            })
            .or_else(|| {
                refs.iter().find_map(|r| match (r.root(), r.name(1)) {
                    ("local", Some(n)) => self
                        .sensitive_locals
                        .get(n)
                        .map(|v| format!("`local.{n}`, which is derived from `var.{v}`")),
                    _ => None,
                })
            })
    }

    /// Whether an expression needs data sources (directly or through a local) or a variable
    /// without a value: either way it cannot be evaluated yet.
    pub(super) fn needs_data(&self, expr: &Expression) -> bool {
        self.uses_unknown_var(expr)
            || references(expr).iter().any(|r| {
                r.root() == "data"
                    || (r.root() == "local"
                        && r.name(1).is_some_and(|n| self.data_locals.contains(n)))
            })
    }

    /// Whether an expression uses a variable that has no value (under `validate`).
    pub(super) fn uses_unknown_var(&self, expr: &Expression) -> bool {
        !self.unknown_vars.is_empty()
            && references(expr).iter().any(|r| {
                r.root() == "var" && r.name(1).is_some_and(|n| self.unknown_vars.contains(n))
            })
    }

    /// Whether an expression refers to a local that failed (already reported).
    pub(super) fn uses_broken(&self, expr: &Expression) -> bool {
        references(expr).iter().any(|r| {
            r.root() == "local" && r.name(1).is_some_and(|n| self.broken_locals.contains(n))
        })
    }

    pub(super) fn block_needs_data(&self, block: &RawBlock) -> bool {
        block
            .attrs
            .values()
            .any(|a| a.name != "depends_on" && a.name != "provider" && self.needs_data(&a.expr))
    }

    /// Blocks whose evaluation waits for data sources.
    pub(in crate::config) fn deferred_blocks(&self) -> Vec<Address> {
        self.decoded
            .resources
            .values()
            .filter(|r| self.block_needs_data(&r.block))
            .map(Resource::address)
            .collect()
    }

    /// A context with `var`, `local` and (with data) `data`.
    pub(super) fn context(&self, locals: &hcl::Map<String, Value>, data: Option<&Value>) -> Scope {
        let ctx = base_context();
        let vars = Value::Object(self.vars.clone());
        let local = Value::Object(locals.clone());
        let values =
            cost::measure(|| cost::size(&vars) + cost::size(&local) + data.map_or(0, cost::size));
        cost::context_copied(values);
        let mut scope = Scope {
            ctx,
            values,
            flat: HashSet::new(),
        };
        if let Value::Object(m) = &vars {
            for (name, value) in m {
                scope.declare_flat(format!("var.{name}"), value.clone());
            }
        }
        if let Value::Object(m) = &local {
            for (name, value) in m {
                scope.declare_flat(format!("local.{name}"), value.clone());
            }
        }
        if let Some(Value::Object(kinds)) = data {
            for (kind, sources) in kinds {
                if let Value::Object(sources) = sources {
                    for (name, value) in sources {
                        scope.declare_flat(format!("data.{kind}.{name}"), value.clone());
                    }
                }
            }
        }
        scope.ctx.declare_var("var", vars);
        scope.ctx.declare_var("local", local);
        if let Some(data) = data {
            scope.ctx.declare_var("data", data.clone());
        }
        scope
    }

    /// Evaluates locals in dependency order. Without data, data-dependent locals are recorded
    /// in `data_locals`; with data, they are evaluated too.
    pub(super) fn eval_locals(
        &mut self,
        data: Option<&Value>,
    ) -> (hcl::Map<String, Value>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut known = if data.is_some() {
            self.locals.clone()
        } else {
            hcl::Map::new()
        };
        let edges = refs::local_edges(&self.decoded);
        let names: Vec<String> = self.decoded.locals.keys().cloned().collect();
        // One context for every local, with `local` declared again for each: only the locals
        // it refers to (all known by now, or it is skipped below). A context per local copied
        // every variable and every known local each time: O(locals × values).
        let mut scope = self.context(&hcl::Map::new(), data);
        let mut done: Vec<bool> = names
            .iter()
            .map(|n| known.contains_key(n) || self.broken_locals.contains(n))
            .collect();
        loop {
            let mut progressed = false;
            for i in 0..names.len() {
                if done[i] || !edges[i].iter().all(|&j| done[j]) {
                    continue;
                }
                done[i] = true;
                progressed = true;
                let name = &names[i];
                let Some(attr) = self.decoded.locals.get(name) else {
                    continue;
                };
                if self.uses_broken(&attr.expr) || self.poisoned.contains(&attr.value_span) {
                    self.broken_locals.insert(name.clone());
                    continue;
                }
                if data.is_none() && self.needs_data(&attr.expr) {
                    self.data_locals.insert(name.clone());
                    continue;
                }
                let visible: hcl::Map<String, Value> = edges[i]
                    .iter()
                    .filter_map(|&j| {
                        let n = &names[j];
                        known.get(n).map(|v| (n.clone(), v.clone()))
                    })
                    .collect();
                scope.declare_locals(visible);
                match scope.evaluate(&attr.expr) {
                    Ok(v) => {
                        known.insert(name.clone(), v);
                    }
                    Err(e) => {
                        self.broken_locals.insert(name.clone());
                        diags.push(
                            Diagnostic::error(format!("cannot evaluate `local.{name}`"))
                                .with_span_label(attr.value_span, e),
                        );
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        // Locals never reached are in (or behind) a cycle, reported by `refs`.
        for (i, name) in names.iter().enumerate() {
            if !done[i] {
                self.broken_locals.insert(name.clone());
            }
        }
        (known, diags)
    }

    /// Whether `for_each = expr` is a set: `toset(...)`, a `set(...)` variable, or a local
    /// that is one of those.
    pub(super) fn is_set_expr(&self, expr: &Expression, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        match expr {
            Expression::FuncCall(call) => call.name.name.as_str() == "toset",
            Expression::Parenthesis(p) => self.is_set_expr(p.inner(), depth + 1),
            Expression::Conditional(c) => {
                self.is_set_expr(&c.true_expr, depth + 1)
                    && self.is_set_expr(&c.false_expr, depth + 1)
            }
            Expression::Traversal(_) => {
                let rs = references(expr);
                let [r] = rs.as_slice() else { return false };
                match (r.root(), r.name(1), r.names.len()) {
                    ("var", Some(n), 2) => self.set_vars.contains(n),
                    ("local", Some(n), 2) => self
                        .decoded
                        .locals
                        .get(n)
                        .is_some_and(|a| self.is_set_expr(&a.expr, depth + 1)),
                    _ => false,
                }
            }
            _ => false,
        }
    }
}
