//! `sgform fmt`: canonical formatting on the comment-preserving `hcl_edit` tree.
//!
//! The style is `terraform fmt`'s: two-space indentation by nesting, one space around `=`, and
//! `=` aligned across consecutive single-line attributes (a blank line, a comment line or a
//! multi-line value ends the run). Only whitespace inside the tree's *decor* changes, so every
//! comment and every blank-line grouping survives, and the meaning cannot change (checked by a
//! property test that parses before and after with `hcl`). `hcl::format` is not used: it works
//! on `hcl::Body`, which has no comments.
//!
//! Multi-line lists, objects and function arguments are re-indented; the insides of `for`
//! expressions, conditionals, templates and heredocs are left exactly as written.

use hcl_edit::expr::{Array, Expression, FuncArgs, Object, ObjectValueTerminator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::{Decor, Decorate, RawString};

/// Why a file could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct FormatError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

const INDENT: &str = "  ";

fn indent(depth: usize) -> String {
    INDENT.repeat(depth)
}

/// Formats one file's text. Idempotent: formatting the result again changes nothing.
pub fn format_source(text: &str) -> Result<String, FormatError> {
    let mut body = hcl_edit::parser::parse_body(text).map_err(|e| FormatError {
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_owned(),
    })?;
    format_body(&mut body, 0);
    body.set_prefer_omit_trailing_newline(false);
    let suffix = raw(body.decor().suffix());
    let suffix = reflow_lines(&suffix, "", "");
    body.decor_mut().set_suffix(suffix);
    let out = body.to_string();
    // No blank lines before the first line or after the last one.
    let trimmed = out
        .trim_start_matches(['\n', '\r'])
        .trim_end_matches(['\n', '\r', ' ', '\t']);
    let out = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}\n")
    };
    // `hcl_edit` re-encodes string literals from their values, and 0.10 drops a `$` from
    // `$$${` when it does (found by the `fmt` fuzz target). Never write a file whose meaning
    // changed: compare both versions as `hcl` bodies.
    match (hcl::parse(text), hcl::parse(&out)) {
        (Ok(before), Ok(after)) if before == after => Ok(out),
        _ => Err(FormatError {
            line: 1,
            column: 1,
            message: "formatting would change the meaning of this file (a string with an \
                      escaped `$${` or `%%{` next to another `$` or `%` is re-encoded wrongly \
                      by hcl-edit 0.10); the file was left unchanged"
                .to_owned(),
        }),
    }
}

fn raw(r: Option<&RawString>) -> String {
    r.map(|r| r.to_string()).unwrap_or_default()
}

fn is_comment_start(s: &str) -> bool {
    s.starts_with('#') || s.starts_with("//") || s.starts_with("/*")
}

/// Whitespace-and-comments that start at the beginning of a line (a structure's prefix in a
/// body, a body's suffix before `}`): every line but the last is a full line, re-indented to
/// `inner`; the last one precedes the token and becomes `last`. Lines inside a multi-line
/// `/* */` comment are kept verbatim.
fn reflow_lines(raw: &str, inner: &str, last: &str) -> String {
    let segments: Vec<&str> = raw.split('\n').collect();
    let mut out = Vec::with_capacity(segments.len());
    let mut in_block_comment = false;
    for (i, seg) in segments.iter().enumerate() {
        let is_last = i + 1 == segments.len();
        let seg = seg.trim_end_matches('\r');
        if in_block_comment {
            if seg.contains("*/") {
                in_block_comment = false;
            }
            out.push(if is_last {
                format!("{} ", seg.trim_end())
            } else {
                seg.trim_end().to_owned()
            });
            continue;
        }
        let t = seg.trim();
        if t.starts_with("/*") && !t.contains("*/") {
            in_block_comment = true;
        }
        let text = match (t.is_empty(), is_last) {
            (true, false) => String::new(),
            (true, true) => last.to_owned(),
            (false, false) => format!("{inner}{t}"),
            // A comment right before the token (`/* c */ key`).
            (false, true) => format!("{last}{t} "),
        };
        out.push(text);
    }
    out.join("\n")
}

/// Whitespace-and-comments inside an expression that start on the line of the previous token
/// (after `[`, `(`, `{` or `,`): a comment on that line stays there, full lines are
/// re-indented to `inner`, and the last segment becomes `last`.
fn reflow_inline(raw: &str, inner: &str, last: &str) -> String {
    let Some((first, rest)) = raw.split_once('\n') else {
        return raw.to_owned();
    };
    let first = first.trim();
    let head = if first.is_empty() {
        String::new()
    } else {
        format!(" {first}")
    };
    format!("{head}\n{}", reflow_lines(rest, inner, last))
}

/// A same-line suffix (`# comment` after a value): one space then the comment, or nothing.
fn same_line(raw: &str) -> String {
    let t = raw.trim();
    if t.is_empty() {
        String::new()
    } else {
        format!(" {t}")
    }
}

