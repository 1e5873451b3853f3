//! The Markdown form of a plan, to post as a pull-request comment (what Atlantis and tfcmt add
//! to Terraform): a headline, a one-row summary table, the errors and warnings, then the detail
//! in collapsible `<details>` sections: the API calls of each target in execution order in a
//! `diff` block (GitHub colours `+` join green, `-` leave red and `!` replace orange: its diff
//! colouring knows `!`, not the `~` of the text preview), what changed outside sgform, and
//! what only the state records. A plan without changes is one line, [`text::NO_CHANGES`] (a
//! destroy plan says first that it is one).
//!
//! Safe to post publicly:
//! - every ID goes through the plan's [`Mask`] exactly as in the text and the JSON, and any ID
//!   the mask hides is also replaced inside a diagnostic's text or an address;
//! - the plan holds no credentials, and the renderer reads nothing else but the diagnostics;
//! - nothing that comes from the configuration or the cloud can change the document's shape.
//!   It appears only in fenced code blocks (each line starts with a symbol or an indent, and
//!   the fence is longer than any run of backticks inside, see [`fenced`]), in code spans
//!   ([`code`]) and in
//!   escaped text ([`escaped`]): never in the table, a heading or HTML. Control characters and
//!   bidirectional overrides print escaped ([`plain`]), so a value cannot start a new line or
//!   reorder what a reviewer reads.
//!
//! A large plan is cut to fit one GitHub comment ([`GITHUB_COMMENT_LIMIT`]): the errors come
//! first, then the calls, drift and state entries while they fit, each section saying how many
//! it left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::mask::{Mask, SENSITIVE};
use super::text::{self, ADOPT, count, thousands};
use crate::diag::{Diagnostic, SourceMap};
use crate::ids::{SecurityGroupId, Target};
use crate::plan::model::{Action, Operation, Plan};

/// The diagnostics of the run that made the plan, and the sources their spans point into. A
/// saved plan has none (`sgform plan` saves no plan with errors, and keeps no warnings).
#[derive(Debug, Clone, Copy)]
pub struct Diagnostics<'a> {
    pub list: &'a [Diagnostic],
    pub sources: &'a SourceMap,
}

/// The longest comment GitHub accepts, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What the sections that can grow with the plan (diagnostics, calls, drift, state entries) may
/// use together, leaving room for the fixed parts and the "not shown" notes.
const BUDGET: usize = 60_000;

/// The first line: a hidden marker a CI job can find to update its earlier comment.
pub const MARKER: &str = "<!-- sgform plan -->";

/// Renders `plan` as GitHub-flavoured Markdown, with the run's diagnostics if known.
pub fn render(plan: &Plan, diagnostics: Option<Diagnostics<'_>>) -> String {
    let mask = Masking::of(plan);
    let list = diagnostics.map_or(&[][..], |d| d.list);
    let sources = diagnostics.map(|d| d.sources);
    let errors: Vec<&Diagnostic> = list.iter().filter(|d| d.is_error()).collect();
    let warnings: Vec<&Diagnostic> = list.iter().filter(|d| !d.is_error()).collect();
    let blocked = blocked_targets(plan, &mask);
    let mut budget = BUDGET;

    let mut out = format!("{MARKER}\n### sgform plan\n\n");
    if plan.destroy {
        let heading = text::destroy_heading(plan, |a| code(&shown(&a.to_string(), &mask)));
        let _ = writeln!(out, "**{heading}**\n");
    }
    if errors.is_empty() && blocked.is_empty() && !plan.has_changes() {
        let _ = writeln!(out, "{}", text::summary(plan));
        if !warnings.is_empty() {
            out.push('\n');
            diagnostic_list(&mut out, "Warnings", &warnings, sources, &mask, &mut budget);
        }
        return out;
    }
    if errors.is_empty() {
        let _ = writeln!(out, "**{}**\n", text::summary(plan));
    } else {
        let n = errors.len();
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **{}: this plan cannot be applied.** Fix {} and plan again.\n",
            count(n, "error", "errors"),
            if n == 1 { "it" } else { "them" },
        );
    }
    table(
        &mut out,
        plan,
        diagnostics.map(|_| (errors.len(), warnings.len())),
    );
    if !errors.is_empty() {
        diagnostic_list(&mut out, "Errors", &errors, sources, &mask, &mut budget);
    }
    if !warnings.is_empty() {
        diagnostic_list(&mut out, "Warnings", &warnings, sources, &mask, &mut budget);
    }
    calls(&mut out, plan, &blocked, &mask, &mut budget);
    drift(&mut out, plan, &mask, &mut budget);
    state_only(&mut out, plan, &mask, &mut budget);
    out
}

