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

/// `state` is a leaf beside `ids`: apply and the CLI use it, it uses neither. It writes its
/// files through `fsutil`, itself a leaf.
#[test]
fn state_imports_only_ids_and_fsutil() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src/state")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("crate::")
                && !line.contains("crate::ids")
                && !line.contains("crate::fsutil")
                && !line.contains("crate::state")
            {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "`state` may import only `ids` and `fsutil`:\n{}",
        bad.join("\n")
    );
}

/// `fsutil` (atomic writes, capped reads) is a leaf: everything may use it, it uses nothing.
#[test]
fn fsutil_imports_nothing_from_the_crate() {
    let mut files = rust_files(&root().join("src/fsutil"));
    files.push(root().join("src/fsutil.rs"));
    let mut bad = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("crate::") && !line.contains("crate::fsutil") {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "`fsutil` may import nothing from the crate:\n{}",
        bad.join("\n")
    );
}
