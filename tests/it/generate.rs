//! `sgform generate` through the real binary against the embedded sandbox: it refuses to
//! overwrite, writes nothing on failure, each style and selector declares exactly the chosen
//! memberships, what DIR declares is skipped, and the "done when": on a generated world
//! of a couple of thousand targets, generate → plan shows only adoptions → apply → plan empty.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use sgform::config::{Declaration, Inputs};
use tempfile::TempDir;

use crate::support::sgform;

const ACCOUNT: &str = "1234567890123456";
const VPC_A: &str = "vpc-bp1gena00000001";
const VPC_B: &str = "vpc-bp1genb00000001";
const VPC_SH: &str = "vpc-uf6gen000000001";
const WEB: &str = "sg-bp1gweb000000001";
const OPS: &str = "sg-bp1gops000000001";
const DB: &str = "sg-bp1gdb0000000001";
const SVC: &str = "sg-bp1gsvc000000001";
const SH_WEB: &str = "sg-uf6gweb00000001";
const WEB1: &str = "i-bp1gweb000000001";
const WEB2: &str = "i-bp1gweb000000002";
const DB1: &str = "i-bp1gdb0000000001";
const SH1: &str = "i-uf6gweb000000001";
const PRIMARY: &str = "eni-bp1gprim0000001";
const SECONDARY: &str = "eni-bp1gsec00000001";
const MANAGED: &str = "eni-bp1gsvc00000001";

fn group(id: &str, region: &str, vpc: &str, name: &str) -> Value {
    json!({"id": id, "region": region, "owner": ACCOUNT, "vpc_id": vpc, "name": name})
}

fn instance(id: &str, region: &str, vpc: &str, groups: &[&str], name: &str, tags: Value) -> Value {
    json!({"id": id, "region": region, "owner": ACCOUNT, "vpc_id": vpc,
           "security_group_ids": groups, "name": name, "tags": tags})
}

/// Two VPCs in Hangzhou and one in Shanghai; names with quotes, `${`, a newline and Unicode;
/// a primary ENI, a secondary one and a service-managed one in a service-managed group.
fn world() -> Value {
    let mut svc = group(SVC, "cn-hangzhou", VPC_A, "k8s-managed");
    svc["service_managed"] = json!(true);
    json!({
        "accounts": [{"id": ACCOUNT, "access_keys": [{"id": "LTAI5tGenerateKey0001", "secret": "generate-test-secret"}]}],
        "vpcs": [
            {"id": VPC_A, "region": "cn-hangzhou", "owner": ACCOUNT},
            {"id": VPC_B, "region": "cn-hangzhou", "owner": ACCOUNT},
            {"id": VPC_SH, "region": "cn-shanghai", "owner": ACCOUNT},
        ],
        "security_groups": [
            group(WEB, "cn-hangzhou", VPC_A, "web \"front\""),
            group(OPS, "cn-hangzhou", VPC_A, "ops"),
            group(DB, "cn-hangzhou", VPC_B, "db"),
            svc,
            group(SH_WEB, "cn-shanghai", VPC_SH, "web-sh"),
        ],
        "instances": [
            instance(WEB1, "cn-hangzhou", VPC_A, &[WEB, OPS], "web \"1\" ${x} ウェブ",
                     json!({"role": "web", "env": "prod"})),
            instance(WEB2, "cn-hangzhou", VPC_A, &[WEB], "web-2\nsecond line",
                     json!({"role": "web", "env": "dev"})),
            instance(DB1, "cn-hangzhou", VPC_B, &[DB], "db-1", json!({"role": "db", "env": "prod"})),
            instance(SH1, "cn-shanghai", VPC_SH, &[SH_WEB], "web-sh-1", json!({"role": "web"})),
        ],
        "network_interfaces": [
            {"id": PRIMARY, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC_A,
             "type": "Primary", "status": "InUse", "instance_id": WEB1},
            {"id": SECONDARY, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC_A,
             "status": "InUse", "instance_id": WEB2, "security_group_ids": [OPS],
             "tags": {"role": "web", "env": "prod"}},
            {"id": MANAGED, "region": "cn-hangzhou", "owner": ACCOUNT, "vpc_id": VPC_A,
             "status": "InUse", "service_managed": true, "security_group_ids": [SVC]},
        ],
    })
}

