//! `sgform generate`: the configuration that declares the memberships that exist (pure).
//!
//! [`generate`] decides what to declare from what the cloud has ([`Observed`]) and what the
//! configuration already declares ([`Existing`]); [`render`] writes it as HCL, formatted exactly
//! as `sgform fmt` formats it (two-space indentation, `=` aligned across runs of attributes), so
//! that `sgform fmt --check` passes on a generated file. Everything is sorted by ID: the same
//! cloud and configuration give the same bytes.
//!
//! The blocks, one per target or per group, are named after that target's or group's ID, so an
//! address says what it manages and stays the same from run to run:
//! - `membership "i-…"`: `for_each` over the target's groups; addresses
//!   `membership.i-…["sg-…"]`;
//! - `membership_set "i-…"`: the target's groups (the selected ones, the others in
//!   `ignore_security_group_ids`);
//! - `group_members "sg-…"`: the group's instances and ENIs.
//!
//! A name the configuration already uses for a block of the same type gets a suffix `_2`, `_3`, …
//! (IDs never contain `_`). Each block has a comment with its target's name and tags.
//!
//! What is left out, and counted in [`Stats`]:
//! - pairs the configuration already manages (a `membership` of the pair, a `membership_set` of
//!   the target unless it ignores the group, a `group_members` of the group). An authoritative
//!   block is left out whole when the configuration already says anything about its target
//!   (or group), or manages one of its pairs: two blocks with authority over one target would
//!   contradict each other, and which of them wins is a decision for a person;
//! - what a cloud service manages: service-managed ENIs (their groups belong to the service)
//!   and pairs in service-managed groups (a `membership_set` lists such a group under
//!   `ignore_security_group_ids`; a `group_members` of one is not written). A
//!   `group_members` block still lists a service-managed ENI among the group's members: being
//!   authoritative, it must name every member for the plan to change nothing.

use std::collections::{BTreeMap, BTreeSet};

use super::Declaration;
use crate::ids::{Address, DeclarationKind, InstanceId, SecurityGroupId, Target};

/// Which declarations a generated file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Additive `membership` blocks, one per target.
    Membership,
    /// Authoritative `membership_set` blocks, one per target.
    MembershipSet,
    /// Authoritative `group_members` blocks, one per group.
    GroupMembers,
}

impl Style {
    /// The block type it writes.
    pub fn kind(self) -> &'static str {
        match self {
            Style::Membership => DeclarationKind::Membership.as_str(),
            Style::MembershipSet => DeclarationKind::MembershipSet.as_str(),
            Style::GroupMembers => DeclarationKind::GroupMembers.as_str(),
        }
    }
}

/// An instance or non-primary ENI as the cloud describes it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedTarget {
    /// `InstanceName` / `NetworkInterfaceName` (may be empty).
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// Its groups now.
    pub groups: Vec<SecurityGroupId>,
    /// An ENI managed by a cloud service.
    pub service_managed: bool,
    /// For an ENI: the instance it is attached to.
    pub instance_id: Option<InstanceId>,
}

/// A security group as the cloud describes it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedGroup {
    pub name: String,
    pub service_managed: bool,
}

/// What exists: the selected targets with their groups, and those groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub targets: BTreeMap<Target, ObservedTarget>,
    pub groups: BTreeMap<SecurityGroupId, ObservedGroup>,
}

/// What to write.
#[derive(Debug, Clone)]
pub struct Request {
    pub style: Style,
    /// `provider = alicloud.ALIAS` in every block; `None`: the default provider.
    pub provider: Option<String>,
    /// `--security-group`: only the pairs in these groups (for `group_members`: these groups,
    /// even one with no members). `None`: every group of the observed targets.
    pub groups: Option<BTreeSet<SecurityGroupId>>,
    /// Comment lines at the top of the file (without `#`; the writer makes them safe).
    pub header: Vec<String>,
}

/// What the configuration declares already.
#[derive(Debug, Clone, Copy)]
pub struct Existing<'a> {
    /// Every declaration, expanded (`Config::expand`).
    pub declarations: &'a [Declaration],
    /// Every block, expanded or not (`Config::blocks`): names a generated block must not take.
    pub blocks: &'a [Address],
}

