//! `sgform completions bash|zsh|fish` and `sgform --version`, through the real binary.

use crate::support::sgform;

/// The subcommands `sgform --help` lists (besides `help`).
fn subcommands() -> Vec<String> {
    let out = sgform().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(
        names.len() >= 10 && names.iter().any(|n| n == "completions"),
        "{help}"
    );
    names
}

#[test]
fn completions_for_each_shell_name_every_subcommand() {
    let subcommands = subcommands();
    for shell in ["bash", "zsh", "fish"] {
        let out = sgform().args(["completions", shell]).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.len() > 1000, "{shell}: {script}");
        for name in &subcommands {
            // Where each shell's script offers a subcommand (a bare substring would also match
            // help texts).
            let offered = match shell {
                "bash" => format!("sgform,{name})"),
                "zsh" => format!("'{name}:"),
                _ => format!("-a \"{name}\""),
            };
            assert!(
                script.contains(&offered),
                "the {shell} completions do not offer `{name}` (no `{offered}`)"
            );
        }
        // Flags of subcommands too, e.g. plan's.
        assert!(script.contains("detailed-exitcode"), "{shell}");
    }
}

#[test]
fn bash_completions_are_valid_bash() {
    let out = sgform().args(["completions", "bash"]).output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sgform.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash runs the repository's CI, so it is here");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn completions_refuse_an_unknown_shell() {
    let out = sgform().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[possible values: bash, zsh, fish]"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

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
