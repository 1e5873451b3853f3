//! Decoding parsed files against the schema: which blocks and attributes exist, how many labels
//! each block takes, which attributes are required, and which addresses are declared twice.

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use indexmap::IndexMap;

use super::{DataKind, suggest};
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::ids::{Address, DeclarationKind};

/// One attribute with its spans.
#[derive(Debug, Clone)]
pub(super) struct Attr {
    pub name: String,
    pub expr: Expression,
    /// The key (`security_group_id`).
    pub key_span: Span,
    /// The value expression.
    pub value_span: Span,
}

/// A block with its attributes, decoded but not evaluated.
#[derive(Debug, Clone)]
pub(super) struct RawBlock {
    pub attrs: IndexMap<String, Attr>,
    /// `membership "web"`: the identifier and labels.
    pub header: Span,
}

impl RawBlock {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.get(name)
    }
}

/// A resource-like block (membership, membership_set, group_members).
#[derive(Debug, Clone)]
pub(super) struct Resource {
    pub kind: DeclarationKind,
    pub name: String,
    pub block: RawBlock,
}

impl Resource {
    pub fn address(&self) -> Address {
        Address::new(self.kind, &self.name)
    }
}

/// Everything the files declare, by kind, in file order.
#[derive(Debug, Clone, Default)]
pub(super) struct Decoded {
    pub providers: Vec<RawBlock>,
    pub variables: IndexMap<String, RawBlock>,
    pub locals: IndexMap<String, Attr>,
    pub data: IndexMap<(DataKind, String), RawBlock>,
    pub resources: IndexMap<(DeclarationKind, String), Resource>,
}

const TOP_BLOCKS: &[&str] = &[
    "provider",
    "variable",
    "locals",
    "data",
    "membership",
    "membership_set",
    "group_members",
];

const PROVIDER_ATTRS: &[&str] = &[
    "alias",
    "region",
    "profile",
    "endpoint",
    "sandbox",
    "max_groups_per_target",
    "rate_limit",
];
const VARIABLE_ATTRS: &[&str] = &["type", "default", "description", "sensitive"];
const DATA_INSTANCES_ATTRS: &[&str] = &[
    "vpc_id",
    "tags",
    "status",
    "ids",
    "security_group_id",
    "name_regex",
    "provider",
];
const DATA_ENIS_ATTRS: &[&str] = &[
    "vpc_id",
    "tags",
    "status",
    "ids",
    "security_group_id",
    "instance_id",
    "name_regex",
    "provider",
];
pub(super) fn span(file: FileId, range: Option<Range<usize>>) -> Span {
    Span::new(file, range.unwrap_or(0..0))
}

fn header_span(file: FileId, block: &Block) -> Span {
    let start = block.ident.span().map_or(0, |r| r.start);
    let end = block
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| block.ident.span())
        .map_or(start, |r| r.end);
    Span::new(file, start..end)
}

struct Decoder<'a> {
    file: FileId,
    /// The file's name (`vars.hcl`), for the hint on a file of only attributes.
    name: String,
    diags: &'a mut Vec<Diagnostic>,
    out: &'a mut Decoded,
    first_provider: &'a mut IndexMap<Option<String>, Span>,
}

