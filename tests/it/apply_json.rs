//! The `apply --json` event schema (README, Reference, "`apply --json` events"): the machine-readable list
//! below is checked against the README's tables, and every event the real binary prints in
//! real applies against the emulator (a failure, an operation skipped because of it, a wait
//! for a starting instance, throttling retried, a cancellation, a clean run and one with
//! nothing to do) has exactly the fields its type documents, and the schema's version.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sgform::emulator::{Options, World};
use tokio::io::AsyncBufReadExt as _;

use crate::support::cli_env::{ACCOUNT, CliEnv, KEY_ID, SECRET, VPC, group, instance};

/// Every event type and its fields besides `type` and `version`, as the README documents them.
const EVENTS: &[(&str, &[&str])] = &[
    ("no_changes", &[]),
    ("started", &["index", "address", "action", "target"]),
    ("waiting", &["index", "address", "status", "elapsed_s"]),
    ("rechecking", &["index", "address"]),
    ("finished", &["index", "address", "outcome", "elapsed_s"]),
    ("skipped", &["index", "address", "because"]),
    ("persisted", &["index"]),
    ("cancelling", &["in_flight"]),
    (
        "failure",
        &[
            "index",
            "address",
            "action",
            "code",
            "message",
            "request_id",
            "hint",
        ],
    ),
    ("complete", &["counts"]),
    ("failed", &["counts"]),
    ("cancelled", &["counts"]),
];

/// The keys of `counts`.
const COUNTS: &[&str] = &[
    "joined",
    "left",
    "replaced",
    "adopted",
    "forgotten",
    "failed",
    "skipped",
    "not_started",
    "api_calls",
    "retries",
    "elapsed_s",
];

/// The schema version every event carries.
const VERSION: u64 = 1;

/// The names in backticks in `cell`.
fn quoted(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(ToOwned::to_owned)
        .collect()
}

/// The rows of the field table: the names the first cell explains, and the second cell.
type FieldRows = Vec<(Vec<String>, String)>;

/// The README's section, split into its event table's rows (type → fields) and its field
/// table's rows.
fn readme_tables() -> (BTreeMap<String, Vec<String>>, FieldRows) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("\n### `apply --json` events\n")
        .expect("README has an \"`apply --json` events\" section");
    let section = &readme[start + 1..];
    // Up to the next heading of its level or above.
    let end = [section[1..].find("\n### "), section[1..].find("\n## ")]
        .into_iter()
        .flatten()
        .min()
        .map_or(section.len(), |e| e + 1);
    let section = &section[..end];
    let (events, fields) = section
        .split_once("| field | meaning |")
        .expect("the section has a field table");
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let events = events
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c = cells(l);
            (quoted(&c[0]).concat(), quoted(&c[1]))
        })
        .collect();
    let fields = fields
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c = cells(l);
            (quoted(&c[0]), c[1].clone())
        })
        .collect();
    (events, fields)
}

#[test]
fn the_readme_documents_exactly_the_schema_the_test_checks() {
    let (events, fields) = readme_tables();
    let ours: BTreeMap<String, Vec<String>> = EVENTS
        .iter()
        .map(|(t, f)| ((*t).to_owned(), f.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
    assert_eq!(events, ours, "README event table vs EVENTS");
    // Every field an event has is explained, and nothing else is.
    let explained: BTreeSet<String> = fields.iter().flat_map(|(n, _)| n.clone()).collect();
    let used: BTreeSet<String> = EVENTS
        .iter()
        .flat_map(|(_, f)| f.iter().map(|s| (*s).to_owned()))
        .chain(["type".to_owned(), "version".to_owned()])
        .collect();
    assert_eq!(
        explained, used,
        "README field table vs the fields of EVENTS"
    );
    let counts = fields
        .iter()
        .find(|(n, _)| n == &["counts"])
        .map(|(_, meaning)| meaning.split_once(':').unwrap().1)
        .unwrap();
    assert_eq!(quoted(counts), COUNTS, "README `counts` keys vs COUNTS");
}

/// Checks one event against the schema; returns its type.
fn validate(event: &Value) -> String {
    let object = event
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {event}"));
    let kind = object["type"]
        .as_str()
        .unwrap_or_else(|| panic!("no type: {event}"));
    assert_eq!(object["version"], VERSION, "{event}");
    let fields = EVENTS
        .iter()
        .find(|(t, _)| *t == kind)
        .unwrap_or_else(|| panic!("an undocumented event type: {event}"))
        .1;
    let keys: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    let documented: BTreeSet<&str> = fields.iter().copied().chain(["type", "version"]).collect();
    assert_eq!(keys, documented, "{event}");
    if let Some(counts) = object.get("counts") {
        let keys: BTreeSet<&str> = counts
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, COUNTS.iter().copied().collect(), "{event}");
        assert!(COUNTS.iter().all(|k| counts[k].is_number()), "{event}");
    }
    for number in ["index", "elapsed_s", "because", "in_flight"] {
        if let Some(v) = object.get(number) {
            assert!(
                v.is_number() || (kind == "persisted" && v.is_null()),
                "{event}"
            );
        }
    }
    kind.to_owned()
}

/// Each stdout line as an event, validated; their types.
fn validated(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let event: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            validate(&event)
        })
        .collect()
}

const BASE: &str = "sg-bp1clibase00001";
const GRP: &str = "sg-bp1cligrp000001";
const WEB: &str = "sg-bp1cliweb000001";

