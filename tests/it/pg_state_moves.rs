//! Moving a state between the local file and the PostgreSQL backend through the real binary
//! (`SGFORM_PG_CONN_STR`, as `tests/it/pg.rs`): local → pg → local leaves the document byte for
//! byte as it was, a push that would lose writes is refused unless forced, and a local state
//! file left beside a `backend "pg"` block stops `plan` and `apply` before anything is written.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use sgform::emulator::Options;
use sgform::state::Backend as _;
use sgform::state::State;
use sgform::state::pg::{Pg, PgLocation};

use crate::apply::{emulator_config, hcl_list, instance, sgform_with_key, text, world};
use crate::support::emu_env::Emu;
use crate::support::pg_env::{backend_block, conn_str, unique_schema};

const GROUP: &str = "sg-bp1grpa0000000";
const LINEAGE: &str = "8d0c6b0e-1f7a-4c55-9d2e-3a4b5c6d7e8f";
const OTHER_LINEAGE: &str = "11111111-1f7a-4c55-9d2e-3a4b5c6d7e8f";

/// `group_members "a"`: instances `0..n` in group A.
fn members(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(instance).collect();
    format!(
        "group_members \"a\" {{\n  security_group_id = \"{GROUP}\"\n  instance_ids = {}\n}}\n",
        hcl_list(&ids)
    )
}

/// The configuration in `dir`: `n` instances in group A, the state in `schema` (workspace
/// `default`) or, without one, in the local file.
fn config(dir: &Path, base: &str, schema: Option<&str>, n: usize) {
    let block = schema
        .map(|s| backend_block(s, "default"))
        .unwrap_or_default();
    emulator_config(dir, base, &format!("{block}{}", members(n)));
}