fn format_body(body: &mut Body, depth: usize) {
    let ind = indent(depth);
    // First pass: decor and nested content; remember what alignment needs.
    struct Line {
        key_width: Option<usize>,
        multi_line: bool,
        breaks_before: bool,
    }
    let mut lines = Vec::with_capacity(body.len());
    for i in 0..body.len() {
        let Some(structure) = body.get_mut(i) else {
            continue;
        };
        let prefix = raw(structure.decor().prefix());
        // Any whole line before the structure (blank or comment) ends an alignment run.
        let breaks_before = prefix.contains('\n');
        let prefix = reflow_lines(&prefix, &ind, &ind);
        let suffix = same_line(&raw(structure.decor().suffix()));
        structure.decor_mut().set_prefix(prefix);
        structure.decor_mut().set_suffix(suffix);
        match structure {
            Structure::Attribute(attr) => {
                attr.key.decor_mut().set_prefix("");
                attr.key.decor_mut().set_suffix(" ");
                attr.value.decor_mut().set_prefix(" ");
                let vs = same_line(&raw(attr.value.decor().suffix()));
                attr.value.decor_mut().set_suffix(vs);
                format_expr(&mut attr.value, depth);
                let multi_line = attr.value.to_string().contains('\n');
                lines.push(Line {
                    key_width: Some(attr.key.as_str().chars().count()),
                    multi_line,
                    breaks_before,
                });
            }
            Structure::Block(block) => {
                block.ident.decor_mut().set_prefix("");
                block.ident.decor_mut().set_suffix(" ");
                for label in &mut block.labels {
                    label.decor_mut().set_prefix("");
                    label.decor_mut().set_suffix(" ");
                }
                let body = &mut block.body;
                if body.prefer_oneline() && body.is_empty() {
                    *body.decor_mut() = Decor::new("", "");
                } else if body.prefer_oneline() {
                    *body.decor_mut() = Decor::new("", "");
                    if let Some(Structure::Attribute(attr)) = body.get_mut(0) {
                        *attr.decor_mut() = Decor::new(" ", " ");
                        attr.key.decor_mut().set_prefix("");
                        attr.key.decor_mut().set_suffix(" ");
                        attr.value.decor_mut().set_prefix(" ");
                        attr.value.decor_mut().set_suffix("");
                    }
                } else {
                    let after_brace = same_line(&raw(body.decor().prefix()));
                    let before_close = raw(body.decor().suffix());
                    let before_close = reflow_lines(&before_close, &indent(depth + 1), &ind);
                    *body.decor_mut() = Decor::new(after_brace, before_close);
                    format_body(body, depth + 1);
                }
                lines.push(Line {
                    key_width: None,
                    multi_line: true,
                    breaks_before,
                });
            }
        }
    }
    // Second pass: align `=` across runs of consecutive attributes.
    let mut start = 0;
    while start < lines.len() {
        let mut end = start;
        if lines[start].key_width.is_some() {
            end = start + 1;
            while end < lines.len()
                && lines[end].key_width.is_some()
                && !lines[end].breaks_before
                && !lines[end - 1].multi_line
            {
                end += 1;
            }
            let width = lines[start..end]
                .iter()
                .filter_map(|l| l.key_width)
                .max()
                .unwrap_or(0);
            for (i, line) in lines.iter().enumerate().take(end).skip(start) {
                if let (Some(w), Some(Structure::Attribute(attr))) =
                    (line.key_width, body.get_mut(i))
                {
                    attr.key.decor_mut().set_suffix(" ".repeat(width - w + 1));
                }
            }
        }
        start = end.max(start + 1);
    }
}

fn format_expr(expr: &mut Expression, depth: usize) {
    match expr {
        Expression::Array(array) => format_array(array, depth),
        Expression::Object(object) => format_object(object, depth),
        Expression::FuncCall(call) => format_args(&mut call.args, depth),
        Expression::Parenthesis(p) => format_expr(p.inner_mut(), depth),
        _ => {}
    }
}

fn format_array(array: &mut Array, depth: usize) {
    let old = array.trailing().to_string();
    let trailing = format_items(array.iter_mut().collect(), &old, depth);
    array.set_trailing(trailing);
}

fn format_args(args: &mut FuncArgs, depth: usize) {
    let old = args.trailing().to_string();
    let trailing = format_items(args.iter_mut().collect(), &old, depth);
    args.set_trailing(trailing);
}

