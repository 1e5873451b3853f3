//! The files sgform rewrites, through the real binary: every rewrite goes through
//! `fsutil::write_atomic`, so it writes through a symbolic link to its target and leaves no
//! temporary file; `fmt` keeps the file's mode, state and sandbox files are 0600.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Output;

use crate::support::sgform;

fn run(dir: &Path, args: &[&str]) -> Output {
    sgform()
        .args(args)
        .current_dir(dir)
        .env("USER", "alice")
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn is_link(path: &Path) -> bool {
    path.symlink_metadata().unwrap().file_type().is_symlink()
}

const UNFORMATTED: &str = "membership \"web\" {\n  security_group_id=\"sg-bp1fg655nh68xyz9i4w1\"\n  target = \"i-bp1gtjxuuvwj17zr8s5f\"\n}\n";

#[test]
fn fmt_keeps_a_private_file_private() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.hcl");
    std::fs::write(&file, UNFORMATTED).unwrap();
    set_mode(&file, 0o600);
    let out = run(dir.path(), &["fmt"]);
    assert!(out.status.success(), "{out:?}");
    assert_ne!(std::fs::read_to_string(&file).unwrap(), UNFORMATTED);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(names(dir.path()), ["main.hcl"]);
}

#[test]
fn fmt_writes_through_a_symlink_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(shared.join("common.hcl"), UNFORMATTED).unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let link = config.join("main.hcl");
    std::os::unix::fs::symlink("../shared/common.hcl", &link).unwrap();

    let out = run(dir.path(), &["fmt", "config"]);
    assert!(out.status.success(), "{out:?}");

    assert!(is_link(&link), "the link was replaced by a file");
    let formatted = std::fs::read_to_string(shared.join("common.hcl")).unwrap();
    assert!(formatted.contains("security_group_id = "), "{formatted}");
    assert_eq!(names(&shared), ["common.hcl"]);
    assert_eq!(names(&config), ["main.hcl"]);
}

#[test]
fn a_new_sandbox_copy_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let world = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/world.json");
    std::fs::copy(&world, dir.path().join("world.json")).unwrap();
    set_mode(&dir.path().join("world.json"), 0o644);
    let out = run(dir.path(), &["sandbox", "reset", "--sandbox", "world.json"]);
    assert!(out.status.success(), "{out:?}");
    let copy = dir.path().join(".sgform/sandbox-world.json");
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(dir.path().join("world.json")).unwrap()
    );
    assert!(
        names(&dir.path().join(".sgform"))
            .iter()
            .all(|n| !n.ends_with(".tmp")),
        "a temporary file is left"
    );
}

/// A state document with two entries, serial 4.
fn state_json() -> String {
    let entry = |address: &str, target: &str| {
        serde_json::json!({
            "address": address, "provider": null, "region": "cn-hangzhou",
            "security_group_id": "sg-bp1web00000000000000", "target": target,
        })
    };
    let doc = serde_json::json!({
        "version": 1, "lineage": "8d0c6b0e-1f7a-4c55-9d2e-3a4b5c6d7e8f", "serial": 4,
        "memberships": [
            entry(r#"membership.web["i-bp1web0000000000000a"]"#, "i-bp1web0000000000000a"),
            entry(r#"membership.web["i-bp1web0000000000000b"]"#, "i-bp1web0000000000000b"),
        ],
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn state_rm_writes_through_a_symlinked_state() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let target = shared.join("prod.state.json");
    std::fs::write(&target, state_json()).unwrap();
    set_mode(&target, 0o640);
    std::os::unix::fs::symlink(
        "shared/prod.state.json",
        dir.path().join("sgform.state.json"),
    )
    .unwrap();

    let out = run(
        dir.path(),
        &["state", "rm", r#"membership.web["i-bp1web0000000000000a"]"#],
    );
    assert!(out.status.success(), "{out:?}");

    assert!(is_link(&dir.path().join("sgform.state.json")));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(state["serial"], 5);
    assert_eq!(state["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(mode(&target), 0o600);
    // The backup and the lock are beside the target; nothing but the link beside it.
    assert_eq!(
        std::fs::read_to_string(shared.join("prod.state.json.backup")).unwrap(),
        state_json()
    );
    assert!(shared.join(".sgform/locks/prod.state.json.lock").exists());
    assert_eq!(names(dir.path()), ["sgform.state.json", "shared"]);
    assert_eq!(
        names(&shared),
        [".sgform", "prod.state.json", "prod.state.json.backup"]
    );
}

/// The state may hold sensitive values: a rewrite narrows a looser state file to 0600, and
/// the lock file sgform creates is owner-only too.
#[test]
fn a_rewritten_state_and_its_lock_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sgform.state.json"), state_json()).unwrap();
    set_mode(&dir.path().join("sgform.state.json"), 0o644);
    let out = run(
        dir.path(),
        &["state", "rm", r#"membership.web["i-bp1web0000000000000a"]"#],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&dir.path().join("sgform.state.json")), 0o600);
    assert_eq!(
        mode(&dir.path().join(".sgform/locks/sgform.state.json.lock")),
        0o600
    );
    assert_eq!(
        names(dir.path()),
        [".sgform", "sgform.state.json", "sgform.state.json.backup"]
    );
}

/// A directory this process cannot create files in: a 0555 directory for an ordinary user;
/// for a privileged one (who ignores permission bits), sysfs's root, which refuses everyone.
fn read_only_dir() -> (Option<tempfile::TempDir>, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o555);
    if std::fs::write(dir.path().join("probe"), "").is_err() {
        let path = dir.path().to_path_buf();
        return (Some(dir), path);
    }
    set_mode(dir.path(), 0o755);
    let sys = std::path::PathBuf::from("/sys");
    assert!(
        std::fs::write(sys.join("sgform-probe"), "").is_err(),
        "no read-only directory to test with: running privileged, and `/sys` is writable"
    );
    (None, sys)
}

#[test]
fn a_state_in_a_read_only_directory_fails_with_a_hint() {
    let (_keep, ro) = read_only_dir();
    let cwd = tempfile::tempdir().unwrap();
    let state = ro.join("sgform.state.json");
    let out = run(
        cwd.path(),
        &[
            "state",
            "rm",
            "--state",
            state.to_str().unwrap(),
            "membership.web",
        ],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let dir = ro.display();
    assert!(
        stderr.starts_with(&format!(
            "error: failed to lock `{dir}/.sgform/locks/sgform.state.json.lock`: the directory `{dir}` "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("\n  hint: sgform locks the state with a file beside it, so its directory must be writable: make `{dir}` writable, keep the state elsewhere (`--state PATH`)")),
        "{stderr}"
    );
}
