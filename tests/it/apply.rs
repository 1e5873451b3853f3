//! `apply` against the emulator over loopback: the real executor (`apply::execute`) and the real
//! binary. Every golden plan case with a legal plan converges (plan → apply → plan is empty);
//! already-done answers count as success; a denied action fails only its own operations and
//! their dependants; with 20% injected faults an apply of 501 operations converges, its state
//! is the remote truth, and it never sends an operation again once the emulator committed it;
//! the CLI refuses a stale plan file, a stdin that is not a terminal without `--auto-approve`,
//! runs the quickstart to a clean plan, shows a progress bar only on a terminal, and handles
//! one and two Ctrl-C.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use sgform::apply::{self, ApplyOptions, Cancel, Event, Outcome, Report, SinkError, StateSink};
use sgform::cloud::{Backoff, Client, ClientConfig, Credentials, RetryPolicy, Secret};
use sgform::config::Config;
use sgform::diag;
use sgform::emulator::{Fault, Faults, Options, World};
use sgform::ids::RegionId;
use sgform::plan::refresh::{self, Clients};
use sgform::plan::{Action, Plan, PlanOptions};
use sgform::state::{ManagedMembership, State};

use crate::plan_golden::{load_config, load_state, options, settled};
use crate::support::emu_env::{Emu, members_of};
use crate::support::run_sgform;

/// The state in memory, as the CLI's file would hold it.
struct MemorySink(State);

impl StateSink for MemorySink {
    fn record(
        &mut self,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), SinkError> {
        for m in remove {
            self.0.memberships.remove(m);
        }
        self.0.memberships.extend(add.iter().cloned());
        if self.0.lineage.is_empty() {
            self.0.lineage = "test-lineage".to_owned();
        }
        self.0.serial += 1;
        Ok(())
    }
}

fn first_key(world: &World) -> (String, String) {
    let file = world.to_file();
    let key = file
        .accounts
        .iter()
        .find_map(|a| a.access_keys.first())
        .expect("the world has an access key");
    (key.id.clone(), key.secret.clone())
}

/// A client without a client-side rate limit, retrying quickly and often enough that 20%
/// faults do not exhaust it.
fn client(base: &str, region: &str, key: &(String, String)) -> Client {
    let credentials = Credentials::new(key.0.as_str(), Secret::new(key.1.as_str()));
    let mut c = ClientConfig::new(base, RegionId::parse(region).unwrap(), credentials);
    c.rate_limit = None;
    c.timeout = Duration::from_secs(5);
    c.retry = RetryPolicy {
        retryable: Backoff {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            max_attempts: 12,
        },
        wait: Backoff {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            max_attempts: 3,
        },
    };
    Client::new(c).unwrap()
}

fn clients(base: &str, config: &Config, key: &(String, String)) -> Clients {
    let mut clients = Clients::new();
    for p in config.providers() {
        let region = p.region.as_ref().map_or("cn-hangzhou", |r| r.as_str());
        clients.insert(p.alias.clone(), client(base, region, key));
    }
    clients
}

async fn make_plan(
    clients: &Clients,
    config: &Config,
    state: &State,
    options: &PlanOptions,
) -> (Plan, Vec<diag::Diagnostic>) {
    let run = sgform::ops::plan::refresh_and_plan(
        clients,
        config,
        state,
        refresh::DEFAULT_PARALLELISM,
        options,
    )
    .await
    .unwrap();
    (run.plan, run.diagnostics)
}

async fn run(plan: &Plan, clients: &Clients, sink: &mut MemorySink) -> Report {
    run_with_events(plan, clients, sink).await.0
}

fn quick_options() -> ApplyOptions {
    ApplyOptions {
        poll_interval: Duration::from_millis(20),
        wait_timeout: Duration::from_secs(5),
        ..ApplyOptions::default()
    }
}

async fn run_with_events(
    plan: &Plan,
    clients: &Clients,
    sink: &mut MemorySink,
) -> (Report, Vec<Event>) {
    run_with_options(plan, clients, sink, &quick_options()).await
}

async fn run_with_options(
    plan: &Plan,
    clients: &Clients,
    sink: &mut MemorySink,
    options: &ApplyOptions,
) -> (Report, Vec<Event>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = async {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    };
    // The executor owns the sink while it runs (its writes run on a blocking thread).
    let owned = std::mem::replace(sink, MemorySink(State::empty()));
    let ((report, owned), events) = tokio::join!(
        apply::execute(plan, clients, owned, options, tx, Cancel::never()),
        drain
    );
    *sink = owned;
    (report, events)
}

#[track_caller]
fn assert_empty(case: &str, plan: &Plan, diags: &[diag::Diagnostic]) {
    assert!(
        !plan.has_changes() && !diag::has_errors(diags),
        "{case}: planning again after apply is not empty:\n{}",
        sgform::plan::render::text::render(plan, Default::default())
    );
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// plan → apply → plan is empty for every golden case whose plan is legal and changes something.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_legal_golden_plan_applies_and_converges() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/plan"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    let mut applied = 0;
    for dir in cases {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (config, diags) = load_config(&dir);
        if diag::has_errors(&diags) {
            continue;
        }
        let state = load_state(&dir);
        let options = options(&dir);
        let world = World::load(&dir.join("world.json")).unwrap();
        let key = first_key(&world);
        let emu = Emu::start(settled(&world), Options::default()).await;
        let clients = clients(&emu.base, &config, &key);
        let (planned, diags) = make_plan(&clients, &config, &state, &options).await;
        if diag::has_errors(&diags) || !planned.has_changes() {
            emu.stop().await;
            continue;
        }
        let mut sink = MemorySink(state);
        let report = run(&planned, &clients, &mut sink).await;
        assert!(report.succeeded(), "{case}: {:#?}", report.operations);
        let (again, diags) = make_plan(&clients, &config, &sink.0, &options).await;
        assert_empty(&case, &again, &diags);
        applied += 1;
        emu.stop().await;
    }
    // 28 of the 53 cases had a legal plan with changes when this was written.
    assert!(applied >= 28, "only {applied} golden cases applied");
}

