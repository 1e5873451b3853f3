//! Exit codes through the binary: every usage error is 1 (clap's own 2 would read as "changes
//! present" under `--detailed-exitcode`), help and version are 0, and the shipped CI workflow
//! fails its plan step on anything but 0 and 2.

use std::path::Path;

use crate::support::sgform;

fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    sgform().current_dir(dir).args(args).output().unwrap()
}

fn quickstart() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let dir = tempfile::tempdir().unwrap();
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(root.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

#[test]
fn usage_errors_exit_1_and_change_nothing() {
    let dir = quickstart();
    let cases: &[(&[&str], &str)] = &[
        (&["plan", "--detailed-exitcodee"], "unexpected argument"),
        (&["plan", "--var"], "a value is required"),
        (&["plan", "--parallelism", "many"], "invalid value"),
        (
            &["plan", "--destroy", "--refresh-only"],
            "cannot be used with",
        ),
        (&["apply", "--lock-timeout", "soon"], "invalid value"),
        (&["completions", "tcsh"], "possible values"),
        (&["no-such-command"], "unrecognized subcommand"),
        (&[], "Usage:"),
        (
            &["plan", "--json", "--format", "text"],
            "`--json` is short for `--format json`",
        ),
    ];
    for (args, message) in cases {
        let out = run_in(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "sgform {args:?}: {stderr}");
        assert!(stderr.contains(message), "sgform {args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "sgform {args:?}");
    }
    assert!(!dir.path().join(".sgform").exists(), "the sandbox started");
    assert!(!dir.path().join("sgform.state.json").exists());
}

#[test]
fn help_and_version_exit_0_and_help_lists_the_exit_codes() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["--version"],
        &["plan", "--help"],
        &["help", "apply"],
    ] {
        let out = sgform().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "sgform {args:?}");
        assert!(!out.stdout.is_empty(), "sgform {args:?}");
    }
    let help = sgform().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let table = help
        .split("Exit codes:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no exit codes in --help:\n{help}"));
    for code in ["0 ", "1 ", "2 ", "129", "130", "143"] {
        assert!(
            table
                .lines()
                .any(|l| l.trim_start().starts_with(code) || l.contains(code)),
            "--help's exit codes lack {code}:\n{help}"
        );
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for row in ["| 0 |", "| 1 |", "| 2 |", "| 129 |", "| 130 |", "| 143 |"] {
        assert!(readme.contains(row), "README's exit codes lack `{row}`");
    }
}

/// The `run: |` script of the step named `name` in a workflow file.
fn step_script(yaml: &str, name: &str) -> String {
    let start = yaml
        .find(&format!("- name: {name}\n"))
        .unwrap_or_else(|| panic!("no step {name}"));
    let rest = &yaml[start..];
    let run = rest.find("run: |\n").unwrap() + "run: |\n".len();
    let mut script = String::new();
    let mut indent = None;
    for line in rest[run..].lines() {
        let width = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && indent.is_some_and(|i| width < i) {
            break;
        }
        if !line.trim().is_empty() {
            indent.get_or_insert(width);
        }
        script.push_str(line.get(indent.unwrap_or(0)..).unwrap_or(""));
        script.push('\n');
    }
    script
}

/// The plan step of `examples/ci/ci/workflow.yml`, run with `sgform` standing for `stub`, as
/// GitHub runs it (`bash -e`); its success.
fn plan_step_passes(stub: &str) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(root.join("examples/ci/ci/workflow.yml")).unwrap();
    let script = step_script(&yaml, "Plan");
    assert!(
        script.contains("sgform plan --detailed-exitcode"),
        "{script}"
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(root.join("examples/ci").join(name), dir.path().join(name)).unwrap();
    }
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("sgform");
    std::fs::write(&fake, format!("#!/bin/sh\n{stub}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("GITHUB_OUTPUT", dir.path().join("github_output"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_ci_workflow_fails_its_plan_step_on_a_mistyped_flag() {
    // The real binary, with a flag mistyped: an error, not "changes".
    let real = env!("CARGO_BIN_EXE_sgform");
    let (passed, output) = plan_step_passes(&format!("exec '{real}' \"$@\" --detailed-exitcodee"));
    assert!(!passed, "the plan step passed a usage error:\n{output}");
    assert!(output.contains("unexpected argument"), "{output}");
    // Only 0 (no changes) and 2 (changes) let the job go on to post the plan.
    for code in [0, 2] {
        let (passed, output) = plan_step_passes(&format!("exit {code}"));
        assert!(passed, "exit {code}:\n{output}");
    }
    for code in [1, 101, 129, 130, 143] {
        let (passed, output) = plan_step_passes(&format!("exit {code}"));
        assert!(!passed, "exit {code} passed the plan step:\n{output}");
    }
    // And the real plan of the example passes (it has changes: exit 2).
    let (passed, output) = plan_step_passes(&format!("exec '{real}' \"$@\""));
    assert!(passed, "{output}");
}
