//! The PostgreSQL state backend against a real server (`SGFORM_PG_CONN_STR`; `.ci/run` starts
//! one with `.ci/pg-start`): the real binary against the emulator, and the backend through the
//! library. Each test works in a schema of its own, so they run in parallel.
//!
//! Without `SGFORM_PG_CONN_STR` these tests fail (not skip), saying how to start a server.

use std::path::Path;
use std::time::{Duration, Instant};

use sgform::emulator::Options;
use sgform::state::pg::{Pg, PgLocation};
use sgform::state::{Backend, Error, LockInfo, ManagedMembership, State};
use tokio::io::AsyncBufReadExt as _;

use crate::apply::{emulator_config, hcl_list, instance, sgform_with_key, text, world};
use crate::support::emu_env::Emu;
use crate::support::pg_env::{backend_block, conn_str, unique_schema};

const GROUP: &str = "sg-bp1grpa0000000";

/// The password in the connection string (what no output may show).
fn password() -> String {
    let conn = conn_str();
    let after_scheme = conn.split("://").nth(1).unwrap_or("");
    let userinfo = after_scheme.split('@').next().unwrap_or("");
    let pw = userinfo.split(':').nth(1).unwrap_or("").to_owned();
    assert!(
        pw.len() >= 6,
        "the test server's connection string has a password"
    );
    pw
}

fn members(ids: &[String]) -> String {
    format!(
        "group_members \"a\" {{\n  security_group_id = \"{GROUP}\"\n  instance_ids = {}\n}}\n",
        hcl_list(ids)
    )
}

/// A configuration in `dir`: the emulator's provider, the pg backend, `n` instances in group A.
fn pg_config(dir: &Path, emu: &Emu, schema: &str, workspace: &str, n: usize) {
    let ids: Vec<String> = (0..n).map(instance).collect();
    let body = format!("{}{}", backend_block(schema, workspace), members(&ids));
    emulator_config(dir, &emu.base, &body);
}

/// The binary in `dir` with the emulator's key and the server's connection string.
fn sgform_pg(dir: &Path) -> tokio::process::Command {
    let mut cmd = sgform_with_key(dir);
    cmd.env("SGFORM_PG_CONN_STR", conn_str());
    cmd
}

async fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    sgform_pg(dir).args(args).output().await.unwrap()
}

fn assert_no_password(out: &std::process::Output) {
    let all = text(out);
    assert!(!all.contains(&password()), "the password shows in:\n{all}");
}

fn location(schema: &str, workspace: &str) -> PgLocation {
    PgLocation::new(Some(&conn_str()), &|_| None, schema, workspace).unwrap()
}

