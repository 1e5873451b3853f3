//! `sgform fmt`: golden cases (`testdata/fmt/<case>/{in.hcl, out.hcl}`), a property test that
//! formatting is idempotent, keeps the meaning and every comment, and the real binary's exit
//! codes for `--check` and `--diff`.

use std::path::PathBuf;

use proptest::prelude::*;
use sgform::config::format::format_source;

use crate::diag_golden::assert_golden;
use crate::support::sgform;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(case: &str) {
    let dir = root().join("testdata/fmt").join(case);
    let input = std::fs::read_to_string(dir.join("in.hcl")).unwrap();
    let out = format_source(&input).unwrap();
    assert_golden(&dir.join("out.hcl"), &out);
    assert_eq!(format_source(&out).unwrap(), out, "not idempotent");
    assert_eq!(hcl::parse(&input).unwrap(), hcl::parse(&out).unwrap());
}

macro_rules! fmt_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            check(stringify!($name));
        }
    };
}

fmt_case!(comments_and_alignment);
fmt_case!(already_formatted);
fmt_case!(nested_collections);
fmt_case!(blank_lines_and_empty);
fmt_case!(one_line_collections);

#[test]
fn every_fmt_dir_has_a_case() {
    let source = std::fs::read_to_string(root().join("tests/it/fmt_cases.rs")).unwrap();
    for entry in std::fs::read_dir(root().join("testdata/fmt")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            source.contains(&format!("fmt_case!({name});")),
            "add `fmt_case!({name});`"
        );
    }
}

#[test]
fn already_formatted_input_is_unchanged() {
    let input =
        std::fs::read_to_string(root().join("testdata/fmt/already_formatted/in.hcl")).unwrap();
    assert_eq!(format_source(&input).unwrap(), input);
}

#[test]
fn invalid_hcl_is_an_error_with_a_position() {
    let err = format_source("membership \"x\" {\n  a = \n}\n").unwrap_err();
    assert_eq!(err.line, 2);
}

/// Found by the `fmt` fuzz target: hcl-edit 0.10 re-encodes `"a$${b$$${c"` as `"a$${b$${c"`, which
/// would change the value; `fmt` refuses instead of writing a different configuration.
#[test]
fn fmt_refuses_to_change_the_meaning_of_dollar_escapes() {
    let input = "locals {\ns = \"a$${b$$${c\"\n}\n";
    let err = format_source(input).unwrap_err();
    assert!(err.message.contains("left unchanged"), "{err}");
    // The ordinary escapes are fine.
    let ok = format_source("locals {\ns = \"a$${b} %%{c} \\t\"\n}\n").unwrap();
    assert_eq!(ok, "locals {\n  s = \"a$${b} %%{c} \\t\"\n}\n");
}

// ---- property test ------------------------------------------------------------------------

/// Pieces of a random configuration; rendered with random spacing and comments.
#[derive(Debug, Clone)]
enum Value {
    Str(String),
    Num(u32),
    Bool(bool),
    Ref(&'static str),
    List(Vec<Value>, bool),
    Object(Vec<(String, Value)>, bool),
    Call(&'static str, Vec<Value>, bool),
}

#[derive(Debug, Clone)]
enum Item {
    Attr(String, Value),
    Block(String, Vec<String>, Vec<Item>),
}

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,10}"
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        "[a-z0-9 -]{0,8}".prop_map(Value::Str),
        any::<u32>().prop_map(Value::Num),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just("local.a"), Just("var.b"), Just("each.value")].prop_map(Value::Ref),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..4), any::<bool>())
                .prop_map(|(v, m)| Value::List(v, m)),
            (
                prop::collection::vec((ident(), inner.clone()), 0..4),
                any::<bool>()
            )
                .prop_map(|(v, m)| {
                    let mut seen = std::collections::BTreeSet::new();
                    Value::Object(
                        v.into_iter()
                            .filter(|(k, _)| seen.insert(k.clone()))
                            .collect(),
                        m,
                    )
                }),
            (
                prop_oneof![Just("concat"), Just("toset"), Just("merge")],
                prop::collection::vec(inner, 0..3),
                any::<bool>()
            )
                .prop_map(|(f, a, m)| Value::Call(f, a, m)),
        ]
    })
}

