//! The function library: what membership work needs, with Terraform's names and meaning.
//!
//! HCL has no set type; a set is a list with distinct, sorted elements (`toset`), which is also
//! how Terraform orders a set of strings. Maps are objects with sorted keys.

use std::collections::HashMap;

use hcl::Value;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};

use super::cost;

/// Every function name, for did-you-mean and `unknown function` checks.
pub(super) const NAMES: &[&str] = &[
    "toset",
    "tolist",
    "length",
    "concat",
    "distinct",
    "flatten",
    "setproduct",
    "keys",
    "values",
    "lookup",
    "merge",
    "contains",
    "coalesce",
    "format",
    "join",
    "split",
    "lower",
    "upper",
    "zipmap",
];

/// Declares every function in `ctx`.
pub(super) fn declare(ctx: &mut Context<'_>) {
    use ParamType as P;
    let list = || P::array_of(P::Any);
    let obj = || P::object_of(P::Any);
    ctx.declare_func("toset", FuncDef::builder().param(list()).build(toset));
    ctx.declare_func("tolist", FuncDef::builder().param(list()).build(tolist));
    ctx.declare_func(
        "length",
        FuncDef::builder()
            .param(P::one_of([list(), obj(), P::String]))
            .build(length),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(list()).build(concat),
    );
    ctx.declare_func("distinct", FuncDef::builder().param(list()).build(distinct));
    ctx.declare_func("flatten", FuncDef::builder().param(list()).build(flatten));
    ctx.declare_func(
        "setproduct",
        FuncDef::builder().variadic_param(list()).build(setproduct),
    );
    ctx.declare_func("keys", FuncDef::builder().param(obj()).build(keys));
    ctx.declare_func("values", FuncDef::builder().param(obj()).build(values));
    ctx.declare_func(
        "lookup",
        FuncDef::builder()
            .param(obj())
            .param(P::String)
            .variadic_param(P::Any)
            .build(lookup),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder().variadic_param(obj()).build(merge),
    );
    ctx.declare_func(
        "contains",
        FuncDef::builder()
            .param(list())
            .param(P::Any)
            .build(contains),
    );
    ctx.declare_func(
        "coalesce",
        FuncDef::builder().variadic_param(P::Any).build(coalesce),
    );
    ctx.declare_func(
        "format",
        FuncDef::builder()
            .param(P::String)
            .variadic_param(P::Any)
            .build(format),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder()
            .param(P::String)
            .param(P::array_of(P::String))
            .build(join),
    );
    ctx.declare_func(
        "split",
        FuncDef::builder()
            .param(P::String)
            .param(P::String)
            .build(split),
    );
    ctx.declare_func("lower", FuncDef::builder().param(P::String).build(lower));
    ctx.declare_func("upper", FuncDef::builder().param(P::String).build(upper));
    ctx.declare_func(
        "zipmap",
        FuncDef::builder()
            .param(P::array_of(P::String))
            .param(list())
            .build(zipmap),
    );
}

fn arg(args: &FuncArgs, i: usize) -> Result<&Value, String> {
    args.get(i)
        .ok_or_else(|| format!("missing argument {}", i + 1))
}

fn array(args: &FuncArgs, i: usize) -> Result<&Vec<Value>, String> {
    arg(args, i)?
        .as_array()
        .ok_or_else(|| format!("argument {} must be a list", i + 1))
}

fn object(args: &FuncArgs, i: usize) -> Result<&hcl::Map<String, Value>, String> {
    arg(args, i)?
        .as_object()
        .ok_or_else(|| format!("argument {} must be a map", i + 1))
}

fn string(args: &FuncArgs, i: usize) -> Result<&str, String> {
    arg(args, i)?
        .as_str()
        .ok_or_else(|| format!("argument {} must be a string", i + 1))
}

/// A total order on values for sets: by their canonical text.
fn sort_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => super::show::show_value(other),
    }
}

/// Distinct elements in order of first occurrence, each with its [`sort_key`].
///
/// Elements are bucketed by their sort key and compared only within a bucket, so this is linear
/// in the number of elements (a scan of everything kept so far made `toset` of 4,000 elements
/// take 0.23 s). Equal values have equal keys; unequal values may share one (`"1"` and `1`),
/// which is why a bucket holds every distinct value with its key.
fn distinct_keyed(items: &[Value]) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::with_capacity(items.len());
    let mut buckets: HashMap<String, Vec<usize>> = HashMap::with_capacity(items.len());
    let mut compared = 0;
    for v in items {
        let key = sort_key(v);
        let bucket = buckets.entry(key.clone()).or_default();
        compared += bucket.len();
        if bucket.iter().any(|&i| out[i].1 == *v) {
            continue;
        }
        bucket.push(out.len());
        out.push((key, v.clone()));
    }
    cost::set_compared(compared);
    out
}

/// Distinct elements, sorted by [`sort_key`] (a set). The sort is stable: unequal elements
/// with the same key keep their order of first occurrence.
pub(super) fn to_set(items: &[Value]) -> Vec<Value> {
    let mut out = distinct_keyed(items);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

fn sorted_object(map: hcl::Map<String, Value>) -> Value {
    let mut map = map;
    map.sort_keys();
    Value::Object(map)
}

fn toset(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(to_set(array(&args, 0)?)))
}

