//! Input variables: declarations, type constraints and values from defaults, the environment
//! (`SGFORM_VAR_name`), the variables files in the configuration directory, `--var-file` and
//! `--var`, with Terraform's precedence (later wins): default < environment < `sgform.tfvars` <
//! `*.auto.tfvars` in lexical order < `--var-file` and `--var` in the order given.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hcl::Value;
use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;

use super::decode::{Attr, Decoded, span};
use super::expr;
use super::show::{show_value, type_name};
use super::suggest;
use crate::diag::{Diagnostic, SourceMap, Span};

/// Where variable values come from, besides defaults. The CLI fills this; `config` never reads
/// the environment itself.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `SGFORM_VAR_name` values, name without the prefix (lowest precedence after defaults).
    pub env: Vec<(String, String)>,
    /// `--var` and `--var-file`, in the order given (later wins).
    pub sources: Vec<VarSource>,
    /// `validate`: a variable without a value is unknown rather than an error, and whatever
    /// depends on it is checked but not evaluated (as `terraform validate` does).
    pub validate_only: bool,
}

/// One command-line source of variable values.
#[derive(Debug, Clone)]
pub enum VarSource {
    /// `--var name=value`.
    Var { name: String, value: String },
    /// `--var-file FILE` (or `sgform.tfvars`, `*.auto.tfvars`), already read: HCL attributes
    /// `name = value`.
    File { path: PathBuf, text: String },
}

impl Inputs {
    /// These inputs with the variables `files` (`(path, text)`, in order) applied before the
    /// command line's: how the loader adds `sgform.tfvars` and `*.auto.tfvars`.
    pub fn after_files(&self, files: Vec<(PathBuf, String)>) -> Inputs {
        let mut sources: Vec<VarSource> = files
            .into_iter()
            .map(|(path, text)| VarSource::File { path, text })
            .collect();
        sources.extend(self.sources.iter().cloned());
        Inputs {
            sources,
            ..self.clone()
        }
    }

    /// Parses `name=value` as `--var` takes it.
    pub fn parse_var(arg: &str) -> Result<VarSource, String> {
        match arg.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => Ok(VarSource::Var {
                name: name.trim().to_owned(),
                value: value.to_owned(),
            }),
            _ => Err(format!(
                "`--var` takes `NAME=VALUE`, found `{arg}`; e.g. `--var region=cn-hangzhou`"
            )),
        }
    }
}

/// A type constraint (`string`, `list(string)`, `set(string)`, `map(string)`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ty {
    Any,
    String,
    Number,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
}

