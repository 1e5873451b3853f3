//! The real `sgform plan`, `show` and `graph` binaries against an emulator over loopback (a
//! provider `endpoint`, credentials from the environment) and through `--sandbox`: exit codes,
//! the JSON, the Markdown, plan files, `--target`, `--refresh-only`, `--var`, the stderr
//! report, and that a plan never mutates anything and never prints the secret it signs with.
//!
//! Every run goes through [`Fixture::run`], which fails the test if the access key secret shows
//! up on stdout or stderr; [`Fixture::finish`] fails it if the emulator saw any mutation.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sgform::emulator::{Options, World};
use sgform::ids::{Address, RegionId, SecurityGroupId, Target};
use sgform::state::{ManagedMembership, State};
use tempfile::TempDir;

use crate::support::emu_env::Emu;
use crate::support::sgform;

/// The quickstart world's key, with a secret no other test uses, so a leak is found by grep.
const KEY_ID: &str = "LTAI5tExampleKey00001";
const SECRET: &str = "CLI-PLAN-SECRET-5f1c9e";

/// The secret of the checked-in quickstart world (what the sandbox signs with).
const QUICKSTART_SECRET: &str = "example-secret";

/// The first quickstart, frozen in `testdata/cli_fixture` (the exact plans below are its;
/// `examples/quickstart` has its own test in `examples.rs`).
fn quickstart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cli_fixture")
}

/// The quickstart world with [`SECRET`] as its key's secret.
fn world() -> World {
    let mut file = World::load(&quickstart_dir().join("world.json"))
        .unwrap()
        .to_file();
    assert_eq!(file.accounts[0].access_keys[0].id, KEY_ID);
    file.accounts[0].access_keys[0].secret = SECRET.to_owned();
    World::from_file(file).unwrap()
}

/// The quickstart configuration with its provider pointed at `endpoint` instead of the sandbox.
fn quickstart_config(endpoint: &str) -> String {
    let text = std::fs::read_to_string(quickstart_dir().join("main.hcl")).unwrap();
    let from = "sandbox = \"world.json\"";
    assert!(
        text.contains(from),
        "the quickstart provider changed:\n{text}"
    );
    text.replace(from, &format!("endpoint = \"{endpoint}\""))
}

/// What one run of the binary printed.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The one `Refreshed …` line on stderr, parsed: (targets, groups, calls).
    #[track_caller]
    fn refreshed(&self) -> (u64, u64, u64) {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("Refreshed "))
            .collect();
        assert_eq!(lines.len(), 1, "one refresh line:\n{}", self.stderr);
        parse_refresh_line(lines[0])
            .unwrap_or_else(|| panic!("unexpected refresh line: {}", lines[0]))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// `Refreshed N targets and M groups with K API calls in T s` (an optional `(R retries)`
/// after `calls`; each noun singular after 1) → (N, M, K).
fn parse_refresh_line(line: &str) -> Option<(u64, u64, u64)> {
    let n = |w: &str| w.replace(',', "").parse::<u64>().ok();
    let words: Vec<&str> = line.split(' ').collect();
    let [
        "Refreshed",
        targets,
        "target" | "targets",
        "and",
        groups,
        "group" | "groups",
        "with",
        calls,
        "API",
        "call" | "calls",
        rest @ ..,
    ] = words.as_slice()
    else {
        return None;
    };
    let [.., "in", seconds, "s"] = rest else {
        return None;
    };
    seconds.parse::<f64>().ok()?;
    Some((n(targets)?, n(groups)?, n(calls)?))
}

/// An emulator on the quickstart world, a configuration directory pointed at it and an empty
/// `HOME` (no profile file to fall back on).
struct Fixture {
    emu: Emu,
    dir: TempDir,
    home: TempDir,
}

impl Fixture {
    async fn start() -> Fixture {
        let emu = Emu::start(world(), Options::default()).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), quickstart_config(&emu.base)).unwrap();
        Fixture {
            emu,
            dir,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write_state(&self, state: &State) {
        std::fs::write(self.path("sgform.state.json"), state.to_json()).unwrap();
    }

    /// Runs `sgform ARGS` in the configuration directory with the key in the environment.
    async fn run(&self, args: &[&str]) -> Run {
        let out = tokio::process::Command::from(sgform())
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.home.path())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
            .output()
            .await
            .unwrap();
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        assert_no_secret(&run, SECRET);
        run
    }

    /// Calls the emulator answered so far.
    async fn calls(&self) -> u64 {
        self.emu.stats().await["total"].as_u64().unwrap()
    }

    /// Fails unless the emulator saw nothing but Describe calls, then stops it.
    async fn finish(self) {
        assert_only_reads(&self.emu.stats().await);
        self.emu.stop().await;
    }
}

