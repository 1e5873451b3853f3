//! Evaluation: locals, providers, data-source filters and blocks, through `hcl::eval`, one
//! attribute at a time so every error points at the attribute it came from.
//!
//! Values that depend on `data.*` are unknown until the planner has read the data sources: such
//! locals and blocks are *deferred* and evaluated by [`expand`] once [`DataResults`] exist.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use hcl::Value;
use hcl::eval::{Context, Evaluate};
use hcl_edit::expr::Expression;

use super::decode::{Attr, Decoded, RawBlock, Resource, ResourceKind};
use super::refs::{self, references};
use super::variables::{Resolved, leaves};
use super::{
    Common, DataRecord, DataRequest, DataResults, Declaration, GroupMembers, Membership,
    MembershipSet, Provider, cost, functions,
};
use crate::diag::{Diagnostic, Span};
use crate::ids::{
    Address, IdError, InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target, VpcId,
};

/// HCL-ish text of a value, for messages.
pub(super) fn show_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(show_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => {
            if o.is_empty() {
                return "{}".to_owned();
            }
            format!(
                "{{ {} }}",
                o.iter()
                    .map(|(k, v)| format!("{k} = {}", show_value(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// "a string", "a list", ... for messages.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// A context with the function library and nothing else.
pub(super) fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    functions::declare(&mut ctx);
    ctx
}

/// An evaluation context with `var`, `local` and maybe `data`, built by `Model::context`. Each
/// one holds a copy of all of them, so building or cloning one is counted
/// ([`cost::context_copied`]): at fleet scale there must be one per stage, never one per
/// declaration.
pub(super) struct Scope {
    ctx: Context<'static>,
    /// The values it holds (counted in tests only, 0 otherwise).
    values: usize,
    /// Every `var.NAME`, `local.NAME` and `data.KIND.NAME` also declared on its own (see
    /// [`flatten`]).
    flat: HashSet<String>,
}

impl Clone for Scope {
    fn clone(&self) -> Self {
        cost::context_copied(self.values);
        Self {
            ctx: self.ctx.clone(),
            values: self.values,
            flat: self.flat.clone(),
        }
    }
}

impl Scope {
    /// Declares `local` again, as exactly `locals`.
    fn declare_locals(&mut self, locals: hcl::Map<String, Value>) {
        for (name, value) in &locals {
            self.declare_flat(format!("local.{name}"), value.clone());
        }
        let local = Value::Object(locals);
        cost::values_declared(cost::measure(|| cost::size(&local)));
        self.ctx.declare_var("local", local);
    }

    /// Declares one value under its flattened name (`local.web`).
    fn declare_flat(&mut self, name: String, value: Value) {
        self.ctx
            .declare_var(hcl::Identifier::unchecked(name.clone()), value);
        self.flat.insert(name);
    }

    /// Evaluates one expression, with references to `var.*`, `local.*` and `data.*.*` read
    /// straight from their flattened names.
    pub(super) fn evaluate(&self, expr: &Expression) -> Result<Value, String> {
        let mut e: hcl::Expression = expr.clone().into();
        flatten(&mut e, &self.flat);
        e.evaluate(&self.ctx).map_err(|err| err.kind().to_string())
    }
}

/// Rewrites `var.NAME…`, `local.NAME…` and `data.KIND.NAME…` traversals to start at a variable
/// named `var.NAME` (etc.) that holds just that value, where `flat` has one.
///
/// hcl-rs evaluates a traversal by cloning its root variable first: `local.web_group` inside a
/// `for` over 2,000 records cloned every local (the records included) 2,000 times, and a
/// 10,000-membership configuration took minutes. Names with a `.` cannot come from HCL source,
/// so the flattened ones never collide with a user's. Template strings are left alone (their
/// interpolations are parsed at evaluation), as are `for` expressions that rebind a root name.
pub(super) fn flatten(expr: &mut hcl::Expression, flat: &HashSet<String>) {
    use hcl::expr::{Expression as E, TraversalOperator as Op};
    if flat.is_empty() {
        return;
    }
    match expr {
        E::Traversal(t) => {
            flatten(&mut t.expr, flat);
            let root = match &t.expr {
                E::Variable(v) => v.as_str().to_owned(),
                _ => return,
            };
            let depth = match root.as_str() {
                "var" | "local" => 1,
                "data" => 2,
                _ => 0,
            };
            let names: Vec<&str> = t
                .operators
                .iter()
                .take(depth)
                .map_while(|op| match op {
                    Op::GetAttr(name) => Some(name.as_str()),
                    _ => None,
                })
                .collect();
            if depth == 0 || names.len() < depth {
                for op in &mut t.operators {
                    if let Op::Index(i) = op {
                        flatten(i, flat);
                    }
                }
                return;
            }
            let name = format!("{root}.{}", names.join("."));
            if flat.contains(&name) {
                t.operators.drain(..depth);
                t.expr = E::Variable(hcl::expr::Variable::unchecked(name));
            }
            for op in &mut t.operators {
                if let Op::Index(i) = op {
                    flatten(i, flat);
                }
            }
            if t.operators.is_empty() {
                let inner = std::mem::replace(&mut t.expr, E::Null);
                *expr = inner;
            }
        }
        E::Array(items) => items.iter_mut().for_each(|e| flatten(e, flat)),
        E::Object(o) => {
            for (_, v) in o.iter_mut() {
                flatten(v, flat);
            }
        }
        E::FuncCall(f) => f.args.iter_mut().for_each(|e| flatten(e, flat)),
        E::Parenthesis(e) => flatten(e, flat),
        E::Conditional(c) => {
            flatten(&mut c.cond_expr, flat);
            flatten(&mut c.true_expr, flat);
            flatten(&mut c.false_expr, flat);
        }
        E::Operation(op) => match op.as_mut() {
            hcl::expr::Operation::Unary(u) => flatten(&mut u.expr, flat),
            hcl::expr::Operation::Binary(b) => {
                flatten(&mut b.lhs_expr, flat);
                flatten(&mut b.rhs_expr, flat);
            }
        },
        E::ForExpr(f) => {
            flatten(&mut f.collection_expr, flat);
            let rebinds = |v: &hcl::Identifier| matches!(v.as_str(), "var" | "local" | "data");
            if rebinds(&f.value_var) || f.key_var.as_ref().is_some_and(rebinds) {
                return;
            }
            if let Some(k) = &mut f.key_expr {
                flatten(k, flat);
            }
            flatten(&mut f.value_expr, flat);
            if let Some(c) = &mut f.cond_expr {
                flatten(c, flat);
            }
        }
        _ => {}
    }
}

impl std::ops::Deref for Scope {
    type Target = Context<'static>;

    fn deref(&self) -> &Context<'static> {
        &self.ctx
    }
}

/// Evaluates one expression; the error is a one-line message.
pub(super) fn evaluate(expr: &Expression, ctx: &Context<'_>) -> Result<Value, String> {
    let e: hcl::Expression = expr.clone().into();
    e.evaluate(ctx).map_err(|err| err.kind().to_string())
}

/// Everything evaluation needs, built once by [`Model::new`]. `Debug` shows names only: values
/// may be sensitive.
#[derive(Clone, Default)]
pub(super) struct Model {
    pub decoded: Decoded,
    vars: hcl::Map<String, Value>,
    set_vars: BTreeSet<String>,
    /// Locals known without data sources.
    locals: hcl::Map<String, Value>,
    /// Locals that depend on data sources, evaluated in [`expand`].
    data_locals: BTreeSet<String>,
    /// Locals that could not be evaluated (the error is already reported).
    broken_locals: BTreeSet<String>,
    /// String forms of sensitive values, masked in every message.
    secrets: Vec<String>,
    /// Variables without a value (only under `validate`): unknown, like data.
    unknown_vars: BTreeSet<String>,
    /// Attribute values with a bad reference (already reported): never evaluated.
    poisoned: BTreeSet<Span>,
    /// Variables declared `sensitive = true` (whether or not they have a value).
    sensitive_vars: BTreeSet<String>,
    /// Locals whose value is derived from a sensitive variable, directly or through other
    /// locals, each with the variable it comes from (for messages).
    sensitive_locals: BTreeMap<String, String>,
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
    pub fn new(
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

    /// Masks sensitive values in every message.
    pub fn redact(&self, diags: &mut [Diagnostic]) {
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
    fn find_sensitive_locals(&self) -> BTreeMap<String, String> {
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
    fn sensitive_origin_in(
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
    pub fn is_sensitive(&self, expr: &Expression) -> bool {
        self.sensitive_origin_in(expr, &self.sensitive_locals)
            .is_some()
    }

    /// Why `expr` is sensitive, for messages: "`var.x`" or "`local.y` (from `var.x`)".
    fn sensitive_why(&self, expr: &Expression) -> Option<String> {
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
    fn needs_data(&self, expr: &Expression) -> bool {
        self.uses_unknown_var(expr)
            || references(expr).iter().any(|r| {
                r.root() == "data"
                    || (r.root() == "local"
                        && r.name(1).is_some_and(|n| self.data_locals.contains(n)))
            })
    }

    /// Whether an expression uses a variable that has no value (under `validate`).
    fn uses_unknown_var(&self, expr: &Expression) -> bool {
        !self.unknown_vars.is_empty()
            && references(expr).iter().any(|r| {
                r.root() == "var" && r.name(1).is_some_and(|n| self.unknown_vars.contains(n))
            })
    }

    /// Whether an expression refers to a local that failed (already reported).
    fn uses_broken(&self, expr: &Expression) -> bool {
        references(expr).iter().any(|r| {
            r.root() == "local" && r.name(1).is_some_and(|n| self.broken_locals.contains(n))
        })
    }

    fn block_needs_data(&self, block: &RawBlock) -> bool {
        block
            .attrs
            .values()
            .any(|a| a.name != "depends_on" && a.name != "provider" && self.needs_data(&a.expr))
    }

    /// Blocks whose evaluation waits for data sources.
    pub fn deferred_blocks(&self) -> Vec<Address> {
        self.decoded
            .resources
            .values()
            .filter(|r| self.block_needs_data(&r.block))
            .map(Resource::address)
            .collect()
    }

    /// A context with `var`, `local` and (with data) `data`.
    fn context(&self, locals: &hcl::Map<String, Value>, data: Option<&Value>) -> Scope {
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
    fn eval_locals(&mut self, data: Option<&Value>) -> (hcl::Map<String, Value>, Vec<Diagnostic>) {
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
    fn is_set_expr(&self, expr: &Expression, depth: usize) -> bool {
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

fn data_value(model: &Model, results: &DataResults, diags: &mut Vec<Diagnostic>) -> Value {
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

/// Reads attributes of one block instance, reporting problems with the block's address.
struct Reader<'a> {
    ctx: &'a Scope,
    poisoned: &'a BTreeSet<Span>,
    address: Option<Address>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(match &self.address {
            Some(a) => d.with_address(a.clone()),
            None => d,
        });
    }

    fn value(&mut self, attr: &Attr) -> Option<Value> {
        if self.poisoned.contains(&attr.value_span) {
            return None;
        }
        match self.ctx.evaluate(&attr.expr) {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(
                    Diagnostic::error(format!("cannot evaluate `{}`", attr.name))
                        .with_span_label(attr.value_span, e),
                );
                None
            }
        }
    }

    fn wrong_type(&mut self, attr: &Attr, expected: &str, found: &Value) {
        self.push(
            Diagnostic::error(format!("wrong type for `{}`", attr.name))
                .with_span_label(
                    attr.value_span,
                    format!("expected {expected}, found {}", type_name(found)),
                )
                .with_note(format!("the value is {}", show_value(found))),
        );
    }

    fn string(&mut self, attr: &Attr) -> Option<String> {
        match self.value(attr)? {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(attr, "a string", &other);
                None
            }
        }
    }

    fn strings(&mut self, attr: &Attr) -> Option<Vec<String>> {
        match self.value(attr)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in &items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.wrong_type(attr, "a list of strings", other);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.wrong_type(attr, "a list of strings", &other);
                None
            }
        }
    }

    fn positive(&mut self, attr: &Attr) -> Option<u32> {
        let v = self.value(attr)?;
        match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => Some(n),
            _ => {
                self.push(
                    Diagnostic::error(format!("wrong type for `{}`", attr.name)).with_span_label(
                        attr.value_span,
                        format!("expected a positive whole number, found {}", show_value(&v)),
                    ),
                );
                None
            }
        }
    }

    fn id<T>(
        &mut self,
        attr: &Attr,
        raw: &str,
        parse: fn(&str) -> Result<T, IdError>,
        code: &str,
    ) -> Option<T> {
        match parse(raw) {
            Ok(id) => Some(id),
            Err(e) => {
                self.push(malformed(attr.value_span, &e, code));
                None
            }
        }
    }
}

fn malformed(span: Span, e: &IdError, code: &str) -> Diagnostic {
    Diagnostic::error(format!("malformed {} `{}`", e.kind, e.value))
        .with_span_label(span, e.reason.clone())
        .with_note(format!("the API would answer `{code}`"))
        .with_hint(format!("use a real {}", e.kind))
}

const SG_MALFORMED: &str = "InvalidSecurityGroupId.Malformed";
const INSTANCE_MALFORMED: &str = "InvalidInstanceId.Malformed";
const ENI_MALFORMED: &str = "InvalidParam.Malformed";

/// Every provider block evaluated, plus a default provider when none is declared.
pub(super) fn providers(model: &mut Model, diags: &mut Vec<Diagnostic>) -> Vec<Provider> {
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
pub(super) fn data_requests(model: &Model, diags: &mut Vec<Diagnostic>) -> Vec<DataRequest> {
    let ctx = model.context(&model.locals, None);
    let mut out = Vec::new();
    for ((kind, name), block) in &model.decoded.data {
        let address = Address::new(format!("data.{}", kind.as_str()), name);
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

/// Evaluates every block: without data, only the ones that do not need it; with data, all.
pub(super) fn expand(
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
                    r.push(
                        Diagnostic::error("`for_each` must be a set or a map")
                            .with_span_label(attr.value_span, format!("this is {what}"))
                            .with_note(
                                "a list's keys would be positions, which shift when an element is removed",
                            )
                            .with_hint("wrap a list of strings in `toset(...)`, or build a map"),
                    );
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
            ResourceKind::Membership => membership(&mut r, block, common),
            ResourceKind::MembershipSet => membership_set(&mut r, block, common),
            ResourceKind::GroupMembers => group_members(&mut r, block, common),
        };
        if let Some(d) = decl {
            out.push(d);
        }
    }
}

fn sg(r: &mut Reader<'_>, attr: &Attr) -> Option<SecurityGroupId> {
    let s = r.string(attr)?;
    r.id(attr, &s, SecurityGroupId::parse, SG_MALFORMED)
}

fn sgs(r: &mut Reader<'_>, attr: Option<&Attr>) -> Option<BTreeSet<SecurityGroupId>> {
    let Some(attr) = attr else {
        return Some(BTreeSet::new());
    };
    let items = r.strings(attr)?;
    let mut out = BTreeSet::new();
    let mut ok = true;
    for s in items {
        match r.id(attr, &s, SecurityGroupId::parse, SG_MALFORMED) {
            Some(id) => {
                out.insert(id);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Exactly one of `instance_id` / `network_interface_id`.
fn target(r: &mut Reader<'_>, block: &RawBlock) -> Option<Target> {
    match (
        block.attr("instance_id"),
        block.attr("network_interface_id"),
    ) {
        (Some(i), Some(e)) => {
            r.push(
                Diagnostic::error("both `instance_id` and `network_interface_id` are set")
                    .with_span_label(e.key_span, "second target here")
                    .with_label(i.key_span, "first target here")
                    .with_note(
                        "the API refuses this with `InvalidParam.EniIdAndInstanceId.Conflict`",
                    )
                    .with_hint(
                        "a block manages one target: keep one of the two, or split the block",
                    ),
            );
            None
        }
        (None, None) => {
            r.push(
                Diagnostic::error("missing target: set `instance_id` or `network_interface_id`")
                    .with_span_label(block.header, "no target in this block")
                    .with_note("the API needs exactly one of `InstanceId` and `NetworkInterfaceId`")
                    .with_hint(
                        "add `instance_id = \"i-...\"` or `network_interface_id = \"eni-...\"`",
                    ),
            );
            None
        }
        (Some(i), None) => {
            let s = r.string(i)?;
            r.id(i, &s, InstanceId::parse, INSTANCE_MALFORMED)
                .map(Target::Instance)
        }
        (None, Some(e)) => {
            let s = r.string(e)?;
            r.id(e, &s, NetworkInterfaceId::parse, ENI_MALFORMED)
                .map(Target::NetworkInterface)
        }
    }
}

fn membership(r: &mut Reader<'_>, block: &RawBlock, common: Common) -> Option<Declaration> {
    let target = target(r, block);
    let group = block.attr("security_group_id").and_then(|a| sg(r, a));
    Some(Declaration::Membership(Membership {
        common,
        security_group_id: group?,
        target: target?,
    }))
}

fn membership_set(r: &mut Reader<'_>, block: &RawBlock, common: Common) -> Option<Declaration> {
    let target = target(r, block);
    let groups = match block.attr("security_group_ids") {
        Some(a) => sgs(r, Some(a)),
        None => None,
    };
    let ignore = sgs(r, block.attr("ignore_security_group_ids"));
    Some(Declaration::MembershipSet(MembershipSet {
        common,
        target: target?,
        security_group_ids: groups?,
        ignore_security_group_ids: ignore?,
    }))
}

fn group_members(r: &mut Reader<'_>, block: &RawBlock, common: Common) -> Option<Declaration> {
    let group = block.attr("security_group_id").and_then(|a| sg(r, a));
    let mut ok = true;
    let mut instance_ids = BTreeSet::new();
    if let Some(attr) = block.attr("instance_ids") {
        match r.strings(attr) {
            Some(items) => {
                for s in items {
                    match r.id(attr, &s, InstanceId::parse, INSTANCE_MALFORMED) {
                        Some(id) => {
                            instance_ids.insert(id);
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    let mut network_interface_ids = BTreeSet::new();
    if let Some(attr) = block.attr("network_interface_ids") {
        match r.strings(attr) {
            Some(items) => {
                for s in items {
                    match r.id(attr, &s, NetworkInterfaceId::parse, ENI_MALFORMED) {
                        Some(id) => {
                            network_interface_ids.insert(id);
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(Declaration::GroupMembers(GroupMembers {
        common,
        security_group_id: group?,
        instance_ids,
        network_interface_ids,
    }))
}

/// The `max_groups_per_target` for a provider alias.
pub(super) fn max_groups(providers: &[Provider], alias: Option<&str>) -> u32 {
    providers
        .iter()
        .find(|p| p.alias.as_deref() == alias)
        .map_or(super::DEFAULT_MAX_GROUPS_PER_TARGET, |p| {
            p.max_groups_per_target
        })
}