impl Ty {
    fn parse(expr: &Expression) -> Option<Ty> {
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "any" => Some(Ty::Any),
                "string" => Some(Ty::String),
                "number" => Some(Ty::Number),
                "bool" => Some(Ty::Bool),
                _ => None,
            },
            Expression::FuncCall(call) => {
                let [inner] = call.args.iter().collect::<Vec<_>>()[..] else {
                    return None;
                };
                let inner = Box::new(Ty::parse(inner)?);
                match call.name.name.as_str() {
                    "list" => Some(Ty::List(inner)),
                    "set" => Some(Ty::Set(inner)),
                    "map" => Some(Ty::Map(inner)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn show(&self) -> String {
        match self {
            Ty::Any => "any".into(),
            Ty::String => "string".into(),
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::List(t) => format!("list({})", t.show()),
            Ty::Set(t) => format!("set({})", t.show()),
            Ty::Map(t) => format!("map({})", t.show()),
        }
    }

    /// Whether a value of this type is a set (so `for_each` may take it).
    pub fn is_set(&self) -> bool {
        matches!(self, Ty::Set(_))
    }

    /// Converts `v` to this type, as Terraform's conversions do (numbers and bools to strings,
    /// numeric strings to numbers, lists to sets).
    fn convert(&self, v: Value) -> Result<Value, String> {
        let mismatch = |v: &Value| format!("expected {}, found {}", self.show(), type_name(v));
        match (self, v) {
            (Ty::Any, v) => Ok(v),
            (_, Value::Null) => Ok(Value::Null),
            (Ty::String, Value::String(s)) => Ok(Value::String(s)),
            (Ty::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (Ty::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
            (Ty::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (Ty::Number, Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(hcl::Number::from_f64)
                        .map(Value::Number)
                        .ok_or(())
                })
                .map_err(|()| format!("expected a number, found `{s}`")),
            (Ty::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (Ty::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Ty::List(t), Value::Array(items)) => items
                .into_iter()
                .map(|i| t.convert(i))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            (Ty::Set(t), Value::Array(items)) => items
                .into_iter()
                .map(|i| t.convert(i))
                .collect::<Result<Vec<_>, _>>()
                .map(|items| Value::Array(super::functions::to_set(&items))),
            (Ty::Map(t), Value::Object(o)) => {
                let mut out = hcl::Map::new();
                for (k, v) in o {
                    out.insert(k, t.convert(v)?);
                }
                out.sort_keys();
                Ok(Value::Object(out))
            }
            (_, v) => Err(mismatch(&v)),
        }
    }
}

/// A variable after resolution.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    pub description: Option<String>,
    pub sensitive: bool,
    pub ty: Ty,
    pub value: Option<Value>,
}

fn literal_string(attr: Option<&Attr>, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let attr = attr?;
    match attr.expr.as_str() {
        Some(s) => Some(s.to_owned()),
        None => {
            diags.push(
                Diagnostic::error(format!("wrong type for `{}`", attr.name))
                    .with_span_label(attr.value_span, "expected a string literal"),
            );
            None
        }
    }
}

/// Resolves every declared variable's value; problems become diagnostics. Variable files are
/// added to `sources` so their diagnostics can point into them.
pub(super) fn resolve(
    d: &Decoded,
    poisoned: &std::collections::BTreeSet<Span>,
    inputs: &Inputs,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Resolved> {
    let ctx = expr::base_context();
    let mut out: BTreeMap<String, Resolved> = BTreeMap::new();
    let mut headers = BTreeMap::new();
    // Variables given a value that did not fit: reported once, not again as "no value".
    let mut failed = std::collections::BTreeSet::new();
    for (name, block) in &d.variables {
        headers.insert(name.clone(), block.header);
        let description = literal_string(block.attr("description"), diags);
        let sensitive = match block.attr("sensitive") {
            None => false,
            Some(attr) => match attr.expr.as_bool() {
                Some(b) => b,
                None => {
                    diags.push(
                        Diagnostic::error("wrong type for `sensitive`")
                            .with_span_label(attr.value_span, "expected `true` or `false`"),
                    );
                    false
                }
            },
        };
        let ty = match block.attr("type") {
            None => Ty::Any,
            Some(attr) => Ty::parse(&attr.expr).unwrap_or_else(|| {
                diags.push(
                    Diagnostic::error("unsupported type constraint")
                        .with_span_label(attr.value_span, "not a type sgform knows")
                        .with_hint("use `string`, `number`, `bool`, `any`, `list(T)`, `set(T)` or `map(T)`"),
                );
                Ty::Any
            }),
        };
        let value = block
            .attr("default")
            .filter(|attr| !poisoned.contains(&attr.value_span))
            .and_then(|attr| {
                let v = expr::evaluate(&attr.expr, &ctx)
                    .map_err(|e| {
                        diags.push(
                            Diagnostic::error("cannot evaluate the default value")
                                .with_span_label(attr.value_span, e)
                                .with_hint("a default must be a constant"),
                        );
                    })
                    .ok()?;
                ty.convert(v)
                    .map_err(|e| {
                        diags.push(
                            Diagnostic::error(format!(
                                "wrong type for the default of `var.{name}`"
                            ))
                            .with_span_label(attr.value_span, e),
                        );
                    })
                    .ok()
            });
        out.insert(
            name.clone(),
            Resolved {
                description,
                sensitive,
                ty,
                value,
            },
        );
    }

    // Environment: undeclared names are ignored, as Terraform ignores unused TF_VAR_*.
    for (name, raw) in &inputs.env {
        if let Some(var) = out.get_mut(name) {
            match from_text(&var.ty, raw, &ctx) {
                Ok(v) => var.value = Some(v),
                Err(e) => diags.push({
                    failed.insert(name.clone());
                    Diagnostic::error(format!(
                        "invalid value for `var.{name}` from `SGFORM_VAR_{name}`"
                    ))
                    .with_note(redact_if(var.sensitive, e))
                    .with_hint(format!("the variable's type is `{}`", var.ty.show()))
                }),
            }
        }
    }

    for source in &inputs.sources {
        match source {
            VarSource::Var { name, value } => {
                let Some(var) = out.get_mut(name) else {
                    diags.push(undeclared(name, &headers, "--var"));
                    continue;
                };
                match from_text(&var.ty, value, &ctx) {
                    Ok(v) => var.value = Some(v),
                    Err(e) => diags.push({
                        failed.insert(name.clone());
                        Diagnostic::error(format!("invalid value for `var.{name}` from `--var`"))
                            .with_note(redact_if(var.sensitive, e))
                            .with_hint(format!("the variable's type is `{}`", var.ty.show()))
                    }),
                }
            }
            VarSource::File { path, text } => {
                let file = sources.add(path.clone(), text.clone());
                let body = match hcl_edit::parser::parse_body(text) {
                    Ok(b) => b,
                    Err(err) => {
                        // The file does not parse, so its values have no spans: hide the text
                        // of every sensitive variable's assignment by its lines instead.
                        for range in
                            assignments_of(text, |n| out.get(n).is_some_and(|v| v.sensitive))
                        {
                            sources.mask(Span::new(file, range));
                        }
                        let at = err.location().offset().min(text.len());
                        if let Some(d) = super::syntax::explain(file, text, at, err.message()) {
                            diags.push(d);
                            continue;
                        }
                        diags.push(
                            Diagnostic::error("invalid HCL syntax in variable file")
                                .with_span_label(Span::new(file, at..at), err.message().to_owned()),
                        );
                        continue;
                    }
                };
                for structure in body.iter() {
                    let Structure::Attribute(attr) = structure else {
                        let s = span(file, structure.span());
                        diags.push(
                            Diagnostic::error("blocks are not allowed in a variable file")
                                .with_span_label(s, "expected `name = value`"),
                        );
                        continue;
                    };
                    let name = attr.key.as_str();
                    let value_span = span(file, attr.value.span());
                    let Some(var) = out.get_mut(name) else {
                        let mut w =
                            Diagnostic::warning(format!("value for undeclared variable `{name}`"))
                                .with_span_label(
                                    span(file, attr.key.span()),
                                    "no `variable` block has this name",
                                );
                        if let Some(s) = suggest(name, headers.keys().map(String::as_str)) {
                            w = w.with_hint(format!("did you mean `{s}`?"));
                        }
                        diags.push(w);
                        continue;
                    };
                    if var.sensitive {
                        // Whatever diagnostic points into this file later must not show it.
                        sources.mask(value_span);
                    }
                    let mut huge = super::load::HugeIntegers::new(text);
                    hcl_edit::visit::Visit::visit_expr(&mut huge, &attr.value);
                    if !huge.found.is_empty() {
                        failed.insert(name.to_owned());
                        for range in huge.found {
                            diags.push(super::load::huge_integer(Span::new(file, range)));
                        }
                        continue;
                    }
                    let v = expr::evaluate(&attr.value, &ctx).and_then(|v| var.ty.convert(v));
                    match v {
                        Ok(v) => var.value = Some(v),
                        Err(e) => {
                            failed.insert(name.to_owned());
                            diags.push(
                                Diagnostic::error(format!("invalid value for `var.{name}`"))
                                    .with_span_label(value_span, redact_if(var.sensitive, e)),
                            );
                        }
                    }
                }
            }
        }
    }

    for (name, var) in &out {
        if var.value.is_none()
            && !inputs.validate_only
            && !failed.contains(name)
            && let Some(header) = headers.get(name)
        {
            diags.push(
                Diagnostic::error(format!("no value for required variable `{name}`"))
                    .with_span_label(*header, "declared without a default")
                    .with_hint(format!(
                        "pass `--var {name}=VALUE`, set `SGFORM_VAR_{name}`, add `{name} = VALUE` to `sgform.tfvars` (or a `--var-file`), or give it a `default`"
                    )),
            );
        }
    }
    out
}

/// The byte ranges of the values assigned to the names `wanted` picks in `text`, found by
/// lines (for a file that does not parse): from after the `=` of a line `NAME = …` up to the
/// next line that starts another assignment (`IDENT =`), or to the end of the file, so a value
/// spread over several lines is covered too.
fn assignments_of(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<std::ops::Range<usize>> {
    let assignment = |line: &str| -> Option<(String, usize)> {
        let trimmed = line.trim_start();
        let name_len = trimmed
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(trimmed.len());
        let rest = trimmed[name_len..].trim_start();
        (name_len > 0 && rest.starts_with('=') && !rest.starts_with("==")).then(|| {
            let value = rest[1..].trim_start_matches([' ', '\t']);
            (trimmed[..name_len].to_owned(), line.len() - value.len())
        })
    };
    let mut ranges = Vec::new();
    let mut open: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((name, value_at)) = assignment(line) {
            if let Some(start) = open.take() {
                ranges.push(start..offset);
            }
            if wanted(&name) {
                open = Some(offset + value_at);
            }
        }
        offset += line.len();
    }
    if let Some(start) = open {
        ranges.push(start..text.len());
    }
    ranges
}

fn redact_if(sensitive: bool, message: String) -> String {
    if sensitive {
        "the value does not fit the variable's type (the value is sensitive and not shown)"
            .to_owned()
    } else {
        message
    }
}

fn undeclared(name: &str, headers: &BTreeMap<String, Span>, flag: &str) -> Diagnostic {
    let d = Diagnostic::error(format!("`{flag}` sets undeclared variable `{name}`"));
    match suggest(name, headers.keys().map(String::as_str)) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!("declare it: `variable \"{name}\" {{}}`")),
    }
}

/// A value given as text (`--var`, environment): a string as is for `string` and `any`;
/// otherwise parsed as an HCL expression, as Terraform does.
fn from_text(ty: &Ty, raw: &str, ctx: &hcl::eval::Context<'_>) -> Result<Value, String> {
    match ty {
        Ty::String | Ty::Any => Ok(Value::String(raw.to_owned())),
        _ => {
            let expr = hcl_edit::parser::parse_expr(raw)
                .map_err(|e| format!("`{raw}` is not an HCL value: {}", e.message()))?;
            // A bare word parses as a reference, and evaluating it would say "undefined
            // variable": say what is wrong with the value instead.
            if let Some(r) = super::refs::references(&expr).first() {
                let word = r.names.join(".");
                return Err(match ty {
                    Ty::Number => format!("`{raw}` is not a number"),
                    Ty::Bool => format!("`{raw}` is not a bool: write `true` or `false`"),
                    _ => format!(
                        "`{raw}` is not a `{}` value: `{word}` is a bare word; quote strings inside it, like `[\"a\", \"b\"]`",
                        ty.show()
                    ),
                });
            }
            let mut huge = super::load::HugeIntegers::new(raw);
            hcl_edit::visit::Visit::visit_expr(&mut huge, &expr);
            if let Some(range) = huge.found.first() {
                return Err(format!(
                    "`{}` is beyond the 64-bit integer range; integers are exact from -9223372036854775808 to 18446744073709551615",
                    raw.get(range.clone()).unwrap_or(raw)
                ));
            }
            let v = expr::evaluate(&expr, ctx)?;
            ty.convert(v)
        }
    }
}

/// The string leaves of a value (for redacting sensitive values from messages).
pub(super) fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|v| leaves(v, out)),
        Value::Object(o) => o.values().for_each(|v| leaves(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
    let _ = show_value;
}