#[track_caller]
fn assert_no_secret(run: &Run, secret: &str) {
    assert!(
        !run.stdout.contains(secret),
        "secret on stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(secret),
        "secret on stderr:\n{}",
        run.stderr
    );
}

#[track_caller]
fn assert_only_reads(stats: &Value) {
    let actions: Vec<&String> = stats["by_action"].as_object().unwrap().keys().collect();
    assert!(
        actions.iter().all(|a| a.starts_with("Describe")),
        "a plan must not mutate anything: {stats:#}"
    );
}

/// A state that manages `pairs` (address, group, target) in cn-hangzhou.
fn state(pairs: &[(&str, &str, &str)]) -> State {
    let mut state = State::empty();
    state.lineage = "5b0c6a8e-1f2d-4c3b-9a00-00000000c11a".to_owned();
    state.serial = 4;
    for (address, group, target) in pairs {
        state.memberships.insert(ManagedMembership {
            address: Address::parse(address).unwrap(),
            provider: None,
            region: RegionId::parse("cn-hangzhou").unwrap(),
            security_group_id: SecurityGroupId::parse(group).unwrap(),
            target: Target::parse(target).unwrap(),
        });
    }
    state
}

/// The quickstart's pairs that already exist, as `apply` would have adopted them.
const ADOPTED: &[(&str, &str, &str)] = &[
    (
        "group_members.db",
        "sg-bp1dbexample001",
        "i-bp1db00example01",
    ),
    (
        r#"membership.web_ops["i-bp1web0example01"]"#,
        "sg-bp1opsexample01",
        "i-bp1web0example01",
    ),
    (
        "membership_set.app",
        "sg-bp1appexample01",
        "i-bp1app0example01",
    ),
];