/// The holder info recorded in the workspace row, if any.
async fn holder(schema: &str, workspace: &str) -> Option<String> {
    let (client, connection) = tokio_postgres::connect(&conn_str(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let q = format!("SELECT lock_info FROM \"{schema}\".workspaces WHERE name = $1");
    match client.query_opt(&q, &[&workspace]).await {
        Ok(row) => row.and_then(|r| r.get::<_, Option<String>>(0)),
        Err(_) => None, // the schema is not there yet
    }
}

/// Waits until the workspace's lock has a recorded holder.
async fn wait_for_holder(schema: &str, workspace: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(h) = holder(schema, workspace).await {
            return h;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nobody took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A child `state hold-lock` on the configuration in `dir`, holding until its stdin closes;
/// returns it and the lock info it printed.
async fn hold_lock(dir: &Path) -> (tokio::process::Child, LockInfo) {
    let mut child = sgform_pg(dir)
        .args(["state", "hold-lock"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("hold-lock printed nothing")
        .unwrap()
        .unwrap_or_default();
    let info: LockInfo = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, info)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_plan_keeps_the_state_in_postgres_and_no_local_file() {
    let emu = Emu::start(world(3, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let schema = unique_schema("cycle");
    pg_config(dir.path(), &emu, &schema, "default", 3);

    let plan = run(dir.path(), &["plan", "."]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let apply = run(dir.path(), &["apply", ".", "--auto-approve"]).await;
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply));
    let again = run(dir.path(), &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("No changes"),
        "{}",
        text(&again)
    );
    let list = run(dir.path(), &["state", "list"]).await;
    assert_eq!(list.status.code(), Some(0), "{}", text(&list));
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).lines().count(),
        3,
        "{}",
        text(&list)
    );
    for out in [&plan, &apply, &again, &list] {
        assert_no_password(out);
    }
    assert!(!dir.path().join("sgform.state.json").exists());
    assert!(!dir.path().join(".sgform").exists());

    // A plan file records the state's lineage and serial, not where it is or how to reach it.
    let saved = run(dir.path(), &["plan", ".", "--out", "saved.plan"]).await;
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved));
    let file = std::fs::read_to_string(dir.path().join("saved.plan")).unwrap();
    assert!(
        !file.contains(&password()),
        "the plan file holds the password"
    );
    assert!(
        !file.contains("127.0.0.1:") || !file.contains("postgres"),
        "{file}"
    );

    // The same document as a file would hold.
    let state = Pg::new(location(&schema, "default")).load().unwrap();
    assert!(state.serial >= 1);
    assert_eq!(state.memberships.len(), 3);
    assert_eq!(State::from_json("x", &state.to_json()).unwrap(), state);
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_flag_beside_a_pg_backend_is_refused() {
    let emu = Emu::start(world(1, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    pg_config(dir.path(), &emu, &unique_schema("flag"), "default", 1);
    let out = run(dir.path(), &["plan", ".", "--state", "x.json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("`--state x.json` names a local state file"),
        "{}",
        text(&out)
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_applies_on_one_workspace_wait_or_fail_naming_the_holder_and_converge() {
    let n = 6;
    let options = Options {
        latency_ms: 150,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let schema = unique_schema("race");
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    for d in [&a, &b, &c] {
        pg_config(d.path(), &emu, &schema, "default", n);
    }
    let first = sgform_pg(a.path())
        .args(["apply", ".", "--auto-approve", "--parallelism", "1"])
        .output();
    let first = tokio::spawn(first);
    let held = wait_for_holder(&schema, "default").await;
    assert!(held.contains("\"operation\":\"apply\""), "{held}");

    // At once: fails, naming the holder.
    let refused = run(
        b.path(),
        &["apply", ".", "--auto-approve", "--lock-timeout", "0s"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("is locked by"), "{err}");
    assert!(err.contains("operation apply"), "{err}");
    assert!(
        err.contains("schema ") && err.contains("workspace default"),
        "{err}"
    );
    assert_no_password(&refused);

    // With a timeout: waits for the first, then finds nothing left to do.
    let started = Instant::now();
    let waited = run(
        c.path(),
        &["apply", ".", "--auto-approve", "--lock-timeout", "2m"],
    )
    .await;
    assert_eq!(waited.status.code(), Some(0), "{}", text(&waited));
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(
        started.elapsed() > Duration::from_millis(300),
        "the second did not wait"
    );
    assert!(
        String::from_utf8_lossy(&waited.stderr).contains("lock"),
        "{}",
        text(&waited)
    );

    let state = Pg::new(location(&schema, "default")).load().unwrap();
    assert_eq!(state.memberships.len(), n);
    let again = run(a.path(), &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn other_workspaces_and_other_schemas_do_not_wait() {
    let emu = Emu::start(world(2, false), Options::default()).await;
    let schema_a = unique_schema("a");
    let schema_b = unique_schema("b");
    let held_dir = tempfile::tempdir().unwrap();
    pg_config(held_dir.path(), &emu, &schema_a, "default", 2);
    let (holder_proc, _) = hold_lock(held_dir.path()).await;

    // Another workspace of the same schema, and the same workspace name in another schema.
    for (schema, workspace) in [(&schema_a, "other"), (&schema_b, "default")] {
        let dir = tempfile::tempdir().unwrap();
        pg_config(dir.path(), &emu, schema, workspace, 2);
        let started = Instant::now();
        let out = run(
            dir.path(),
            &["apply", ".", "--auto-approve", "--lock-timeout", "0s"],
        )
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{schema}/{workspace}: {}",
            text(&out)
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    // SGFORM_WORKSPACE picks the workspace over the block: this one is held.
    let dir = tempfile::tempdir().unwrap();
    pg_config(dir.path(), &emu, &schema_a, "other", 2);
    let out = sgform_pg(dir.path())
        .env("SGFORM_WORKSPACE", "default")
        .args(["plan", ".", "--lock-timeout", "0s"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("workspace default"), "{}", text(&out));
    drop(holder_proc);
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_leaves_no_lock_behind_and_the_next_run_converges() {
    let n = 5;
    let options = Options {
        latency_ms: 200,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let schema = unique_schema("kill");
    pg_config(dir.path(), &emu, &schema, "default", n);
    let mut child = sgform_pg(dir.path())
        .args(["apply", ".", "--auto-approve", "--parallelism", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_for_holder(&schema, "default").await;
    // Let it commit something, then SIGKILL it: no unlock runs; the server ends the session
    // when its connection closes.
    let start = Instant::now();
    while Pg::new(location(&schema, "default"))
        .load()
        .unwrap()
        .memberships
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the apply committed nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let killed_at = Pg::new(location(&schema, "default")).load().unwrap();
    assert!(
        killed_at.memberships.len() < n,
        "the apply finished before the kill"
    );

    let start = Instant::now();
    loop {
        let out = run(
            dir.path(),
            &["apply", ".", "--auto-approve", "--lock-timeout", "0s"],
        )
        .await;
        if out.status.code() == Some(0) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the lock outlived its holder: {}",
            text(&out)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = Pg::new(location(&schema, "default")).load().unwrap();
    assert_eq!(state.memberships.len(), n);
    assert_eq!(state.lineage, killed_at.lineage);
    let again = run(dir.path(), &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_unlock_ends_the_holders_session_given_its_id() {
    let emu = Emu::start(world(1, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let schema = unique_schema("force");
    pg_config(dir.path(), &emu, &schema, "default", 1);
    let (mut child, info) = hold_lock(dir.path()).await;

    let wrong = run(
        dir.path(),
        &["force-unlock", "00000000-0000-4000-8000-000000000000"],
    )
    .await;
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong));
    assert!(text(&wrong).contains("does not match"), "{}", text(&wrong));

    let forced = run(dir.path(), &["force-unlock", &info.id]).await;
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    assert_no_password(&forced);
    let out = run(dir.path(), &["plan", ".", "--lock-timeout", "0s"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(holder(&schema, "default").await, None);
    let not_locked = run(dir.path(), &["force-unlock", &info.id]).await;
    assert_eq!(not_locked.status.code(), Some(1), "{}", text(&not_locked));
    assert!(
        text(&not_locked).contains("is not locked"),
        "{}",
        text(&not_locked)
    );
    drop(child.stdin.take());
    let _ = child.wait().await;
    emu.stop().await;
}

fn membership(i: usize) -> ManagedMembership {
    serde_json::from_value(serde_json::json!({
        "address": "group_members.a",
        "provider": null,
        "region": "cn-hangzhou",
        "security_group_id": GROUP,
        "target": instance(i),
    }))
    .unwrap()
}

#[test]
fn a_write_or_commit_with_a_stale_serial_is_refused_and_changes_nothing() {
    let schema = unique_schema("cas");
    let one = Pg::new(location(&schema, "w"));
    let two = Pg::new(location(&schema, "w"));
    assert!(one.load().unwrap().is_new());

    let mut first = State::empty();
    first.memberships.insert(membership(0));
    let written = one.write(&first).unwrap();
    assert_eq!(written.serial, 1);
    // A second writer that also started from nothing.
    let err = two.write(&first).unwrap_err();
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err}");

    // Commits move the serial by one each, O(change).
    let mut state = two.load().unwrap();
    assert_eq!(state, written);
    two.commit(
        &mut state,
        &[membership(1), membership(2)],
        &[membership(0)],
    )
    .unwrap();
    assert_eq!(state.serial, 2);
    assert_eq!(one.load().unwrap(), state);

    // The first writer's copy is stale now: refused, whether a write or a commit.
    let err = one.write(&written).unwrap_err();
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err}");
    let mut stale = written.clone();
    let err = one.commit(&mut stale, &[membership(3)], &[]).unwrap_err();
    assert!(matches!(err, Error::ChangedUnderneath { .. }), "{err}");
    assert_eq!(
        stale, written,
        "a refused commit leaves the state as it was"
    );
    assert_eq!(
        one.load().unwrap(),
        state,
        "a refused commit writes nothing"
    );

    // Another lineage is refused as such.
    let mut other = state.clone();
    other.lineage = "5b0c6a8e-1f2d-4c3b-9a00-8e5f3c2d1a0b".to_owned();
    let err = one.write(&other).unwrap_err();
    assert!(matches!(err, Error::OtherLineage { .. }), "{err}");
}

#[test]
fn two_backends_racing_commits_lose_no_update() {
    let schema = unique_schema("lost");
    let a = Pg::new(location(&schema, "w"));
    let b = Pg::new(location(&schema, "w"));
    let mut sa = a.write(&State::empty()).unwrap();
    let mut sb = b.load().unwrap();
    a.commit(&mut sa, &[membership(0)], &[]).unwrap();
    // b's commit from the older serial must not land (it would drop membership 0's record).
    assert!(b.commit(&mut sb, &[membership(1)], &[]).is_err());
    let mut sb = b.load().unwrap();
    b.commit(&mut sb, &[membership(1)], &[]).unwrap();
    let end = a.load().unwrap();
    assert_eq!(end.memberships.len(), 2);
    assert_eq!(end.serial, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_never_shows_even_when_the_server_refuses_it() {
    let emu = Emu::start(world(1, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    pg_config(dir.path(), &emu, &unique_schema("pw"), "default", 1);
    let wrong = conn_str().replace(&password(), "Wr0ng-Passw0rd-x");
    for args in [
        &["plan", "."][..],
        &["state", "list"],
        &["apply", ".", "--auto-approve"],
    ] {
        let out = sgform_with_key(dir.path())
            .env("SGFORM_PG_CONN_STR", &wrong)
            .env("SGFORM_LOG", "debug")
            .args(args)
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let all = text(&out);
        assert!(!all.contains("Wr0ng-Passw0rd-x"), "{all}");
        assert!(all.contains("pg://sgform@127.0.0.1:"), "{all}");
        assert!(all.contains("password authentication failed"), "{all}");
    }
    emu.stop().await;
}
