//! Evaluating one expression: the function library's context, the [`Scope`] of `var`, `local`
//! and `data` values, and the rewrite of traversals to flattened names ([`flatten`]).

use std::collections::HashSet;

use hcl::Value;
use hcl::eval::{Context, Evaluate};
use hcl_edit::expr::Expression;

use super::{arith, cost, functions};

/// A context with the function library and nothing else.
pub(super) fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    functions::declare(&mut ctx);
    arith::declare(&mut ctx);
    ctx
}

/// An evaluation context with `var`, `local` and maybe `data`, built by `Model::context`. Each
/// one holds a copy of all of them, so building or cloning one is counted
/// ([`cost::context_copied`]): at fleet scale there must be one per stage, never one per
/// declaration.
pub(super) struct Scope {
    pub(super) ctx: Context<'static>,
    /// The values it holds (counted in tests only, 0 otherwise).
    pub(super) values: usize,
    /// Every `var.NAME`, `local.NAME` and `data.KIND.NAME` also declared on its own (see
    /// [`flatten`]).
    pub(super) flat: HashSet<String>,
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
    pub(super) fn declare_locals(&mut self, locals: hcl::Map<String, Value>) {
        for (name, value) in &locals {
            self.declare_flat(format!("local.{name}"), value.clone());
        }
        let local = Value::Object(locals);
        cost::values_declared(cost::measure(|| cost::size(&local)));
        self.ctx.declare_var("local", local);
    }

    /// Declares one value under its flattened name (`local.web`).
    pub(super) fn declare_flat(&mut self, name: String, value: Value) {
        self.ctx
            .declare_var(hcl::Identifier::unchecked(name.clone()), value);
        self.flat.insert(name);
    }

    /// Evaluates one expression, with references to `var.*`, `local.*` and `data.*.*` read
    /// straight from their flattened names.
    pub(super) fn evaluate(&self, expr: &Expression) -> Result<Value, String> {
        let mut e: hcl::Expression = expr.clone().into();
        flatten(&mut e, &self.flat);
        arith::rewrite(&mut e);
        e.evaluate(&self.ctx).map_err(|err| arith::message(&err))
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
    let mut e: hcl::Expression = expr.clone().into();
    arith::rewrite(&mut e);
    e.evaluate(ctx).map_err(|err| arith::message(&err))
}