/// What [`generate`] declared and left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub blocks: usize,
    /// Distinct targets named by the generated blocks.
    pub targets: usize,
    /// Pairs (target in group) the generated blocks declare.
    pub pairs: usize,
    /// Pairs left out because the configuration already declares them, or something about
    /// their target or group that an authoritative block would contradict.
    pub skipped_pairs: usize,
    /// The targets (`membership_set`) or groups (`group_members`) left out whole for that
    /// reason, sorted.
    pub skipped_blocks: Vec<String>,
    /// Pairs left out because a cloud service manages the ENI or the group.
    pub service_managed_pairs: usize,
    /// Blocks whose name was taken by the configuration and got a suffix.
    pub renamed: usize,
}

/// A generated file before it is written: [`render`] turns it into text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Comment lines at the top.
    pub header: Vec<String>,
    pub blocks: Vec<Block>,
}

/// One block: comment lines above it, `KIND "NAME" { attributes }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub comment: Vec<String>,
    pub kind: &'static str,
    pub name: String,
    pub attributes: Vec<(&'static str, Value)>,
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string literal (quoted and escaped when written).
    String(String),
    /// An expression written as is (`each.key`, `alicloud.shanghai`).
    Expression(String),
    /// A list of string literals on one line: `["a", "b"]`.
    List(Vec<String>),
    /// `toset(["a", "b"])` on one line.
    Set(Vec<String>),
    /// A list of string literals one per line, each with an optional comment after it.
    Lines(Vec<(String, Option<String>)>),
}