/// The summary table: one header row, one row of counts. Only numbers and fixed words, so
/// nothing from the configuration can add a cell or a row. `diagnostics`: (errors, warnings),
/// when known.
fn table(out: &mut String, plan: &Plan, diagnostics: Option<(usize, usize)>) {
    let (join, leave, replace) = plan.counts();
    let mut cells = vec![
        ("Join", join),
        ("Leave", leave),
        ("Replace", replace),
        ("Adopt", plan.adopt.len()),
        ("Forget", plan.forget.len()),
        ("Drift", plan.drift.len()),
    ];
    if let Some((errors, warnings)) = diagnostics {
        cells.push(("Errors", errors));
        cells.push(("Warnings", warnings));
    }
    let row = |f: &dyn Fn(&(&str, usize)) -> String| {
        let inner: Vec<String> = cells.iter().map(f).collect();
        format!("| {} |\n", inner.join(" | "))
    };
    out.push_str(&row(&|(name, _)| (*name).to_owned()));
    out.push_str(&row(&|_| "---:".to_owned()));
    out.push_str(&row(&|(_, n)| thousands(*n)));
    out.push('\n');
}

/// A numbered list of diagnostics under a heading: the summary in bold, then where, the notes
/// and the hints. Stops when the budget runs out, saying how many it left out (all of them are
/// on stderr, in the CI job's log).
fn diagnostic_list(
    out: &mut String,
    heading: &str,
    list: &[&Diagnostic],
    sources: Option<&SourceMap>,
    mask: &Masking,
    budget: &mut usize,
) {
    let _ = writeln!(out, "#### {heading}\n");
    let mut shown = 0;
    for (i, d) in list.iter().enumerate() {
        let item = diagnostic(i + 1, d, sources, mask);
        if !spend(budget, item.len()) {
            break;
        }
        out.push_str(&item);
        shown += 1;
    }
    if shown < list.len() {
        let _ = writeln!(
            out,
            "\n… and {} more not shown here; `sgform plan` prints every one on stderr.",
            thousands(list.len() - shown)
        );
    }
    out.push('\n');
}

fn diagnostic(n: usize, d: &Diagnostic, sources: Option<&SourceMap>, mask: &Masking) -> String {
    let marker = format!("{n}. ");
    // Nested items start where the item's text starts, or they would end the list.
    let indent = " ".repeat(marker.len());
    let mut item = format!("{marker}**{}**\n", inline(&mask.text(d.summary.trim())));
    let location = d
        .primary
        .and_then(|span| sources.and_then(|s| s.location(span)));
    let address = d
        .address
        .as_ref()
        .map(|a| code(&shown(&a.to_string(), mask)));
    let location = location.map(|l| code(&shown(&l, mask)));
    let place = match (address, location) {
        (Some(a), Some(l)) => Some(format!("{a} at {l}")),
        (Some(a), None) => Some(a),
        // Without an address, the caret's label says what is wrong there (with one, it only
        // names the declaration again).
        (None, Some(l)) => Some(match &d.primary_label {
            Some(label) => format!("at {l}: {}", inline(&mask.text(label))),
            None => format!("at {l}"),
        }),
        (None, None) => None,
    };
    if let Some(place) = place {
        let _ = writeln!(item, "{indent}- {place}");
    }
    for label in &d.labels {
        if let Some(l) = sources.and_then(|s| s.location(label.span)) {
            let _ = writeln!(
                item,
                "{indent}- {}: {}",
                code(&shown(&l, mask)),
                inline(&mask.text(&label.message))
            );
        }
    }
    for note in &d.notes {
        let _ = writeln!(item, "{indent}- note: {}", inline(&mask.text(note)));
    }
    for hint in &d.hints {
        let _ = writeln!(item, "{indent}- hint: {}", inline(&mask.text(hint)));
    }
    item
}