const PROVIDER: &str =
    "provider \"alicloud\" {\n  region  = \"cn-hangzhou\"\n  sandbox = \"world.json\"\n}\n";

/// A configuration directory with `world.json` and `main.hcl` (`hcl`).
fn dir_with(world: &Value, hcl: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("world.json"),
        serde_json::to_string_pretty(world).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("main.hcl"), hcl).unwrap();
    dir
}

fn sg<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Output {
    sgform().current_dir(dir).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn ok(out: &Output) -> &Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
    out
}

#[track_caller]
fn fails(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
    stderr(out)
}

/// Every file in `dir` (not recursive), sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The `(group, target)` pairs a generated file declares, by loading it alone.
fn declared(path: &Path) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let (config, diags) = sgform::config::load_sources(
        vec![(PathBuf::from("generated.hcl"), text)],
        &Inputs::default(),
    );
    assert!(!sgform::diag::has_errors(&diags), "{diags:#?}");
    let mut out = BTreeSet::new();
    for d in config.declarations() {
        match d {
            Declaration::Membership(m) => {
                out.insert((m.security_group_id.to_string(), m.target.to_string()));
            }
            Declaration::MembershipSet(s) => {
                for g in &s.security_group_ids {
                    out.insert((g.to_string(), s.target.to_string()));
                }
            }
            Declaration::GroupMembers(g) => {
                for t in g.members() {
                    out.insert((g.security_group_id.to_string(), t.to_string()));
                }
            }
        }
    }
    out
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(g, t)| ((*g).to_owned(), (*t).to_owned()))
        .collect()
}

/// The last line of a plan.
fn summary(out: &Output) -> String {
    stdout(out).lines().last().unwrap_or_default().to_owned()
}

/// Runs `generate` in `dir` with `args`, then checks that the file is formatted and valid
/// beside the configuration, that the plan adopts exactly `adopt` memberships and changes
/// nothing, that apply records them and that the next plan is empty. Returns generate's stderr.
#[track_caller]
fn onboard(dir: &Path, args: &[&str], adopt: &str) -> String {
    let mut full = vec!["generate", ".", "--out", "imported.hcl"];
    full.extend_from_slice(args);
    let generated = stderr(ok(&sg(dir, &full)));
    ok(&sg(dir, &["fmt", "--check", "imported.hcl"]));
    ok(&sg(dir, &["validate", "."]));
    let plan = sg(dir, &["plan", "."]);
    assert_eq!(
        summary(ok(&plan)),
        format!("Plan: 0 to join, 0 to leave, 0 to replace, {adopt} to adopt."),
        "{}",
        stdout(&plan)
    );
    let apply = sg(dir, &["apply", "--auto-approve", "."]);
    // An adopt-only apply counts what it adopted.
    assert!(
        stdout(ok(&apply)).contains(&format!(
            "Apply complete! 0 joined, 0 left, 0 replaced, {adopt} adopted, 0 forgotten in "
        )),
        "{}",
        stdout(&apply)
    );
    let again = sg(dir, &["plan", "."]);
    assert_eq!(
        summary(ok(&again)),
        "No changes. Membership matches the configuration."
    );
    generated
}

#[test]
fn an_existing_file_is_never_overwritten_and_nothing_is_read() {
    let dir = dir_with(&world(), PROVIDER);
    std::fs::write(dir.path().join("imported.hcl"), "# mine\n").unwrap();
    let err = fails(&sg(dir.path(), &["generate", ".", "--out", "imported.hcl"]));
    assert!(
        err.contains("`imported.hcl` already exists; `sgform generate` never overwrites a file"),
        "{err}"
    );
    assert!(err.contains("hint: choose another `--out`"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("imported.hcl")).unwrap(),
        "# mine\n"
    );
    // Refused before the sandbox started: it would have made `.sgform/`.
    assert_eq!(
        listing(dir.path()),
        ["imported.hcl", "main.hcl", "world.json"]
    );
}

