//! The embedded sandbox: `sgform sandbox reset` through the real binary, and a refresh of the
//! quickstart through `ops::connect::connect` (the path every cloud command takes).

use std::path::Path;

use sgform::config::{self, Inputs};
use sgform::plan::refresh;
use sgform::state::State;

use crate::support::sgform;

/// A copy of `examples/quickstart` in a temporary directory.
fn quickstart() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(src.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn sandbox_reset_creates_then_replaces_the_copy_and_never_writes_the_world() {
    let dir = quickstart();
    let world = dir.path().join("world.json");
    let original = std::fs::read_to_string(&world).unwrap();
    let copy = dir.path().join(".sgform/sandbox-world.json");

    let out = sgform()
        .args(["sandbox", "reset"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("sandbox reset: created `"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), original);
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".sgform/.gitignore")).unwrap(),
        "*\n"
    );

    std::fs::write(&copy, "{}").unwrap();
    let out = sgform()
        .args(["sandbox", "reset"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("replaced"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), original);
    assert_eq!(std::fs::read_to_string(&world).unwrap(), original);
    assert!(out.stdout.is_empty(), "status goes to stderr");
}

#[test]
fn sandbox_reset_without_a_sandbox_says_how_to_name_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n",
    )
    .unwrap();
    let out = sgform()
        .args(["sandbox", "reset"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--sandbox FILE"), "{}", stderr(&out));
    assert!(!dir.path().join(".sgform").exists());
}

#[tokio::test]
async fn the_quickstart_refreshes_through_the_sandbox_and_keeps_its_world() {
    let dir = quickstart();
    let original = std::fs::read_to_string(dir.path().join("world.json")).unwrap();
    let (config, diags) = config::load(dir.path(), &Inputs::default()).unwrap();
    assert!(!sgform::diag::has_errors(&diags), "{diags:#?}");

    let mut banner = Vec::new();
    let conn = sgform::ops::connect::connect(
        &config,
        &sgform::ops::connect::Connect::default(),
        &sgform::ops::Environment::empty(),
        &mut |n| banner.push(format!("{n:?}")),
    )
    .await
    .unwrap();
    assert_eq!(banner.len(), 1, "one banner: {banner:?}");
    assert!(banner[0].contains("world.json"), "{banner:?}");
    let sandbox = conn.sandbox.as_ref().unwrap();
    assert!(sandbox.endpoint().starts_with("http://127.0.0.1:"));
    let refreshed = refresh::refresh(&conn.clients, &config, &State::empty(), 10)
        .await
        .unwrap();
    conn.shutdown().await.unwrap();

    let web = &refreshed.inventory.data.results[&(config::DataKind::Instances, "web".to_owned())];
    let ids: Vec<&str> = web.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["i-bp1web0example01", "i-bp1web0example02"]);
    assert!(refreshed.stats.calls > 0);
    assert!(dir.path().join(".sgform/sandbox-world.json").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("world.json")).unwrap(),
        original
    );
}

#[test]
fn sandbox_reset_in_the_configuration_directory_names_the_world_as_written() {
    let dir = quickstart();
    let out = sgform()
        .args(["sandbox", "reset"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "sandbox reset: created `./.sgform/sandbox-world.json` from `world.json`\n"
    );
}

/// Runs the binary in `dir` with no stdin.
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    sgform()
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_sandbox_apply_keeps_its_own_state_which_a_real_endpoint_never_sees() {
    let dir = quickstart();
    let d = dir.path();
    let out = run_in(d, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join(".sgform/sandbox.state.json").is_file());
    assert!(
        !d.join("sgform.state.json").exists(),
        "the real state is untouched"
    );
    assert_eq!(
        std::fs::read_to_string(d.join(".sgform/.gitignore")).unwrap(),
        "*\n"
    );
    // The state commands read the sandbox's state while the providers name a world.
    let listed = run_in(d, &["state", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stdout(&listed).contains("membership"),
        "{}",
        stdout(&listed)
    );

    // Switched to a real endpoint, the configuration's state is the real one: the sandbox's
    // pairs are not in it, so nothing would be planned as drift.
    let hcl = std::fs::read_to_string(d.join("main.hcl")).unwrap();
    let real = hcl.replace(
        "sandbox = \"world.json\"",
        "endpoint = \"http://127.0.0.1:9\"",
    );
    assert_ne!(hcl, real);
    std::fs::write(d.join("main.hcl"), real).unwrap();
    let listed = run_in(d, &["state", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(stdout(&listed), "");

    // `--sandbox` selects the sandbox's state again; `--state` still wins over it.
    let plan = run_in(
        d,
        &["plan", "--sandbox", "world.json", "--detailed-exitcode"],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
    let plan = run_in(
        d,
        &[
            "plan",
            "--sandbox",
            "world.json",
            "--state",
            "other.json",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(plan.status.code(), Some(2), "{}", stdout(&plan));
}

#[test]
fn sandbox_reset_removes_the_sandbox_state_and_says_so() {
    let dir = quickstart();
    let d = dir.path();
    let out = run_in(d, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let state = d.join(".sgform/sandbox.state.json");
    assert!(state.is_file());
    assert!(d.join(".sgform/locks/sandbox.state.json.lock").exists());

    let out = run_in(d, &["sandbox", "reset"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "sandbox reset: replaced `./.sgform/sandbox-world.json` from `world.json`; removed the sandbox state `./.sgform/sandbox.state.json`\n"
    );
    for suffix in ["", ".backup", ".journal"] {
        let path = format!("{}{suffix}", state.display());
        assert!(!Path::new(&path).exists(), "{path} is removed");
    }
    // The lock file stays (a waiting process may hold it open); its holder info is gone.
    assert!(
        !d.join(".sgform/locks/sandbox.state.json.lock.info")
            .exists()
    );
    // The world and the state start over together: the first plan adopts again.
    let plan = run_in(d, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    assert!(stdout(&plan).contains("to adopt"), "{}", stdout(&plan));
}

#[test]
fn a_copied_directory_keeps_working_on_its_own_copy() {
    let a = quickstart();
    let out = run_in(a.path(), &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(a.path().join(".sgform/sandbox-source")).unwrap(),
        "world.json\n",
        "the world is recorded relative to the configuration directory"
    );
    let b = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    };
    copy(a.path(), b.path());
    copy(&a.path().join(".sgform"), &b.path().join(".sgform"));
    drop(a); // B must not need anything from A

    let plan = run_in(b.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert_eq!(
        stderr(&plan).lines().next(),
        Some(
            "using local sandbox (no cloud calls): world.json, changes go to .sgform/sandbox-world.json"
        )
    );
}