fn items(depth: u32) -> BoxedStrategy<Vec<Item>> {
    let attr = (ident(), value()).prop_map(|(k, v)| Item::Attr(k, v));
    let one = if depth == 0 {
        attr.boxed()
    } else {
        prop_oneof![
            3 => attr,
            1 => (ident(), prop::collection::vec("[a-z]{1,6}", 0..3), items(depth - 1))
                .prop_map(|(i, l, b)| Item::Block(i, l, b)),
        ]
        .boxed()
    };
    prop::collection::vec(one, 0..6)
        .prop_map(|items| {
            // Attribute keys must be unique within a body.
            let mut seen = std::collections::BTreeSet::new();
            items
                .into_iter()
                .filter(|i| match i {
                    Item::Attr(k, _) => seen.insert(k.clone()),
                    Item::Block(..) => true,
                })
                .collect()
        })
        .boxed()
}

/// Renders with "noise" drawn from `noise` (a cycling source of small numbers), so spacing,
/// indentation, blank lines and comments vary; every comment gets a unique tag.
struct Render<'a> {
    noise: &'a [u8],
    pos: usize,
    comments: Vec<String>,
    out: String,
}

impl Render<'_> {
    fn next(&mut self) -> u8 {
        let n = self
            .noise
            .get(self.pos % self.noise.len().max(1))
            .copied()
            .unwrap_or(0);
        self.pos += 1;
        n
    }
    fn spaces(&mut self) -> String {
        " ".repeat(usize::from(self.next() % 3))
    }
    fn comment(&mut self) -> String {
        // Upper case: generated strings are lower case, so a tag is found only in comments.
        let tag = format!("TAG{}", self.comments.len());
        let text = match self.next() % 3 {
            0 => format!("# {tag}"),
            1 => format!("// {tag}"),
            _ => format!("/* {tag} */"),
        };
        self.comments.push(tag);
        text
    }
    fn value(&mut self, v: &Value, out: &mut String) {
        match v {
            Value::Str(s) => out.push_str(&format!("{s:?}")),
            Value::Num(n) => out.push_str(&n.to_string()),
            Value::Bool(b) => out.push_str(&b.to_string()),
            Value::Ref(r) => out.push_str(r),
            Value::List(items, multi) | Value::Call(_, items, multi) => {
                if let Value::Call(f, ..) = v {
                    out.push_str(f);
                    out.push('(');
                } else {
                    out.push('[');
                }
                for (i, item) in items.iter().enumerate() {
                    if *multi {
                        out.push('\n');
                        out.push_str(&" ".repeat(usize::from(self.next() % 7)));
                    } else if i > 0 {
                        out.push_str(&self.spaces());
                    }
                    self.value(item, out);
                    if i + 1 < items.len() || (*multi && self.next().is_multiple_of(2)) {
                        out.push(',');
                    }
                    if *multi && self.next().is_multiple_of(3) {
                        out.push(' ');
                        let c = self.comment();
                        out.push_str(&c);
                    }
                }
                if *multi && !items.is_empty() {
                    out.push('\n');
                }
                out.push(if matches!(v, Value::Call(..)) {
                    ')'
                } else {
                    ']'
                });
            }
            Value::Object(entries, multi) => {
                out.push('{');
                for (i, (k, val)) in entries.iter().enumerate() {
                    if *multi {
                        out.push('\n');
                        out.push_str(&" ".repeat(usize::from(self.next() % 7)));
                    } else {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push_str(&self.spaces());
                    out.push('=');
                    out.push_str(&self.spaces());
                    self.value(val, out);
                    if !*multi && i + 1 < entries.len() {
                        out.push(',');
                    }
                }
                if *multi && !entries.is_empty() {
                    out.push('\n');
                } else if !entries.is_empty() {
                    out.push(' ');
                }
                out.push('}');
            }
        }
    }
    fn items(&mut self, items: &[Item], depth: usize) {
        for item in items {
            for _ in 0..(self.next() % 3) {
                self.out.push('\n');
            }
            if self.next().is_multiple_of(4) {
                self.out.push_str(&" ".repeat(depth * 2));
                let c = self.comment();
                self.out.push_str(&c);
                self.out.push('\n');
            }
            let ind = " ".repeat(usize::from(self.next() % 5) + depth);
            self.out.push_str(&ind);
            match item {
                Item::Attr(k, v) => {
                    self.out.push_str(k);
                    let s = self.spaces();
                    self.out.push_str(&s);
                    self.out.push('=');
                    let s = self.spaces();
                    self.out.push_str(if s.is_empty() { " " } else { &s });
                    let mut text = String::new();
                    self.value(v, &mut text);
                    self.out.push_str(&text);
                }
                Item::Block(ident, labels, body) => {
                    self.out.push_str(ident);
                    for l in labels {
                        self.out.push(' ');
                        self.out.push_str(&format!("{l:?}"));
                    }
                    self.out.push_str(" {");
                    if self.next().is_multiple_of(4) {
                        self.out.push(' ');
                        let c = self.comment();
                        self.out.push_str(&c);
                    }
                    self.out.push('\n');
                    self.items(body, depth + 1);
                    if self.next().is_multiple_of(4) {
                        let c = self.comment();
                        self.out.push_str(&c);
                        self.out.push('\n');
                    }
                    let close = " ".repeat(usize::from(self.next() % 4));
                    self.out.push_str(&close);
                    self.out.push('}');
                }
            }
            if self.next().is_multiple_of(4) {
                let s = self.spaces();
                self.out.push_str(&s);
                self.out.push(' ');
                let c = self.comment();
                if !c.starts_with("/*") {
                    self.out.push_str(&c);
                } else {
                    self.comments.pop();
                }
            }
            self.out.push('\n');
        }
    }
}