pub(super) fn decode(
    bodies: &[(FileId, Body)],
    sources: &SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Decoded {
    let mut out = Decoded::default();
    let mut first_provider = IndexMap::new();
    for (file, body) in bodies {
        let name = sources
            .path(*file)
            .and_then(|p| p.file_name())
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut d = Decoder {
            file: *file,
            name,
            diags,
            out: &mut out,
            first_provider: &mut first_provider,
        };
        d.body(body);
    }
    out
}

impl Decoder<'_> {
    fn body(&mut self, body: &Body) {
        // A file of only `name = value` lines is a variables file under the wrong name.
        let only_attributes = body.iter().all(|s| matches!(s, Structure::Attribute(_)));
        let mut hint = Some(if only_attributes {
            let stem = self.name.strip_suffix(".hcl").unwrap_or(&self.name);
            format!(
                "`{}` looks like a variables file: rename it to `{stem}.auto.tfvars` (loaded automatically), or to `{stem}.tfvars` and pass it with -var-file",
                self.name
            )
        } else {
            "put local values in a `locals { ... }` block and inputs in `variable` blocks"
                .to_owned()
        });
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key_span = span(self.file, attr.key.span());
                    let mut d = Diagnostic::error(format!(
                        "unexpected attribute `{}` at the top level",
                        attr.key.as_str()
                    ))
                    .with_span_label(key_span, "attributes belong inside a block");
                    // A variables file's hint once, on its first attribute.
                    let once = if only_attributes {
                        hint.take()
                    } else {
                        hint.clone()
                    };
                    if let Some(hint) = once {
                        d = d.with_hint(hint);
                    }
                    self.diags.push(d);
                }
                Structure::Block(block) => self.block(block),
            }
        }
    }

    fn block(&mut self, block: &Block) {
        let ident = block.ident.as_str();
        let header = header_span(self.file, block);
        let ident_span = span(self.file, block.ident.span());
        match ident {
            "provider" => self.provider(block, header),
            "variable" => self.variable(block, header),
            "locals" => self.locals(block, header),
            "data" => self.data(block, header),
            _ => match DeclarationKind::parse(ident) {
                Some(kind) => self.resource(kind, block, header),
                None => {
                    let mut d = Diagnostic::error(format!("unknown block type `{ident}`"))
                        .with_span_label(ident_span, "not a block sgform knows");
                    d = match suggest(ident, TOP_BLOCKS.iter().copied()) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint(format!(
                            "the block types are {}",
                            list(TOP_BLOCKS.iter().copied())
                        )),
                    };
                    self.diags.push(d);
                }
            },
        }
    }

    /// Checks the label count; returns the labels when right.
    fn labels(&mut self, block: &Block, header: Span, want: &[&str]) -> Option<Vec<String>> {
        let labels: Vec<String> = block.labels.iter().map(|l| l.as_str().to_owned()).collect();
        if labels.len() == want.len() {
            for (label, l) in labels.iter().zip(&block.labels) {
                if label.is_empty() {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "empty label on `{}` block",
                            block.ident.as_str()
                        ))
                        .with_span_label(span(self.file, l.span()), "a name is needed here"),
                    );
                    return None;
                }
            }
            return Some(labels);
        }
        let shape = std::iter::once(block.ident.as_str().to_owned())
            .chain(want.iter().map(|w| format!("\"{w}\"")))
            .collect::<Vec<_>>()
            .join(" ");
        self.diags.push(
            Diagnostic::error(format!(
                "`{}` block takes {} label{}, found {}",
                block.ident.as_str(),
                want.len(),
                if want.len() == 1 { "" } else { "s" },
                labels.len()
            ))
            .with_span_label(header, "wrong number of labels")
            .with_hint(format!("write it as `{shape} {{ ... }}`")),
        );
        None
    }

    /// Collects a block's attributes, reporting unknown ones, nested blocks and missing ones.
    fn attrs(
        &mut self,
        block: &Block,
        header: Span,
        what: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> IndexMap<String, Attr> {
        let mut attrs = IndexMap::new();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    let key_span = span(self.file, attr.key.span());
                    if !allowed.contains(&name) {
                        let mut d =
                            Diagnostic::error(format!("unknown attribute `{name}` in {what}"))
                                .with_span_label(key_span, "not an attribute of this block");
                        d = match suggest(name, allowed.iter().copied()) {
                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                            None => d.with_hint(format!(
                                "the attributes are {}",
                                list(allowed.iter().copied())
                            )),
                        };
                        self.diags.push(d);
                        continue;
                    }
                    attrs.insert(
                        name.to_owned(),
                        Attr {
                            name: name.to_owned(),
                            expr: attr.value.clone(),
                            key_span,
                            value_span: span(self.file, attr.value.span()),
                        },
                    );
                }
                Structure::Block(inner) => {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "unexpected block `{}` in {what}",
                            inner.ident.as_str()
                        ))
                        .with_span_label(header_span(self.file, inner), "blocks cannot nest here")
                        .with_hint(format!(
                            "write `{} = ...` as an attribute if you meant a value",
                            inner.ident.as_str()
                        )),
                    );
                }
            }
        }
        for req in required {
            if !attrs.contains_key(*req) {
                self.diags.push(
                    Diagnostic::error(format!("missing required attribute `{req}` in {what}"))
                        .with_span_label(header, format!("`{req}` is required here"))
                        .with_hint(format!("add `{req} = ...` to the block")),
                );
            }
        }
        attrs
    }

    fn provider(&mut self, block: &Block, header: Span) {
        let Some(labels) = self.labels(block, header, &["alicloud"]) else {
            return;
        };
        if labels[0] != "alicloud" {
            let label_span = span(self.file, block.labels.first().and_then(|l| l.span()));
            self.diags.push(
                Diagnostic::error(format!("unknown provider `{}`", labels[0]))
                    .with_span_label(label_span, "sgform has one provider")
                    .with_hint("write `provider \"alicloud\" { ... }`"),
            );
            return;
        }
        let attrs = self.attrs(block, header, "a `provider` block", PROVIDER_ATTRS, &[]);
        // The alias, if literal, decides duplicates; a non-literal alias is reported by eval.
        let alias = attrs
            .get("alias")
            .and_then(|a| a.expr.as_str().map(str::to_owned));
        if let Some(first) = self.first_provider.get(&alias) {
            let what = match &alias {
                Some(a) => format!("duplicate provider with alias `{a}`"),
                None => "duplicate default provider".to_owned(),
            };
            self.diags.push(
                Diagnostic::error(what)
                    .with_span_label(header, "declared again here")
                    .with_label(*first, "first declared here")
                    .with_hint("give the second provider a different `alias`"),
            );
            return;
        }
        self.first_provider.insert(alias, header);
        self.out.providers.push(RawBlock { attrs, header });
    }

    fn variable(&mut self, block: &Block, header: Span) {
        let Some(labels) = self.labels(block, header, &["NAME"]) else {
            return;
        };
        let attrs = self.attrs(block, header, "a `variable` block", VARIABLE_ATTRS, &[]);
        let name = labels[0].clone();
        if let Some(first) = self.out.variables.get(&name) {
            self.diags
                .push(duplicate(&format!("var.{name}"), header, first.header));
            return;
        }
        self.out.variables.insert(name, RawBlock { attrs, header });
    }

    fn locals(&mut self, block: &Block, header: Span) {
        if self.labels(block, header, &[]).is_none() {
            return;
        }
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str().to_owned();
                    let key_span = span(self.file, attr.key.span());
                    if let Some(first) = self.out.locals.get(&name) {
                        self.diags.push(duplicate(
                            &format!("local.{name}"),
                            key_span,
                            first.key_span,
                        ));
                        continue;
                    }
                    self.out.locals.insert(
                        name.clone(),
                        Attr {
                            name,
                            expr: attr.value.clone(),
                            key_span,
                            value_span: span(self.file, attr.value.span()),
                        },
                    );
                }
                Structure::Block(inner) => {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "unexpected block `{}` in a `locals` block",
                            inner.ident.as_str()
                        ))
                        .with_span_label(header_span(self.file, inner), "blocks cannot nest here")
                        .with_hint("a local value is written `name = expression`"),
                    );
                }
            }
        }
    }

    fn data(&mut self, block: &Block, header: Span) {
        let Some(labels) = self.labels(block, header, &["KIND", "NAME"]) else {
            return;
        };
        let Some(kind) = DataKind::parse(&labels[0]) else {
            let label_span = span(self.file, block.labels.first().and_then(|l| l.span()));
            let kinds = ["instances", "network_interfaces"];
            let mut d = Diagnostic::error(format!("unknown data source `{}`", labels[0]))
                .with_span_label(label_span, "not a data source sgform knows");
            d = match suggest(&labels[0], kinds) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint("the data sources are `instances` and `network_interfaces`"),
            };
            self.diags.push(d);
            return;
        };
        let allowed = match kind {
            DataKind::Instances => DATA_INSTANCES_ATTRS,
            DataKind::NetworkInterfaces => DATA_ENIS_ATTRS,
        };
        let what = format!("a `data \"{}\"` block", kind.as_str());
        let attrs = self.attrs(block, header, &what, allowed, &[]);
        let key = (kind, labels[1].clone());
        if let Some(first) = self.out.data.get(&key) {
            self.diags.push(duplicate(
                &format!("data.{}.{}", kind.as_str(), labels[1]),
                header,
                first.header,
            ));
            return;
        }
        self.out.data.insert(key, RawBlock { attrs, header });
    }

    fn resource(&mut self, kind: DeclarationKind, block: &Block, header: Span) {
        let Some(labels) = self.labels(block, header, &["NAME"]) else {
            return;
        };
        let (allowed, required) = (kind.attributes(), kind.required());
        let what = format!("a `{}` block", kind.as_str());
        let attrs = self.attrs(block, header, &what, allowed, required);
        if let Some(attr) = attrs.get("allow_empty")
            && attr.expr.as_bool().is_none()
        {
            self.diags.push(
                Diagnostic::error("wrong type for `allow_empty`")
                    .with_span_label(attr.value_span, "expected `true` or `false`"),
            );
        }
        let name = labels[0].clone();
        let key = (kind, name.clone());
        if let Some(first) = self.out.resources.get(&key) {
            self.diags.push(duplicate(
                &format!("{}.{name}", kind.as_str()),
                header,
                first.block.header,
            ));
            return;
        }
        self.out.resources.insert(
            key,
            Resource {
                kind,
                name,
                block: RawBlock { attrs, header },
            },
        );
    }
}

fn duplicate(address: &str, here: Span, first: Span) -> Diagnostic {
    Diagnostic::error(format!("duplicate address `{address}`"))
        .with_span_label(here, "declared again here")
        .with_label(first, "first declared here")
        .with_hint("rename one of them; every address must be unique in the configuration")
}

/// `` `a`, `b` and `c` ``.
pub(super) fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