/// Decides what to declare; see the module docs.
pub fn generate(
    observed: &Observed,
    request: &Request,
    existing: &Existing<'_>,
) -> (Document, Stats) {
    let index = Index::new(existing.declarations);
    let mut names = Names::new(existing.blocks);
    let mut stats = Stats::default();
    let mut blocks = Vec::new();
    let mut targets: BTreeSet<&Target> = BTreeSet::new();
    let selected = |g: &SecurityGroupId| request.groups.as_ref().is_none_or(|s| s.contains(g));
    let managed_group =
        |g: &SecurityGroupId| observed.groups.get(g).is_some_and(|o| o.service_managed);
    let provider = request
        .provider
        .as_ref()
        .map(|a| ("provider", Value::Expression(super::provider_name(Some(a)))));

    match request.style {
        Style::Membership => {
            for (target, o) in &observed.targets {
                let mut groups: Vec<&SecurityGroupId> =
                    o.groups.iter().filter(|g| selected(g)).collect();
                groups.sort();
                groups.dedup();
                if is_eni(target) && o.service_managed {
                    stats.service_managed_pairs += groups.len();
                    continue;
                }
                let mut declared = Vec::new();
                for g in groups {
                    if managed_group(g) {
                        stats.service_managed_pairs += 1;
                    } else if index.manages(g, target) {
                        stats.skipped_pairs += 1;
                    } else {
                        declared.push(g.to_string());
                    }
                }
                if declared.is_empty() {
                    continue;
                }
                stats.pairs += declared.len();
                targets.insert(target);
                let mut attributes = vec![
                    ("for_each", Value::Set(declared)),
                    (
                        "security_group_id",
                        Value::Expression("each.key".to_owned()),
                    ),
                    (target_attr(target), Value::String(target.to_string())),
                ];
                attributes.extend(provider.clone());
                blocks.push(Block {
                    comment: vec![target_comment(target, o, true)],
                    kind: Style::Membership.kind(),
                    name: names.take(Style::Membership.kind(), target.as_str(), &mut stats),
                    attributes,
                });
            }
        }
        Style::MembershipSet => {
            for (target, o) in &observed.targets {
                let mut current: Vec<&SecurityGroupId> = o.groups.iter().collect();
                current.sort();
                current.dedup();
                let chosen: Vec<&SecurityGroupId> =
                    current.iter().copied().filter(|g| selected(g)).collect();
                let set: Vec<&SecurityGroupId> = chosen
                    .iter()
                    .copied()
                    .filter(|g| !managed_group(g))
                    .collect();
                if is_eni(target) && o.service_managed {
                    stats.service_managed_pairs += chosen.len();
                    continue;
                }
                stats.service_managed_pairs += chosen.len() - set.len();
                if set.is_empty() {
                    continue;
                }
                if index.touches_target(target, &current) {
                    stats.skipped_pairs += set.len();
                    stats.skipped_blocks.push(target.to_string());
                    continue;
                }
                let ignore: Vec<String> = current
                    .iter()
                    .filter(|g| !set.contains(g))
                    .map(ToString::to_string)
                    .collect();
                stats.pairs += set.len();
                targets.insert(target);
                let mut attributes = vec![
                    (target_attr(target), Value::String(target.to_string())),
                    (
                        "security_group_ids",
                        Value::List(set.iter().map(ToString::to_string).collect()),
                    ),
                ];
                if !ignore.is_empty() {
                    attributes.push(("ignore_security_group_ids", Value::List(ignore)));
                }
                attributes.extend(provider.clone());
                blocks.push(Block {
                    comment: vec![target_comment(target, o, true)],
                    kind: Style::MembershipSet.kind(),
                    name: names.take(Style::MembershipSet.kind(), target.as_str(), &mut stats),
                    attributes,
                });
            }
        }
        Style::GroupMembers => {
            let groups: BTreeSet<&SecurityGroupId> = match &request.groups {
                Some(chosen) => chosen.iter().collect(),
                None => observed.targets.values().flat_map(|o| &o.groups).collect(),
            };
            for g in groups {
                let members: Vec<(&Target, &ObservedTarget)> = observed
                    .targets
                    .iter()
                    .filter(|(_, o)| o.groups.contains(g))
                    .collect();
                if managed_group(g) {
                    stats.service_managed_pairs += members.len();
                    continue;
                }
                if index.touches_group(g, members.iter().map(|(t, _)| *t)) {
                    stats.skipped_pairs += members.len();
                    stats.skipped_blocks.push(g.to_string());
                    continue;
                }
                let lines = |eni: bool| -> Vec<(String, Option<String>)> {
                    members
                        .iter()
                        .filter(|(t, _)| is_eni(t) == eni)
                        .map(|(t, o)| (t.to_string(), Some(target_comment(t, o, false))))
                        .collect()
                };
                stats.pairs += members.len();
                targets.extend(members.iter().map(|(t, _)| *t));
                let mut attributes = vec![
                    ("security_group_id", Value::String(g.to_string())),
                    ("instance_ids", Value::Lines(lines(false))),
                    ("network_interface_ids", Value::Lines(lines(true))),
                ];
                attributes.extend(provider.clone());
                blocks.push(Block {
                    comment: vec![group_comment(g, observed.groups.get(g), &members)],
                    kind: Style::GroupMembers.kind(),
                    name: names.take(Style::GroupMembers.kind(), g.as_str(), &mut stats),
                    attributes,
                });
            }
        }
    }
    stats.blocks = blocks.len();
    stats.targets = targets.len();
    (
        Document {
            header: request.header.clone(),
            blocks,
        },
        stats,
    )
}

fn is_eni(target: &Target) -> bool {
    matches!(target, Target::NetworkInterface(_))
}

fn target_attr(target: &Target) -> &'static str {
    super::target_attr(target)
}

/// What the configuration already says, indexed by pair, target and group.
struct Index<'a> {
    pairs: BTreeSet<(&'a SecurityGroupId, &'a Target)>,
    /// `membership_set` targets with their ignored groups.
    sets: BTreeMap<&'a Target, &'a BTreeSet<SecurityGroupId>>,
    /// `group_members` groups.
    group_blocks: BTreeSet<&'a SecurityGroupId>,
    /// Instances and ENIs any declaration names.
    targets: BTreeSet<Target>,
    /// Groups any declaration names (not counting `ignore_security_group_ids`).
    groups: BTreeSet<&'a SecurityGroupId>,
}

