//! The Markdown renderer, checked against an independent CommonMark/GFM parser
//! (pulldown-cmark): what a hostile value from the configuration or the cloud becomes once
//! GitHub reads it.

use proptest::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::*;
use crate::diag::{Diagnostic, SourceMap, Span};
use crate::ids::Address;
use crate::plan::model::Action;
use crate::plan::render::fixtures::{
    self, BASE, DB, NEW, OLD, SECRET_GROUP, WEB, change, pairs, target, target_change,
};

/// GitHub's dialect, as far as pulldown-cmark has it: tables, strikethrough, task lists,
/// footnotes, math (`$…$`) and alerts.
fn parse(md: &str) -> Vec<Event<'_>> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM;
    Parser::new_ext(md, options).collect()
}

fn render_with(plan: &Plan, diags: &[Diagnostic], sources: &SourceMap) -> String {
    render(
        plan,
        Some(Diagnostics {
            list: diags,
            sources,
        }),
    )
}

#[test]
fn no_changes_is_one_line() {
    assert_eq!(
        render(&Plan::default(), None),
        "<!-- sgform plan -->\n### sgform plan\n\nNo changes. Membership matches the configuration.\n"
    );
    let warning = Diagnostic::warning("`--target membership.x` selects nothing");
    let out = render_with(&Plan::default(), &[warning], &SourceMap::new());
    assert!(out.contains("No changes."), "{out}");
    assert!(
        out.contains("#### Warnings\n\n1. **`--target membership.x` selects nothing**\n"),
        "{out}"
    );
    assert!(!out.contains("| Join"), "no table for no changes:\n{out}");
}

#[test]
fn a_destroy_plan_says_so_first() {
    let destroying = Plan {
        destroy: true,
        ..Plan::default()
    };
    assert_eq!(
        render(&destroying, None),
        "<!-- sgform plan -->\n### sgform plan\n\n**Destroy plan: every membership sgform manages leaves; nothing joins, nothing is adopted.**\n\nNo changes. No managed memberships to destroy.\n"
    );
    let mut swap = fixtures::swap_plan();
    swap.destroy = true;
    let out = render(&swap, None);
    assert!(
        out.starts_with("<!-- sgform plan -->\n### sgform plan\n\n**Destroy plan: "),
        "{out}"
    );
}

#[test]
fn a_swap_shows_the_summary_table_and_the_calls_of_each_target_in_order() {
    let out = render_with(&fixtures::swap_plan(), &[], &SourceMap::new());
    assert_eq!(
        out,
        "<!-- sgform plan -->
### sgform plan

**Plan: 1 to join, 1 to leave, 0 to replace.**

| Join | Leave | Replace | Adopt | Forget | Drift | Errors | Warnings |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 |

<details><summary>API calls by target: 2 API calls on 1 target</summary>

`+` join, `-` leave, `[n]` the call's place in the execution order.

```diff
# i-bp1web0000000001 (cn-hangzhou): 1 → 1 groups
+ [0] join  sg-bp1new0000000001  for membership_set.web
- [1] leave sg-bp1old0000000001  for membership_set.web
```

</details>

"
    );
}

#[test]
fn a_saved_plan_has_no_error_and_warning_columns() {
    let out = render(&fixtures::swap_plan(), None);
    assert!(
        out.contains("| Join | Leave | Replace | Adopt | Forget | Drift |\n"),
        "{out}"
    );
    assert!(!out.contains("Errors"), "{out}");
}