/// Takes `n` characters from the budget if it has them.
fn spend(budget: &mut usize, n: usize) -> bool {
    if n <= *budget {
        *budget -= n;
        true
    } else {
        false
    }
}

/// The targets the plan would change but no operation does (a rule violation, a cycle, no
/// legal order), each with the lines of what its declarations asked for. One pass over the
/// pairs: a blocked `group_members` of thousands of targets stays linear.
fn blocked_targets<'a>(plan: &'a Plan, mask: &Masking) -> BTreeMap<&'a Target, Vec<String>> {
    let mut blocked: BTreeMap<&Target, Vec<String>> = BTreeMap::new();
    let is_blocked = |t: &Target| !plan.targets.contains_key(t);
    for change in &plan.resource_changes {
        let address = shown(&change.address.to_string(), mask);
        for target in change.replace.iter().filter(|t| is_blocked(t)) {
            blocked.entry(target).or_default();
        }
        for (symbol, verb, pairs) in [
            (Action::Join.symbol(), "join ", &change.join),
            (Action::Leave.symbol(), "leave", &change.leave),
        ] {
            for p in pairs.iter().filter(|p| is_blocked(&p.target)) {
                // Indented, so GitHub leaves them uncoloured: nothing will run.
                blocked.entry(&p.target).or_default().push(format!(
                    "  {symbol} {verb} {}  for {address}",
                    shown(mask.group(&p.security_group_id), mask)
                ));
            }
        }
    }
    blocked
}

/// The `<details>` section of the API calls, grouped by target (targets in the order of their
/// first call, each target's calls in execution order), then the blocked targets.
fn calls(
    out: &mut String,
    plan: &Plan,
    blocked: &BTreeMap<&Target, Vec<String>>,
    mask: &Masking,
    budget: &mut usize,
) {
    if plan.operations.is_empty() && blocked.is_empty() {
        return;
    }
    // BTreeMap by target, then ordered by first index: deterministic and in execution order.
    let mut by_target: BTreeMap<&Target, Vec<usize>> = BTreeMap::new();
    for (i, op) in plan.operations.iter().enumerate() {
        by_target.entry(&op.target).or_default().push(i);
    }
    let mut groups: Vec<(&Target, Vec<usize>)> = by_target.into_iter().collect();
    groups.sort_by_key(|(_, ops)| ops[0]);

    let mut summary = Vec::new();
    if !plan.operations.is_empty() {
        summary.push(format!(
            "{} on {}",
            count(plan.operations.len(), "API call", "API calls"),
            count(groups.len(), "target", "targets")
        ));
    }
    if !blocked.is_empty() {
        summary.push(format!(
            "{} blocked by the errors",
            count(blocked.len(), "target", "targets")
        ));
    }
    let _ = writeln!(
        out,
        "<details><summary>API calls by target: {}</summary>\n",
        summary.join("; ")
    );
    legend(out, plan, !blocked.is_empty());

    let mut lines: Vec<String> = Vec::new();
    let mut shown_targets = 0;
    let mut shown_calls = 0;
    for (target, ops) in &groups {
        let mut block = vec![target_header(plan, target, mask)];
        block.extend(ops.iter().map(|&i| op_line(plan, i, mask)));
        if !spend(budget, block.iter().map(|l| l.len() + 1).sum()) {
            break;
        }
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.extend(block);
        shown_targets += 1;
        shown_calls += ops.len();
    }
    let mut shown_blocked = 0;
    if shown_targets == groups.len() {
        for (target, intents) in blocked {
            let mut block = vec![format!(
                "# {}: blocked by the errors above",
                shown(mask.target(target), mask)
            )];
            block.extend(intents.iter().cloned());
            if !spend(budget, block.iter().map(|l| l.len() + 1).sum()) {
                break;
            }
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.extend(block);
            shown_blocked += 1;
        }
    }
    let left = groups.len() - shown_targets + blocked.len() - shown_blocked;
    if left > 0 {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!(
            "# … {} with {} not shown, to keep this comment within GitHub's limit; \
             the text plan lists them all",
            count(left, "more target", "more targets"),
            count(plan.operations.len() - shown_calls, "API call", "API calls"),
        ));
    }
    fenced(out, "diff", &lines);
    out.push_str("\n</details>\n\n");
}