#[test]
fn a_failure_leaves_no_file_at_all() {
    // The provider allows one group per target, so a set of two would not validate.
    let hcl = PROVIDER.replace("  sandbox", "  max_groups_per_target = 1\n  sandbox");
    let dir = dir_with(&world(), &hcl);
    let err = fails(&sg(
        dir.path(),
        &[
            "generate",
            ".",
            "--out",
            "imported.hcl",
            "--style",
            "membership_set",
        ],
    ));
    assert!(
        err.contains(&format!(
            "`membership_set` for `{WEB1}` lists 2 security groups; the limit is 1"
        )),
        "{err}"
    );
    assert!(err.contains("--> imported.hcl:"), "{err}");
    assert!(
        err.contains("the generated configuration would not be valid beside `.`, so `imported.hcl` was not written"),
        "{err}"
    );
    assert_eq!(listing(dir.path()), [".sgform", "main.hcl", "world.json"]);

    // A directory that does not exist: refused before anything is read.
    let dir = dir_with(&world(), PROVIDER);
    let err = fails(&sg(
        dir.path(),
        &["generate", ".", "--out", "no/such/dir/x.hcl"],
    ));
    assert!(
        err.contains(
            "cannot write `no/such/dir/x.hcl`: the directory `no/such/dir` does not exist"
        ),
        "{err}"
    );
    assert_eq!(listing(dir.path()), ["main.hcl", "world.json"]);

    // A cloud that cannot be reached: an error naming it, and no file either.
    let dir = dir_with(
        &world(),
        "provider \"alicloud\" {\n  region   = \"cn-hangzhou\"\n  endpoint = \"http://127.0.0.1:9\"\n}\n",
    );
    let out = sgform()
        .current_dir(dir.path())
        .args(["generate", ".", "--out", "imported.hcl"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tGenerateKey0001")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "generate-test-secret")
        .output()
        .unwrap();
    let err = fails(&out);
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert!(!err.contains("generate-test-secret"), "{err}");
    assert_eq!(listing(dir.path()), ["main.hcl", "world.json"]);
}

#[test]
fn membership_style_declares_every_pair_of_the_region_and_plans_only_adoptions() {
    let dir = dir_with(&world(), PROVIDER);
    let err = onboard(dir.path(), &[], "5");
    assert!(
        err.contains("No --vpc, --tag or --security-group: reading every instance and network interface in region `cn-hangzhou` (provider `alicloud`)"),
        "{err}"
    );
    assert!(
        err.contains("Left out 1 membership of service-managed"),
        "{err}"
    );
    assert!(
        err.contains("Wrote `imported.hcl`: 4 `membership` blocks for 4 targets, 5 memberships."),
        "{err}"
    );
    let file = dir.path().join("imported.hcl");
    let text = std::fs::read_to_string(&file).unwrap();
    // The primary ENI changes with its instance; Shanghai is another region.
    assert_eq!(
        declared(&file),
        pairs(&[
            (WEB, WEB1),
            (OPS, WEB1),
            (WEB, WEB2),
            (DB, DB1),
            (OPS, SECONDARY)
        ])
    );
    assert!(!text.contains(PRIMARY) && !text.contains(MANAGED), "{text}");
    assert!(
        text.contains(&format!(
            "# instance {WEB1}: name = \"web \\\"1\\\" $${{x}} ウェブ\", tags = {{ env = \"prod\", role = \"web\" }}\nmembership \"{WEB1}\" {{\n"
        )),
        "{text}"
    );
    assert!(text.contains("name = \"web-2\\nsecond line\""), "{text}");
}

#[test]
fn two_runs_write_the_same_bytes() {
    let dir = dir_with(&world(), PROVIDER);
    ok(&sg(dir.path(), &["generate", ".", "--out", "a.hcl"]));
    let a = std::fs::read_to_string(dir.path().join("a.hcl")).unwrap();
    std::fs::rename(dir.path().join("a.hcl"), dir.path().join("a.txt")).unwrap();
    ok(&sg(dir.path(), &["generate", ".", "--out", "b.hcl"]));
    let b = std::fs::read_to_string(dir.path().join("b.hcl")).unwrap();
    assert_eq!(a, b);
}

#[test]
fn membership_set_style_declares_each_targets_groups() {
    let dir = dir_with(&world(), PROVIDER);
    let err = onboard(dir.path(), &["--style", "membership_set"], "5");
    assert!(
        err.contains(
            "Wrote `imported.hcl`: 4 `membership_set` blocks for 4 targets, 5 memberships."
        ),
        "{err}"
    );
    let text = std::fs::read_to_string(dir.path().join("imported.hcl")).unwrap();
    assert!(
        text.contains(&format!(
            "membership_set \"{WEB1}\" {{\n  instance_id        = \"{WEB1}\"\n  security_group_ids = [\"{OPS}\", \"{WEB}\"]\n}}\n"
        )),
        "{text}"
    );
}

#[test]
fn group_members_style_declares_each_groups_members() {
    let dir = dir_with(&world(), PROVIDER);
    let err = onboard(dir.path(), &["--style", "group_members"], "5");
    assert!(
        err.contains(
            "Wrote `imported.hcl`: 3 `group_members` blocks for 4 targets, 5 memberships."
        ),
        "{err}"
    );
    let file = dir.path().join("imported.hcl");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(&format!(
            "# security group {OPS}: name = \"ops\", 1 instance, 1 network interface\ngroup_members \"{OPS}\" {{\n  security_group_id = \"{OPS}\"\n  instance_ids      = [\n    \"{WEB1}\", #"
        )),
        "{text}"
    );
    assert!(
        !text.contains(&format!("group_members \"{SVC}\"")),
        "{text}"
    );
}

#[test]
fn group_members_of_chosen_groups_and_the_sandbox_flag() {
    // No sandbox in the configuration: `--sandbox` provides it, as for `plan`.
    let dir = dir_with(
        &world(),
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n",
    );
    let out = sg(
        dir.path(),
        &[
            "generate",
            ".",
            "--out",
            "imported.hcl",
            "--sandbox",
            "world.json",
            "--style",
            "group_members",
            "--security-group",
            OPS,
        ],
    );
    let err = stderr(ok(&out));
    assert!(
        err.contains("using local sandbox (no cloud calls): world.json"),
        "{err}"
    );
    assert!(!err.contains("No --vpc"), "{err}");
    assert_eq!(
        declared(&dir.path().join("imported.hcl")),
        pairs(&[(OPS, WEB1), (OPS, SECONDARY)])
    );
    // The next step it prints carries `--sandbox` too, and works as printed.
    let plan = sg(dir.path(), &next_step(&err, "plan"));
    assert_eq!(
        summary(ok(&plan)),
        "Plan: 0 to join, 0 to leave, 0 to replace, 2 to adopt."
    );
    // DIR had a provider block: none was added.
    let text = std::fs::read_to_string(dir.path().join("imported.hcl")).unwrap();
    assert!(!text.contains("provider \"alicloud\""), "{text}");
}

/// The arguments of the `sgform COMMAND …` that generate's `Next:` line on `stderr` suggests.
#[track_caller]
fn next_step(stderr: &str, command: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Next: "))
        .unwrap_or_else(|| panic!("no `Next:` line in:\n{stderr}"));
    let quoted = line
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|q| q.starts_with(&format!("sgform {command} ")))
        .unwrap_or_else(|| panic!("no `sgform {command}` in: {line}"));
    quoted
        .split_whitespace()
        .skip(1)
        .map(String::from)
        .collect()
}

