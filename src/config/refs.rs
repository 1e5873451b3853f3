//! References: finding them in expressions (before evaluating anything, as Terraform does),
//! checking that each names something declared, and finding cycles among locals and
//! `depends_on`.

use std::collections::BTreeSet;
use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ForExpr, FuncCall, TraversalOperator};
use hcl_edit::visit::{Visit, visit_expr, visit_func_call};

use super::decode::{Attr, Decoded, list};
use super::{DataKind, functions, suggest};
use crate::diag::{Diagnostic, FileId, Span};
use crate::ids::{Address, DeclarationKind};

/// One reference: `local.web_sg`, `data.instances.web.ids`, `each.value`, `var.x`.
#[derive(Debug, Clone)]
pub(super) struct Ref {
    /// The root and the attribute names that follow it directly.
    pub names: Vec<String>,
    /// Byte offset where the reference starts.
    pub start: usize,
    /// The end offset after each name in `names`.
    pub ends: Vec<usize>,
}

impl Ref {
    /// The span of the first `n` names (`local.web_sg` for n = 2).
    pub fn span(&self, file: FileId, n: usize) -> Span {
        let idx = n.min(self.ends.len()).saturating_sub(1);
        let end = self.ends.get(idx).copied().unwrap_or(self.start);
        Span::new(file, self.start..end.max(self.start))
    }

    pub fn root(&self) -> &str {
        self.names.first().map_or("", String::as_str)
    }

    pub fn name(&self, i: usize) -> Option<&str> {
        self.names.get(i).map(String::as_str)
    }
}

/// A function call by name, with the span of the name.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Default)]
struct Collector {
    refs: Vec<Ref>,
    calls: Vec<Call>,
    scope: Vec<String>,
}

impl Visit for Collector {
    fn visit_expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Variable(v) => {
                if !self.scope.iter().any(|s| s == v.as_str()) {
                    let range = v.span().unwrap_or(0..0);
                    self.refs.push(Ref {
                        names: vec![v.as_str().to_owned()],
                        start: range.start,
                        ends: vec![range.end],
                    });
                }
            }
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr {
                    if !self.scope.iter().any(|s| s == v.as_str()) {
                        let range = v.span().unwrap_or(0..0);
                        let mut r = Ref {
                            names: vec![v.as_str().to_owned()],
                            start: range.start,
                            ends: vec![range.end],
                        };
                        for op in &t.operators {
                            match op.value() {
                                TraversalOperator::GetAttr(ident) => {
                                    r.names.push(ident.as_str().to_owned());
                                    r.ends.push(
                                        ident.span().or_else(|| op.span()).map_or(0, |s| s.end),
                                    );
                                }
                                _ => break,
                            }
                        }
                        self.refs.push(r);
                    }
                } else {
                    self.visit_expr(&t.expr);
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(index) = op.value() {
                        self.visit_expr(index);
                    }
                }
            }
            _ => visit_expr(self, expr),
        }
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        self.visit_expr(&node.intro.collection_expr);
        let before = self.scope.len();
        if let Some(k) = &node.intro.key_var {
            self.scope.push(k.as_str().to_owned());
        }
        self.scope.push(node.intro.value_var.as_str().to_owned());
        if let Some(k) = &node.key_expr {
            self.visit_expr(k);
        }
        self.visit_expr(&node.value_expr);
        if let Some(c) = &node.cond {
            self.visit_expr(&c.expr);
        }
        self.scope.truncate(before);
    }

    fn visit_func_call(&mut self, node: &FuncCall) {
        self.calls.push(Call {
            name: node.name.name.as_str().to_owned(),
            span: node.name.name.span().unwrap_or(0..0),
        });
        visit_func_call(self, node);
    }
}

/// Every reference in `expr`, except names bound by `for` expressions.
pub(super) fn references(expr: &Expression) -> Vec<Ref> {
    let mut c = Collector::default();
    c.visit_expr(expr);
    c.refs
}

fn calls(expr: &Expression) -> Vec<Call> {
    let mut c = Collector::default();
    c.visit_expr(expr);
    c.calls
}

/// Where an expression sits, which decides what it may refer to.
#[derive(Clone, Copy)]
struct Place {
    /// `each.*` is available (a block with `for_each`, outside `for_each` itself).
    each: bool,
    /// `data.*` is available (not in variable defaults, provider settings or data filters).
    data: bool,
    /// What to call the place in messages.
    what: &'static str,
}