const QUICKSTART_SUMMARY: &str = "Plan: 1 to join, 0 to leave, 1 to replace, 3 to adopt.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_exit_0_and_2_with_detailed_exitcode() {
    let f = Fixture::start().await;
    let before = f.calls().await;
    let plain = f.run(&["plan"]).await;
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(
        plain.stdout.ends_with(&format!("{QUICKSTART_SUMMARY}\n")),
        "{}",
        plain.stdout
    );
    assert!(
        plain
            .stdout
            .contains("+ join  i-bp1web0example02 to sg-bp1opsexample01"),
        "{}",
        plain.stdout
    );
    // The report counts exactly the calls the emulator answered: 4 targets and the 4 groups
    // the quickstart touches.
    let (targets, groups, calls) = plain.refreshed();
    assert_eq!((targets, groups), (4, 4), "{}", plain.stderr);
    assert_eq!(calls, f.calls().await - before, "{}", plain.stderr);
    assert!(
        !plain.stderr.contains("sandbox"),
        "no sandbox here:\n{}",
        plain.stderr
    );

    let detailed = f.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(detailed.code, Some(2), "{}", detailed.stderr);
    assert_eq!(detailed.stdout, plain.stdout);
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_changes_exit_0_with_and_without_detailed_exitcode() {
    let f = Fixture::start().await;
    // Everything the quickstart wants, already there and in the state.
    std::fs::write(
        f.path("main.hcl"),
        format!(
            "provider \"alicloud\" {{\n  region   = \"cn-hangzhou\"\n  endpoint = \"{}\"\n}}\n\
             membership \"ops\" {{\n  security_group_id = \"sg-bp1opsexample01\"\n  instance_id       = \"i-bp1web0example01\"\n}}\n",
            f.emu.base
        ),
    )
    .unwrap();
    f.write_state(&state(&[(
        "membership.ops",
        "sg-bp1opsexample01",
        "i-bp1web0example01",
    )]));
    for args in [&["plan"][..], &["plan", "--detailed-exitcode"]] {
        let run = f.run(args).await;
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stdout,
            "No changes. Membership matches the configuration.\n"
        );
        run.refreshed();
    }
    let json = f.run(&["plan", "--json", "--detailed-exitcode"]).await;
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let json = json.json();
    assert_eq!(json["operations"], serde_json::json!([]));
    assert_eq!(json["applyable"], false);
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_violations_exit_1_with_diagnostics_and_no_plan() {
    let f = Fixture::start().await;
    // `--var` moves the web servers into an enterprise group beside their normal ones; and a
    // group that does not exist.
    for (var, code) in [
        (
            "ops_group=sg-bp1entexample01",
            "InvalidOperation.MultiGroupType",
        ),
        (
            "ops_group=sg-bp1nosuchgroup0001",
            "InvalidSecurityGroupId.NotFound",
        ),
    ] {
        for extra in [&[][..], &["--detailed-exitcode"], &["--json"]] {
            let mut args = vec!["plan", "--var", var, "--out", "rejected.plan"];
            args.extend_from_slice(extra);
            let run = f.run(&args).await;
            assert_eq!(run.code, Some(1), "{args:?}:\n{}", run.stderr);
            if extra == ["--json"] {
                // No plan: one errored document, with the rule's diagnostic.
                let doc = run.json();
                assert_eq!(doc["errored"], true);
                assert!(doc.get("resource_changes").is_none(), "{doc:#}");
                assert!(doc["diagnostics"].to_string().contains(code), "{doc:#}");
            } else {
                assert_eq!(run.stdout, "", "no plan for a rejected configuration");
            }
            assert!(run.stderr.contains(code), "{args:?}:\n{}", run.stderr);
            assert!(run.stderr.contains("--> main.hcl:"), "{}", run.stderr);
            assert!(
                run.stderr
                    .contains(r#"= address: membership.web_ops["i-bp1web0example0"#),
                "{}",
                run.stderr
            );
            run.refreshed();
            assert!(!f.path("rejected.plan").exists(), "no plan file either");
        }
    }
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_is_refused_naming_the_file_before_any_call() {
    let f = Fixture::start().await;
    std::fs::write(
        f.path("sgform.state.json"),
        "{\"version\": 1, \"lineage\": ",
    )
    .unwrap();
    let run = f.run(&["plan"]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("sgform.state.json` is corrupt"),
        "{}",
        run.stderr
    );

    // The same through `--state`, from another directory.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("prod.state.json");
    std::fs::rename(f.path("sgform.state.json"), &moved).unwrap();
    let run = f.run(&["plan", "--state", moved.to_str().unwrap()]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("`{}` is corrupt", moved.display())),
        "{}",
        run.stderr
    );
    assert_eq!(f.calls().await, 0, "the state is read before the refresh");
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_of_a_newer_version_is_refused() {
    let f = Fixture::start().await;
    let mut newer = state(ADOPTED);
    newer.version = sgform::state::VERSION + 1;
    f.write_state(&newer);
    let run = f.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains(&format!(
            "sgform.state.json` has format version {}, newer than this sgform understands",
            sgform::state::VERSION + 1
        )),
        "{}",
        run.stderr
    );
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_exits_1_with_the_api_error_and_no_plan() {
    let f = Fixture::start().await;
    let wrong = "CLI-PLAN-WRONG-SECRET-77aa";
    let out = tokio::process::Command::from(sgform())
        .args(["plan", "--out", "never.plan", "--detailed-exitcode"])
        .current_dir(f.dir.path())
        .env("HOME", f.home.path())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", wrong)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("SignatureDoesNotMatch"), "{stderr}");
    assert!(stderr.contains("request id"), "{stderr}");
    assert!(!stderr.contains(wrong), "{stderr}");
    assert!(!f.path("never.plan").exists());
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_has_the_terraform_fields_and_the_operations() {
    let f = Fixture::start().await;
    let run = f.run(&["plan", "--json"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.refreshed();
    let json = run.json();
    assert_eq!(json["format_version"], "1.2");
    let addresses: Vec<&str> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            "group_members.db",
            r#"membership.web_ops["i-bp1web0example01"]"#,
            r#"membership.web_ops["i-bp1web0example02"]"#,
            "membership_set.app",
        ]
    );
    let actions = |address: &str| {
        json["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .map(|c| c["change"]["actions"].clone())
            .unwrap()
    };
    assert_eq!(actions("group_members.db"), serde_json::json!(["no-op"]));
    assert_eq!(
        actions(r#"membership.web_ops["i-bp1web0example02"]"#),
        serde_json::json!(["create"])
    );
    assert_eq!(actions("membership_set.app"), serde_json::json!(["update"]));
    let operations: Vec<(&str, &str)> = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["action"].as_str().unwrap(), o["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        operations,
        [
            ("ModifyInstanceAttribute", "i-bp1app0example01"),
            ("JoinSecurityGroup", "i-bp1web0example02"),
        ]
    );
    assert_eq!(
        json["operations"][1]["parameters"],
        serde_json::json!({
            "SecurityGroupId": "sg-bp1opsexample01",
            "InstanceId": "i-bp1web0example02",
            "RegionId": "cn-hangzhou",
        })
    );
    assert_eq!(
        json["summary"],
        serde_json::json!({"join": 1, "leave": 0, "replace": 1, "adopt": 3, "forget": 0})
    );
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_shows_exactly_as_planned() {
    let f = Fixture::start().await;
    let planned = f.run(&["plan", "--out", "quickstart.plan"]).await;
    assert_eq!(planned.code, Some(0), "{}", planned.stderr);
    assert!(
        planned
            .stderr
            .contains("Saved the plan to `quickstart.plan`"),
        "{}",
        planned.stderr
    );
    let file = std::fs::read_to_string(f.path("quickstart.plan")).unwrap();
    assert!(!file.contains(SECRET), "the secret is in the plan file");
    // The access key ID only where the file records what it was made against (issue 14).
    assert_eq!(file.matches(KEY_ID).count(), 1, "{file}");
    assert!(
        file.contains(&format!(r#""access_key_id":"{KEY_ID}""#)),
        "{file}"
    );

    let shown = f.run(&["show", "quickstart.plan"]).await;
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    assert_eq!(shown.stdout, planned.stdout);
    assert_eq!(shown.stderr, "", "show reads no cloud");

    let planned_json = f.run(&["plan", "--json"]).await;
    let shown_json = f.run(&["show", "quickstart.plan", "--json"]).await;
    assert_eq!(shown_json.code, Some(0), "{}", shown_json.stderr);
    assert_eq!(shown_json.stdout, planned_json.stdout);

    let planned_verbose = f.run(&["plan", "--verbose"]).await;
    let shown_verbose = f.run(&["show", "--verbose", "quickstart.plan"]).await;
    assert!(
        shown_verbose
            .stdout
            .contains("API calls, in execution order:"),
        "{}",
        shown_verbose.stdout
    );
    assert_eq!(shown_verbose.stdout, planned_verbose.stdout);

    // `--out` with `--json` saves the same plan.
    let again = f
        .run(&[
            "plan",
            "--json",
            "--out",
            "again.plan",
            "--detailed-exitcode",
        ])
        .await;
    assert_eq!(again.code, Some(2), "{}", again.stderr);
    assert_eq!(again.stdout, planned_json.stdout);
    let again_shown = f.run(&["show", "again.plan"]).await;
    assert_eq!(again_shown.stdout, planned.stdout);

    // Not a plan file, or none at all: exit 1 naming it.
    for (name, says) in [
        ("main.hcl", "`main.hcl` is not an sgform plan file"),
        ("missing.plan", "failed to read plan file `missing.plan`"),
    ] {
        let run = f.run(&["show", name]).await;
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert_eq!(run.stdout, "");
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_prints_the_operations_as_dot() {
    let f = Fixture::start().await;
    let run = f.run(&["graph"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.refreshed();
    assert!(
        run.stdout.starts_with("digraph sgform {\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("}\n"), "{}", run.stdout);
    let nodes: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(" [label") && !l.contains(" -> "))
        .collect();
    // Each node is named and labelled by its declaration's address and the pair, no index.
    assert_eq!(
        nodes,
        [
            r#"  "membership_set.app: replace the groups of i-bp1app0example01 with [sg-bp1appexample01, sg-bp1webexample01]" [label = "membership_set.app\nreplace the groups of i-bp1app0example01 with [sg-bp1appexample01, sg-bp1webexample01]\nModifyInstanceAttribute"];"#,
            r#"  "membership.web_ops[\"i-bp1web0example02\"]: join i-bp1web0example02 to sg-bp1opsexample01" [label = "membership.web_ops[\"i-bp1web0example02\"]\njoin i-bp1web0example02 to sg-bp1opsexample01\nJoinSecurityGroup"];"#,
        ],
        "{}",
        run.stdout
    );

    // A graph of a rejected configuration is no graph.
    let rejected = f
        .run(&["graph", "--var", "ops_group=sg-bp1entexample01"])
        .await;
    assert_eq!(rejected.code, Some(1), "{}", rejected.stderr);
    assert_eq!(rejected.stdout, "");
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_limits_the_plan_to_the_addresses_given() {
    let f = Fixture::start().await;
    let all = f
        .run(&["plan", "--target", "membership.web_ops", "--json"])
        .await;
    assert_eq!(all.code, Some(0), "{}", all.stderr);
    let json = all.json();
    let addresses: Vec<&str> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            r#"membership.web_ops["i-bp1web0example01"]"#,
            r#"membership.web_ops["i-bp1web0example02"]"#,
        ]
    );
    assert_eq!(json["operations"].as_array().unwrap().len(), 1);
    assert_eq!(json["operations"][0]["action"], "JoinSecurityGroup");

    let one = f
        .run(&[
            "plan",
            "--target",
            r#"membership.web_ops["i-bp1web0example01"]"#,
            "--target",
            "membership_set.app",
        ])
        .await;
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    assert!(
        one.stdout
            .ends_with("Plan: 0 to join, 0 to leave, 1 to replace, 2 to adopt.\n"),
        "{}",
        one.stdout
    );
    assert!(!one.stdout.contains("i-bp1web0example02"), "{}", one.stdout);

    // Targeting says that the plan may be incomplete.
    assert!(
        one.stderr
            .contains("warning: targeting is in effect: this plan may be incomplete"),
        "{}",
        one.stderr
    );
    // A mistyped address selects nothing: an error with the closest address, not a silent
    // "No changes".
    let typo = f.run(&["plan", "--target", "membership.web_opz"]).await;
    assert_eq!(typo.code, Some(1), "{}", typo.stderr);
    assert_eq!(typo.stdout, "");
    assert!(
        typo.stderr.contains(
            "error: `--target membership.web_opz` matches nothing in the configuration or the state"
        ),
        "{}",
        typo.stderr
    );
    assert!(
        typo.stderr.contains("did you mean `membership.web_ops`?"),
        "{}",
        typo.stderr
    );
    assert!(!one.stderr.contains("matches nothing"), "{}", one.stderr);

    let bad = f.run(&["plan", "--target", "web_ops"]).await;
    assert_eq!(bad.code, Some(1), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("invalid `--target web_ops`"),
        "{}",
        bad.stderr
    );
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_only_plans_no_operations() {
    let f = Fixture::start().await;
    // Without a state there is nothing to bring in line.
    let run = f
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "No changes. Membership matches the configuration.\n"
    );
    run.refreshed();

    // A managed pair removed outside sgform: refresh-only forgets it and joins nothing.
    let mut managed = ADOPTED.to_vec();
    managed.push((
        r#"membership.web_ops["i-bp1web0example02"]"#,
        "sg-bp1opsexample01",
        "i-bp1web0example02",
    ));
    f.write_state(&state(&managed));
    let run = f
        .run(&["plan", "--refresh-only", "--json", "--detailed-exitcode"])
        .await;
    assert_eq!(run.code, Some(2), "forgetting is a change:\n{}", run.stderr);
    let json = run.json();
    assert_eq!(json["operations"], serde_json::json!([]));
    assert_eq!(json["summary"]["forget"], 1);
    assert_eq!(
        json["resource_drift"][0]["address"],
        r#"membership.web_ops["i-bp1web0example02"]"#
    );
    // The same without `--refresh-only` plans it back.
    let run = f.run(&["plan", "--json"]).await;
    let json = run.json();
    assert_eq!(json["summary"]["join"], 1);
    assert_eq!(json["summary"]["forget"], 0);
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn var_sets_a_variable_of_the_plan() {
    let f = Fixture::start().await;
    // Every web server is in the web group already: joining it instead of ops is adoption only.
    let run = f
        .run(&["plan", "--var", "ops_group=sg-bp1webexample01", "--json"])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json = run.json();
    let joins: Vec<&Value> = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] == "JoinSecurityGroup")
        .collect();
    assert!(joins.is_empty(), "{json:#}");
    assert_eq!(json["summary"]["adopt"], 4);

    // And from the environment, lower precedence than `--var`.
    let out = tokio::process::Command::from(sgform())
        .args(["plan", "--json"])
        .current_dir(f.dir.path())
        .env("HOME", f.home.path())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        .env("SGFORM_VAR_ops_group", "sg-bp1webexample01")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let from_env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_env["summary"], json["summary"]);
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_never_show_the_secret() {
    let f = Fixture::start().await;
    let out = tokio::process::Command::from(sgform())
        .args(["plan", "--out", "debug.plan"])
        .current_dir(f.dir.path())
        .env("HOME", f.home.path())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        .env("SGFORM_LOG", "trace")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("DescribeInstances"),
        "logging is on:\n{stderr}"
    );
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
    assert!(
        !std::fs::read_to_string(f.path("debug.plan"))
            .unwrap()
            .contains(SECRET)
    );
    f.finish().await;
}

/// A copy of the quickstart (configuration and world) in a temporary directory.
fn quickstart_copy() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(quickstart_dir().join(name), dir.path().join(name)).unwrap();
    }
    dir
}

#[track_caller]
fn sandbox_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("sandbox"))
        .collect::<Vec<_>>()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_sandbox_says_so_once_and_never_mutates() {
    let dir = quickstart_copy();
    let world = std::fs::read_to_string(dir.path().join("world.json")).unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = |args: &'static [&'static str]| {
        let mut cmd = tokio::process::Command::from(sgform());
        cmd.args(args)
            .current_dir(dir.path())
            .env("HOME", home.path());
        async move {
            let out = cmd.output().await.unwrap();
            let run = Run {
                code: out.status.code(),
                stdout: String::from_utf8(out.stdout).unwrap(),
                stderr: String::from_utf8(out.stderr).unwrap(),
            };
            assert_no_secret(&run, QUICKSTART_SECRET);
            run
        }
    };
    for args in [
        &["plan", "--detailed-exitcode", "--out", "q.plan"][..],
        &["plan", "--json"],
        &["graph"],
    ] {
        let out = run(args).await;
        assert!(matches!(out.code, Some(0 | 2)), "{args:?}: {}", out.stderr);
        assert_eq!(
            sandbox_lines(&out.stderr),
            [
                "using local sandbox (no cloud calls): world.json, changes go to .sgform/sandbox-world.json"
            ],
            "{args:?}"
        );
        out.refreshed();
    }
    let text = run(&["plan"]).await;
    assert!(
        text.stdout.ends_with(&format!("{QUICKSTART_SUMMARY}\n")),
        "{}",
        text.stdout
    );
    // `show` reads a file, not the sandbox.
    let shown = run(&["show", "q.plan"]).await;
    assert_eq!(shown.stdout, text.stdout);
    assert_eq!(shown.stderr, "");
    let file = std::fs::read_to_string(dir.path().join("q.plan")).unwrap();
    assert!(!file.contains(QUICKSTART_SECRET));

    // Reads only: the copy is still the checked-in world, byte for byte, and so is the world.
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".sgform/sandbox-world.json")).unwrap(),
        world
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("world.json")).unwrap(),
        world
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_flag_replaces_every_provider_endpoint() {
    // A configuration pointed at an endpoint nothing listens on (port 9 on loopback: discard),
    // with no credentials anywhere: `--sandbox` alone makes it work.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        quickstart_config("http://127.0.0.1:9"),
    )
    .unwrap();
    let world = quickstart_dir().join("world.json");
    let home = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::from(sgform())
        .args(["plan", "--sandbox"])
        .arg(&world)
        .current_dir(dir.path())
        .env("HOME", home.path())
        .output()
        .await
        .unwrap();
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_no_secret(&run, QUICKSTART_SECRET);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        sandbox_lines(&run.stderr),
        [format!(
            "using local sandbox (no cloud calls): {}, changes go to .sgform/sandbox-world.json",
            world.display()
        )]
    );
    assert!(
        run.stdout.ends_with(&format!("{QUICKSTART_SUMMARY}\n")),
        "{}",
        run.stdout
    );
    // The copy lives beside the configuration, never beside the world.
    assert!(dir.path().join(".sgform/sandbox-world.json").exists());
}

#[test]
fn the_refresh_line_parser_reads_the_report() {
    assert_eq!(
        parse_refresh_line("Refreshed 2,500 targets and 100 groups with 31 API calls in 0.42 s"),
        Some((2500, 100, 31))
    );
    assert_eq!(
        parse_refresh_line("Refreshed 4 targets and 4 groups with 5 API calls (1 retry) in 0.02 s"),
        Some((4, 4, 5))
    );
    assert_eq!(
        parse_refresh_line("Refreshed 1 target and 1 group with 1 API call in 0.01 s"),
        Some((1, 1, 1))
    );
    assert_eq!(parse_refresh_line("Refreshed 4 targets"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensitive_group_is_masked_in_every_output_but_the_plan_file() {
    let f = Fixture::start().await;
    let config = std::fs::read_to_string(f.path("main.hcl")).unwrap();
    let from = "  type        = string\n  default     = \"sg-bp1opsexample01\"\n";
    assert!(config.contains(from), "{config}");
    std::fs::write(
        f.path("main.hcl"),
        config.replace(from, &format!("{from}  sensitive   = true\n")),
    )
    .unwrap();
    let secret_group = "sg-bp1opsexample01";
    let outputs = [
        f.run(&["plan", "--verbose", "--out", "s.plan"]).await,
        f.run(&["plan", "--json"]).await,
        f.run(&["graph"]).await,
        f.run(&["show", "s.plan", "--verbose"]).await,
        f.run(&["show", "s.plan", "--json"]).await,
        // A diagnostic about the group names it masked too.
        f.run(&["plan", "--var", "ops_group=sg-bp1nosuchgroup0001"])
            .await,
        f.run(&["plan", "--format", "markdown"]).await,
        f.run(&["show", "s.plan", "--format", "markdown"]).await,
        f.run(&[
            "plan",
            "--format",
            "markdown",
            "--var",
            "ops_group=sg-bp1nosuchgroup0001",
        ])
        .await,
    ];
    for run in &outputs {
        assert!(
            !run.stdout.contains(secret_group) && !run.stderr.contains(secret_group),
            "{run:#?}"
        );
    }
    assert!(
        outputs[0]
            .stdout
            .contains("+ join  i-bp1web0example02 to (sensitive value)")
    );
    assert!(
        outputs[5]
            .stderr
            .contains("security group (sensitive value) does not exist")
    );
    assert!(
        outputs[6]
            .stdout
            .contains("+ [1] join  (sensitive value)  for membership.web_ops"),
        "{}",
        outputs[6].stdout
    );
    assert!(
        outputs[8]
            .stdout
            .contains("1. **security group (sensitive value) does not exist"),
        "{}",
        outputs[8].stdout
    );
    // The plan file keeps the ID: apply needs it, and renderers mask it again from its marks.
    assert!(
        std::fs::read_to_string(f.path("s.plan"))
            .unwrap()
            .contains(secret_group)
    );
    f.finish().await;
}

/// The Markdown's `<details>` sections and what follows them: what `plan` and `show` print alike
/// (the headline and table differ only by the diagnostics' columns, which a plan file lacks).
fn details(markdown: &str) -> &str {
    let at = markdown
        .find("<details>")
        .unwrap_or_else(|| panic!("no <details> in:\n{markdown}"));
    &markdown[at..]
}

/// How many `<details>` open and close, as a CommonMark parser reads the document.
fn details_balance(markdown: &str) -> (usize, usize) {
    let mut open = 0;
    let mut close = 0;
    for event in pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::all()) {
        if let pulldown_cmark::Event::Html(h) | pulldown_cmark::Event::InlineHtml(h) = event {
            open += h.matches("<details>").count();
            close += h.matches("</details>").count();
        }
    }
    (open, close)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_through_the_sandbox_is_a_pull_request_comment() {
    let dir = quickstart_copy();
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = tokio::process::Command::from(sgform());
        cmd.args(args)
            .current_dir(dir.path())
            .env("HOME", home.path());
        async move {
            let out = cmd.output().await.unwrap();
            let run = Run {
                code: out.status.code(),
                stdout: String::from_utf8(out.stdout).unwrap(),
                stderr: String::from_utf8(out.stderr).unwrap(),
            };
            assert_no_secret(&run, QUICKSTART_SECRET);
            assert!(
                !run.stdout.contains(KEY_ID),
                "the access key:\n{}",
                run.stdout
            );
            run
        }
    };

    let planned = run(&[
        "plan",
        "--format",
        "markdown",
        "--detailed-exitcode",
        "--out",
        "q.plan",
    ])
    .await;
    assert_eq!(planned.code, Some(2), "{}", planned.stderr);
    planned.refreshed();
    let md = &planned.stdout;
    assert!(
        md.starts_with(&format!(
            "<!-- sgform plan -->\n### sgform plan\n\n**{QUICKSTART_SUMMARY}**\n\n"
        )),
        "{md}"
    );
    assert!(
        md.contains(
            "| Join | Leave | Replace | Adopt | Forget | Drift | Errors | Warnings |\n\
             | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
             | 1 | 0 | 1 | 3 | 0 | 0 | 0 | 0 |\n"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "```diff\n# i-bp1app0example01 (cn-hangzhou): 1 → 2 groups\n\
             ! [0] replace sg-bp1appexample01 → sg-bp1appexample01, sg-bp1webexample01  \
             for membership_set.app\n\n\
             # i-bp1web0example02 (cn-hangzhou): 1 → 2 groups\n\
             + [1] join  sg-bp1opsexample01  for membership.web_ops[\"i-bp1web0example02\"]\n```"
        ),
        "{md}"
    );
    assert_eq!(details_balance(md), (2, 2), "{md}");

    // `show` prints the same sections from the plan file, without reading the cloud.
    let shown = run(&["show", "q.plan", "--format", "markdown"]).await;
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    assert_eq!(shown.stderr, "");
    assert_eq!(details(&shown.stdout), details(md));
    assert!(
        shown
            .stdout
            .contains("| Join | Leave | Replace | Adopt | Forget | Drift |\n"),
        "{}",
        shown.stdout
    );

    // `--json` is `--format json`; with another `--format` it is a usage error, before any
    // refresh.
    let json = run(&["plan", "--json"]).await;
    let same = run(&["plan", "--json", "--format", "json"]).await;
    assert_eq!(same.code, Some(0), "{}", same.stderr);
    assert_eq!(same.stdout, json.stdout);
    for args in [
        &["plan", "--json", "--format", "markdown"][..],
        &["plan", "--format", "text", "--json"],
        &["show", "q.plan", "--json", "--format", "text"],
    ] {
        let conflict = run(args).await;
        assert_eq!(conflict.code, Some(1), "{args:?}: {}", conflict.stderr);
        assert_eq!(conflict.stdout, "", "{args:?}");
        let other = args[args.iter().position(|a| *a == "--format").unwrap() + 1];
        assert!(
            conflict.stderr.starts_with(&format!(
                "error: `--json` is short for `--format json` and conflicts with `--format {other}`"
            )),
            "{args:?}: {}",
            conflict.stderr
        );
        assert!(
            conflict
                .stderr
                .contains(&format!("Usage: sgform {} ", args[0])),
            "{}",
            conflict.stderr
        );
        assert!(
            !conflict.stderr.contains("Refreshed"),
            "{}",
            conflict.stderr
        );
    }

    // Applied, the next plan is one line.
    let applied = run(&["apply", "q.plan"]).await;
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);
    let after = run(&["plan", "--format", "markdown", "--detailed-exitcode"]).await;
    assert_eq!(after.code, Some(0), "{}", after.stderr);
    assert_eq!(
        after.stdout,
        "<!-- sgform plan -->\n### sgform plan\n\nNo changes. Membership matches the configuration.\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_shows_the_errors_that_block_a_plan_and_exits_1() {
    let f = Fixture::start().await;
    let run = f
        .run(&[
            "plan",
            "--format",
            "markdown",
            "--var",
            "ops_group=sg-bp1nosuchgroup0001",
            "--out",
            "rejected.plan",
            "--detailed-exitcode",
        ])
        .await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let md = &run.stdout;
    assert!(
        md.starts_with(
            "<!-- sgform plan -->\n### sgform plan\n\n> [!CAUTION]\n\
             > **2 errors: this plan cannot be applied.** Fix them and plan again.\n\n| Join |"
        ),
        "{md}"
    );
    assert!(md.contains("| 0 | 0 | 1 | 2 | 0 | 0 | 2 | 0 |\n"), "{md}");
    assert!(
        md.contains(
            "1. **security group `sg-bp1nosuchgroup0001` does not exist in the account and region of `alicloud`**\n\
             \x20  - `membership.web_ops[\"i-bp1web0example01\"]` at `main.hcl:"
        ),
        "{md}"
    );
    assert!(md.contains("`InvalidSecurityGroupId.NotFound`"), "{md}");
    assert!(
        md.contains(
            "# i-bp1web0example02: blocked by the errors above\n\
             \x20 + join  sg-bp1nosuchgroup0001  for membership.web_ops[\"i-bp1web0example02\"]\n"
        ),
        "{md}"
    );
    assert_eq!(details_balance(md), (2, 2), "{md}");
    // The log has them too, and nothing is saved.
    assert!(
        run.stderr.contains("= address: membership.web_ops"),
        "{}",
        run.stderr
    );
    assert!(!f.path("rejected.plan").exists());

    // A configuration that does not load: the comment says why, and nothing is refreshed.
    let calls = f.calls().await;
    std::fs::write(f.path("broken.hcl"), "membership \"x\" {\n").unwrap();
    let broken = f.run(&["plan", "--format", "markdown"]).await;
    assert_eq!(broken.code, Some(1), "{}", broken.stderr);
    assert!(
        broken
            .stdout
            .contains("**1 error: this plan cannot be applied.**"),
        "{}",
        broken.stdout
    );
    assert!(
        broken
            .stdout
            .contains("1. **unclosed `{`**\n   - at `broken.hcl:1:16`: this `{` has no matching"),
        "{}",
        broken.stdout
    );
    assert_eq!(f.calls().await, calls);
    f.finish().await;
}