async fn run(dir: &Path, args: &[&str]) -> Output {
    sgform_with_key(dir)
        .env("SGFORM_PG_CONN_STR", conn_str())
        .args(args)
        .output()
        .await
        .unwrap()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[track_caller]
fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// What the workspace `default` of `schema` holds, read through the library.
fn stored(schema: &str) -> State {
    let location = PgLocation::new(Some(&conn_str()), &|_| None, schema, "default").unwrap();
    Pg::new(location).load().unwrap()
}

/// A state document of `lineage` at `serial` managing instances `targets` in group A.
fn state_json(lineage: &str, serial: u64, targets: &[usize]) -> String {
    let entries: Vec<Value> = targets
        .iter()
        .map(|&t| {
            serde_json::json!({
                "address": format!("group_members.a[\"{}\"]", instance(t)), "provider": null,
                "region": "cn-hangzhou", "security_group_id": GROUP, "target": instance(t),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "version": 1, "lineage": lineage, "serial": serial, "memberships": entries,
    }))
    .unwrap()
}

/// (lineage, serial, targets) of a pulled document.
fn summary(doc: &str) -> (String, u64, Vec<String>) {
    let doc: Value = serde_json::from_str(doc).unwrap();
    let targets = doc["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap().to_owned())
        .collect();
    (
        doc["lineage"].as_str().unwrap().to_owned(),
        doc["serial"].as_u64().unwrap(),
        targets,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_moved_local_to_pg_and_back_is_unchanged_byte_for_byte() {
    let emu = Emu::start(world(3, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let schema = unique_schema("moves");
    config(d, &emu.base, None, 3);
    ok(&run(d, &["apply", ".", "--auto-approve"]).await);
    let original = std::fs::read(d.join("sgform.state.json")).unwrap();
    let local: State =
        State::from_json("original", std::str::from_utf8(&original).unwrap()).unwrap();
    assert_eq!(local.memberships.len(), 3);

    // local → pg: the file moved away, the configuration names the pg backend.
    std::fs::create_dir(d.join("moved")).unwrap();
    std::fs::rename(d.join("sgform.state.json"), d.join("moved/original.json")).unwrap();
    config(d, &emu.base, Some(&schema), 3);
    let out = ok(&run(d, &["state", "push", "moved/original.json"]).await);
    assert!(out.starts_with("Pushed `moved/original.json`"), "{out}");
    // Into an empty workspace the document is stored as it is: lineage and serial too.
    assert_eq!(stored(&schema), local);
    let plan = run(d, &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(!d.join("sgform.state.json").exists());
    let pulled = ok(&run(d, &["state", "pull"]).await);
    assert_eq!(pulled.as_bytes(), original, "the state pulled from pg");

    // pg → local: the pulled document pushed into a fresh local state is the original file.
    std::fs::write(d.join("moved/pulled.json"), &pulled).unwrap();
    config(d, &emu.base, None, 3);
    ok(&run(d, &["state", "push", "moved/pulled.json"]).await);
    assert_eq!(
        std::fs::read(d.join("sgform.state.json")).unwrap(),
        original
    );
    let plan = run(d, &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_into_pg_of_an_older_serial_or_another_lineage_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let schema = unique_schema("pushes");
    // `state push` never calls the cloud: the endpoint need not answer.
    config(d, "http://127.0.0.1:9", Some(&schema), 3);
    std::fs::write(d.join("s4.json"), state_json(LINEAGE, 4, &[0, 1])).unwrap();
    std::fs::write(d.join("s3.json"), state_json(LINEAGE, 3, &[0])).unwrap();
    std::fs::write(d.join("o9.json"), state_json(OTHER_LINEAGE, 9, &[2])).unwrap();
    ok(&run(d, &["state", "push", "s4.json"]).await);
    let at4 = ok(&run(d, &["state", "pull"]).await);
    assert_eq!(
        summary(&at4),
        (LINEAGE.to_owned(), 4, vec![instance(0), instance(1)])
    );

    let err = refused(&run(d, &["state", "push", "s3.json"]).await);
    assert!(
        err.contains("its serial 3 is older than the stored serial 4"),
        "{err}"
    );
    assert!(err.contains("`--force` overwrites it"), "{err}");
    let err = refused(&run(d, &["state", "push", "o9.json"]).await);
    assert!(
        err.contains(&format!("it is of lineage {OTHER_LINEAGE}")),
        "{err}"
    );
    assert_eq!(
        ok(&run(d, &["state", "pull"]).await),
        at4,
        "a refused push wrote"
    );

    // Forced, the older document is stored, its serial past the stored one (a saved plan made
    // against serial 4 goes stale); another lineage is stored as it is.
    ok(&run(d, &["state", "push", "--force", "s3.json"]).await);
    assert_eq!(
        summary(&ok(&run(d, &["state", "pull"]).await)),
        (LINEAGE.to_owned(), 5, vec![instance(0)])
    );
    ok(&run(d, &["state", "push", "--force", "o9.json"]).await);
    assert_eq!(
        summary(&ok(&run(d, &["state", "pull"]).await)),
        (OTHER_LINEAGE.to_owned(), 9, vec![instance(2)])
    );
    let pg = stored(&schema);
    assert_eq!((pg.lineage.as_str(), pg.serial), (OTHER_LINEAGE, 9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_state_file_beside_a_pg_backend_stops_plan_and_apply_before_any_write() {
    let emu = Emu::start(world(2, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let schema = unique_schema("beside");
    config(d, &emu.base, None, 1);
    ok(&run(d, &["apply", ".", "--auto-approve"]).await);
    let local = std::fs::read(d.join("sgform.state.json")).unwrap();
    let world_before = emu.world().await;

    // The configuration now keeps its state in pg, and wants one more join.
    config(d, &emu.base, Some(&schema), 2);
    for args in [
        &["plan", "."][..],
        &["plan", ".", "--detailed-exitcode"],
        &["apply", ".", "--auto-approve"],
    ] {
        let err = refused(&run(d, args).await);
        assert!(
            err.contains("a local state file `./sgform.state.json` sits beside the configuration"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("sgform state push ./sgform.state.json ."),
            "{args:?}: {err}"
        );
    }
    assert!(stored(&schema).is_new(), "something was written to pg");
    assert_eq!(std::fs::read(d.join("sgform.state.json")).unwrap(), local);
    assert_eq!(emu.world().await, world_before, "the cloud was changed");

    // As the hint says: push it, move it away, and the plan goes on from the pushed state.
    ok(&run(d, &["state", "push", "./sgform.state.json", "."]).await);
    std::fs::rename(d.join("sgform.state.json"), d.join("backup.json")).unwrap();
    let plan = run(d, &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    assert!(
        String::from_utf8_lossy(&plan.stdout).contains("1 to join"),
        "{}",
        text(&plan)
    );
    emu.stop().await;
}