/// Checks every reference and function call of the configuration, and the cycles. Returns the
/// value spans of attributes with a bad reference: evaluating them would only repeat the problem.
pub(super) fn check(d: &Decoded, diags: &mut Vec<Diagnostic>) -> BTreeSet<Span> {
    let mut poisoned = BTreeSet::new();
    let file_of = |s: Span| s.file;
    for v in d.variables.values() {
        for attr in v.attrs.values().filter(|a| a.name != "type") {
            if let Some(r) = references(&attr.expr).first() {
                let file = attr.value_span.file;
                diags.push(
                    Diagnostic::error(format!("`{}` must be a constant", attr.name))
                        .with_span_label(
                            r.span(file, r.names.len()),
                            "variables are inputs: they cannot refer to other values",
                        )
                        .with_hint("use a literal here, or compute the value in `locals`"),
                );
                poisoned.insert(attr.value_span);
                continue;
            }
            let place = Place {
                each: false,
                data: false,
                what: "variable blocks",
            };
            check_expr(d, attr, place, None, diags, &mut poisoned);
        }
    }
    for p in &d.providers {
        for attr in p.attrs.values() {
            let place = Place {
                each: false,
                data: false,
                what: "provider blocks",
            };
            check_expr(d, attr, place, None, diags, &mut poisoned);
        }
    }
    for attr in d.locals.values() {
        let place = Place {
            each: false,
            data: true,
            what: "locals",
        };
        check_expr(d, attr, place, None, diags, &mut poisoned);
    }
    for block in d.data.values() {
        for attr in block.attrs.values() {
            if attr.name == "provider" {
                check_provider_ref(d, attr, diags);
                continue;
            }
            let place = Place {
                each: false,
                data: false,
                what: "data source filters",
            };
            check_expr(d, attr, place, None, diags, &mut poisoned);
        }
    }
    for res in d.resources.values() {
        let has_for_each = res.block.attrs.contains_key("for_each");
        for attr in res.block.attrs.values() {
            match attr.name.as_str() {
                "provider" => check_provider_ref(d, attr, diags),
                "depends_on" => {
                    depends_on(d, attr, diags);
                }
                "for_each" => {
                    let place = Place {
                        each: false,
                        data: true,
                        what: "`for_each`",
                    };
                    check_expr(d, attr, place, Some(&res.address()), diags, &mut poisoned);
                }
                _ => {
                    let place = Place {
                        each: has_for_each,
                        data: true,
                        what: "blocks without `for_each`",
                    };
                    check_expr(d, attr, place, Some(&res.address()), diags, &mut poisoned);
                }
            }
        }
    }
    local_cycles(d, diags);
    depends_on_cycles(d, diags);
    let _ = file_of;
    poisoned
}

fn check_expr(
    d: &Decoded,
    attr: &Attr,
    place: Place,
    address: Option<&Address>,
    diags: &mut Vec<Diagnostic>,
    poisoned: &mut BTreeSet<Span>,
) {
    let before = diags.len();
    check_expr_inner(d, attr, place, address, diags);
    if diags.len() > before {
        poisoned.insert(attr.value_span);
    }
}

fn check_expr_inner(
    d: &Decoded,
    attr: &Attr,
    place: Place,
    address: Option<&Address>,
    diags: &mut Vec<Diagnostic>,
) {
    let file = attr.value_span.file;
    for call in calls(&attr.expr) {
        if !functions::NAMES.contains(&call.name.as_str()) {
            let mut diag = Diagnostic::error(format!("unknown function `{}`", call.name))
                .with_span_label(
                    Span::new(file, call.span.clone()),
                    "no function by this name",
                );
            diag = match suggest(&call.name, functions::NAMES.iter().copied()) {
                Some(s) => diag.with_hint(format!("did you mean `{s}`?")),
                None => diag.with_hint(format!(
                    "the functions are {}",
                    list(functions::NAMES.iter().copied())
                )),
            };
            diags.push(with_address(diag, address));
        }
    }
    for r in references(&attr.expr) {
        if let Some(diag) = check_ref(d, &r, file, place) {
            diags.push(with_address(diag, address));
        }
    }
}

fn with_address(diag: Diagnostic, address: Option<&Address>) -> Diagnostic {
    match address {
        Some(a) => diag.with_address(a.clone()),
        None => diag,
    }
}

fn unknown(what: String, span: Span, label: String, hint: String) -> Diagnostic {
    Diagnostic::error(format!("unknown reference `{what}`"))
        .with_span_label(span, label)
        .with_hint(hint)
}

