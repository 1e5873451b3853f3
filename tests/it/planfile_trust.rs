//! A saved plan runs only where and as it was made (issue 14), through the real binary: the
//! README's `plan DIR --out FILE` then `apply FILE` works from any working directory and in a
//! moved checkout; a plan made on the sandbox is refused against an endpoint (and the other way
//! round, and with another access key), naming the difference; a plan file whose operations were
//! edited is refused although every digest still matches; `--out` never replaces a file that is
//! not a plan file, and plan files are 0600.

use std::path::Path;

use crate::support::cli_env::{self, CliEnv, Run, group, instance};
use crate::support::sgform;

const BASE: &str = "sg-bp1pfbase000001";
const WEB: &str = "sg-bp1pfweb0000001";
const OPS: &str = "sg-bp1pfops0000001";
const A: &str = "i-bp1pfa0000000001";
const B: &str = "i-bp1pfb0000000001";

/// A in BASE and WEB, B in BASE; the configuration joins A and B to OPS.
async fn start() -> CliEnv {
    let world = cli_env::world(
        vec![group(BASE), group(WEB), group(OPS)],
        vec![instance(A, &[BASE, WEB]), instance(B, &[BASE])],
        vec![],
    );
    let body = format!(
        "group_members \"ops\" {{\n  security_group_id = \"{OPS}\"\n  instance_ids      = [\"{A}\", \"{B}\"]\n}}\n"
    );
    let env = CliEnv::start(world.clone(), &body).await;
    // The same world as a sandbox world file beside the configuration.
    std::fs::write(
        env.path("world.json"),
        serde_json::to_string_pretty(&world.to_file()).unwrap(),
    )
    .unwrap();
    env
}

/// `sgform ARGS` in `cwd` with the environment of `env` and `overrides` on top.
async fn run_in(env: &CliEnv, cwd: &Path, args: &[&str], overrides: &[(&str, &str)]) -> Run {
    let out = tokio::process::Command::from(sgform())
        .args(args)
        .current_dir(cwd)
        .envs(env.envs())
        .envs(overrides.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let run = Run::from(out);
    assert!(
        !run.stdout.contains(cli_env::SECRET) && !run.stderr.contains(cli_env::SECRET),
        "the secret leaked:\n{run}"
    );
    run
}

/// A copy of `examples/quickstart` (configuration and world) at `dir`.
fn quickstart_at(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(from.join(name), dir.join(name)).unwrap();
    }
}