/// One line saying what the symbols of the calls section mean, only those it uses.
fn legend(out: &mut String, plan: &Plan, blocked: bool) {
    let has = |a: Action| plan.operations.iter().any(|o| o.action == a);
    let mut parts = Vec::new();
    if has(Action::Join) {
        parts.push("`+` join".to_owned());
    }
    if has(Action::Leave) {
        parts.push("`-` leave".to_owned());
    }
    if has(Action::Replace) {
        parts.push(format!(
            "`{REPLACE}` replace the whole set in one call (groups before → after)"
        ));
    }
    if !plan.operations.is_empty() {
        parts.push("`[n]` the call's place in the execution order".to_owned());
    }
    if blocked {
        parts.push("indented lines are blocked: no call is planned".to_owned());
    }
    let _ = writeln!(out, "{}.\n", capitalised(&parts.join(", ")));
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn target_header(plan: &Plan, target: &Target, mask: &Masking) -> String {
    let id = shown(mask.target(target), mask);
    match plan.targets.get(target) {
        Some(t) => format!(
            "# {id} ({}): {} → {} groups",
            shown(t.region.as_str(), mask),
            t.before.len(),
            t.after.len()
        ),
        None => format!("# {id}"),
    }
}

/// The replacement's symbol in a `diff` block: GitHub colours `!` lines (orange), not `~` ones.
const REPLACE: char = '!';

fn op_line(plan: &Plan, i: usize, mask: &Masking) -> String {
    let op = &plan.operations[i];
    let group_list = |list: &[SecurityGroupId]| -> String {
        if list.is_empty() {
            return "(none)".to_owned();
        }
        list.iter()
            .map(|g| shown(mask.group(g), mask))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let group = op
        .security_group_id
        .as_ref()
        .map_or_else(String::new, |g| shown(mask.group(g), mask));
    let (symbol, what) = match op.action {
        Action::Join => (Action::Join.symbol(), format!("join  {group}")),
        Action::Leave => (Action::Leave.symbol(), format!("leave {group}")),
        Action::Replace => (
            REPLACE,
            format!(
                "replace {} → {}",
                group_list(&op.before),
                group_list(&op.after)
            ),
        ),
    };
    let addresses: Vec<String> = op
        .addresses
        .iter()
        .map(|a| shown(&a.to_string(), mask))
        .collect();
    let mut line = format!("{symbol} [{i}] {what}  for {}", addresses.join(", "));
    // Waits on the same target are the order of the block; waits on others are not visible.
    let across: Vec<String> = op
        .depends_on
        .iter()
        .filter(|d| {
            plan.operations
                .get(d.on)
                .is_some_and(|o: &Operation| o.target != op.target)
        })
        .map(|d| format!("[{}] ({})", d.on, d.reason.as_str()))
        .collect();
    if !across.is_empty() {
        let _ = write!(line, "  after {}", across.join(", "));
    }
    line
}

/// The `<details>` section of the memberships that changed outside sgform.
fn drift(out: &mut String, plan: &Plan, mask: &Masking, budget: &mut usize) {
    if plan.drift.is_empty() {
        return;
    }
    let lines = plan.drift.iter().map(|d| {
        let m = &d.membership;
        format!(
            "  {} is no longer in {}, for {}: {}",
            shown(mask.target(&m.target), mask),
            shown(mask.group(&m.security_group_id), mask),
            shown(&m.address.to_string(), mask),
            text::drift_outcome(plan, d)
        )
    });
    section(
        out,
        &format!(
            "Changed outside sgform: {}",
            count(plan.drift.len(), "membership", "memberships")
        ),
        lines,
        plan.drift.len(),
        budget,
    );
}

/// The `<details>` section of what only the state records: adoptions and forgotten entries.
fn state_only(out: &mut String, plan: &Plan, mask: &Masking, budget: &mut usize) {
    if plan.adopt.is_empty() && plan.forget.is_empty() {
        return;
    }
    let entry = |m: &crate::state::ManagedMembership| {
        format!(
            "{} in {}  for {}",
            shown(mask.target(&m.target), mask),
            shown(mask.group(&m.security_group_id), mask),
            shown(&m.address.to_string(), mask)
        )
    };
    let adopt = plan
        .adopt
        .iter()
        .map(|m| format!("{ADOPT} adopt  {}  (already a member)", entry(m)));
    let forget = plan.forget.iter().map(|m| {
        let why = if plan.drift.iter().any(|d| &d.membership == m) {
            "gone from the cloud"
        } else {
            "the pair stays: the configuration keeps it under another address"
        };
        format!("  forget {}  ({why})", entry(m))
    });
    section(
        out,
        &format!(
            "Recorded in the state only, no API call: {} to adopt, {} to forget",
            thousands(plan.adopt.len()),
            thousands(plan.forget.len())
        ),
        adopt.chain(forget),
        plan.adopt.len() + plan.forget.len(),
        budget,
    );
}

/// A `<details>` section holding one `text` block of `lines` (`total` of them), cut when the
/// budget runs out.
fn section(
    out: &mut String,
    summary: &str,
    lines: impl Iterator<Item = String>,
    total: usize,
    budget: &mut usize,
) {
    let mut kept = Vec::new();
    for line in lines {
        if !spend(budget, line.len() + 1) {
            break;
        }
        kept.push(line);
    }
    if kept.len() < total {
        kept.push(format!(
            "… {} not shown, to keep this comment within GitHub's limit",
            count(total - kept.len(), "more entry", "more entries")
        ));
    }
    // `summary` is fixed words and numbers only.
    let _ = writeln!(out, "<details><summary>{summary}</summary>\n");
    fenced(out, "text", &kept);
    out.push_str("\n</details>\n\n");
}

/// A fenced code block of `lines`. The fence is one backtick longer than the longest run of
/// backticks in any line (at least three), so no line can close it; [`plain`] already keeps
/// each value on its line.
pub fn fenced(out: &mut String, info: &str, lines: &[String]) {
    let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{info}");
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// `s` with every ID the mask hides replaced, and kept on one line ([`plain`]): how every
/// value from the configuration or the cloud enters the document.
fn shown(s: &str, mask: &Masking) -> String {
    plain(&mask.text(s))
}

/// The plan's [`Mask`], and the IDs it hides as text, to find them inside other text.
struct Masking {
    mask: Mask,
    hidden: BTreeSet<String>,
}

impl Masking {
    fn of(plan: &Plan) -> Self {
        let mask = Mask::of(plan);
        let hidden = mask.hidden().map(str::to_owned).collect();
        Self { mask, hidden }
    }

    fn group<'b>(&self, id: &'b SecurityGroupId) -> &'b str {
        self.mask.group(id)
    }

    fn target<'b>(&self, target: &'b Target) -> &'b str {
        self.mask.target(target)
    }

    /// Replaces every ID in `s` that the mask hides with [`SENSITIVE`], wherever it stands
    /// (inside a longer word too). The planner already masks its diagnostics; this keeps the
    /// promise for any text the renderer is handed.
    fn text(&self, s: &str) -> String {
        if self.hidden.is_empty() {
            return s.to_owned();
        }
        let bytes = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let (mut copied, mut i) = (0, 0);
        while i < bytes.len() {
            // An ID starts with its prefix; try each length of the letters and digits after it.
            let hit = ["sg-", "eni-", "i-"].iter().find_map(|prefix| {
                if !bytes[i..].starts_with(prefix.as_bytes()) {
                    return None;
                }
                let body = i + prefix.len();
                let len = bytes[body..]
                    .iter()
                    .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    .count();
                // An ASCII prefix and ASCII letters: every end is a character boundary.
                (1..=len)
                    .rev()
                    .map(|l| body + l)
                    .find(|&end| self.hidden.contains(&s[i..end]))
            });
            match hit {
                Some(end) => {
                    out.push_str(&s[copied..i]);
                    out.push_str(SENSITIVE);
                    copied = end;
                    i = end;
                }
                None => i += 1,
            }
        }
        out.push_str(&s[copied..]);
        out
    }
}