impl<'a> Index<'a> {
    fn new(declarations: &'a [Declaration]) -> Self {
        let mut index = Index {
            pairs: BTreeSet::new(),
            sets: BTreeMap::new(),
            group_blocks: BTreeSet::new(),
            targets: BTreeSet::new(),
            groups: BTreeSet::new(),
        };
        for d in declarations {
            match d {
                Declaration::Membership(m) => {
                    index.pairs.insert((&m.security_group_id, &m.target));
                    index.targets.insert(m.target.clone());
                    index.groups.insert(&m.security_group_id);
                }
                Declaration::MembershipSet(s) => {
                    index.sets.insert(&s.target, &s.ignore_security_group_ids);
                    index.targets.insert(s.target.clone());
                    index.groups.extend(&s.security_group_ids);
                }
                Declaration::GroupMembers(g) => {
                    index.group_blocks.insert(&g.security_group_id);
                    index.groups.insert(&g.security_group_id);
                    index.targets.extend(g.members());
                }
            }
        }
        index
    }

    /// Whether a declaration decides the pair already.
    fn manages(&self, group: &SecurityGroupId, target: &Target) -> bool {
        self.pairs.contains(&(group, target))
            || self
                .sets
                .get(target)
                .is_some_and(|ignored| !ignored.contains(group))
            || self.group_blocks.contains(group)
    }

    /// Whether a `membership_set` for `target` (now in `current`) could contradict a declaration.
    fn touches_target(&self, target: &Target, current: &[&SecurityGroupId]) -> bool {
        self.targets.contains(target) || current.iter().any(|g| self.manages(g, target))
    }

    /// Whether a `group_members` for `group` (now with `members`) could contradict a
    /// declaration.
    fn touches_group<'t>(
        &self,
        group: &SecurityGroupId,
        mut members: impl Iterator<Item = &'t Target>,
    ) -> bool {
        self.groups.contains(group) || members.any(|t| self.manages(group, t))
    }
}

/// Block names in use, per block type.
struct Names {
    taken: BTreeSet<(String, String)>,
}

impl Names {
    fn new(blocks: &[Address]) -> Self {
        Names {
            taken: blocks
                .iter()
                .map(|a| (a.kind.to_string(), a.name.to_string()))
                .collect(),
        }
    }

    /// `base`, or `base_2`, `base_3`, … when the configuration uses it for a `kind` block.
    fn take(&mut self, kind: &str, base: &str, stats: &mut Stats) -> String {
        let mut name = base.to_owned();
        let mut n = 1;
        while self.taken.contains(&(kind.to_owned(), name.clone())) {
            n += 1;
            name = format!("{base}_{n}");
        }
        if n > 1 {
            stats.renamed += 1;
        }
        self.taken.insert((kind.to_owned(), name.clone()));
        name
    }
}

/// `instance i-…: name = "web-1", tags = { role = "web" }`; `with_id: false` leaves out the
/// kind and ID (inside a list, beside the ID).
fn target_comment(target: &Target, o: &ObservedTarget, with_id: bool) -> String {
    let mut parts = Vec::new();
    if !o.name.is_empty() {
        parts.push(format!("name = {}", quote(&o.name)));
    }
    if !o.tags.is_empty() {
        parts.push(format!("tags = {}", tags(&o.tags)));
    }
    if let Some(i) = &o.instance_id {
        parts.push(format!("attached to {i}"));
    }
    if o.service_managed {
        parts.push("managed by a cloud service".to_owned());
    }
    if parts.is_empty() {
        parts.push("no name, no tags".to_owned());
    }
    let details = parts.join(", ");
    if with_id {
        let kind = if is_eni(target) {
            "network interface"
        } else {
            "instance"
        };
        format!("{kind} {target}: {details}")
    } else {
        details
    }
}

/// `security group sg-…: name = "web", 2 instances, 1 network interface`.
fn group_comment(
    g: &SecurityGroupId,
    o: Option<&ObservedGroup>,
    members: &[(&Target, &ObservedTarget)],
) -> String {
    let count = |eni: bool, one: &str, many: &str| {
        let n = members.iter().filter(|(t, _)| is_eni(t) == eni).count();
        format!("{n} {}", if n == 1 { one } else { many })
    };
    let mut parts = Vec::new();
    if let Some(o) = o.filter(|o| !o.name.is_empty()) {
        parts.push(format!("name = {}", quote(&o.name)));
    }
    parts.push(count(false, "instance", "instances"));
    parts.push(count(true, "network interface", "network interfaces"));
    format!("security group {g}: {}", parts.join(", "))
}