#[test]
fn into_an_empty_directory_it_writes_the_provider_block_too() {
    // The world beside the project, which has no file at all yet.
    let root = dir_with(&world(), "");
    std::fs::remove_file(root.path().join("main.hcl")).unwrap();
    std::fs::create_dir(root.path().join("proj")).unwrap();
    let out = sg(
        root.path(),
        &[
            "generate",
            "proj",
            "--out",
            "proj/imported.hcl",
            "--sandbox",
            "world.json",
        ],
    );
    let err = stderr(ok(&out));
    assert!(
        err.contains("Wrote `proj/imported.hcl`: a `provider \"alicloud\"` block (region `cn-hangzhou`, sandbox `../world.json`) and "),
        "{err}"
    );
    // Nothing says `plan` writes the state: apply does.
    assert!(!err.contains("plan proj` adopts"), "{err}");
    assert!(err.contains("records them in the state"), "{err}");
    let text = std::fs::read_to_string(root.path().join("proj/imported.hcl")).unwrap();
    assert!(
        text.contains("provider \"alicloud\" {\n  region  = \"cn-hangzhou\"\n  sandbox = \"../world.json\"\n}\n"),
        "{text}"
    );
    assert!(!text.contains("`sgform plan` adopts"), "{text}");

    // `sgform plan proj`, as printed, with no flag: only adoptions.
    let plan_args = next_step(&err, "plan");
    assert_eq!(plan_args, ["plan", "proj"]);
    let plan = sg(root.path(), &plan_args);
    assert_eq!(
        summary(ok(&plan)),
        "Plan: 0 to join, 0 to leave, 0 to replace, 5 to adopt."
    );
    let apply = sg(root.path(), &["apply", "--auto-approve", "proj"]);
    ok(&apply);
    let again = sg(root.path(), &plan_args);
    assert_eq!(
        summary(ok(&again)),
        "No changes. Membership matches the configuration."
    );
    // `fmt` leaves the file as written.
    ok(&sg(root.path(), &["fmt", "--check", "proj/imported.hcl"]));
}