fn did_you_mean<'a>(
    prefix: &str,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: String,
) -> String {
    match suggest(name, candidates) {
        Some(s) => format!("did you mean `{prefix}{s}`?"),
        None => otherwise,
    }
}

fn check_ref(d: &Decoded, r: &Ref, file: FileId, place: Place) -> Option<Diagnostic> {
    let root = r.root();
    match root {
        "var" => {
            let Some(name) = r.name(1) else {
                return Some(incomplete(r, file, "var.NAME"));
            };
            if d.variables.contains_key(name) {
                return None;
            }
            Some(unknown(
                format!("var.{name}"),
                r.span(file, 2),
                format!("no variable named `{name}`"),
                did_you_mean(
                    "var.",
                    name,
                    d.variables.keys().map(String::as_str),
                    format!("declare it: `variable \"{name}\" {{}}`"),
                ),
            ))
        }
        "local" => {
            let Some(name) = r.name(1) else {
                return Some(incomplete(r, file, "local.NAME"));
            };
            if d.locals.contains_key(name) {
                return None;
            }
            Some(unknown(
                format!("local.{name}"),
                r.span(file, 2),
                format!("no local value named `{name}`"),
                did_you_mean(
                    "local.",
                    name,
                    d.locals.keys().map(String::as_str),
                    format!("declare it in a `locals {{ {name} = ... }}` block"),
                ),
            ))
        }
        "data" => {
            if !place.data {
                return Some(
                    Diagnostic::error(format!("data sources cannot be used in {}", place.what))
                        .with_span_label(r.span(file, 3), "only known at plan time")
                        .with_hint("use a literal value or a variable here"),
                );
            }
            let (Some(kind), Some(name)) = (r.name(1), r.name(2)) else {
                return Some(incomplete(r, file, "data.KIND.NAME"));
            };
            let Some(k) = DataKind::parse(kind) else {
                return Some(unknown(
                    format!("data.{kind}"),
                    r.span(file, 2),
                    format!("no data source kind `{kind}`"),
                    did_you_mean(
                        "data.",
                        kind,
                        ["instances", "network_interfaces"],
                        "the data source kinds are `instances` and `network_interfaces`".to_owned(),
                    ),
                ));
            };
            if !d.data.contains_key(&(k, name.to_owned())) {
                let names: Vec<&str> = d
                    .data
                    .keys()
                    .filter(|(kk, _)| *kk == k)
                    .map(|(_, n)| n.as_str())
                    .collect();
                return Some(unknown(
                    format!("data.{kind}.{name}"),
                    r.span(file, 3),
                    format!("no `data \"{kind}\"` block named `{name}`"),
                    did_you_mean(
                        &format!("data.{kind}."),
                        name,
                        names,
                        format!("declare it: `data \"{kind}\" \"{name}\" {{ ... }}`"),
                    ),
                ));
            }
            match r.name(3) {
                None => None,
                Some(attr) if attr == "ids" || attr == k.list_attr() => None,
                Some(attr) => Some(unknown(
                    format!("data.{kind}.{name}.{attr}"),
                    r.span(file, 4),
                    format!("a data source has `ids` and `{}`", k.list_attr()),
                    did_you_mean(
                        &format!("data.{kind}.{name}."),
                        attr,
                        ["ids", k.list_attr()],
                        format!("use `.ids` or `.{}`", k.list_attr()),
                    ),
                )),
            }
        }
        "each" => {
            if !place.each {
                return Some(
                    Diagnostic::error(format!("`each` cannot be used in {}", place.what))
                        .with_span_label(r.span(file, 1), "no `for_each` here")
                        .with_hint("`each.key` and `each.value` exist only in blocks that set `for_each`, outside `for_each` itself"),
                );
            }
            match r.name(1) {
                Some("key" | "value") => None,
                Some(other) => Some(unknown(
                    format!("each.{other}"),
                    r.span(file, 2),
                    "`each` has `key` and `value`".to_owned(),
                    did_you_mean(
                        "each.",
                        other,
                        ["key", "value"],
                        "use `each.key` or `each.value`".to_owned(),
                    ),
                )),
                None => Some(incomplete(r, file, "each.key` or `each.value")),
            }
        }
        other => {
            if DeclarationKind::parse(other).is_some() {
                return Some(
                    Diagnostic::error(format!(
                        "`{other}` blocks cannot be referenced in expressions"
                    ))
                    .with_span_label(r.span(file, 2), "not a value")
                    .with_hint("to order operations, list the block in `depends_on`"),
                );
            }
            let hint = if d.variables.contains_key(other) {
                format!("did you mean `var.{other}`?")
            } else if d.locals.contains_key(other) {
                format!("did you mean `local.{other}`?")
            } else {
                did_you_mean(
                    "",
                    other,
                    ["var", "local", "data", "each"],
                    "references start with `var.`, `local.`, `data.` or `each.`".to_owned(),
                )
            };
            Some(unknown(
                other.to_owned(),
                r.span(file, 1),
                format!("nothing is named `{other}`"),
                hint,
            ))
        }
    }
}

