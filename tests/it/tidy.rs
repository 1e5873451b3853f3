//! Architecture rules enforced by a test, not by review (after rust-analyzer's `tidy.rs`).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

/// Lines of code, with `//` comments dropped, so a rule can be explained in a comment.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
        .filter(|(_, l)| !l.trim().is_empty())
}

#[test]
fn emulator_imports_nothing_from_the_crate() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src/emulator")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("crate::") && !line.contains("crate::emulator")
                || line.contains("sgform::")
            {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the emulator must stay independent of the rest of the crate:\n{}",
        bad.join("\n")
    );
}

#[test]
fn hcl_is_only_used_by_config() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src")) {
        if file.starts_with(root().join("src/config")) || file.ends_with("src/cli/commands/fmt.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("hcl::") || line.contains("hcl_edit::") {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "only `config` parses HCL:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_ignored_or_should_panic_tests() {
    let mut bad = Vec::new();
    let mut files = rust_files(&root().join("src"));
    files.extend(rust_files(&root().join("tests")));
    for file in files {
        if file.ends_with("tests/it/tidy.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("#[ignore") || line.contains("#[should_panic") {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "assert on an `Err` instead of ignoring or expecting a panic:\n{}",
        bad.join("\n")
    );
}

#[test]
fn environment_is_read_only_in_cli_env() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src")) {
        if file.ends_with("src/cli/env.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("env::var") || line.contains("env::vars") {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "read the environment through `cli::env`:\n{}",
        bad.join("\n")
    );
}

/// `plan` is pure except `plan::refresh`: no async runtime, HTTP, filesystem, clock or process
/// environment in the diff, rules, schedule, renderers or plan file; and no code shared with the
/// emulator, whose rules are the independent oracle the planner's are checked against.
#[test]
fn plan_is_pure_except_refresh() {
    const IMPURE: &[&str] = &[
        "tokio",
        "reqwest",
        "hyper",
        "std::fs",
        "std::net",
        "std::env",
        "Instant",
        "SystemTime",
        "async ",
        ".await",
        "crate::cloud",
        "crate::cli",
        "crate::emulator",
    ];
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src/plan")) {
        let name = rel(&file);
        // The one I/O stage, and unit tests (which may use temporary files).
        if name.starts_with("src/plan/refresh") || file.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if let Some(word) = IMPURE.iter().find(|w| line.contains(*w)) {
                bad.push(format!("{name}:{n}: `{word}` in {}", line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "only `plan::refresh` may do I/O, and `plan` shares nothing with the emulator:\n{}",
        bad.join("\n")
    );
}

/// A source file's module path (`src/cloud/api/mod.rs` → `cloud::api`, `src/lib.rs` → ``).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The `use` trees and inline paths of `text` that start at `crate`, `super` or `self`, each as
/// its segments (`use super::{a, b::c};` gives `super::a` and `super::b::c`).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let mut base = prefix.to_vec();
            base.extend(segments(&tree[..open]));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&inner[start..i], &base, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&inner[start..], &base, out);
        } else if !tree.is_empty() {
            let mut path = prefix.to_vec();
            path.extend(segments(tree.split(" as ").next().unwrap_or(tree)));
            out.push(path);
        }
    }
    fn segments(path: &str) -> Vec<String> {
        path.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
    let code: String = code_lines(text)
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            let tree = after[..end].trim();
            if ["crate::", "super::", "self::"]
                .iter()
                .any(|p| tree.starts_with(p))
            {
                expand(tree, &[], &mut out);
            }
        }
        rest = &after[end.min(after.len())..];
    }
    // Paths written inline, outside `use` (`crate::plan::Plan::default()`).
    for start in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(start) {
            let tail = &rest[at..];
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push(segments(&tail[..len]));
            rest = &tail[len..];
        }
    }
    out
}

/// Which module (file) of `modules` a path written in module `from` names: the longest known
/// prefix, after resolving `crate`, `super` and `self`.
fn resolve(from: &str, path: &[String], modules: &[String]) -> Option<String> {
    let mut base: Vec<&str> = if from.is_empty() {
        Vec::new()
    } else {
        from.split("::").collect()
    };
    let mut segs = path.iter().map(String::as_str).peekable();
    match segs.next()? {
        "crate" => base.clear(),
        "self" => {}
        "super" => {
            // `super` in `x/y.rs` and in `x/y/mod.rs` is `x`.
            base.pop();
            while segs.peek() == Some(&"super") {
                segs.next();
                base.pop();
            }
        }
        _ => return None,
    }
    let mut best = base.join("::");
    for seg in segs {
        base.push(seg);
        let candidate = base.join("::");
        if modules.contains(&candidate) {
            best = candidate;
        } else {
            break;
        }
    }
    Some(best)
}

/// Every module of `src/` but tests, with the modules it imports (ancestors and descendants
/// left out: a `mod.rs` re-exporting its children and a child using its parent's types is
/// structure, not a circle).
fn module_imports() -> Vec<(String, PathBuf, std::collections::BTreeSet<String>)> {
    let files: Vec<PathBuf> = rust_files(&root().join("src"))
        .into_iter()
        .filter(|f| !f.ends_with("tests.rs") && !f.to_string_lossy().contains("/tests/"))
        .collect();
    let modules: Vec<String> = files.iter().map(|f| module_of(f)).collect();
    let related = |a: &str, b: &str| {
        a == b
            || a.is_empty()
            || b.is_empty()
            || b.starts_with(&format!("{a}::"))
            || a.starts_with(&format!("{b}::"))
    };
    files
        .iter()
        .zip(&modules)
        .map(|(file, module)| {
            let text = std::fs::read_to_string(file).unwrap();
            let imports = crate_paths(&text)
                .iter()
                .filter_map(|p| resolve(module, p, &modules))
                .filter(|to| !related(module, to))
                .collect();
            (module.clone(), file.clone(), imports)
        })
        .collect()
}