/// The pairs `generate` declares with `args`, in a fresh directory.
#[track_caller]
fn generated_with(args: &[&str]) -> BTreeSet<(String, String)> {
    let dir = dir_with(&world(), PROVIDER);
    let mut full = vec!["generate", ".", "--out", "imported.hcl"];
    full.extend_from_slice(args);
    ok(&sg(dir.path(), &full));
    declared(&dir.path().join("imported.hcl"))
}

#[test]
fn vpcs_match_any_tags_match_all_and_groups_narrow_the_pairs() {
    assert_eq!(generated_with(&["--vpc", VPC_B]), pairs(&[(DB, DB1)]));
    assert_eq!(
        generated_with(&["--vpc", VPC_A, "--vpc", VPC_B]),
        pairs(&[
            (WEB, WEB1),
            (OPS, WEB1),
            (WEB, WEB2),
            (DB, DB1),
            (OPS, SECONDARY)
        ])
    );
    assert_eq!(
        generated_with(&["--tag", "role=web"]),
        pairs(&[(WEB, WEB1), (OPS, WEB1), (WEB, WEB2), (OPS, SECONDARY)])
    );
    assert_eq!(
        generated_with(&["--tag", "role=web", "--tag", "env=prod"]),
        pairs(&[(WEB, WEB1), (OPS, WEB1), (OPS, SECONDARY)])
    );
    assert_eq!(
        generated_with(&["--tag", "env=prod", "--vpc", VPC_B]),
        pairs(&[(DB, DB1)])
    );
    // With the additive style, a group keeps only its own pairs of the targets.
    assert_eq!(
        generated_with(&["--security-group", OPS]),
        pairs(&[(OPS, WEB1), (OPS, SECONDARY)])
    );
    assert_eq!(
        generated_with(&["--security-group", OPS, "--tag", "env=prod", "--vpc", VPC_A]),
        pairs(&[(OPS, WEB1), (OPS, SECONDARY)])
    );
    assert_eq!(
        generated_with(&["--security-group", WEB, "--tag", "env=dev"]),
        pairs(&[(WEB, WEB2)])
    );
}

#[test]
fn a_set_of_a_chosen_group_ignores_the_targets_other_groups() {
    let dir = dir_with(&world(), PROVIDER);
    onboard(
        dir.path(),
        &["--style", "membership_set", "--security-group", OPS],
        "2",
    );
    let text = std::fs::read_to_string(dir.path().join("imported.hcl")).unwrap();
    assert!(
        text.contains(&format!(
            "  security_group_ids        = [\"{OPS}\"]\n  ignore_security_group_ids = [\"{WEB}\"]\n"
        )),
        "{text}"
    );
}