async fn run_plain(cwd: &Path, args: &[&str]) -> Run {
    let out = tokio::process::Command::from(sgform())
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    Run::from(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_sequence_plans_a_directory_and_applies_the_file_from_the_same_place() {
    let top = tempfile::tempdir().unwrap();
    quickstart_at(&top.path().join("examples/quickstart"));
    let plan = run_plain(
        top.path(),
        &["plan", "examples/quickstart", "--out", "quickstart.plan"],
    )
    .await;
    assert_eq!(plan.code, Some(0), "{plan}");
    let apply = run_plain(top.path(), &["apply", "quickstart.plan"]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert!(apply.stdout.contains("Apply complete!"), "{apply}");
    // The state is the configuration's sandbox state, beside it, as for
    // `apply examples/quickstart`.
    assert!(
        top.path()
            .join("examples/quickstart/.sgform/sandbox.state.json")
            .is_file()
    );
    assert!(!top.path().join("sgform.state.json").exists());
    let again = run_plain(
        top.path(),
        &["plan", "examples/quickstart", "--detailed-exitcode"],
    )
    .await;
    assert_eq!(again.code, Some(0), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_file_applies_from_any_directory_in_a_moved_checkout_and_in_another_checkout() {
    let env = start().await;
    let top = tempfile::tempdir().unwrap();
    let t = top.path();
    let checkout = |dir: &Path| {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::copy(env.path("main.hcl"), dir.join("main.hcl")).unwrap();
    };
    // A moved checkout: planned in a/repo, the repository moved to b/repo, applied from `t`.
    checkout(&t.join("a/repo/infra"));
    std::fs::create_dir_all(t.join("a/repo/plans")).unwrap();
    let plan = run_in(
        &env,
        &t.join("a/repo"),
        &["plan", "infra", "--out", "plans/p.plan"],
        &[],
    )
    .await;
    assert_eq!(plan.code, Some(0), "{plan}");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.join("a/repo/plans/p.plan")).unwrap()).unwrap();
    assert_eq!(file["configuration"]["directory"], "../infra");
    std::fs::create_dir_all(t.join("b")).unwrap();
    std::fs::rename(t.join("a/repo"), t.join("b/repo")).unwrap();
    let apply = run_in(&env, t, &["apply", "b/repo/plans/p.plan"], &[]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert!(apply.stdout.contains("Apply complete! 2 joined"), "{apply}");
    assert!(t.join("b/repo/infra/sgform.state.json").is_file());
    assert!(!t.join("sgform.state.json").exists());

    // Another checkout (CI's apply job): the file downloaded somewhere its relative path leads
    // nowhere; the configuration is found where the plan job's checkout was. (A fresh state
    // there: the plan adopts B's new group and joins A again.)
    checkout(&t.join("c/infra"));
    let plan = run_in(&env, &t.join("c/infra"), &["plan", "--out", "p.plan"], &[]).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    std::fs::create_dir_all(t.join("d/x/y")).unwrap();
    std::fs::copy(t.join("c/infra/p.plan"), t.join("d/x/y/p.plan")).unwrap();
    let apply = run_in(&env, &t.join("d"), &["apply", "x/y/p.plan"], &[]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert!(t.join("c/infra/sgform.state.json").is_file());

    // Neither place holds it any more: refused, naming both.
    std::fs::remove_dir_all(t.join("c")).unwrap();
    let gone = run_in(&env, &t.join("d"), &["apply", "x/y/p.plan"], &[]).await;
    assert_eq!(gone.code, Some(1), "{gone}");
    assert!(
        gone.stderr.contains("the configuration plan file `x/y/p.plan` was made from is neither at `x/y` (`.` from the plan file's directory) nor at `"),
        "{gone}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_refused_against_another_cloud_naming_the_difference() {
    let env = start().await;
    let dir = env.dir.path();

    // The case: planned on the sandbox, applied where the provider's endpoint points.
    let plan = run_in(
        &env,
        dir,
        &["plan", "--sandbox", "world.json", "--out", "s.plan"],
        &[],
    )
    .await;
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(plan.stderr.contains("using local sandbox"), "{plan}");
    let apply = run_in(&env, dir, &["apply", "s.plan"], &[]).await;
    assert_eq!(apply.code, Some(1), "{apply}");
    let expected = format!(
        "refusing plan file `s.plan`: the saved plan was made against another cloud: the plan was made against the sandbox (world `world.json`) but this run talks to endpoint `{}/` (provider `alicloud`)",
        env.emu.base
    );
    assert!(apply.stderr.contains(&expected), "{apply}");
    assert_eq!(env.total_calls().await, 0, "a call reached the endpoint");

    // Planned against the endpoint, applied on the sandbox.
    let plan = run_in(&env, dir, &["plan", "--out", "e.plan"], &[]).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    let calls = env.total_calls().await;
    let apply = run_in(
        &env,
        dir,
        &["apply", "e.plan", "--sandbox", "world.json"],
        &[],
    )
    .await;
    assert_eq!(apply.code, Some(1), "{apply}");
    let expected = format!(
        "the plan was made against endpoint `{}/` (provider `alicloud`) but this run talks to the sandbox (world `world.json`)",
        env.emu.base
    );
    assert!(apply.stderr.contains(&expected), "{apply}");

    // Another access key (its secret never shown), and another region.
    let apply = run_in(
        &env,
        dir,
        &["apply", "e.plan"],
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tSomeoneElse001"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "OTHER-SECRET-0f9e"),
        ],
    )
    .await;
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(
        apply.stderr.contains(&format!(
            "provider `alicloud`: the plan was made with access key ID `{}` but this run uses `LTAI5tSomeoneElse001`",
            cli_env::KEY_ID
        )),
        "{apply}"
    );
    assert!(!apply.stderr.contains("OTHER-SECRET"), "{apply}");
    assert_eq!(
        env.total_calls().await,
        calls,
        "a refused apply called the API"
    );
    assert_eq!(env.mutations().await, 0);

    // Where it was made, it applies.
    let apply = run_in(&env, dir, &["apply", "e.plan"], &[]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert_eq!(env.groups_of(B).await, [BASE, OPS]);
}

/// The plan file at `path`, edited by `edit`, written back.
fn edit(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_vec(&value).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_plan_file_is_refused_and_nothing_is_sent() {
    let env = start().await;
    let dir = env.dir.path();
    let plan = run_in(&env, dir, &["plan", "--out", "p.plan"], &[]).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    for name in ["ops.plan", "adopt.plan", "old.plan"] {
        std::fs::copy(env.path("p.plan"), env.path(name)).unwrap();
    }

    // The case: one operation turned into a leave elsewhere (A leaves WEB instead of
    // joining OPS); the configuration's digests and the state still match.
    edit(&env.path("ops.plan"), |v| {
        let ops = v["plan"]["operations"].as_array_mut().unwrap();
        let op = ops
            .iter_mut()
            .find(|o| o["target"] == A)
            .expect("an operation on A");
        op["action"] = "leave".into();
        op["security_group_id"] = WEB.into();
        op["after"] = serde_json::json!([BASE]);
        op["state_add"] = serde_json::json!([]);
    });
    let apply = run_in(&env, dir, &["apply", "ops.plan"], &[]).await;
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(
        apply.stderr.contains("refusing plan file `ops.plan`: the plan file's operations differ from what its recorded inputs give: it was edited, or made by another sgform version; run `sgform plan` again"),
        "{apply}"
    );

    // An adoption added.
    edit(&env.path("adopt.plan"), |v| {
        v["plan"]["adopt"] = serde_json::json!([{"address": "group_members.ops", "provider": null,
            "region": "cn-hangzhou", "security_group_id": WEB, "target": B}]);
    });
    let apply = run_in(&env, dir, &["apply", "adopt.plan"], &[]).await;
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(
        apply.stderr.contains("the plan file's adoptions differ"),
        "{apply}"
    );

    // A file of the format before this one records none of this: refused as such.
    edit(&env.path("old.plan"), |v| v["version"] = 1.into());
    let apply = run_in(&env, dir, &["apply", "old.plan"], &[]).await;
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(
        apply
            .stderr
            .contains("plan file `old.plan` has format version 1, from an older sgform"),
        "{apply}"
    );

    assert_eq!(env.mutations().await, 0, "an edited plan sent a call");
    assert_eq!(env.groups_of(A).await, [BASE, WEB]);
    assert!(!env.path("sgform.state.json").exists());

    // The file as planned applies.
    let apply = run_in(&env, dir, &["apply", "p.plan"], &[]).await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert_eq!(env.groups_of(A).await, [BASE, OPS, WEB]);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_replaces_only_a_plan_file_and_writes_it_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = start().await;
    let dir = env.dir.path();
    let hcl = std::fs::read(env.path("main.hcl")).unwrap();

    let out = run_in(&env, dir, &["plan", "--out", "main.hcl"], &[]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains(
            "`main.hcl` exists and is not an sgform plan file; `--out` replaces only a plan file"
        ),
        "{out}"
    );
    assert_eq!(
        std::fs::read(env.path("main.hcl")).unwrap(),
        hcl,
        "the configuration was overwritten"
    );
    assert_eq!(env.total_calls().await, 0, "refused only after the refresh");

    std::fs::create_dir(env.path("plans")).unwrap();
    let out = run_in(&env, dir, &["plan", "--out", "plans"], &[]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("`plans` is a directory"), "{out}");

    // A plan file is replaced, and whatever its mode was, the new one is 0600.
    let first = run_in(&env, dir, &["plan", "--out", "p.plan"], &[]).await;
    assert_eq!(first.code, Some(0), "{first}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.path("p.plan")), 0o600);
    std::fs::set_permissions(env.path("p.plan"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let second = run_in(&env, dir, &["plan", "--out", "p.plan"], &[]).await;
    assert_eq!(second.code, Some(0), "{second}");
    assert_eq!(mode(&env.path("p.plan")), 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensitive_variable_given_to_plan_but_not_to_apply_is_hinted_at() {
    let env = start().await;
    let dir = env.dir.path();
    let hcl = std::fs::read_to_string(env.path("main.hcl")).unwrap();
    let hcl = hcl.replace(&format!("\"{OPS}\""), "var.group")
        + &format!("\nvariable \"group\" {{\n  sensitive = true\n  default   = \"{WEB}\"\n}}\n");
    std::fs::write(env.path("main.hcl"), hcl).unwrap();
    let plan = run_in(
        &env,
        dir,
        &["plan", "--var", &format!("group={OPS}"), "--out", "p.plan"],
        &[],
    )
    .await;
    assert_eq!(plan.code, Some(0), "{plan}");
    let apply = run_in(&env, dir, &["apply", "p.plan"], &[]).await;
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(
        apply.stderr.contains("the plan file's operations"),
        "{apply}"
    );
    assert!(
        apply.stderr.contains(
            "hint: or a sensitive variable (`group`) has another value than when the plan was made"
        ),
        "{apply}"
    );
    assert_eq!(env.mutations().await, 0);
    let apply = run_in(
        &env,
        dir,
        &["apply", "p.plan", "--var", &format!("group={OPS}")],
        &[],
    )
    .await;
    assert_eq!(apply.code, Some(0), "{apply}");
    assert_eq!(env.groups_of(B).await, [BASE, OPS]);
}