fn incomplete(r: &Ref, file: FileId, shape: &str) -> Diagnostic {
    Diagnostic::error(format!("incomplete reference `{}`", r.names.join(".")))
        .with_span_label(r.span(file, r.names.len()), "needs more parts")
        .with_hint(format!("write `{shape}`"))
}

/// `provider = alicloud.ALIAS`: the alias, or `None` when malformed (reported).
pub(super) fn provider_alias(attr: &Attr) -> Result<String, Box<Diagnostic>> {
    let refs = references(&attr.expr);
    match (refs.as_slice(), &attr.expr) {
        ([r], Expression::Traversal(_)) if r.root() == "alicloud" && r.names.len() == 2 => {
            Ok(r.names[1].clone())
        }
        _ => Err(Box::new(Diagnostic::error("`provider` must name a provider as `alicloud.ALIAS`")
            .with_span_label(attr.value_span, "not a provider reference")
            .with_hint("write e.g. `provider = alicloud.shanghai` for `provider \"alicloud\" { alias = \"shanghai\" }`"))),
    }
}

fn declared_aliases(d: &Decoded) -> Vec<String> {
    d.providers
        .iter()
        .filter_map(|p| {
            p.attr("alias")
                .and_then(|a| a.expr.as_str().map(str::to_owned))
        })
        .collect()
}

fn check_provider_ref(d: &Decoded, attr: &Attr, diags: &mut Vec<Diagnostic>) {
    match provider_alias(attr) {
        Err(diag) => diags.push(*diag),
        Ok(alias) => {
            let aliases = declared_aliases(d);
            if !aliases.contains(&alias) {
                diags.push(unknown(
                    format!("alicloud.{alias}"),
                    attr.value_span,
                    format!("no provider with alias `{alias}`"),
                    did_you_mean(
                        "alicloud.",
                        &alias,
                        aliases.iter().map(String::as_str),
                        format!(
                            "declare it: `provider \"alicloud\" {{ alias = \"{alias}\" ... }}`"
                        ),
                    ),
                ));
            }
        }
    }
}

/// The addresses a `depends_on` lists; problems are reported and the bad items skipped.
pub(super) fn depends_on(d: &Decoded, attr: &Attr, diags: &mut Vec<Diagnostic>) -> Vec<Address> {
    let file = attr.value_span.file;
    let Expression::Array(items) = &attr.expr else {
        diags.push(
            Diagnostic::error("`depends_on` must be a list of block addresses")
                .with_span_label(attr.value_span, "not a list")
                .with_hint("write e.g. `depends_on = [membership.bastion]`"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let item_span = Span::new(file, item.span().unwrap_or(0..0));
        let refs = references(item);
        let r = match (refs.as_slice(), item) {
            ([r], Expression::Traversal(_)) if r.names.len() == 2 => r,
            _ => {
                diags.push(
                    Diagnostic::error("`depends_on` items must be block addresses")
                        .with_span_label(item_span, "not an address like `membership.bastion`")
                        .with_hint(
                            "list `membership.NAME`, `membership_set.NAME` or `group_members.NAME`",
                        ),
                );
                continue;
            }
        };
        let Some(kind) = DeclarationKind::parse(r.root()) else {
            diags.push(unknown(
                r.names.join("."),
                item_span,
                format!("`{}` is not a block type that can be depended on", r.root()),
                did_you_mean(
                    "",
                    r.root(),
                    DeclarationKind::ALL.map(DeclarationKind::as_str),
                    "list `membership.NAME`, `membership_set.NAME` or `group_members.NAME`"
                        .to_owned(),
                ),
            ));
            continue;
        };
        let name = &r.names[1];
        if !d.resources.contains_key(&(kind, name.clone())) {
            let names: Vec<&str> = d
                .resources
                .keys()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.as_str())
                .collect();
            diags.push(unknown(
                format!("{}.{name}", kind.as_str()),
                item_span,
                format!("no `{}` block named `{name}`", kind.as_str()),
                did_you_mean(
                    &format!("{}.", kind.as_str()),
                    name,
                    names,
                    "check the block's name".to_owned(),
                ),
            ));
            continue;
        }
        out.push(Address::new(kind, name));
    }
    out
}

/// The strongly connected components with a cycle (more than one node, or a node with an edge
/// to itself), each sorted, in sorted order. petgraph's Kosaraju walks iteratively (its Tarjan
/// recurses), so a long chain of references cannot overflow the stack.
pub(super) fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let graph = petgraph::graph::DiGraph::<(), ()>::from_edges(
        edges
            .iter()
            .enumerate()
            .flat_map(|(from, tos)| tos.iter().map(move |&to| (from as u32, to as u32))),
    );
    let mut out: Vec<Vec<usize>> = petgraph::algo::kosaraju_scc(&graph)
        .into_iter()
        .map(|comp| comp.into_iter().map(|n| n.index()).collect::<Vec<_>>())
        .filter(|comp| comp.len() > 1 || edges[comp[0]].contains(&comp[0]))
        .map(|mut comp| {
            comp.sort_unstable();
            comp
        })
        .collect();
    out.sort();
    out
}