#[test]
fn a_replacement_shows_the_sets_before_and_after_with_a_coloured_symbol() {
    let out = render(&fixtures::replace_plan(), None);
    assert!(
        out.contains(
            "\n! [0] replace sg-bp1old0000000001 → sg-bp1new0000000001  for membership_set.eni\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("`!` replace the whole set in one call"),
        "{out}"
    );
}

#[test]
fn drift_adoption_and_forgotten_entries_have_their_sections() {
    let out = render(&fixtures::drift_plan(), None);
    assert!(
        out.contains("<details><summary>Changed outside sgform: 2 memberships</summary>"),
        "{out}"
    );
    assert!(
        out.contains(
            "  i-bp1web0000000001 is no longer in sg-bp1new0000000001, for membership.web: \
             it is still declared, so this plan joins it again\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  forget i-bp1db00000000001 in sg-bp1old0000000001  for membership.gone  \
             (gone from the cloud)\n"
        ),
        "{out}"
    );
    let out = render(&fixtures::removal_and_adoption_plan(), None);
    assert!(
        out.contains("Recorded in the state only, no API call: 1 to adopt, 0 to forget"),
        "{out}"
    );
    assert!(
        out.contains(
            "= adopt  eni-bp1eni000000001 in sg-bp1base000000001  for membership.existing"
        ),
        "{out}"
    );
}

/// `membership.normal` would join a full group: an error, and no operation for its target.
fn blocked_plan() -> Plan {
    let mut c = change("membership.normal");
    c.after = pairs([(NEW, WEB)]);
    c.join = pairs([(NEW, WEB)]);
    let mut plan = Plan::default();
    plan.resource_changes.push(c);
    plan
}

#[test]
fn errors_come_first_and_say_the_plan_cannot_be_applied() {
    let mut sources = SourceMap::new();
    let file = sources.add(
        "config/main.hcl",
        "membership \"normal\" {\n  security_group_id = \"x\"\n}\n",
    );
    let error = Diagnostic::error(format!(
        "security group `{NEW}` would hold 2 members; its capacity is 1"
    ))
    .with_address(Address::parse("membership.normal").unwrap())
    .with_span(Span::new(file, 0..19))
    .with_note("the API would answer `SecurityGroupInstanceLimitExceeded`")
    .with_hint("move some targets to another group");
    let out = render_with(&blocked_plan(), &[error], &sources);
    let caution = out.find("> [!CAUTION]\n> **1 error: this plan cannot be applied.**");
    let table = out.find("| Join |");
    assert!(caution.is_some() && caution < table, "{out}");
    assert!(
        out.contains(
            "#### Errors

1. **security group `sg-bp1new0000000001` would hold 2 members; its capacity is 1**
   - `membership.normal` at `config/main.hcl:1:1`
   - note: the API would answer `SecurityGroupInstanceLimitExceeded`
   - hint: move some targets to another group
"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "# i-bp1web0000000001: blocked by the errors above
  + join  sg-bp1new0000000001  for membership.normal
"
        ),
        "{out}"
    );
    assert!(
        out.contains("API calls by target: 1 target blocked by the errors"),
        "{out}"
    );
    assert!(!out.contains("**Plan:"), "{out}");
}

#[test]
fn items_past_nine_keep_their_notes_nested() {
    let diags: Vec<Diagnostic> = (0..12)
        .map(|i| Diagnostic::error(format!("problem {i}")).with_note("a note"))
        .collect();
    let out = render_with(&blocked_plan(), &diags, &SourceMap::new());
    let events = parse(&out);
    let lists = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::List(_))))
        .count();
    // One numbered list, and one nested list per item.
    assert_eq!(lists, 1 + 12, "{out}");
}

#[test]
fn sensitive_ids_are_masked_everywhere_diagnostics_included() {
    let plan = fixtures::sensitive_plan();
    let diags = [Diagnostic::error(format!(
        "`{SECRET_GROUP}` is full (also {SECRET_GROUP}, and `x{SECRET_GROUP}`)"
    ))
    .with_note(format!("{DB} would join {SECRET_GROUP}"))];
    let out = render_with(&plan, &diags, &SourceMap::new());
    assert!(!out.contains(SECRET_GROUP), "{out}");
    assert!(out.contains(&format!("`{SENSITIVE}`")), "{out}");
    assert!(out.contains(&format!("+ [0] join  {SENSITIVE}")), "{out}");
    // Inside a longer word too.
    assert!(out.contains(&format!("`x{SENSITIVE}`")), "{out}");
    assert!(
        out.contains(DB),
        "a target that is not sensitive shows:\n{out}"
    );
}

/// Everything that could end a table, a `<details>` block or a fence, or start HTML, a link,
/// emphasis or math.
const HOSTILE: &str = "\"]\n</details>\n\n| a | b |\n|---|---|\n```\n~~~\n<img src=x onerror=alert(1)>\
    <script>x</script> *em* __strong__ [link](https://evil.example) ![i](x) $x$ ~~s~~ [^1] \
    &amp; \\` `` ` \u{202e}reversed\t\r";