/// `s` on one line, unambiguous: control characters (newlines, tabs, escape sequences) and the
/// invisible characters that reorder or hide text (bidirectional controls, zero-width marks)
/// print as Rust escapes, `\n`, `\u{202e}`.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Bidirectional embeddings, overrides and isolates, marks, zero-width characters and the
/// Unicode line and paragraph separators: they change how the text around them shows
/// ("Trojan Source") without showing themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// `s` as Markdown text that shows exactly as [`plain`] gives it: every character that could
/// start emphasis, a link, an image, HTML, an entity, a code span, strikethrough, math or a
/// table cell is backslash-escaped. Meant for the middle of a line (after a list marker or a
/// label), where line-start syntax (`#`, `>`, `-`, `1.`) cannot apply.
pub fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in plain(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '|' | '$' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as a Markdown code span that shows exactly as [`plain`] gives it, whatever backticks it
/// holds: the delimiter is one backtick longer than its longest run, and a space pads content
/// that starts or ends with a backtick or a space (the parser strips one on each side, unless
/// the content is all spaces).
/// Not for table cells, where GitHub splits on `|` even inside code.
pub fn code(s: &str) -> String {
    let content = plain(s);
    if content.is_empty() {
        return "` `".to_owned();
    }
    let delimiter = "`".repeat(longest_run(&content, '`') + 1);
    let pad = !content.chars().all(|c| c == ' ')
        && (content.starts_with(['`', ' ']) || content.ends_with(['`', ' ']));
    let pad = if pad { " " } else { "" };
    format!("{delimiter}{pad}{content}{pad}{delimiter}")
}

/// A diagnostic's text (a summary, note or hint) as Markdown: its `literals in backticks`
/// become code spans ([`code`]), the rest escaped text ([`escaped`]). A backtick run
/// with no closing run of the same length is text, as CommonMark reads it.
pub fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].len() - rest[open..].trim_start_matches('`').len();
        let after = &rest[open + run..];
        match closing_run(after, run) {
            Some(close) => {
                out.push_str(&escaped(&rest[..open]));
                out.push_str(&code(&after[..close]));
                rest = &after[close + run..];
            }
            None => {
                out.push_str(&escaped(&rest[..open + run]));
                rest = after;
            }
        }
    }
    out.push_str(&escaped(rest));
    out
}

/// Where in `s` a run of exactly `n` backticks starts.
fn closing_run(s: &str, n: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let start = i;
            while i < bytes.len() && bytes[i] == b'`' {
                i += 1;
            }
            if i - start == n {
                return Some(start);
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests;