/// No two files import each other, directly or round a circle: each layer can be read, tested
/// and moved without the others it does not name.
#[test]
fn no_import_circles_between_files() {
    use petgraph::graph::DiGraph;
    let imports = module_imports();
    let mut graph = DiGraph::<String, ()>::new();
    let index: std::collections::BTreeMap<String, _> = imports
        .iter()
        .map(|(m, _, _)| (m.clone(), graph.add_node(m.clone())))
        .collect();
    for (from, _, tos) in &imports {
        for to in tos {
            if let (Some(&a), Some(&b)) = (index.get(from), index.get(to)) {
                graph.add_edge(a, b, ());
            }
        }
    }
    let circles: Vec<String> = petgraph::algo::tarjan_scc(&graph)
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .map(|scc| {
            let mut names: Vec<&str> = scc.iter().map(|&n| graph[n].as_str()).collect();
            names.sort_unstable();
            names.join(" ↔ ")
        })
        .collect();
    assert!(
        circles.is_empty(),
        "files that import each other (move what both need to where both can import it):\n{}",
        circles.join("\n")
    );
}

/// The layers, bottom up: each top-level module and the crate modules it may import. `cli` may
/// import anything and nothing may import `cli`; the `ops` layer is the library's front door.
const LAYERS: &[(&str, &[&str])] = &[
    ("ids", &[]),
    ("fsutil", &[]),
    ("emulator", &[]),
    ("diag", &["ids"]),
    ("cloud", &["ids"]),
    ("state", &["ids", "fsutil"]),
    ("config", &["ids", "diag"]),
    ("plan", &["ids", "diag", "config", "state", "cloud"]),
    ("apply", &["ids", "cloud", "plan", "state"]),
    (
        "ops",
        &[
            "ids", "diag", "fsutil", "cloud", "state", "config", "plan", "apply", "emulator",
        ],
    ),
];

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let mut bad = Vec::new();
    for (module, file, imports) in module_imports() {
        let top = module.split("::").next().unwrap_or("");
        if top.is_empty() || top == "cli" {
            continue;
        }
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| *name == top) else {
            bad.push(format!(
                "{}: module `{top}` has no row in LAYERS: say what it may import",
                rel(&file)
            ));
            continue;
        };
        for to in imports {
            let to_top = to.split("::").next().unwrap_or("");
            if to_top != top && !to_top.is_empty() && !allowed.contains(&to_top) {
                bad.push(format!("{}: `{top}` imports `{to}`", rel(&file)));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "a layer imports one it must not (see LAYERS in tests/it/tidy.rs and ARCHITECTURE.md):\n{}",
        bad.join("\n")
    );
}

/// No source file past 900 lines, and a command file stays argument parsing, one op,
/// rendering and the exit code: about 200 lines at most (a command's longer rendering may live in
/// its own submodule, `commands/<name>/`; unit tests live beside in `tests.rs`, and don't count).
#[test]
fn files_stay_small() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src")) {
        if file.ends_with("tests.rs") || file.to_string_lossy().contains("/tests/") {
            continue;
        }
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        let name = rel(&file);
        let command_file = file.parent() == Some(&root().join("src/cli/commands"));
        let limit = if command_file { 220 } else { 900 };
        if lines > limit {
            bad.push(format!("{name}: {lines} lines (at most {limit})"));
        }
    }
    assert!(
        bad.is_empty(),
        "split these along their seams:\n{}",
        bad.join("\n")
    );
}

/// Only `cli` prints: the library (the ops included) reports through values, events and
/// notices, so another front end, a test or a bench decides what reaches a terminal.
#[test]
fn only_cli_prints() {
    const PRINTING: &[&str] = &[
        "println!",
        "eprintln!",
        "print!",
        "eprint!",
        "io::stdout",
        "io::stderr",
        "dbg!",
    ];
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src")) {
        let name = rel(&file);
        if name.starts_with("src/cli/")
            || name == "src/main.rs"
            || file.ends_with("tests.rs")
            || name.contains("/tests/")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if let Some(word) = PRINTING.iter().find(|w| line.contains(*w)) {
                bad.push(format!("{name}:{n}: `{word}` in {}", line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "only `cli` prints; report through a value, an event or a notice:\n{}",
        bad.join("\n")
    );
}

/// The state is reached through one seam: `state::open` picks the backend for a
/// `state::Location`, and everything above `state` talks to the `Backend` trait, so a second
/// backend is a change inside `state` alone.
#[test]
fn only_state_names_a_concrete_backend() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src")) {
        let name = rel(&file);
        if name.starts_with("src/state/") || file.ends_with("tests.rs") || name.contains("/tests/")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("LocalFile") || line.contains("state::read(") {
                bad.push(format!("{name}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "open the state with `state::open(&Location)` and use the `Backend` trait:\n{}",
        bad.join("\n")
    );
}
