//! Arithmetic that cannot panic.
//!
//! hcl-rs computes `+`, `-`, `*`, `/` and `%` on its `Number` with Rust's operators: `5 % 0`
//! panics in every build, integer overflow panics in a debug build and wraps in a release one,
//! and `1 / 0` makes an infinite number that a debug assertion refuses. So before evaluation,
//! [`rewrite`] turns each of those operations into a call of one of the functions [`declare`]
//! adds to the context, which checks its operands first: division by zero and results outside
//! the 64-bit integer range (or not finite, for fractions) are errors, and the attribute's
//! diagnostic carries them with its span. Other results are hcl-rs's own, except that integer
//! results are exact (hcl-rs computes through a float when the signs differ, so beyond 2^53 it
//! was off by a few units). Comparisons and negation never panic and are left to hcl-rs.
//!
//! The functions have names no one writes (`__sgform_add`, …; the reference check refuses them
//! as unknown functions in source), and [`message`] shows their errors as plain messages.
//! Template strings are parsed at evaluation by hcl-rs, so a template with arithmetic in an
//! interpolation or directive is parsed here, rewritten, and printed back.

use hcl::Value;
use hcl::eval::{Context, ErrorKind, FuncArgs, FuncDef, ParamType};
use hcl::expr::{BinaryOperator, Expression, FuncCall, Operation, TemplateExpr};
use hcl::template::{Directive, Element, Template};

/// The function standing in for each checked operator.
const FUNCTIONS: [(BinaryOperator, &str); 5] = [
    (BinaryOperator::Plus, "__sgform_add"),
    (BinaryOperator::Minus, "__sgform_sub"),
    (BinaryOperator::Mul, "__sgform_mul"),
    (BinaryOperator::Div, "__sgform_div"),
    (BinaryOperator::Mod, "__sgform_mod"),
];

fn function_of(op: BinaryOperator) -> Option<&'static str> {
    FUNCTIONS.iter().find(|(o, _)| *o == op).map(|(_, f)| *f)
}

/// Declares the checked operators in `ctx`.
pub(super) fn declare(ctx: &mut Context<'_>) {
    let def = |f: fn(FuncArgs) -> Result<Value, String>| {
        FuncDef::builder()
            .param(ParamType::Any)
            .param(ParamType::Any)
            .build(f)
    };
    ctx.declare_func("__sgform_add", def(|a| apply(BinaryOperator::Plus, &a)));
    ctx.declare_func("__sgform_sub", def(|a| apply(BinaryOperator::Minus, &a)));
    ctx.declare_func("__sgform_mul", def(|a| apply(BinaryOperator::Mul, &a)));
    ctx.declare_func("__sgform_div", def(|a| apply(BinaryOperator::Div, &a)));
    ctx.declare_func("__sgform_mod", def(|a| apply(BinaryOperator::Mod, &a)));
}

/// The one-line message of an evaluation error: a checked operator's own message, hcl-rs's
/// text for everything else.
pub(super) fn message(err: &hcl::eval::Error) -> String {
    match err.kind() {
        ErrorKind::FuncCall(name, msg)
            if FUNCTIONS
                .iter()
                .any(|(_, f)| name.name.as_str() == *f && name.namespace.is_empty()) =>
        {
            msg.clone()
        }
        kind => kind.to_string(),
    }
}

/// Replaces every arithmetic operation in `expr` by a call of its checked function.
pub(super) fn rewrite(expr: &mut Expression) {
    match expr {
        Expression::Operation(op) => match op.as_mut() {
            Operation::Unary(u) => rewrite(&mut u.expr),
            Operation::Binary(b) => {
                rewrite(&mut b.lhs_expr);
                rewrite(&mut b.rhs_expr);
                if let Some(name) = function_of(b.operator) {
                    let lhs = std::mem::replace(&mut b.lhs_expr, Expression::Null);
                    let rhs = std::mem::replace(&mut b.rhs_expr, Expression::Null);
                    *expr = Expression::from(FuncCall::builder(name).arg(lhs).arg(rhs).build());
                }
            }
        },
        Expression::Array(items) => items.iter_mut().for_each(rewrite),
        Expression::Object(o) => {
            // Keys are evaluated too (`{ (1 % 0) = … }`); an object key is immutable in the
            // map, so the object is rebuilt.
            let entries = std::mem::take(o);
            for (mut k, mut v) in entries {
                if let hcl::expr::ObjectKey::Expression(e) = &mut k {
                    rewrite(e);
                }
                rewrite(&mut v);
                o.insert(k, v);
            }
        }
        Expression::FuncCall(f) => f.args.iter_mut().for_each(rewrite),
        Expression::Parenthesis(e) => rewrite(e),
        Expression::Conditional(c) => {
            rewrite(&mut c.cond_expr);
            rewrite(&mut c.true_expr);
            rewrite(&mut c.false_expr);
        }
        Expression::ForExpr(f) => {
            rewrite(&mut f.collection_expr);
            if let Some(k) = &mut f.key_expr {
                rewrite(k);
            }
            rewrite(&mut f.value_expr);
            if let Some(c) = &mut f.cond_expr {
                rewrite(c);
            }
        }
        Expression::Traversal(t) => {
            rewrite(&mut t.expr);
            for op in &mut t.operators {
                if let hcl::expr::TraversalOperator::Index(i) = op {
                    rewrite(i);
                }
            }
        }
        Expression::TemplateExpr(t) => {
            // A template that does not parse is left for hcl-rs to report.
            let Ok(mut template) = Template::from_expr(t) else {
                return;
            };
            if rewrite_template(&mut template) {
                **t = TemplateExpr::QuotedString(template.to_string());
            }
        }
        _ => {}
    }
}