#[test]
fn selectors_that_cannot_work_are_refused_with_a_hint() {
    let dir = dir_with(&world(), PROVIDER);
    let err = fails(&sg(
        dir.path(),
        &[
            "generate",
            ".",
            "--out",
            "x.hcl",
            "--style",
            "group_members",
            "--vpc",
            VPC_A,
        ],
    ));
    assert!(
        err.contains("`--style group_members` declares whole groups"),
        "{err}"
    );
    let err = fails(&sg(
        dir.path(),
        &[
            "generate", ".", "--out", "x.hcl", "--tag", "env=prod", "--tag", "env=dev",
        ],
    ));
    assert!(err.contains("cannot both match"), "{err}");
    let err = fails(&sg(
        dir.path(),
        &[
            "generate",
            ".",
            "--out",
            "x.hcl",
            "--security-group",
            "sg-bp1nosuchgroup001",
        ],
    ));
    assert!(
        err.contains("security group `sg-bp1nosuchgroup001` does not exist in region `cn-hangzhou` of provider `alicloud`"),
        "{err}"
    );
    let out = sg(
        dir.path(),
        &["generate", ".", "--out", "x.hcl", "--tag", "role"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a usage error: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("expected KEY=VALUE"),
        "{}",
        stderr(&out)
    );
    let err = fails(&sg(
        dir.path(),
        &["generate", ".", "--out", "x.hcl", "--provider", "nope"],
    ));
    assert!(
        err.contains("declares no provider `alicloud.nope`"),
        "{err}"
    );
    assert!(
        err.contains("hint: the providers it declares: `alicloud`"),
        "{err}"
    );
    assert!(!dir.path().join("x.hcl").exists());
}

#[test]
fn what_dir_declares_is_skipped_and_names_never_collide() {
    // `membership "i-…WEB1"` declares WEB1 in WEB (under the name generate would pick) and an
    // empty set named like WEB2's block.
    let hcl = format!(
        "{PROVIDER}
membership \"{WEB1}\" {{
  security_group_id = \"{WEB}\"
  instance_id       = \"{WEB1}\"
}}

membership \"{WEB2}\" {{
  for_each          = toset([])
  security_group_id = each.key
  instance_id       = \"{WEB2}\"
}}
"
    );
    let dir = dir_with(&world(), &hcl);
    let err = onboard(dir.path(), &[], "5");
    assert!(
        err.contains("Skipped 1 membership already declared in `.`."),
        "{err}"
    );
    assert!(
        err.contains("2 blocks are named with a `_N` suffix"),
        "{err}"
    );
    let text = std::fs::read_to_string(dir.path().join("imported.hcl")).unwrap();
    assert!(
        text.contains(&format!("membership \"{WEB1}_2\" {{")),
        "{text}"
    );
    assert!(
        text.contains(&format!("membership \"{WEB2}_2\" {{")),
        "{text}"
    );
    assert_eq!(
        declared(&dir.path().join("imported.hcl")),
        pairs(&[(OPS, WEB1), (WEB, WEB2), (DB, DB1), (OPS, SECONDARY)])
    );

    // Run again: everything is declared now, so nothing is written.
    let out = sg(dir.path(), &["generate", ".", "--out", "more.hcl"]);
    let err = stderr(ok(&out));
    assert!(
        err.contains("Skipped 5 memberships already declared"),
        "{err}"
    );
    assert!(err.contains("Nothing to declare"), "{err}");
    assert!(!dir.path().join("more.hcl").exists());

    // An authoritative block is left out whole where DIR says something about its target.
    let out = sg(
        dir.path(),
        &[
            "generate",
            ".",
            "--out",
            "sets.hcl",
            "--style",
            "membership_set",
        ],
    );
    let err = stderr(ok(&out));
    assert!(
        err.contains(&format!(
            "(no block for `{DB1}`, `{WEB1}`, `{WEB2}`, `{SECONDARY}`: `.` already declares something about each)"
        )),
        "{err}"
    );
    assert!(!dir.path().join("sets.hcl").exists());
}