/// A key that may not call `LeaveSecurityGroup`; A is in GRP unlisted (its leave fails), B's
/// join waits for that (and is skipped), C may be starting (apply waits), D and E join GRP at once
/// (the emulator's one call per second per action throttles one of them; it is retried).
/// With `starting`, C turns Running that long after the emulator started: long enough that the
/// refresh (slowed by the rate limit) is over and apply sees it starting.
fn failing_world(starting: Option<u64>) -> World {
    let mut c = instance("i-bp1clic000000001", &[BASE]);
    if let Some(after_ms) = starting {
        c["status"] = json!("Starting");
        c["transition"] = json!({"to": "Running", "after_ms": after_ms});
    }
    let file = json!({
        "accounts": [{"id": ACCOUNT, "access_keys": [
            {"id": KEY_ID, "secret": SECRET, "deny_actions": ["LeaveSecurityGroup"]}]}],
        "vpcs": [{"id": VPC, "region": "cn-hangzhou", "owner": ACCOUNT}],
        "security_groups": [group(BASE), group(GRP), group(WEB)],
        "instances": [
            instance("i-bp1clia000000001", &[BASE, GRP]),
            instance("i-bp1clib000000001", &[BASE]),
            c,
            instance("i-bp1clid000000001", &[BASE]),
            instance("i-bp1clie000000001", &[BASE]),
        ],
        "network_interfaces": [],
    });
    World::from_file(serde_json::from_value(file).unwrap()).unwrap()
}

const FAILING: &str = r#"group_members "grp" {
  security_group_id = "sg-bp1cligrp000001"
  instance_ids      = ["i-bp1clic000000001", "i-bp1clid000000001", "i-bp1clie000000001"]
}

membership "after" {
  security_group_id = "sg-bp1cliweb000001"
  instance_id       = "i-bp1clib000000001"
  depends_on        = [group_members.grp]
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_of_a_failed_apply_is_documented() {
    let options = Options {
        rate_limit: Some(1),
        ..Options::default()
    };
    let env = CliEnv::start_with(failing_world(Some(8000)), FAILING, options).await;
    let out = env
        .run(&["apply", "--json", "--auto-approve", "--parallelism", "4"])
        .await;
    assert_eq!(out.code, Some(1), "{out}");
    let kinds = validated(&out.stdout);
    for kind in [
        "started",
        "waiting",
        "finished",
        "skipped",
        "persisted",
        "failure",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no `{kind}` event:\n{out}");
    }
    assert_eq!(kinds.last().map(String::as_str), Some("failed"), "{out}");
    let last: Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["counts"]["joined"], 3, "{last}");
    assert_eq!(last["counts"]["failed"], 1, "{last}");
    assert_eq!(last["counts"]["skipped"], 1, "{last}");
    assert!(
        last["counts"]["retries"].as_u64().unwrap() > 0,
        "nothing was retried: {last}"
    );
    let failure: Value = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "failure")
        .unwrap();
    assert_eq!(failure["action"], "LeaveSecurityGroup", "{failure}");
    assert_eq!(failure["address"], "group_members.grp", "{failure}");
    assert!(failure["request_id"].is_string(), "{failure}");

    // The same run in text: the summary counts what was skipped too.
    let again = CliEnv::start_with(failing_world(None), FAILING, Options::default()).await;
    let text = again.run(&["apply", "--auto-approve"]).await;
    assert_eq!(text.code, Some(1), "{text}");
    assert!(
        text.stdout.ends_with(
            "\nApply failed: 3 joined, 0 left, 0 replaced, 0 adopted, 0 forgotten, 1 failed, 1 skipped.\n"
        ),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_of_a_cancelled_a_complete_and_an_empty_apply_is_documented() {
    let ids: Vec<String> = (0..6).map(|i| format!("i-bp1clit{i:010}")).collect();
    let file = json!({
        "accounts": [{"id": ACCOUNT, "access_keys": [{"id": KEY_ID, "secret": SECRET}]}],
        "vpcs": [{"id": VPC, "region": "cn-hangzhou", "owner": ACCOUNT}],
        "security_groups": [group(BASE), group(GRP)],
        "instances": ids.iter().map(|i| instance(i, &[BASE])).collect::<Vec<_>>(),
        "network_interfaces": [],
    });
    let world = World::from_file(serde_json::from_value(file).unwrap()).unwrap();
    let listed: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    let body = format!(
        "group_members \"grp\" {{\n  security_group_id = \"{GRP}\"\n  instance_ids      = [{}]\n}}\n",
        listed.join(", ")
    );
    let options = Options {
        latency_ms: 300,
        ..Options::default()
    };
    let env = CliEnv::start_with(world, &body, options).await;

    let mut child = tokio::process::Command::from(crate::support::sgform())
        .args(["apply", "--json", "--auto-approve", "--parallelism", "1"])
        .current_dir(env.dir.path())
        .envs(env.envs())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap().to_string();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        let finished = line.contains(r#""type":"finished""#);
        seen.push(line);
        if finished {
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
    let stdout = seen.join("\n");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kinds = validated(&stdout);
    assert!(kinds.iter().any(|k| k == "cancelling"), "{stdout}");
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("cancelled"),
        "{stdout}"
    );

    let rest = env.run(&["apply", "--json", "--auto-approve"]).await;
    assert_eq!(rest.code, Some(0), "{rest}");
    assert_eq!(
        validated(&rest.stdout).last().map(String::as_str),
        Some("complete"),
        "{rest}"
    );
    let none = env.run(&["apply", "--json", "--auto-approve"]).await;
    assert_eq!(none.code, Some(0), "{none}");
    assert_eq!(validated(&none.stdout), ["no_changes"], "{none}");
}