fn tolist(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(array(&args, 0)?.clone()))
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let n = match arg(&args, 0)? {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err("argument must be a list, a map or a string".to_owned()),
    };
    Ok(Value::from(n as u64))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for v in args.iter() {
        match v {
            Value::Array(a) => out.extend(a.iter().cloned()),
            _ => return Err("every argument must be a list".to_owned()),
        }
    }
    Ok(Value::Array(out))
}

fn distinct(args: FuncArgs) -> Result<Value, String> {
    let out = distinct_keyed(array(&args, 0)?);
    Ok(Value::Array(out.into_iter().map(|(_, v)| v).collect()))
}

fn flatten_into(items: &[Value], out: &mut Vec<Value>) {
    for v in items {
        match v {
            Value::Array(inner) => flatten_into(inner, out),
            other => out.push(other.clone()),
        }
    }
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    flatten_into(array(&args, 0)?, &mut out);
    Ok(Value::Array(out))
}

/// The most combinations `setproduct` builds, so a typo cannot exhaust memory.
const MAX_PRODUCT: usize = 100_000;

fn setproduct(args: FuncArgs) -> Result<Value, String> {
    if args.len() < 2 {
        return Err("needs at least two lists".to_owned());
    }
    let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
    for v in args.iter() {
        let Value::Array(items) = v else {
            return Err("every argument must be a list".to_owned());
        };
        if acc.len().saturating_mul(items.len()) > MAX_PRODUCT {
            return Err(format!(
                "the product would have more than {MAX_PRODUCT} elements"
            ));
        }
        acc = acc
            .iter()
            .flat_map(|prefix| {
                items.iter().map(move |item| {
                    let mut p = prefix.clone();
                    p.push(item.clone());
                    p
                })
            })
            .collect();
    }
    Ok(Value::Array(acc.into_iter().map(Value::Array).collect()))
}

fn keys(args: FuncArgs) -> Result<Value, String> {
    let mut k: Vec<String> = object(&args, 0)?.keys().cloned().collect();
    k.sort();
    Ok(Value::Array(k.into_iter().map(Value::String).collect()))
}

fn values(args: FuncArgs) -> Result<Value, String> {
    let o = object(&args, 0)?;
    let mut k: Vec<&String> = o.keys().collect();
    k.sort();
    Ok(Value::Array(
        k.into_iter().filter_map(|k| o.get(k).cloned()).collect(),
    ))
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let o = object(&args, 0)?;
    let key = string(&args, 1)?;
    if args.len() > 3 {
        return Err("takes a map, a key and an optional default".to_owned());
    }
    match (o.get(key), args.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(format!(
            "the map has no key `{key}` and no default was given"
        )),
    }
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = hcl::Map::new();
    for v in args.iter() {
        match v {
            Value::Object(o) => out.extend(o.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Value::Null => {}
            _ => return Err("every argument must be a map".to_owned()),
        }
    }
    Ok(sorted_object(out))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    let needle = arg(&args, 1)?;
    Ok(Value::Bool(array(&args, 0)?.contains(needle)))
}

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "every argument is null or an empty string".to_owned())
}

fn format(args: FuncArgs) -> Result<Value, String> {
    let spec = string(&args, 0)?;
    let mut rest = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars
            .next()
            .ok_or_else(|| "the format ends with a lone `%`".to_owned())?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let v = rest
            .next()
            .ok_or_else(|| format!("not enough arguments for `%{verb}`"))?;
        match (verb, v) {
            ('s' | 'v', Value::String(s)) => out.push_str(s),
            ('v', other) => out.push_str(&super::show::show_value(other)),
            ('s', Value::Number(n)) => out.push_str(&n.to_string()),
            ('s', Value::Bool(b)) => out.push_str(&b.to_string()),
            ('d', Value::Number(n)) if n.is_i64() || n.is_u64() => out.push_str(&n.to_string()),
            ('q', Value::String(s)) => out.push_str(&format!("{s:?}")),
            (verb, v) => {
                return Err(format!(
                    "`%{verb}` cannot format {}",
                    super::show::type_name(v)
                ));
            }
        }
    }
    if rest.next().is_some() {
        return Err("too many arguments for the format".to_owned());
    }
    Ok(Value::String(out))
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let sep = string(&args, 0)?;
    let parts: Vec<&str> = array(&args, 1)?.iter().filter_map(Value::as_str).collect();
    Ok(Value::String(parts.join(sep)))
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let sep = string(&args, 0)?;
    let s = string(&args, 1)?;
    if sep.is_empty() {
        return Err("the separator must not be empty".to_owned());
    }
    Ok(Value::Array(
        s.split(sep).map(|p| Value::String(p.to_owned())).collect(),
    ))
}

fn lower(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(string(&args, 0)?.to_lowercase()))
}

fn upper(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(string(&args, 0)?.to_uppercase()))
}

fn zipmap(args: FuncArgs) -> Result<Value, String> {
    let k = array(&args, 0)?;
    let v = array(&args, 1)?;
    if k.len() != v.len() {
        return Err(format!(
            "the lists have different lengths ({} keys, {} values)",
            k.len(),
            v.len()
        ));
    }
    let map = k
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .zip(v.iter().cloned())
        .collect();
    Ok(sorted_object(map))
}