/// `{ env = "prod", "odd key" = "v" }`: HCL object syntax, a key quoted unless it is an
/// identifier.
fn tags(tags: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = tags.iter().map(|(k, v)| tag(k, v)).collect();
    format!("{{ {} }}", items.join(", "))
}

/// `role = "web"`, `"odd key" = "v"`: one tag as an HCL object item.
pub fn tag(key: &str, value: &str) -> String {
    let key = if is_identifier(key) {
        key.to_owned()
    } else {
        quote(key)
    };
    format!("{key} = {}", quote(value))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A character shown as an escape rather than as itself: control characters, line and
/// paragraph separators, the bidirectional overrides that could make a comment read
/// differently from what it says, and U+FFFD (the loader takes it for a file that is not
/// UTF-8).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fffd}'
        )
}

/// `s` as an HCL string literal: `"`, `\`, control characters, line separators, bidirectional
/// overrides and U+FFFD escaped, and `${` / `%{` doubled so that they are text, not a
/// template. Other Unicode is kept as is.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if needs_escape(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn push_escape(out: &mut String, c: char) {
    let n = u32::from(c);
    if n <= 0xffff {
        out.push_str(&format!("\\u{n:04x}"));
    } else {
        out.push_str(&format!("\\U{n:08x}"));
    }
}

/// A comment's text made safe to follow `# `: one line, no character that [`needs_escape`].
/// Text from the cloud reaches comments through [`quote`] already; this guards the rest.
fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_escape(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out.trim_end().to_owned()
}

fn comment_line(out: &mut String, indent: &str, text: &str) {
    let text = comment_text(text);
    if text.is_empty() {
        out.push_str(&format!("{indent}#\n"));
    } else {
        out.push_str(&format!("{indent}# {text}\n"));
    }
}

const INDENT: &str = "  ";

/// The document as HCL text, in `sgform fmt`'s style; empty when there are no blocks and no
/// header.
pub fn render(document: &Document) -> String {
    let mut out = String::new();
    for line in &document.header {
        comment_line(&mut out, "", line);
    }
    for block in &document.blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        for line in &block.comment {
            comment_line(&mut out, "", line);
        }
        out.push_str(&format!("{} {} {{\n", block.kind, quote(&block.name)));
        let values: Vec<(&str, String)> = block
            .attributes
            .iter()
            .map(|(k, v)| (*k, value(v, INDENT)))
            .collect();
        // `sgform fmt` aligns `=` across a run of consecutive attributes; a multi-line value
        // is the last of its run.
        let mut start = 0;
        while start < values.len() {
            let mut end = start;
            while end < values.len() {
                end += 1;
                if values[end - 1].1.contains('\n') {
                    break;
                }
            }
            let width = values[start..end]
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0);
            for (k, v) in &values[start..end] {
                let pad = " ".repeat(width - k.chars().count());
                out.push_str(&format!("{INDENT}{k}{pad} = {v}\n"));
            }
            start = end;
        }
        out.push_str("}\n");
    }
    out
}

/// A value as written after `key = `, at the attribute's indentation `indent`.
fn value(v: &Value, indent: &str) -> String {
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
        format!("[{}]", quoted.join(", "))
    };
    match v {
        Value::String(s) => quote(s),
        Value::Expression(e) => e.clone(),
        Value::List(items) => list(items),
        Value::Set(items) => format!("toset({})", list(items)),
        Value::Lines(items) if items.is_empty() => "[]".to_owned(),
        Value::Lines(items) => {
            let mut s = String::from("[\n");
            for (item, comment) in items {
                s.push_str(&format!("{indent}{INDENT}{},", quote(item)));
                match comment.as_deref().map(comment_text) {
                    Some(c) if !c.is_empty() => s.push_str(&format!(" # {c}\n")),
                    _ => s.push('\n'),
                }
            }
            s.push_str(&format!("{indent}]"));
            s
        }
    }
}

#[cfg(test)]
mod tests;
