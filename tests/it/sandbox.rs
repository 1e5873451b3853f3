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