/// Lays out the items of a list or a call's arguments (they share a shape: expressions with
/// decor, then the text before the closing bracket), and returns the new trailing text.
fn format_items(mut items: Vec<&mut Expression>, trailing: &str, depth: usize) -> String {
    let multi_line =
        items.iter().any(|e| raw(e.decor().prefix()).contains('\n')) || trailing.contains('\n');
    let inner = indent(depth + 1);
    for (i, item) in items.iter_mut().enumerate() {
        let prefix = raw(item.decor().prefix());
        let prefix = if prefix.contains('\n') {
            reflow_inline(&prefix, &inner, &inner)
        } else if prefix.trim().is_empty() {
            if i == 0 {
                String::new()
            } else {
                " ".to_owned()
            }
        } else {
            prefix
        };
        let suffix = raw(item.decor().suffix());
        let suffix = if suffix.trim().is_empty() {
            String::new()
        } else {
            suffix
        };
        *item.decor_mut() = Decor::new(prefix, suffix);
        format_expr(item, if multi_line { depth + 1 } else { depth });
    }
    if trailing.contains('\n') {
        reflow_inline(trailing, &inner, &indent(depth))
    } else if trailing.trim().is_empty() {
        String::new()
    } else {
        trailing.to_owned()
    }
}

fn format_object(object: &mut Object, depth: usize) {
    let multi_line = object.iter().any(|(k, v)| {
        raw(k.decor().prefix()).contains('\n') || v.terminator() == ObjectValueTerminator::Newline
    }) || object.trailing().contains('\n');
    if !multi_line {
        // `{role="web"}` becomes `{ role = "web" }`; decor holding a comment is left alone.
        let blank =
            |d: &Decor| raw(d.prefix()).trim().is_empty() && raw(d.suffix()).trim().is_empty();
        let plain = object.trailing().trim().is_empty()
            && object
                .iter()
                .all(|(k, v)| blank(k.decor()) && blank(v.expr().decor()));
        let empty = object.is_empty();
        for (mut key, value) in object.iter_mut() {
            let expr = value.expr_mut();
            if plain {
                *key.decor_mut() = Decor::new(" ", " ");
                *expr.decor_mut() = Decor::new(" ", "");
            }
            format_expr(expr, depth);
        }
        if plain {
            object.set_trailing(if empty { "" } else { " " });
        }
        return;
    }
    let inner = indent(depth + 1);
    struct Item {
        width: usize,
        multi_line: bool,
        breaks_before: bool,
    }
    let mut items = Vec::new();
    // After `{` or a comma the prefix starts on the previous token's line; after a newline
    // terminator it starts at the beginning of a line.
    let mut at_line_start = false;
    for (mut key, value) in object.iter_mut() {
        let prefix = raw(key.decor().prefix());
        let lines: Vec<&str> = prefix.split('\n').collect();
        // The lines wholly between the previous item and this key (blank or comment lines).
        let last = lines.len().saturating_sub(1);
        let first = usize::from(!at_line_start).min(last);
        let full_lines = &lines[first..last];
        let breaks_before = full_lines
            .iter()
            .any(|l| l.trim().is_empty() || is_comment_start(l.trim()));
        let prefix = if at_line_start {
            reflow_lines(&prefix, &inner, &inner)
        } else {
            reflow_inline(&prefix, &inner, &inner)
        };
        at_line_start = value.terminator() == ObjectValueTerminator::Newline;
        *key.decor_mut() = Decor::new("", "");
        let width = match key.get() {
            hcl_edit::expr::ObjectKey::Ident(ident) => ident.as_str().chars().count(),
            hcl_edit::expr::ObjectKey::Expression(e) => e.to_string().chars().count(),
        };
        key.decor_mut().set_prefix(prefix);
        key.decor_mut().set_suffix(" ");
        let expr = value.expr_mut();
        expr.decor_mut().set_prefix(" ");
        let vs = same_line(&raw(expr.decor().suffix()));
        expr.decor_mut().set_suffix(vs);
        format_expr(expr, depth + 1);
        let multi_line = expr.to_string().contains('\n');
        items.push(Item {
            width,
            multi_line,
            breaks_before,
        });
    }
    let trailing = object.trailing().to_string();
    object.set_trailing(if trailing.contains('\n') {
        reflow_inline(&trailing, &inner, &indent(depth))
    } else {
        reflow_lines(&trailing, &inner, &indent(depth))
    });
    if !object.trailing().contains('\n')
        && object
            .iter()
            .last()
            .is_some_and(|(_, v)| v.terminator() != ObjectValueTerminator::Newline)
    {
        // `{\n a = 1 }`: put the closing brace on its own line.
        object.set_trailing(format!("\n{}", indent(depth)));
    }
    // Align `=` across runs of consecutive one-line items.
    let mut start = 0;
    while start < items.len() {
        let mut end = start + 1;
        while end < items.len() && !items[end].breaks_before && !items[end - 1].multi_line {
            end += 1;
        }
        let width = items[start..end].iter().map(|i| i.width).max().unwrap_or(0);
        for (i, (mut key, _)) in object.iter_mut().enumerate() {
            if (start..end).contains(&i) {
                key.decor_mut()
                    .set_suffix(" ".repeat(width - items[i].width + 1));
            }
        }
        start = end;
    }
}