/// A plan whose address keys and diagnostics carry [`HOSTILE`].
fn hostile_plan() -> (Plan, Vec<Diagnostic>) {
    let address = Address::new(crate::ids::DeclarationKind::Membership, "web").with_key(HOSTILE);
    let mut plan = fixtures::swap_plan();
    plan.resource_changes[0].address = address.clone();
    for op in &mut plan.operations {
        op.addresses = vec![address.clone()];
    }
    let mut gone = fixtures::managed("membership.gone", OLD, DB);
    gone.address = address.clone();
    plan.drift.push(crate::plan::model::Drift {
        membership: gone.clone(),
        planned_back: false,
    });
    plan.forget.push(gone);
    let mut adopted = fixtures::managed("membership.a", BASE, DB);
    adopted.address = address.clone();
    plan.adopt.push(adopted);
    let diags = vec![
        Diagnostic::error(format!("tag value `{HOSTILE}` is {HOSTILE}"))
            .with_address(address.clone())
            .with_note(HOSTILE)
            .with_hint(format!("`{HOSTILE}")),
        Diagnostic::warning(HOSTILE),
    ];
    (plan, diags)
}

#[test]
fn hostile_values_cannot_break_out_of_the_table_the_details_or_a_fence() {
    let (plan, diags) = hostile_plan();
    let out = render_with(&plan, &diags, &SourceMap::new());
    let events = parse(&out);

    // The only HTML is the renderer's own: the marker and three <details> sections.
    let html: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Html(h) | Event::InlineHtml(h) => Some(h.as_ref()),
            _ => None,
        })
        .collect();
    let expected_html = [
        "<!-- sgform plan -->\n",
        "<details><summary>API calls by target: 2 API calls on 1 target</summary>\n",
        "</details>\n",
        "<details><summary>Changed outside sgform: 1 membership</summary>\n",
        "</details>\n",
        "<details><summary>Recorded in the state only, no API call: 1 to adopt, 1 to forget</summary>\n",
        "</details>\n",
    ];
    assert_eq!(html, expected_html, "{out}");

    // Nothing a value could have made: no link, image, emphasis, strikethrough, math,
    // footnote or line break; the only bold is the renderer's.
    for e in &events {
        let bad = matches!(
            e,
            Event::Start(
                Tag::Link { .. }
                    | Tag::Image { .. }
                    | Tag::Emphasis
                    | Tag::Strikethrough
                    | Tag::FootnoteDefinition(_)
            ) | Event::InlineMath(_)
                | Event::DisplayMath(_)
                | Event::FootnoteReference(_)
                | Event::SoftBreak
                | Event::HardBreak
        );
        assert!(!bad, "{e:?} in:\n{out}");
    }

    // One table: one header row and one body row of eight cells.
    let tables = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
        .count();
    let rows = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::TableRow)))
        .count();
    let cells = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::TableCell)))
        .count();
    assert_eq!((tables, rows, cells), (1, 1, 16), "{out}");

    // Three code blocks, each holding exactly the lines the renderer wrote: the address in
    // them is the escaped display form, whole.
    let mut blocks: Vec<String> = Vec::new();
    let mut inside = false;
    for e in &events {
        match e {
            Event::Start(Tag::CodeBlock(_)) => {
                inside = true;
                blocks.push(String::new());
            }
            Event::End(TagEnd::CodeBlock) => inside = false,
            Event::Text(t) if inside => blocks.last_mut().unwrap().push_str(t),
            _ => {}
        }
    }
    assert_eq!(blocks.len(), 3, "{out}");
    let shown_address = plain(&plan.resource_changes[0].address.to_string());
    assert!(!shown_address.contains('\n'));
    for block in &blocks {
        assert!(block.contains(&shown_address), "{block}\nin:\n{out}");
        assert!(
            block
                .lines()
                .all(|l| l.is_empty() || l.starts_with(['#', '+', '-', '!', '=', ' ', '…'])),
            "{block}"
        );
    }
    assert!(blocks[0].contains(&format!("+ [0] join  {NEW}  for {shown_address}\n")));

    // The diagnostics stay list items: two lists at the top level, nothing after the last
    // `</details>` but the end of the document.
    assert!(out.ends_with("</details>\n\n"), "{out}");
}

#[test]
fn plain_keeps_a_value_on_one_line_and_shows_invisible_characters() {
    assert_eq!(
        plain("a\nb\r\tc\u{1b}[31m\u{202e}d\u{200b}"),
        r"a\nb\r\tc\u{1b}[31m\u{202e}d\u{200b}"
    );
    assert_eq!(plain("sg-bp1 ü ✓ 漢"), "sg-bp1 ü ✓ 漢");
}

#[test]
fn code_spans_hold_any_backticks() {
    assert_eq!(code("sg-1"), "`sg-1`");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("`x"), "`` `x ``");
    assert_eq!(code("a ``` b"), "````a ``` b````");
    assert_eq!(code(""), "` `");
}

