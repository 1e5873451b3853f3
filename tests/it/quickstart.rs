//! The README's quickstart, run as written so it cannot rot: the example configuration validates
//! and is formatted, `sgform api` reads the example world from an emulator over loopback, and
//! `sgform plan examples/quickstart` plans the example's joins, leave and replacement through the
//! embedded sandbox (on a copy of the directory: the sandbox writes `.sgform/` beside the
//! configuration, and the checked-in example must stay as it is). The README's samples of its
//! output are checked by `readme::samples`; `examples.rs` applies it and checks the second plan
//! is empty.

use std::path::{Path, PathBuf};

use sgform::emulator::{Options, World};

use crate::support::emu_env::Emu;
use crate::support::run_sgform as sgform;
use crate::support::sgform as sgform_command;

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart")
}

#[tokio::test]
async fn quickstart_configuration_validates_and_is_formatted() {
    let dir = quickstart();
    let dir = dir.to_str().unwrap();
    let validate = sgform(&["validate", dir], &[]).await;
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let fmt = sgform(&["fmt", "--check", dir], &[]).await;
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_api_call_reads_the_example_world() {
    let world = World::load(&quickstart().join("world.json")).unwrap();
    let emu = Emu::start(world, Options::default()).await;
    let out = sgform(
        &[
            "api",
            "DescribeSecurityGroups",
            "--region",
            "cn-hangzhou",
            "--endpoint",
            &emu.base,
        ],
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tExampleKey00001"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "example-secret"),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = body["SecurityGroups"]["SecurityGroup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["SecurityGroupId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"sg-bp1webexample01"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id.starts_with("sg-uf6")),
        "only cn-hangzhou groups: {ids:?}"
    );
    emu.stop().await;
}

/// The README's "Plan it" lines, run from a directory that holds a copy of `examples/`.
#[test]
fn quickstart_plan_runs_as_the_readme_says() {
    let root = tempfile::tempdir().unwrap();
    let copy = root.path().join("examples/quickstart");
    std::fs::create_dir_all(&copy).unwrap();
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(quickstart().join(name), copy.join(name)).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let plan = |args: &[&str]| {
        let out = sgform_command()
            .args(args)
            .current_dir(root.path())
            .env("HOME", home.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };

    let (code, stdout, stderr) = plan(&["plan", "examples/quickstart"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stderr.lines().next(),
        Some(
            "using local sandbox (no cloud calls): examples/quickstart/world.json, changes go to examples/quickstart/.sgform/sandbox-world.json"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("Refreshed 6 targets and 5 groups with "),
        "{stderr}"
    );
    for expected in [
        "  # membership.web_ops[\"i-bp1web0example02\"] will join\n    + join  i-bp1web0example02 to sg-bp1opsexample01\n",
        "  # membership.db_replication will join\n    + join  eni-bp1db00example1 to sg-bp1dbexample001\n",
        "  # membership.worker_app will join\n    + join  i-bp1wrk0example01 to sg-bp1appexample01\n",
        "  # group_members.legacy will leave\n    - leave i-bp1wrk0example01 from sg-bp1legacyexample\n",
        "  # membership_set.app will replace groups\n    ~ replace the groups of i-bp1app0example01 (one ModifyInstanceAttribute call)\n",
        "    = adopt i-bp1web0example01 in sg-bp1opsexample01 (already a member, no API call)\n",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(
        stdout.ends_with("\nPlan: 3 to join, 1 to leave, 1 to replace, 2 to adopt.\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("example-secret") && !stderr.contains("example-secret"));

    // The `--verbose` sample: the API calls in order, the worker's join before its leave.
    let (code, verbose, stderr) = plan(&["plan", "examples/quickstart", "--verbose"]);
    assert_eq!(code, Some(0), "{stderr}");
    let calls = &verbose[verbose.find("API calls, in execution order:").unwrap()..];
    let calls = &calls[..calls.rfind("\nPlan: ").unwrap()];
    assert!(
        calls.contains("  [3] LeaveSecurityGroup SecurityGroupId=sg-bp1legacyexample InstanceId=i-bp1wrk0example01 RegionId=cn-hangzhou\n      waits for: [2] (same target)\n"),
        "{calls}"
    );

    // The sandbox works on its own copy beside the configuration; the world stays as checked in.
    let world = std::fs::read_to_string(quickstart().join("world.json")).unwrap();
    assert_eq!(
        std::fs::read_to_string(copy.join(".sgform/sandbox-world.json")).unwrap(),
        world
    );
    assert_eq!(
        std::fs::read_to_string(copy.join("world.json")).unwrap(),
        world
    );
    assert_eq!(
        std::fs::read_to_string(copy.join(".sgform/.gitignore")).unwrap(),
        "*\n"
    );

    // `--detailed-exitcode` as in CI: 2, the same plan.
    let (code, again, _) = plan(&["plan", "examples/quickstart", "--detailed-exitcode"]);
    assert_eq!(code, Some(2));
    assert_eq!(again, stdout);

    // `sgform sandbox reset examples/quickstart` starts over from the checked-in world.
    let (code, _, stderr) = plan(&["sandbox", "reset", "examples/quickstart"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.starts_with("sandbox reset: replaced `"), "{stderr}");
}

/// A stray sandbox copy, state or state lock in the example (someone ran the quickstart in the
/// repository) must not be committed: the repository's `.gitignore` ignores every `.sgform/`
/// (whatever the sandbox's own `.gitignore` says) and the files plan and apply leave beside a
/// configuration (`sgform.state.json`, its `.backup`, `.lock` and `.lock.info`).
#[test]
fn the_repository_ignores_sandbox_directories_and_local_state() {
    let ignore =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".gitignore")).unwrap();
    for line in [".sgform/", "sgform.state.json", "sgform.state.json.*"] {
        assert!(
            ignore.lines().any(|l| l.trim() == line),
            "add `{line}` to .gitignore:\n{ignore}"
        );
    }
}
