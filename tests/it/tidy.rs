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

#[test]
fn state_imports_only_ids() {
    let mut bad = Vec::new();
    for file in rust_files(&root().join("src/state")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            let foreign = line.match_indices("crate::").any(|(i, _)| {
                let rest = &line[i + "crate::".len()..];
                !rest.starts_with("ids") && !rest.starts_with("state")
            });
            if foreign || line.contains("sgform::") {
                bad.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "`state` may import only `ids` (so apply and a remote backend can share it):\n{}",
        bad.join("\n")
    );
}