#[test]
fn a_provider_alias_reads_its_region_and_is_named_in_each_block() {
    let hcl = format!(
        "{PROVIDER}
provider \"alicloud\" {{
  alias   = \"sh\"
  region  = \"cn-shanghai\"
  sandbox = \"world.json\"
}}
"
    );
    let dir = dir_with(&world(), &hcl);
    onboard(dir.path(), &["--provider", "sh"], "1");
    let text = std::fs::read_to_string(dir.path().join("imported.hcl")).unwrap();
    assert!(
        text.contains(&format!(
            "membership \"{SH1}\" {{\n  for_each          = toset([\"{SH_WEB}\"])\n  security_group_id = each.key\n  instance_id       = \"{SH1}\"\n  provider          = alicloud.sh\n}}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("in region `cn-shanghai` (provider `alicloud.sh`)"),
        "{text}"
    );
}

/// The "done when": a generated world of 2,000 targets (1,600 instances, 400 ENIs)
/// is onboarded in one command, and the plan right after only adopts.
#[test]
fn a_generated_world_of_two_thousand_targets_onboards_to_an_empty_plan() {
    let world = sgform::emulator::generate(&sgform::emulator::GenerateOptions {
        instances: 1600,
        enis: 400,
        groups: 30,
        vpcs: Some(2),
        regions: 1,
        seed: 9,
    })
    .unwrap();
    // What should be declared, from the world itself: every group of every instance and of
    // every ENI that no cloud service manages, except the service-managed groups.
    let file = world.to_file();
    let managed: BTreeSet<&str> = file
        .security_groups
        .iter()
        .filter(|g| g.service_managed)
        .map(|g| g.id.as_str())
        .collect();
    let declarable = |groups: &[String]| {
        groups
            .iter()
            .filter(|g| !managed.contains(g.as_str()))
            .count()
    };
    let per_target: Vec<usize> = file
        .instances
        .iter()
        .map(|i| declarable(&i.security_group_ids))
        .chain(
            file.network_interfaces
                .iter()
                .filter(|e| !e.service_managed && e.eni_type != "Primary")
                .map(|e| declarable(&e.security_group_ids)),
        )
        .collect();
    let expected: usize = per_target.iter().sum();
    let targets = per_target.iter().filter(|n| **n > 0).count();
    assert!(
        targets > 1900 && expected > 3000,
        "{targets} targets, {expected} pairs"
    );
    let world: Value = serde_json::from_str(&world.to_json()).unwrap();
    let dir = dir_with(
        &world,
        "provider \"alicloud\" {\n  sandbox = \"world.json\"\n}\n",
    );
    let adopt = sgform::plan::render::text::thousands(expected);
    let err = stderr(ok(&sg(
        dir.path(),
        &["generate", ".", "--out", "imported.hcl"],
    )));
    assert!(
        err.contains(&format!(
            "`membership` blocks for {} targets, {adopt} memberships.",
            sgform::plan::render::text::thousands(targets)
        )),
        "{err}"
    );
    // Each run costs about two seconds of a debug build at this size, so the plan is read
    // from apply's preview (the same plan, printed before it runs) instead of a run of its own;
    // `onboard` runs `plan` alone on the small worlds.
    let apply = sg(dir.path(), &["apply", "--auto-approve", "."]);
    let out = stdout(ok(&apply));
    let plan_line = out
        .lines()
        .find(|l| l.starts_with("Plan: "))
        .unwrap_or_default();
    assert_eq!(
        plan_line,
        format!("Plan: 0 to join, 0 to leave, 0 to replace, {adopt} to adopt.")
    );
    assert!(
        out.contains(&format!(
            "Apply complete! 0 joined, 0 left, 0 replaced, {adopt} adopted, 0 forgotten in "
        )),
        "{}",
        out.lines().last().unwrap_or_default()
    );
    let again = sg(dir.path(), &["plan", "."]);
    assert_eq!(
        summary(ok(&again)),
        "No changes. Membership matches the configuration."
    );
}