/// A small world: `n` instances in `sg-bp1base0000000` (and `sg-bp1grpc0000000` when `in_c`),
/// groups A, B and C, and a second key that may not call JoinSecurityGroup.
pub(crate) fn world(n: usize, in_c: bool) -> World {
    let group = |id: &str| {
        json!({"id": id, "region": "cn-hangzhou", "owner": "1111111111111111",
               "vpc_id": "vpc-bp1gold0000001", "type": "normal", "name": id,
               "rule_count": 0, "capacity": 2000})
    };
    let instances: Vec<Value> = (0..n)
        .map(|i| {
            let mut groups = vec!["sg-bp1base0000000"];
            if in_c {
                groups.push("sg-bp1grpc0000000");
            }
            json!({"id": instance(i), "region": "cn-hangzhou", "owner": "1111111111111111",
                   "vpc_id": "vpc-bp1gold0000001", "security_group_ids": groups,
                   "name": format!("t{i}")})
        })
        .collect();
    let file = json!({
        "accounts": [{"id": "1111111111111111", "access_keys": [
            {"id": "LTAI5tApplyKey000001", "secret": "apply-secret"},
            {"id": "LTAI5tApplyDeny00001", "secret": "deny-secret",
             "deny_actions": ["JoinSecurityGroup"]}]}],
        "vpcs": [{"id": "vpc-bp1gold0000001", "region": "cn-hangzhou", "owner": "1111111111111111"}],
        "security_groups": [group("sg-bp1base0000000"), group("sg-bp1grpa0000000"),
                            group("sg-bp1grpb0000000"), group("sg-bp1grpc0000000")],
        "instances": instances,
    });
    World::from_file(serde_json::from_value(file).unwrap()).unwrap()
}

pub(crate) fn instance(i: usize) -> String {
    format!("i-bp1t{i:010}")
}