/// Rewrites the expressions of a template; whether any had arithmetic.
fn rewrite_template(template: &mut Template) -> bool {
    let mut changed = false;
    for element in template.elements_mut() {
        match element {
            Element::Literal(_) => {}
            Element::Interpolation(i) => changed |= rewrite_changed(&mut i.expr),
            Element::Directive(d) => match d.as_mut() {
                Directive::If(d) => {
                    changed |= rewrite_changed(&mut d.cond_expr);
                    changed |= rewrite_template(&mut d.true_template);
                    if let Some(f) = &mut d.false_template {
                        changed |= rewrite_template(f);
                    }
                }
                Directive::For(d) => {
                    changed |= rewrite_changed(&mut d.collection_expr);
                    changed |= rewrite_template(&mut d.template);
                }
            },
        }
    }
    changed
}

fn rewrite_changed(expr: &mut Expression) -> bool {
    let before = expr.clone();
    rewrite(expr);
    *expr != before
}

/// The integer value of `n`, if it is one (hcl-rs keeps whole numbers as integers).
fn integer(n: &hcl::Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn apply(op: BinaryOperator, args: &FuncArgs) -> Result<Value, String> {
    let (lhs, rhs) = (&args[0], &args[1]);
    let (Value::Number(a), Value::Number(b)) = (lhs, rhs) else {
        // hcl-rs's own words for it.
        return Err(format!(
            "binary operator `{op}` is not applicable to `{lhs}` and `{rhs}`"
        ));
    };
    let shown = || format!("`{a} {op} {b}`");
    let by_zero = || Err(format!("division by zero in {}", shown()));
    let overflow = || {
        Err(format!(
            "integer overflow in {}: the result does not fit in a 64-bit integer",
            shown()
        ))
    };
    if let (Some(x), Some(y)) = (integer(a), integer(b)) {
        let exact = match op {
            BinaryOperator::Plus => x.checked_add(y),
            BinaryOperator::Minus => x.checked_sub(y),
            BinaryOperator::Mul => x.checked_mul(y),
            BinaryOperator::Div | BinaryOperator::Mod if y == 0 => return by_zero(),
            // A quotient with a fraction is a fraction (hcl-rs divides as floats); a whole one
            // must fit like any other integer result.
            BinaryOperator::Div if x % y != 0 => {
                return Ok(Value::Number(*a / *b));
            }
            BinaryOperator::Div => Some(x / y),
            // |x % y| < |y|, and y fits in 64 bits.
            BinaryOperator::Mod => Some(x % y),
            _ => None,
        };
        let Some(exact) = exact else {
            return overflow();
        };
        return match (i64::try_from(exact), u64::try_from(exact)) {
            (Ok(v), _) => Ok(Value::from(v)),
            (_, Ok(v)) if op == BinaryOperator::Mod => Ok(Value::from(v)),
            _ => overflow(),
        };
    }
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NAN),
        b.as_f64().unwrap_or(f64::NAN),
    );
    let result = match op {
        BinaryOperator::Plus => x + y,
        BinaryOperator::Minus => x - y,
        BinaryOperator::Mul => x * y,
        BinaryOperator::Div | BinaryOperator::Mod if y == 0.0 => return by_zero(),
        BinaryOperator::Div => x / y,
        BinaryOperator::Mod => x % y,
        _ => f64::NAN,
    };
    match hcl::Number::from_f64(result) {
        Some(n) => Ok(Value::Number(n)),
        None => Err(format!("{} has no finite result", shown())),
    }
}

/// Parses `text` as an HCL expression and evaluates it with the checked operators: for tests.
#[cfg(test)]
pub(super) fn eval_str(text: &str) -> Result<Value, String> {
    use hcl::eval::Evaluate;
    use std::str::FromStr;
    let mut e = Expression::from_str(text).map_err(|e| e.to_string())?;
    rewrite(&mut e);
    let mut ctx = Context::new();
    declare(&mut ctx);
    e.evaluate(&ctx).map_err(|e| message(&e))
}

#[cfg(test)]
mod tests;
