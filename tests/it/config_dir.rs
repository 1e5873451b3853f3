//! The configuration directory through the binary: a path that does not exist, a file, or a
//! directory without a `*.hcl` file is an error (exit 1, naming the path and what was looked
//! for) for every command that reads a configuration, and nothing is locked, created or sent.
//!
//! The example: `apply` in a directory whose `*.hcl` were renamed took it as an empty
//! configuration and left every managed membership.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::cli_env::{CliEnv, group, instance, world};
use crate::support::sgform;

/// Every path under `dir`, recursively, relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            out.insert(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

const ADDR: &str = "membership.a[\"i-bp1dir00000001\"]";
const PAIR: &str = "sg-bp1dirgrpa0000/i-bp1dir00000001";

/// The commands that read a configuration, with `dir` as their configuration directory.
fn commands(dir: &str) -> Vec<Vec<String>> {
    let own = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    vec![
        own(&["validate", dir]),
        own(&["plan", dir]),
        own(&["plan", dir, "--destroy"]),
        own(&["apply", dir, "--auto-approve"]),
        own(&["destroy", dir, "--auto-approve"]),
        own(&["import", ADDR, PAIR, dir]),
        own(&["graph", dir]),
        own(&["sandbox", "reset", dir]),
    ]
}

fn run(cwd: &Path, args: &[String]) -> std::process::Output {
    sgform()
        .current_dir(cwd)
        .args(args)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tConfigDir00001")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "config-dir-secret")
        .env("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", "http://127.0.0.1:9")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn refused(cwd: &Path, args: &[String], expected: &str) {
    let before = tree(cwd);
    let out = run(cwd, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "sgform {args:?}:\n{stderr}");
    assert!(
        stderr.contains(expected),
        "sgform {args:?}: expected `{expected}` in:\n{stderr}"
    );
    assert_eq!(
        tree(cwd),
        before,
        "sgform {args:?} created or removed something"
    );
}

#[test]
fn a_missing_directory_is_an_error_for_every_command() {
    let root = tempfile::tempdir().unwrap();
    for args in commands("nope") {
        refused(
            root.path(),
            &args,
            "error: no configuration directory `nope`: it does not exist",
        );
    }
    let generate = ["generate", "nope", "--out", "g.hcl"].map(String::from);
    refused(root.path(), &generate, "no configuration directory `nope`");
}

#[test]
fn a_directory_without_hcl_files_is_an_error_for_every_command() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cfg");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    // What a rename or a wrong directory leaves: files that are not `*.hcl` directly in it
    // (a subdirectory's files are not read either).
    std::fs::write(dir.join("main.hcl.bak"), "provider \"alicloud\" {}\n").unwrap();
    std::fs::write(dir.join("main.tf"), "").unwrap();
    std::fs::write(
        dir.join("sub").join("main.hcl"),
        "provider \"alicloud\" {}\n",
    )
    .unwrap();
    let expected = "error: no configuration in `cfg/`: it has no `*.hcl` files (sgform reads every `*.hcl` file in the directory, not recursively)";
    for args in commands("cfg") {
        refused(root.path(), &args, expected);
    }
    // In the directory itself, with the default DIR.
    for args in commands(".") {
        refused(
            &dir,
            &args,
            "error: no configuration in `./`: it has no `*.hcl` files",
        );
    }
    let generate = ["generate", "cfg", "--out", "g.hcl"].map(String::from);
    refused(
        root.path(),
        &generate,
        "no configuration in `cfg/`: it has no `*.hcl` files, so no `provider \"alicloud\"` block says where to read",
    );
}

#[test]
fn a_file_is_not_a_configuration_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("main.hcl"),
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n",
    )
    .unwrap();
    for args in commands("main.hcl") {
        // `apply FILE` reads a plan file; `destroy FILE` says to use it.
        if args[0] == "apply" || args[0] == "destroy" {
            continue;
        }
        refused(
            root.path(),
            &args,
            "error: `main.hcl` is a file, not a configuration directory (sgform reads every `*.hcl` file in a directory)",
        );
    }
}

