//! `sgform state pull` and `sgform state push` through the real binary: a state moved to
//! another place and back is unchanged, and a push that would lose writes is refused unless
//! forced.

use std::path::Path;
use std::process::Output;

use crate::support::sgform;

const LINEAGE: &str = "8d0c6b0e-1f7a-4c55-9d2e-3a4b5c6d7e8f";
const OTHER_LINEAGE: &str = "11111111-1f7a-4c55-9d2e-3a4b5c6d7e8f";

/// A state document of `lineage` at `serial` with `targets` in `membership.web`.
fn state_json(lineage: &str, serial: u64, targets: &[&str]) -> String {
    let entries: Vec<_> = targets
        .iter()
        .map(|t| {
            serde_json::json!({
                "address": format!("membership.web[\"{t}\"]"), "provider": null,
                "region": "cn-hangzhou", "security_group_id": "sg-bp1web00000000000000",
                "target": t,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "version": 1, "lineage": lineage, "serial": serial, "memberships": entries,
    }))
    .unwrap()
}

const A: &str = "i-bp1web0000000000000a";
const B: &str = "i-bp1web0000000000000b";

fn run(dir: &Path, args: &[&str]) -> Output {
    sgform()
        .args(args)
        .current_dir(dir)
        .env("USER", "alice")
        .output()
        .unwrap()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[track_caller]
fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// local → a local file elsewhere → local: every pull prints the same document, the moved
/// state is the same document, byte for byte, and pushing it back changes nothing.
#[test]
fn a_state_moved_elsewhere_and_back_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("sgform.state.json"), state_json(LINEAGE, 4, &[A, B])).unwrap();
    let pulled = ok(&run(d, &["state", "pull"]));
    let doc: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    assert_eq!(
        (doc["lineage"].as_str(), doc["serial"].as_u64()),
        (Some(LINEAGE), Some(4))
    );
    std::fs::write(d.join("moved.json"), &pulled).unwrap();
    std::fs::create_dir(d.join("elsewhere")).unwrap();

    let out = ok(&run(
        d,
        &["state", "push", "moved.json", "--state", "elsewhere/s.json"],
    ));
    assert!(
        out.starts_with("Pushed `moved.json` to `elsewhere/s.json` (serial 4 of lineage"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("elsewhere/s.json")).unwrap(),
        pulled
    );
    let back = ok(&run(d, &["state", "pull", "--state", "elsewhere/s.json"]));
    assert_eq!(back, pulled);
    std::fs::write(d.join("back.json"), &back).unwrap();

    let before = std::fs::read(d.join("sgform.state.json")).unwrap();
    let out = ok(&run(d, &["state", "push", "back.json"]));
    assert!(
        out.contains("already holds `back.json` (serial 4): nothing to push"),
        "{out}"
    );
    assert_eq!(std::fs::read(d.join("sgform.state.json")).unwrap(), before);
    assert_eq!(ok(&run(d, &["state", "pull", "."])), pulled);
}

#[test]
fn another_lineage_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let stored = state_json(LINEAGE, 4, &[A]);
    std::fs::write(d.join("sgform.state.json"), &stored).unwrap();
    std::fs::write(d.join("other.json"), state_json(OTHER_LINEAGE, 9, &[B])).unwrap();
    let err = refused(&run(d, &["state", "push", "other.json"]));
    assert!(
        err.starts_with("error: refusing to push `other.json` to `./sgform.state.json`: it is of lineage 11111111-"),
        "{err}"
    );
    assert!(err.contains("`--force` overwrites it"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("sgform.state.json")).unwrap(),
        stored
    );

    ok(&run(d, &["state", "push", "--force", "other.json"]));
    let doc: serde_json::Value = serde_json::from_str(&ok(&run(d, &["state", "pull"]))).unwrap();
    assert_eq!(
        (doc["lineage"].as_str(), doc["serial"].as_u64()),
        (Some(OTHER_LINEAGE), Some(9))
    );
    assert_eq!(doc["memberships"][0]["target"], B);
}

#[test]
fn an_older_serial_is_refused_and_a_newer_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("sgform.state.json"), state_json(LINEAGE, 4, &[A])).unwrap();
    std::fs::write(d.join("old.json"), state_json(LINEAGE, 3, &[B])).unwrap();
    let err = refused(&run(d, &["state", "push", "old.json"]));
    assert!(
        err.contains("its serial 3 is older than the stored serial 4"),
        "{err}"
    );

    // Forced, the older content is stored with a serial that still advances.
    let out = ok(&run(d, &["state", "push", "old.json", "--force"]));
    assert!(out.contains("(serial 5 of lineage"), "{out}");

    std::fs::write(d.join("new.json"), state_json(LINEAGE, 12, &[A, B])).unwrap();
    let out = ok(&run(d, &["state", "push", "new.json"]));
    assert!(out.contains("(serial 12 of lineage"), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&ok(&run(d, &["state", "pull"]))).unwrap();
    assert_eq!(doc["serial"], 12);
    assert_eq!(doc["memberships"].as_array().unwrap().len(), 2);
}

#[test]
fn pull_of_an_empty_state_and_push_of_a_missing_file_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = refused(&run(d, &["state", "pull"]));
    assert!(
        err.contains("nothing was ever written there, so there is nothing to pull"),
        "{err}"
    );
    let err = refused(&run(d, &["state", "push", "missing.json"]));
    assert!(
        err.contains("`missing.json` is not a state file: no such file"),
        "{err}"
    );
    assert!(!d.join("sgform.state.json").exists());
}

/// A push takes the state lock: while another run holds it, the push fails naming the holder.
#[test]
fn push_waits_for_no_one_while_the_state_is_locked() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("sgform.state.json"), state_json(LINEAGE, 4, &[A])).unwrap();
    std::fs::write(d.join("new.json"), state_json(LINEAGE, 5, &[B])).unwrap();
    let mut holder = sgform()
        .args(["state", "hold-lock"])
        .current_dir(d)
        .env("USER", "bob")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let err = refused(&run(d, &["state", "push", "new.json"]));
    assert!(err.contains("is locked by bob@"), "{err}");
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    ok(&run(d, &["state", "push", "new.json"]));
}
