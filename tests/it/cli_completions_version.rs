//! `sgform --version`, through the real binary.

use crate::support::sgform;

#[test]
fn version_names_the_crate_version_and_the_commit() {
    for flag in ["--version", "-V"] {
        let out = sgform().arg(flag).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // `sgform 0.1.0 (abcdef0)`: the version, then the short commit or `unknown`.
        let rest = text
            .strip_prefix("sgform ")
            .and_then(|r| r.strip_suffix(")\n"))
            .unwrap_or_else(|| panic!("{text:?}"));
        let (version, commit) = rest.split_once(" (").unwrap_or_else(|| panic!("{text:?}"));
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert!(
            commit == "unknown"
                || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
            "{text:?}"
        );
    }
}

/// Built from a git checkout (as CI builds), the commit is the one git names for HEAD; built
/// from a tree without `.git`, it is `unknown`.
#[test]
fn version_commit_is_the_checkout_head() {
    let out = sgform().arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let commit = text
        .trim_end()
        .rsplit_once(" (")
        .and_then(|(_, c)| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{text:?}"));
    let root = env!("CARGO_MANIFEST_DIR");
    if !std::path::Path::new(root).join(".git").exists() {
        assert_eq!(commit, "unknown");
        return;
    }
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output()
        .expect("a git checkout is built with git installed");
    assert!(head.status.success());
    let head = String::from_utf8(head.stdout).unwrap();
    assert!(
        head.trim().starts_with(commit),
        "built from {commit}, HEAD is {head}"
    );
}