/// The locals each local refers to, by index into `d.locals`.
pub(super) fn local_edges(d: &Decoded) -> Vec<Vec<usize>> {
    d.locals
        .values()
        .map(|attr| {
            let set: BTreeSet<usize> = references(&attr.expr)
                .iter()
                .filter(|r| r.root() == "local")
                .filter_map(|r| r.name(1).and_then(|n| d.locals.get_index_of(n)))
                .collect();
            set.into_iter().collect()
        })
        .collect()
}

fn local_cycles(d: &Decoded, diags: &mut Vec<Diagnostic>) {
    for comp in cycles(&local_edges(d)) {
        let members: Vec<&Attr> = comp
            .iter()
            .filter_map(|&i| d.locals.get_index(i))
            .map(|(_, a)| a)
            .collect();
        let names: Vec<String> = members
            .iter()
            .map(|a| format!("local.{}", a.name))
            .collect();
        let Some(first) = members.first() else {
            continue;
        };
        let mut diag = Diagnostic::error(format!(
            "cycle among local values: {}",
            list(names.iter().map(String::as_str))
        ))
        .with_span_label(
            first.key_span,
            format!("`local.{}` is part of the cycle", first.name),
        );
        for m in &members[1..] {
            diag = diag.with_label(
                m.key_span,
                format!("`local.{}` is part of the cycle", m.name),
            );
        }
        diags.push(
            diag.with_note(format!(
                "{} refer to each other, so none can be evaluated",
                cycle_path(&names)
            ))
            .with_hint("break the cycle: one of these values must not depend on the others"),
        );
    }
}

fn cycle_path(names: &[String]) -> String {
    let mut path: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    if let Some(first) = path.first().cloned() {
        path.push(first);
    }
    path.join(" → ")
}

fn depends_on_cycles(d: &Decoded, diags: &mut Vec<Diagnostic>) {
    let mut sink = Vec::new();
    let edges: Vec<Vec<usize>> = d
        .resources
        .values()
        .map(|res| {
            let Some(attr) = res.block.attr("depends_on") else {
                return Vec::new();
            };
            depends_on(d, attr, &mut sink)
                .iter()
                .filter_map(|a| {
                    a.declaration()
                        .and_then(|k| d.resources.get_index_of(&(k, a.name.to_string())))
                })
                .collect()
        })
        .collect();
    for comp in cycles(&edges) {
        let members: Vec<_> = comp
            .iter()
            .filter_map(|&i| d.resources.get_index(i))
            .map(|(_, r)| r)
            .collect();
        let names: Vec<String> = members.iter().map(|r| r.address().to_string()).collect();
        let Some(first) = members.first() else {
            continue;
        };
        let mut diag = Diagnostic::error(format!(
            "cycle in `depends_on`: {}",
            list(names.iter().map(String::as_str))
        ))
        .with_address(first.address())
        .with_span_label(
            first
                .block
                .attr("depends_on")
                .map_or(first.block.header, |a| a.value_span),
            format!("`{}` is part of the cycle", first.address()),
        );
        for m in &members[1..] {
            diag = diag.with_label(
                m.block
                    .attr("depends_on")
                    .map_or(m.block.header, |a| a.value_span),
                format!("`{}` is part of the cycle", m.address()),
            );
        }
        diags.push(
            diag.with_note(format!(
                "{} wait for each other, so none could ever run",
                cycle_path(&names)
            ))
            .with_hint("remove one of these `depends_on` entries"),
        );
    }
}