pub(crate) fn hcl_list(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn load(dir: &Path, hcl: &str) -> Config {
    std::fs::write(dir.join("main.hcl"), hcl).unwrap();
    let (config, diags) = sgform::config::load(dir, &Default::default()).unwrap();
    assert!(!diag::has_errors(&diags), "{diags:?}");
    config
}

const PROVIDER: &str = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n";

/// The first `n` instances joining `sg-bp1grpa0000000` through one `for_each` block, planned
/// from an empty state: the clients, the configuration and the plan of `n` joins.
async fn join_all(emu: &Emu, dir: &Path, n: usize) -> (Clients, Config, Plan) {
    let ids: Vec<String> = (0..n).map(instance).collect();
    let config = load(
        dir,
        &format!(
            "{PROVIDER}membership \"a\" {{\n  for_each = toset({})\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_id = each.value\n}}\n",
            hcl_list(&ids)
        ),
    );
    let clients = clients(&emu.base, &config, &key());
    let (planned, diags) =
        make_plan(&clients, &config, &State::empty(), &PlanOptions::default()).await;
    assert!(!diag::has_errors(&diags));
    assert_eq!(planned.operations.len(), n);
    (clients, config, planned)
}

fn key() -> (String, String) {
    ("LTAI5tApplyKey000001".to_owned(), "apply-secret".to_owned())
}

fn deny_key() -> (String, String) {
    ("LTAI5tApplyDeny00001".to_owned(), "deny-secret".to_owned())
}

#[tokio::test]
async fn already_done_answers_count_as_success() {
    let emu = Emu::start(world(2, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (clients, config, planned) = join_all(&emu, dir.path(), 2).await;
    let ids: Vec<String> = (0..2).map(instance).collect();

    // Behind the plan's back, the first pair is made.
    let c = clients.get(&None).unwrap();
    c.call(
        "JoinSecurityGroup",
        &[
            ("SecurityGroupId".to_owned(), "sg-bp1grpa0000000".to_owned()),
            ("InstanceId".to_owned(), ids[0].clone()),
        ],
    )
    .await
    .unwrap();

    let mut sink = MemorySink(State::empty());
    let report = run(&planned, &clients, &mut sink).await;
    assert!(report.succeeded(), "{:#?}", report.operations);
    assert_eq!(report.joined, 2);
    let outcomes: BTreeMap<String, Outcome> = report
        .operations
        .iter()
        .map(|r| {
            (
                planned.operations[r.index].target.to_string(),
                r.outcome.clone(),
            )
        })
        .collect();
    assert_eq!(
        outcomes[&ids[0]],
        Outcome::AlreadyDone {
            code: Some("InvalidInstanceId.AlreadyExists".to_owned())
        }
    );
    assert_eq!(outcomes[&ids[1]], Outcome::Done);
    assert_eq!(sink.0.memberships.len(), 2);
    let (again, diags) = make_plan(&clients, &config, &sink.0, &PlanOptions::default()).await;
    assert_empty("already_done", &again, &diags);
    emu.stop().await;
}

#[tokio::test]
async fn a_denied_action_fails_only_its_operations_and_dependants() {
    let emu = Emu::start(world(3, true), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // Instance 0 joins A (denied) and leaves C; instances 1 and 2 only leave C (allowed).
    let config = load(
        dir.path(),
        &format!(
            "{PROVIDER}membership \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_id = \"{}\"\n}}\n\ngroup_members \"c\" {{\n  security_group_id = \"sg-bp1grpc0000000\"\n  instance_ids = []\n}}\n",
            instance(0)
        ),
    );
    let clients = clients(&emu.base, &config, &deny_key());
    let (planned, diags) =
        make_plan(&clients, &config, &State::empty(), &PlanOptions::default()).await;
    assert!(!diag::has_errors(&diags), "{diags:?}");
    let mut sink = MemorySink(State::empty());
    let report = run(&planned, &clients, &mut sink).await;
    assert!(!report.succeeded());
    assert_eq!(report.failed, 1, "{:#?}", report.operations);

    let mut expected = BTreeSet::new();
    let mut failed_index = None;
    for r in &report.operations {
        let op = &planned.operations[r.index];
        match (&r.outcome, op.action) {
            (Outcome::Failed(f), Action::Join) => {
                assert_eq!(f.code.as_deref(), Some("Forbidden.RAM"));
                assert!(f.request_id.is_some() && f.hint.is_some(), "{f:?}");
                failed_index = Some(r.index);
            }
            (Outcome::Done, Action::Leave) => {
                expected.extend(op.state_add.iter().cloned());
            }
            (Outcome::Skipped { because }, _) => {
                assert_eq!(op.target.to_string(), instance(0));
                assert_eq!(Some(*because), failed_index);
            }
            other => panic!("unexpected outcome {other:?} for {}", op.target),
        }
    }
    // The other instances left C; the state holds exactly what happened.
    for i in 1..3 {
        let leave_done = report.operations.iter().any(|r| {
            let op = &planned.operations[r.index];
            op.target.to_string() == instance(i) && r.outcome == Outcome::Done
        });
        assert!(leave_done, "{} did not leave C", instance(i));
    }
    assert_eq!(sink.0.memberships, expected);
    let world = emu.world().await;
    for inst in world["instances"].as_array().unwrap() {
        let groups: Vec<&str> = inst["security_group_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert!(!groups.contains(&"sg-bp1grpa0000000"), "{inst}");
        if inst["id"] != instance(0).as_str() {
            assert!(!groups.contains(&"sg-bp1grpc0000000"), "{inst}");
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn a_starting_target_is_waited_for_then_joined() {
    let mut file = world(1, false).to_file();
    file.instances[0].status = "Starting".to_owned();
    file.instances[0].transition =
        Some(serde_json::from_value(json!({"to": "Running", "after_ms": 300})).unwrap());
    let emu = Emu::start(World::from_file(file).unwrap(), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = load(
        dir.path(),
        &format!(
            "{PROVIDER}membership \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_id = \"{}\"\n}}\n",
            instance(0)
        ),
    );
    let clients = clients(&emu.base, &config, &key());
    let (planned, diags) =
        make_plan(&clients, &config, &State::empty(), &PlanOptions::default()).await;
    assert!(!diag::has_errors(&diags), "{diags:?}");
    assert_eq!(planned.operations.len(), 1);
    let mut sink = MemorySink(State::empty());
    let (report, events) = run_with_events(&planned, &clients, &mut sink).await;
    assert!(report.succeeded(), "{:#?}", report.operations);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Waiting { status, .. } if status == "Starting")),
        "{events:#?}"
    );
    emu.stop().await;
}

/// The first quickstart, frozen in `testdata/cli_fixture` (these tests count its joins and
/// replacements; `examples/quickstart` has its own test in `examples.rs`).
const QUICKSTART: &str = "testdata/cli_fixture";

/// The quickstart's `membership_set.app` replaces the whole set of `i-bp1app0example01`.
#[tokio::test]
async fn a_replace_refuses_a_set_that_changed_since_the_plan() {
    let qs = root().join(QUICKSTART);
    let world = World::load(&qs.join("world.json")).unwrap();
    let key = first_key(&world);
    let emu = Emu::start(world, Options::default()).await;
    let (config, diags) = sgform::config::load(&qs, &Default::default()).unwrap();
    assert!(!diag::has_errors(&diags));
    let clients = clients(&emu.base, &config, &key);
    let (planned, diags) =
        make_plan(&clients, &config, &State::empty(), &PlanOptions::default()).await;
    assert!(!diag::has_errors(&diags));
    let replace = planned
        .operations
        .iter()
        .position(|o| o.action == Action::Replace)
        .expect("the quickstart replaces a set");
    let target = planned.operations[replace].target.to_string();
    clients
        .get(&None)
        .unwrap()
        .call(
            "JoinSecurityGroup",
            &[
                (
                    "SecurityGroupId".to_owned(),
                    "sg-bp1opsexample01".to_owned(),
                ),
                ("InstanceId".to_owned(), target.clone()),
            ],
        )
        .await
        .unwrap();
    let mut sink = MemorySink(State::empty());
    let report = run(&planned, &clients, &mut sink).await;
    assert_eq!(report.failed, 1, "{:#?}", report.operations);
    match &report.operations[replace].outcome {
        Outcome::Failed(f) => {
            assert!(f.message.contains("changed concurrently"), "{f:?}");
            assert!(
                f.hint
                    .as_deref()
                    .unwrap()
                    .contains("run `sgform plan` again")
            );
        }
        other => panic!("{other:?}"),
    }
    // The independent join went ahead; the replaced target kept what it had.
    assert_eq!(report.joined, 1);
    let world = emu.world().await;
    let app = world["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == target.as_str())
        .unwrap();
    assert!(
        app["security_group_ids"]
            .as_array()
            .unwrap()
            .contains(&json!("sg-bp1opsexample01")),
        "{app}"
    );
    emu.stop().await;
}

const MUTATIONS: &[&str] = &[
    "JoinSecurityGroup",
    "LeaveSecurityGroup",
    "ModifyInstanceAttribute",
    "ModifyNetworkInterfaceAttribute",
];

/// The fault test: throttling, 500, 503, 409 and drops before and after the commit at
/// 20% of all requests together, on top of latency with jitter, over a 501-operation apply
/// (167 joins into A, 167 into B, 167 leaves from C). It converges with no failed operation,
/// the next plan is empty, the state is exactly the remote truth, and the emulator's request
/// log (the JSON lines `sgform emulator serve --log` writes) shows no mutation sent again once
/// the emulator had committed it, which is stricter than "once sgform knew it was confirmed".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_faults_it_converges_and_never_resends_a_committed_operation() {
    let n = 167;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emulator.log");
    let mut faults = Faults::none();
    for f in Fault::ALL {
        faults = faults.with(*f, 0.2 / Fault::ALL.len() as f64);
    }
    let options = Options {
        faults,
        latency_ms: 1,
        jitter_ms: 3,
        seed: Some(7),
        log: Some(log.clone()),
        ..Options::default()
    };
    let emu = Emu::start(world(n, true), options).await;
    let ids: Vec<String> = (0..n).map(instance).collect();
    let config = load(
        dir.path(),
        &format!(
            "{PROVIDER}group_members \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_ids = {l}\n}}\n\ngroup_members \"b\" {{\n  security_group_id = \"sg-bp1grpb0000000\"\n  instance_ids = {l}\n}}\n\ngroup_members \"c\" {{\n  security_group_id = \"sg-bp1grpc0000000\"\n  instance_ids = []\n}}\n",
            l = hcl_list(&ids)
        ),
    );
    let clients = clients(&emu.base, &config, &key());
    let (planned, diags) =
        make_plan(&clients, &config, &State::empty(), &PlanOptions::default()).await;
    assert!(!diag::has_errors(&diags), "{diags:?}");
    assert_eq!(planned.operations.len(), 3 * n);
    assert!(planned.operations.len() >= 500);
    let mut sink = MemorySink(State::empty());
    let options = ApplyOptions {
        parallelism: 25,
        ..quick_options()
    };
    let (report, _) = run_with_options(&planned, &clients, &mut sink, &options).await;
    assert!(report.succeeded(), "{:#?}", report.operations);
    assert!(report.retries > 0, "20% faults but no retries");
    let (again, diags) = make_plan(&clients, &config, &sink.0, &PlanOptions::default()).await;
    assert_empty("faults", &again, &diags);

    // The state is the remote truth: A and B hold every instance, C none, and the state
    // records exactly the pairs of A and B.
    let world = emu.world().await;
    let all: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(members_of(&world, "sg-bp1grpa0000000"), all);
    assert_eq!(members_of(&world, "sg-bp1grpb0000000"), all);
    assert!(members_of(&world, "sg-bp1grpc0000000").is_empty());
    let recorded: BTreeSet<(String, String)> = sink
        .0
        .memberships
        .iter()
        .map(|m| (m.target.to_string(), m.security_group_id.to_string()))
        .collect();
    let truth: BTreeSet<(String, String)> = ["sg-bp1grpa0000000", "sg-bp1grpb0000000"]
        .iter()
        .flat_map(|g| ids.iter().map(|i| (i.clone(), (*g).to_owned())))
        .collect();
    assert_eq!(recorded, truth);
    emu.stop().await;

    // From the emulator's log: once a mutation was committed (answered OK, or dropped after
    // the commit), the same mutation of the same pair is never sent again. A line is written
    // just before its answer (or its drop) leaves, so a resend, which can only follow the
    // answer, always comes after it in the log.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut committed: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut requests = 0;
    for line in text.lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let code = entry["code"].as_str().unwrap_or_default();
        requests += 1;
        *codes.entry(code.to_owned()).or_default() += 1;
        let action = entry["action"].as_str().unwrap_or_default();
        if !MUTATIONS.contains(&action) {
            continue;
        }
        let params = &entry["params"];
        let key = (
            action.to_owned(),
            params["InstanceId"].as_str().unwrap_or_default().to_owned(),
            params["SecurityGroupId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        assert!(
            !committed.contains(&key),
            "{key:?} was sent again after it was committed:\n{line}"
        );
        if code == "OK" || code == "DropAfterCommit" {
            committed.insert(key);
        }
    }
    assert_eq!(committed.len(), 3 * n);
    // Every fault kind was injected, about 20% of all requests together.
    let injected = [
        "InternalError",
        "ServiceUnavailable",
        "Throttling",
        "InvalidOperation.Conflict",
        "DropBeforeCommit",
        "DropAfterCommit",
    ];
    for kind in injected {
        assert!(
            codes.get(kind).is_some_and(|c| *c > 0),
            "no {kind}: {codes:?}"
        );
    }
    let faulted: usize = injected.iter().filter_map(|k| codes.get(*k)).sum();
    let rate = faulted as f64 / requests as f64;
    assert!(
        (0.12..0.28).contains(&rate),
        "{rate} of {requests}: {codes:?}"
    );
}

// --- The binary --------------------------------------------------------------------------

fn quickstart_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["main.hcl", "world.json"] {
        std::fs::copy(root().join(QUICKSTART).join(name), dir.path().join(name)).unwrap();
    }
    dir
}

async fn sgform_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = tokio::process::Command::from(crate::support::sgform());
    cmd.current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null());
    cmd.output().await.unwrap()
}

pub(crate) fn text(out: &std::process::Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_applies_and_plans_clean() {
    let dir = quickstart_copy();
    let d = dir.path().to_str().unwrap();
    let apply = run_sgform(&["apply", d, "--auto-approve"], &[]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let stdout = String::from_utf8_lossy(&apply.stdout);
    assert!(
        stdout.contains("membership.web_ops[\"i-bp1web0example02\"]: Joined ("),
        "{stdout}"
    );
    assert!(
        stdout.contains("Apply complete! 1 joined, 0 left, 1 replaced"),
        "{stdout}"
    );
    let plan = run_sgform(&["plan", d, "--detailed-exitcode"], &[]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let again = run_sgform(&["apply", d, "--auto-approve"], &[]).await;
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("No changes. Membership matches the configuration."),
        "{}",
        text(&again)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_or_auto_approve_nothing_is_sent() {
    let dir = quickstart_copy();
    let out = sgform_in(dir.path(), &["apply", "."]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass `--auto-approve`"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("sgform.state.json").exists());
    assert!(
        !dir.path().join(".sgform").exists(),
        "the sandbox was started"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_once_and_a_stale_one_is_refused() {
    let dir = quickstart_copy();
    let plan = sgform_in(dir.path(), &["plan", "--out", "p.plan"]).await;
    assert!(plan.status.success(), "{}", text(&plan));
    std::fs::copy(dir.path().join("p.plan"), dir.path().join("q.plan")).unwrap();
    let apply = sgform_in(dir.path(), &["apply", "p.plan"]).await;
    assert!(apply.status.success(), "{}", text(&apply));

    // The plan was made before there was a state; now there is one (and the cloud changed).
    let stale = sgform_in(dir.path(), &["apply", "q.plan"]).await;
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(
        stderr.contains("stale plan: run sgform plan again"),
        "{stderr}"
    );
    assert!(stderr.contains("lineage differs"), "{stderr}");

    // A changed configuration file is named.
    let plan = sgform_in(dir.path(), &["plan", "--out", "r.plan"]).await;
    assert!(plan.status.success(), "{}", text(&plan));
    let mut hcl = std::fs::read_to_string(dir.path().join("main.hcl")).unwrap();
    hcl.push_str("\n# edited\n");
    std::fs::write(dir.path().join("main.hcl"), hcl).unwrap();
    let stale = sgform_in(dir.path(), &["apply", "r.plan"]).await;
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("`main.hcl` changed"),
        "{}",
        text(&stale)
    );
}

/// Writes `main.hcl` in `dir`: a provider that calls the emulator at `base`, then `body`.
pub(crate) fn emulator_config(dir: &Path, base: &str, body: &str) {
    std::fs::write(
        dir.join("main.hcl"),
        format!("provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  endpoint = \"{base}\"\n}}\n\n{body}"),
    )
    .unwrap();
}

/// `group_members "a"`: exactly instances `0..n` in group A.
fn all_in_a(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(instance).collect();
    format!(
        "group_members \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_ids = {}\n}}\n",
        hcl_list(&ids)
    )
}

/// The hermetic binary in `dir` with the key of [`world`] in its environment.
pub(crate) fn sgform_with_key(dir: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::from(crate::support::sgform());
    cmd.current_dir(dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tApplyKey000001")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "apply-secret")
        .stdin(std::process::Stdio::null());
    cmd
}

/// What a terminal shows at the end of `raw`, line by line: a small emulator of the sequences
/// indicatif and the tty use (`\r`, `\n`, erase line `ESC[2K`/`ESC[K`, cursor up/down
/// `ESC[nA`/`ESC[nB`); characters overwrite from the cursor; other sequences are dropped.
fn screen(raw: &str) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                row += 1;
                if row == lines.len() {
                    lines.push(Vec::new());
                }
            }
            '\r' => col = 0,
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut param = String::new();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        last = c;
                        break;
                    }
                    param.push(c);
                }
                let n: usize = param.parse().unwrap_or(1);
                match (last, param.as_str()) {
                    ('K', "2") => lines[row].clear(),
                    ('K', "" | "0") => lines[row].truncate(col),
                    ('A', _) => row = row.saturating_sub(n),
                    ('B', _) => {
                        row += n;
                        while lines.len() <= row {
                            lines.push(Vec::new());
                        }
                    }
                    _ => {}
                }
            }
            c => {
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_owned())
        .collect()
}

/// The done counts of every bar frame in `raw` (`[===>  ] 3/12 operations, …`), in order.
fn bar_frames(raw: &str, total: usize) -> Vec<usize> {
    let marker = format!("/{total} operations, ");
    let mut counts = Vec::new();
    let mut rest = raw;
    while let Some(at) = rest.find(&marker) {
        let digits: String = rest[..at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        counts.push(digits.parse().unwrap());
        rest = &rest[at + marker.len()..];
    }
    counts
}

/// On a terminal a progress bar (done/total, rate, ETA) runs below the per-operation lines,
/// which stay whole, and is cleared before the summary; through pipes the same apply prints the
/// same lines with no bar and no escape codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_a_progress_bar_runs_below_the_lines_and_is_cleared_for_the_summary() {
    let n = 12;
    let options = Options {
        latency_ms: 40,
        ..Options::default()
    };
    let on_tty = Emu::start(world(n, false), options.clone()).await;
    let piped = Emu::start(world(n, false), options).await;
    let (tty_dir, pipe_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    emulator_config(tty_dir.path(), &on_tty.base, &all_in_a(n));
    emulator_config(pipe_dir.path(), &piped.base, &all_in_a(n));
    let command = format!(
        "'{}' apply . --auto-approve --parallelism 3",
        env!("CARGO_BIN_EXE_sgform")
    );
    let terminal = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(tty_dir.path())
        .env_clear()
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm") // indicatif draws nothing where `TERM` is unset or `dumb`
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tApplyKey000001")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "apply-secret")
        .stdin(std::process::Stdio::null())
        .output();
    let pipes = sgform_with_key(pipe_dir.path())
        .args(["apply", ".", "--auto-approve", "--parallelism", "3"])
        .output();
    let (terminal, pipes) = tokio::join!(terminal, pipes);
    let terminal = terminal.expect("util-linux `script` runs apply on a pseudo-terminal");
    let pipes = pipes.unwrap();
    on_tty.stop().await;
    piped.stop().await;

    assert_eq!(terminal.status.code(), Some(0), "{}", text(&terminal));
    let raw = String::from_utf8_lossy(&terminal.stdout).into_owned();
    let frames = bar_frames(&raw, n);
    assert!(
        !frames.is_empty(),
        "no progress bar on the terminal:\n{raw:?}"
    );
    assert!(
        frames.windows(2).all(|w| w[0] <= w[1]) && frames.last() == Some(&n),
        "the bar counts up to {n}: {frames:?}"
    );
    assert!(
        raw.contains("/s, ETA "),
        "no rate or ETA in the bar:\n{raw:?}"
    );
    // What stays on the screen: every line whole, none cut by a bar frame, and no bar left.
    let lines = screen(&raw);
    let joined = lines
        .iter()
        .filter(|l| l.starts_with("group_members.a: Joined (") && l.ends_with("s)"))
        .count();
    assert_eq!(joined, n, "{lines:#?}");
    assert!(
        !lines.iter().any(|l| l.contains(" operations, ")),
        "a bar was left on the screen: {lines:#?}"
    );
    let last = lines.iter().rev().find(|l| !l.is_empty()).unwrap();
    assert!(
        last.starts_with(&format!(
            "Apply complete! {n} joined, 0 left, 0 replaced, 0 adopted, 0 forgotten in "
        )),
        "{lines:#?}"
    );
    let after = &raw[raw.rfind("Apply complete!").unwrap()..];
    assert!(
        !after.contains('\x1b') && !after.contains(" operations, "),
        "the bar was cleared before the summary: {after:?}"
    );

    assert_eq!(pipes.status.code(), Some(0), "{}", text(&pipes));
    for stream in [&pipes.stdout, &pipes.stderr] {
        let shown = String::from_utf8_lossy(stream);
        assert!(
            !shown.contains('\x1b') && !shown.contains(" operations, "),
            "a bar or an escape code without a terminal: {shown:?}"
        );
    }
    let stdout = String::from_utf8_lossy(&pipes.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("group_members.a: Joined ("))
            .count(),
        n,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "\nApply complete! {n} joined, 0 left, 0 replaced, 0 adopted, 0 forgotten in "
        )),
        "{stdout}"
    );
}

/// Runs `sgform apply .` in `dir` on a pseudo-terminal (util-linux `script`), typing `answer`.
async fn apply_on_a_terminal(dir: &Path, answer: &str) -> std::process::Output {
    use tokio::io::AsyncWriteExt as _;
    let command = format!("{} apply .", env!("CARGO_BIN_EXE_sgform"));
    let mut child = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the prompt on a pseudo-terminal");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).await.unwrap();
    drop(stdin);
    child.wait_with_output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_yes_at_the_prompt_applies() {
    let dir = quickstart_copy();
    let out = apply_on_a_terminal(dir.path(), "no\n").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("Do you want to apply these changes? Only 'yes' will be accepted:"),
        "{shown}"
    );
    assert!(shown.contains("Apply cancelled."), "{shown}");
    assert!(!dir.path().join("sgform.state.json").exists());
    let plan = sgform_in(dir.path(), &["plan", "--detailed-exitcode"]).await;
    assert_eq!(
        plan.status.code(),
        Some(2),
        "nothing was sent: {}",
        text(&plan)
    );

    let out = apply_on_a_terminal(dir.path(), "yes\n").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Apply complete!"),
        "{}",
        text(&out)
    );
    let plan = sgform_in(dir.path(), &["plan", "--detailed-exitcode"]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

/// The first Ctrl-C (SIGINT) starts nothing new, lets the call in flight finish, and exits 130
/// with a state that holds exactly the completed operations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_interrupt_finishes_in_flight_work_and_saves_the_state() {
    use tokio::io::AsyncBufReadExt as _;
    let n = 30;
    let options = Options {
        latency_ms: 100,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (0..n).map(instance).collect();
    std::fs::write(
        dir.path().join("main.hcl"),
        format!(
            "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  endpoint = \"{}\"\n}}\n\ngroup_members \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_ids = {}\n}}\n",
            emu.base,
            hcl_list(&ids)
        ),
    )
    .unwrap();
    let mut cmd = tokio::process::Command::from(crate::support::sgform());
    cmd.current_dir(dir.path())
        .args(["apply", ".", "--auto-approve", "--parallelism", "1"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tApplyKey000001")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "apply-secret")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let pid = child.id().unwrap().to_string();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        let joined = line.contains(": Joined (");
        seen.push(line);
        if joined {
            break;
        }
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push(line);
    }
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = seen.join("\n");
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(stdout.contains("Apply cancelled:"), "{stdout}");

    let state = sgform::state::read(&dir.path().join("sgform.state.json")).unwrap();
    let world = emu.world().await;
    let members: BTreeSet<String> = world["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["security_group_ids"]
                .as_array()
                .unwrap()
                .contains(&json!("sg-bp1grpa0000000"))
        })
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let recorded: BTreeSet<String> = state
        .memberships
        .iter()
        .map(|m| m.target.to_string())
        .collect();
    assert_eq!(recorded, members, "the state tells the truth");
    assert!(!members.is_empty() && members.len() < n, "{members:?}");
    emu.stop().await;
}

/// A second Ctrl-C exits at once (130) without waiting for the calls in flight: each join
/// holds its answer for 1 s (the emulator's `op_ms`), so the joins started after the first
/// Ctrl-C's batch are made in the cloud but never answered before the exit. The state tells no
/// lie (every pair it records exists), and the next apply adopts what it missed and converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_interrupt_exits_at_once_and_the_next_apply_converges() {
    use tokio::io::AsyncBufReadExt as _;
    let n = 20;
    let options = Options {
        op_ms: 1000,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    emulator_config(dir.path(), &emu.base, &all_in_a(n));
    let mut child = sgform_with_key(dir.path())
        .args(["apply", ".", "--auto-approve", "--parallelism", "4"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap().to_string();
    let signal = || {
        let kill = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(kill.success());
    };
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    // After the first join is answered, wait for the next to start: that call is in flight for
    // another second.
    let mut seen = Vec::new();
    let mut joined = false;
    while let Some(line) = stdout.next_line().await.unwrap() {
        let started = joined && line.ends_with(" ...");
        joined |= line.contains(": Joined (");
        seen.push(line);
        if started {
            break;
        }
    }
    signal();
    let mut errors = Vec::new();
    while let Some(line) = stderr.next_line().await.unwrap() {
        let received = line.starts_with("Interrupt received");
        errors.push(line);
        if received {
            break;
        }
    }
    signal();
    while let Some(line) = stdout.next_line().await.unwrap() {
        seen.push(line);
    }
    while let Some(line) = stderr.next_line().await.unwrap() {
        errors.push(line);
    }
    let status = child.wait().await.unwrap();
    let (stdout, stderr) = (seen.join("\n"), errors.join("\n"));
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Exiting at once; the state holds every completed operation."),
        "{stderr}"
    );
    assert!(
        !stdout.contains("Apply cancelled:"),
        "it waited for the calls in flight:\n{stdout}"
    );

    let state = sgform::state::read(&dir.path().join("sgform.state.json")).unwrap();
    let recorded: BTreeSet<String> = state
        .memberships
        .iter()
        .map(|m| m.target.to_string())
        .collect();
    let members = members_of(&emu.world().await, "sg-bp1grpa0000000");
    assert!(!recorded.is_empty(), "the first join was saved");
    assert!(
        recorded.is_subset(&members),
        "the state records a pair the cloud does not have: {:?}",
        recorded.difference(&members).collect::<Vec<_>>()
    );
    assert!(
        members.len() > recorded.len(),
        "no join was still in flight at the exit: {members:?}"
    );
    assert!(members.len() < n, "{members:?}");

    let apply = sgform_with_key(dir.path())
        .args(["apply", ".", "--auto-approve", "--parallelism", "20"])
        .output()
        .await
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply));
    let shown = String::from_utf8_lossy(&apply.stdout);
    let adopted = members.len() - recorded.len();
    assert!(
        shown.contains(&format!("{adopted} to adopt")),
        "what was made but not saved is adopted: {shown}"
    );
    let plan = sgform_with_key(dir.path())
        .args(["plan", ".", "--detailed-exitcode"])
        .output()
        .await
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let state = sgform::state::read(&dir.path().join("sgform.state.json")).unwrap();
    assert_eq!(state.memberships.len(), n);
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_is_one_event_per_line() {
    let dir = quickstart_copy();
    let refused = sgform_in(dir.path(), &["apply", ".", "--json"]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let out = sgform_in(dir.path(), &["apply", ".", "--json", "--auto-approve"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "started").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "finished").count(),
        2,
        "{kinds:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["type"], "complete");
    assert_eq!(last["counts"]["joined"], 1);
    assert_eq!(last["counts"]["replaced"], 1);
    assert_eq!(last["counts"]["adopted"], 3, "{last}");
    assert!(events.iter().all(|e| e["version"] == 1), "{events:?}");
}

/// The emulator limits each action to 10 calls/s and sgform is not told: throttling answers
/// slow the client's limiter down and every operation still succeeds, with the client's own
/// (default) retry policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untold_rate_limit_is_found_without_failed_operations() {
    let n = 30;
    let options = Options {
        rate_limit: Some(10),
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (0..n).map(instance).collect();
    let config = load(
        dir.path(),
        &format!(
            "{PROVIDER}group_members \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_ids = {}\n}}\n",
            hcl_list(&ids)
        ),
    );
    let credentials = Credentials::new("LTAI5tApplyKey000001", Secret::new("apply-secret"));
    let mut c = ClientConfig::new(
        emu.base.as_str(),
        RegionId::parse("cn-hangzhou").unwrap(),
        credentials,
    );
    c.rate_limit = Some(100.0);
    let mut clients = Clients::new();
    clients.insert(None, Client::new(c).unwrap());
    let (planned, diags) =
        make_plan(&clients, &config, &State::empty(), &PlanOptions::default()).await;
    assert!(!diag::has_errors(&diags), "{diags:?}");
    let mut sink = MemorySink(State::empty());
    let report = run(&planned, &clients, &mut sink).await;
    assert!(report.succeeded(), "{:#?}", report.operations);
    assert_eq!(report.joined, n);
    assert!(report.throttled > 0, "the emulator never throttled");
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_only_forgets_what_is_gone_and_calls_nothing() {
    let dir = quickstart_copy();
    let apply = sgform_in(dir.path(), &["apply", ".", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let state_path = dir.path().join(".sgform/sandbox.state.json");
    let before = sgform::state::read(&state_path).unwrap();

    // Behind sgform's back, a managed pair disappears from the sandbox's world.
    let copy = dir.path().join(".sgform/sandbox-world.json");
    let mut world: Value = serde_json::from_str(&std::fs::read_to_string(&copy).unwrap()).unwrap();
    for i in world["instances"].as_array_mut().unwrap() {
        if i["id"] == "i-bp1web0example02" {
            i["security_group_ids"]
                .as_array_mut()
                .unwrap()
                .retain(|g| g != "sg-bp1opsexample01");
        }
    }
    std::fs::write(&copy, world.to_string()).unwrap();

    let out = sgform_in(
        dir.path(),
        &["apply", ".", "--refresh-only", "--auto-approve"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 to forget"), "{stdout}");
    // A refresh-only apply changes nothing in the cloud, and its summary counts what it forgot.
    assert!(
        stdout.contains("Apply complete! 0 joined, 0 left, 0 replaced, 0 adopted, 1 forgotten in "),
        "{stdout}"
    );
    assert!(stdout.contains("(0 API calls, 0 retries)"), "{stdout}");
    let after = sgform::state::read(&state_path).unwrap();
    assert_eq!(after.memberships.len() + 1, before.memberships.len());
    assert_eq!(after.serial, before.serial + 1);
    assert_eq!(after.lineage, before.lineage);
    assert!(
        !after
            .memberships
            .iter()
            .any(|m| m.target.as_str() == "i-bp1web0example02"
                && m.security_group_id.as_str() == "sg-bp1opsexample01")
    );
}

/// Issue 16, "the configuration directory stays clean": after plan, apply (whose commits go
/// through the state's journal), a saved plan and the state commands, the directory holds the
/// configuration, the plan file asked for, the state and its backup, and `.sgform/` (which
/// ignores itself): no lock file, no journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_directory_keeps_only_the_state_and_what_was_asked_for() {
    let n = 6;
    let emu = Emu::start(world(n, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    emulator_config(dir.path(), &emu.base, &all_in_a(n));
    for args in [
        &["plan", "."][..],
        &["apply", ".", "--auto-approve", "--parallelism", "1"],
        &["plan", ".", "--out", "next.plan"],
        &["state", "list"],
        &["state", "rm", "--dry-run", "group_members.a"],
        &["force-unlock", "00000000-0000-4000-8000-000000000000"],
    ] {
        let out = sgform_with_key(dir.path())
            .args(args)
            .output()
            .await
            .unwrap();
        let expect_ok = args[0] != "force-unlock";
        assert_eq!(out.status.success(), expect_ok, "{args:?}: {}", text(&out));
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "sgform.state.json.backup")
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".sgform", "main.hcl", "next.plan", "sgform.state.json"]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".sgform/.gitignore")).unwrap(),
        "*\n"
    );
    let state = sgform::state::read(&dir.path().join("sgform.state.json")).unwrap();
    assert_eq!(state.memberships.len(), n);
}

/// Two runs on one state: while another process holds the state lock, apply fails at once
/// naming the holder and changes nothing (the sandbox copy is not even created); once the
/// holder is killed with SIGKILL, the next apply takes the lock with no manual step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_fails_naming_the_holder_then_proceeds_after_a_sigkill() {
    use std::io::BufRead as _;
    let dir = quickstart_copy();
    let mut holder = crate::support::sgform()
        .args(["state", "hold-lock"])
        .current_dir(dir.path())
        .env("USER", "bob")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();

    let blocked = sgform_in(dir.path(), &["apply", ".", "--auto-approve"]).await;
    assert_eq!(blocked.status.code(), Some(1), "{}", text(&blocked));
    let err = String::from_utf8_lossy(&blocked.stderr);
    assert!(err.contains("is locked by bob@"), "{err}");
    assert!(err.contains(info["id"].as_str().unwrap()), "{err}");
    assert!(!dir.path().join(".sgform/sandbox.state.json").exists());
    assert!(
        !dir.path().join(".sgform/sandbox-world.json").exists(),
        "nothing ran"
    );

    holder.kill().unwrap(); // SIGKILL: the OS lock dies with the process
    holder.wait().unwrap();
    let apply = sgform_in(dir.path(), &["apply", ".", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let plan = sgform_in(dir.path(), &["plan", ".", "--detailed-exitcode"]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

/// A state that takes its time to write its first record, and remembers how many operations'
/// entries each write carried.
struct SlowSink {
    state: State,
    writes: Vec<usize>,
}

impl StateSink for SlowSink {
    fn record(
        &mut self,
        add: &[ManagedMembership],
        remove: &[ManagedMembership],
    ) -> Result<(), SinkError> {
        if self.writes.is_empty() {
            std::thread::sleep(Duration::from_secs(2));
        }
        for m in remove {
            self.state.memberships.remove(m);
        }
        self.state.memberships.extend(add.iter().cloned());
        self.writes.push(add.len() + remove.len());
        Ok(())
    }
}

/// A state write runs beside the async loop: while it is in progress, independent operations
/// start and finish; they are recorded together by the next write, and none is reported before
/// it is persisted. (On this single-threaded runtime a write on the loop would stall them all.)
#[tokio::test]
async fn a_slow_state_write_does_not_hold_back_independent_operations() {
    let emu = Emu::start(world(3, false), Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (clients, _, planned) = join_all(&emu, dir.path(), 3).await;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = async {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    };
    let options = ApplyOptions {
        parallelism: 1,
        ..quick_options()
    };
    let sink = SlowSink {
        state: State::empty(),
        writes: Vec::new(),
    };
    let ((report, sink), events) = tokio::join!(
        apply::execute(&planned, &clients, sink, &options, tx, Cancel::never()),
        drain
    );
    assert!(report.succeeded(), "{:#?}", report.operations);
    assert_eq!(sink.state.memberships.len(), 3);
    // The first operation's write; the two others finished during it and share the next.
    assert_eq!(sink.writes, [1, 2]);
    let at = |wanted: &Event| events.iter().position(|e| e == wanted).unwrap();
    assert!(at(&Event::Started { index: 1 }) < at(&Event::Persisted { index: Some(0) }));
    for i in 0..3 {
        let finished = events
            .iter()
            .position(|e| matches!(e, Event::Finished { index, .. } if *index == i))
            .unwrap();
        assert!(
            at(&Event::Persisted { index: Some(i) }) < finished,
            "{events:#?}"
        );
    }
}
