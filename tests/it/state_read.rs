//! What the state reader refuses, through the real binary: a state no sgform wrote is an
//! error naming the file and the entry (exit 1), never read as something else.

use std::path::Path;
use std::process::Output;

use crate::support::sgform;

fn state_list(dir: &Path) -> Output {
    sgform()
        .args(["state", "list"])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn entry(address: &str) -> serde_json::Value {
    serde_json::json!({
        "address": address, "provider": null, "region": "cn-hangzhou",
        "security_group_id": "sg-bp1web00000000000000", "target": "i-bp1web0000000000000a",
    })
}

fn refused(doc: &serde_json::Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sgform.state.json"),
        serde_json::to_string_pretty(doc).unwrap(),
    )
    .unwrap();
    let out = state_list(dir.path());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.starts_with("error: state file `./sgform.state.json` is corrupt: "),
        "{stderr}"
    );
    stderr
}

const LINEAGE: &str = "8d0c6b0e-1f7a-4c55-9d2e-3a4b5c6d7e8f";

#[test]
fn version_zero_is_refused() {
    let stderr = refused(&serde_json::json!({
        "version": 0, "lineage": LINEAGE, "serial": 1, "memberships": [],
    }));
    assert!(stderr.contains("its `version` is 0"), "{stderr}");
}

#[test]
fn a_lineage_that_is_not_a_uuid_is_refused() {
    let stderr = refused(&serde_json::json!({
        "version": 1, "lineage": "prod", "serial": 1, "memberships": [],
    }));
    assert!(
        stderr.contains("its `lineage` `prod` is not a UUID"),
        "{stderr}"
    );
}

#[test]
fn a_duplicate_entry_is_refused() {
    let web = entry(r#"membership.web["i-bp1web0000000000000a"]"#);
    let stderr = refused(&serde_json::json!({
        "version": 1, "lineage": LINEAGE, "serial": 1, "memberships": [web, web],
    }));
    assert!(stderr.contains("entries 1 and 2 are the same"), "{stderr}");
}

#[test]
fn an_entry_that_is_not_a_declaration_is_refused() {
    let stderr = refused(&serde_json::json!({
        "version": 1, "lineage": LINEAGE, "serial": 1,
        "memberships": [entry("data.instances.web")],
    }));
    assert!(
        stderr.contains("entry 1 (`data.instances.web`) is not a declaration"),
        "{stderr}"
    );
}

#[test]
fn a_state_over_256_mib_is_refused_naming_its_size() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: the size is there, the disk blocks and a reader's memory are not.
    let file = std::fs::File::create(dir.path().join("huge.json")).unwrap();
    file.set_len(300 * 1024 * 1024).unwrap();
    let out = sgform()
        .args(["state", "list", "--state", "huge.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: state file `huge.json` is 314572800 bytes, over the 256 MiB sgform reads"
        ),
        "{stderr}"
    );
}