/// The example: after an apply, the `*.hcl` files are renamed; with the region and
/// endpoint in the environment the next apply used to plan an empty configuration and leave
/// every managed membership. Now it stops before the lock: the state and the cloud unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_in_a_directory_whose_hcl_files_were_renamed_changes_nothing() {
    let ids = ["i-bp1dir00000001", "i-bp1dir00000002", "i-bp1dir00000003"];
    let env = CliEnv::start(
        world(
            vec![group("sg-bp1dirbase0000"), group("sg-bp1dirgrpa0000")],
            ids.iter()
                .map(|id| instance(id, &["sg-bp1dirbase0000"]))
                .collect(),
            vec![],
        ),
        "membership \"a\" {\n  for_each          = toset([\"i-bp1dir00000001\", \"i-bp1dir00000002\", \"i-bp1dir00000003\"])\n  security_group_id = \"sg-bp1dirgrpa0000\"\n  instance_id       = each.key\n}\n",
    )
    .await;
    let applied = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, Some(0), "{applied}");
    assert_eq!(env.state().memberships.len(), 3);
    let state = std::fs::read(env.path("sgform.state.json")).unwrap();
    let sent = env.mutations().await;

    std::fs::rename(env.path("main.hcl"), env.path("main.hcl.orig")).unwrap();
    let before = tree(env.dir.path());
    let mut cmd = tokio::process::Command::from(sgform());
    cmd.current_dir(env.dir.path())
        .args(["apply", "--auto-approve"])
        .envs(env.envs())
        .env("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
        .env("ALIBABA_CLOUD_ENDPOINT_ECS", &env.emu.base)
        .stdin(std::process::Stdio::null());
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no configuration in `./`: it has no `*.hcl` files"),
        "{stderr}"
    );
    assert!(stderr.contains("use `sgform destroy` in it"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(env.mutations().await, sent, "a call was sent");
    assert_eq!(std::fs::read(env.path("sgform.state.json")).unwrap(), state);
    assert_eq!(
        tree(env.dir.path()),
        before,
        "a file was created or removed"
    );
    for id in ids {
        assert_eq!(
            env.groups_of(id).await,
            ["sg-bp1dirbase0000", "sg-bp1dirgrpa0000"]
        );
    }
}

/// A configuration that declares no membership (only its provider here) while the state
/// manages pairs: `plan` and `apply` refuse to leave them, naming `destroy`; `--refresh-only`
/// and `destroy` run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_configuration_never_plans_to_leave_anything() {
    let ids = ["i-bp1dir00000001", "i-bp1dir00000002"];
    let env = CliEnv::start(
        world(
            vec![group("sg-bp1dirbase0000"), group("sg-bp1dirgrpa0000")],
            ids.iter()
                .map(|id| instance(id, &["sg-bp1dirbase0000"]))
                .collect(),
            vec![],
        ),
        "membership \"a\" {\n  for_each          = toset([\"i-bp1dir00000001\", \"i-bp1dir00000002\"])\n  security_group_id = \"sg-bp1dirgrpa0000\"\n  instance_id       = each.key\n}\n",
    )
    .await;
    let applied = env.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, Some(0), "{applied}");
    let sent = env.mutations().await;
    let state = std::fs::read(env.path("sgform.state.json")).unwrap();

    let expected = "error: the configuration declares no membership, so this plan would leave 2 managed memberships: an empty configuration never plans to leave anything";
    let provider_only = format!(
        "provider \"alicloud\" {{\n  region   = \"cn-hangzhou\"\n  endpoint = \"{}\"\n}}\n",
        env.emu.base
    );
    // Emptied, or every block's `for_each` over nothing.
    let empty_for_each = format!(
        "{provider_only}\nmembership \"a\" {{\n  for_each          = toset([])\n  security_group_id = \"sg-bp1dirgrpa0000\"\n  instance_id       = each.key\n}}\n"
    );
    for config in [&provider_only, &empty_for_each] {
        std::fs::write(env.path("main.hcl"), config).unwrap();
        for args in [
            &["plan"][..],
            &["plan", "--detailed-exitcode"],
            &["plan", "--target", "membership.a"],
            &["apply", "--auto-approve"],
        ] {
            let run = env.run(args).await;
            assert_eq!(run.code, Some(1), "{args:?}: {run}");
            assert!(run.stderr.contains(expected), "{args:?}: {run}");
            assert!(
                run.stderr.contains("run `sgform destroy`"),
                "{args:?}: {run}"
            );
        }
        assert_eq!(env.mutations().await, sent, "a call was sent");
        assert_eq!(std::fs::read(env.path("sgform.state.json")).unwrap(), state);
    }

    let refresh = env.run(&["plan", "--refresh-only"]).await;
    assert_eq!(refresh.code, Some(0), "{refresh}");
    let destroy = env.run(&["destroy", "--auto-approve"]).await;
    assert_eq!(destroy.code, Some(0), "{destroy}");
    assert!(destroy.stdout.contains("2 left"), "{destroy}");
    assert!(env.state().memberships.is_empty());
}