fn render(items: &[Item], noise: &[u8]) -> (String, Vec<String>) {
    let mut r = Render {
        noise,
        pos: 0,
        comments: Vec::new(),
        out: String::new(),
    };
    r.items(items, 0);
    (r.out, r.comments)
}

proptest! {
    // `PROPTEST_CASES=N` runs more (the default config reads it); never fewer than 256.
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.max(256), ..ProptestConfig::default() })]

    #[test]
    fn fmt_is_idempotent_keeps_meaning_and_comments(
        items in items(2),
        noise in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let (input, comments) = render(&items, &noise);
        let before = hcl::parse(&input);
        prop_assert!(before.is_ok(), "generator produced invalid HCL:\n{}", input);
        let once = format_source(&input).map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?;
        let twice = format_source(&once).map_err(|e| TestCaseError::fail(format!("{e}\n{once}")))?;
        prop_assert_eq!(&once, &twice, "not idempotent; input:\n{}", input);
        let after = hcl::parse(&once).map_err(|e| TestCaseError::fail(format!("{e}\n{once}")))?;
        prop_assert_eq!(before.unwrap(), after, "meaning changed; input:\n{}\noutput:\n{}", input, once);
        for tag in &comments {
            prop_assert_eq!(once.matches(&format!("{tag} ")).count() + once.matches(&format!("{tag}\n")).count(), 1,
                "comment {} lost or duplicated; input:\n{}\noutput:\n{}", tag, input, once);
        }
        for line in once.lines() {
            let lead = line.len() - line.trim_start().len();
            prop_assert!(lead % 2 == 0 || line.trim_start().starts_with('*') || line.trim().is_empty(),
                "odd indentation in:\n{}", once);
        }
    }
}

// ---- the real binary ----------------------------------------------------------------------

#[test]
fn fmt_check_diff_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let messy =
        "membership \"web\" {\nsecurity_group_id=\"sg-1\" # keep\n  instance_id = \"i-1\"\n}\n";
    let tidy = "membership \"web\" {\n  security_group_id = \"sg-1\" # keep\n  instance_id       = \"i-1\"\n}\n";
    std::fs::write(dir.path().join("a.hcl"), messy).unwrap();
    std::fs::write(dir.path().join("b.hcl"), tidy).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not hcl {").unwrap();

    // --check: exit 1, lists only the file that would change, writes nothing.
    let out = sgform()
        .current_dir(dir.path())
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a.hcl\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.hcl")).unwrap(),
        messy
    );

    // --check --diff: a unified diff as well.
    let out = sgform()
        .current_dir(dir.path())
        .args(["fmt", "--check", "--diff", "a.hcl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--- a/a.hcl\n+++ b/a.hcl\n"), "{stdout}");
    assert!(
        stdout.contains("\n-security_group_id=\"sg-1\" # keep\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n+  security_group_id = \"sg-1\" # keep\n"),
        "{stdout}"
    );

    // Without --check: rewrites, lists the file, exit 0; then --check passes.
    let out = sgform()
        .current_dir(dir.path())
        .arg("fmt")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a.hcl\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.hcl")).unwrap(),
        tidy
    );
    let out = sgform()
        .current_dir(dir.path())
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());

    // A file that does not parse: exit 1, the file untouched, the position named.
    std::fs::write(dir.path().join("bad.hcl"), "membership {\n  a = \n}\n").unwrap();
    let out = sgform()
        .current_dir(dir.path())
        .args(["fmt", "bad.hcl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.hcl") && stderr.contains("line 2"),
        "{stderr}"
    );
}