#[test]
fn text_escapes_what_would_start_markup() {
    assert_eq!(
        escaped("*a* _b_ [c](d) <e> &f; ~~g~~ |h| $i$ ![j] \\k `l`"),
        r"\*a\* \_b\_ \[c\](d) \<e\> \&f; \~\~g\~\~ \|h\| \$i\$ \!\[j\] \\k \`l\`"
    );
}

#[test]
fn inline_turns_literals_into_code_and_escapes_the_rest() {
    assert_eq!(
        inline("group `sg-1` is <full>"),
        r"group `sg-1` is \<full\>"
    );
    // An unclosed backtick is text; a closed pair with backticks inside stays one span.
    assert_eq!(inline("a ` b"), r"a \` b");
    assert_eq!(inline("``x`y``"), "``x`y``");
}

#[test]
fn a_large_plan_fits_one_github_comment_and_says_what_it_left_out() {
    let mut plan = Plan::default();
    let mut c = change("group_members.all");
    for i in 0..5_000 {
        let t = format!("i-bp1big{i:010}");
        c.join.push(fixtures::pair(NEW, &t));
        plan.operations.push(fixtures::op(
            Action::Join,
            NEW,
            &t,
            &[BASE],
            &[BASE, NEW],
            "group_members.all",
            vec![],
        ));
        plan.targets
            .insert(target(&t), target_change(&[BASE], &[BASE, NEW]));
    }
    c.join.sort();
    c.after = c.join.clone();
    plan.resource_changes.push(c);
    let out = render(&plan, None);
    assert!(out.len() < GITHUB_COMMENT_LIMIT, "{} characters", out.len());
    assert!(out.contains("**Plan: 5,000 to join, 0 to leave, 0 to replace.**"));
    let shown = out.lines().filter(|l| l.starts_with("+ [")).count();
    assert!(shown > 100, "{shown} calls shown");
    let left = 5_000 - shown;
    assert!(
        out.contains(&format!(
            "# … {} more targets with {} API calls not shown",
            thousands(left),
            thousands(left)
        )),
        "{}",
        &out[out.len() - 400..]
    );
    // Still whole: the fence and the section are closed.
    assert!(out.ends_with("```\n\n</details>\n\n"));
}

#[test]
fn a_fence_is_longer_than_any_backticks_inside() {
    let lines = vec![
        "```".to_owned(),
        "``````".to_owned(),
        "</details>".to_owned(),
    ];
    let mut out = String::new();
    fenced(&mut out, "text", &lines);
    assert!(out.starts_with("```````text\n"), "{out}");
    let events = parse(&out);
    assert_eq!(
        events.first(),
        Some(&Event::Start(Tag::CodeBlock(
            pulldown_cmark::CodeBlockKind::Fenced("text".into())
        )))
    );
    let body: String = events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    assert_eq!(body, "```\n``````\n</details>\n");
    assert_eq!(events.last(), Some(&Event::End(TagEnd::CodeBlock)));
}

/// Strings of the characters Markdown and HTML give meaning to, often, and any string.
fn markup() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z `*_~|$!#&<>\\[\\]()/:=\"'\n\r\t\\\\-]{0,40}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn a_code_span_shows_its_content_exactly(s in markup()) {
        let md = format!("x {} y", code(&s));
        let events = parse(&md);
        let spans: Vec<&str> = events
            .iter()
            .filter_map(|e| match e { Event::Code(c) => Some(c.as_ref()), _ => None })
            .collect();
        let expected = plain(&s);
        let expected = if expected.is_empty() { " " } else { expected.as_str() };
        prop_assert_eq!(spans, vec![expected], "{}", md);
    }

    #[test]
    fn escaped_text_shows_as_itself_and_nothing_else(s in markup()) {
        let md = format!("x{}y", escaped(&s));
        let mut shown = String::new();
        for e in parse(&md) {
            match e {
                Event::Text(t) => shown.push_str(&t),
                Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
                other => prop_assert!(false, "{:?} in {}", other, md),
            }
        }
        prop_assert_eq!(shown, format!("x{}y", plain(&s)));
    }

    #[test]
    fn a_diagnostic_line_stays_one_list_item(s in markup()) {
        let md = format!("- note: {}\n", inline(&s));
        for e in parse(&md) {
            let fine = matches!(
                e,
                Event::Text(_)
                    | Event::Code(_)
                    | Event::Start(Tag::List(None) | Tag::Item)
                    | Event::End(TagEnd::List(false) | TagEnd::Item)
            );
            prop_assert!(fine, "{:?} in {}", e, md);
        }
    }
}
