//! `plan --json` for policy tools, through the binary: the example policies of
//! `examples/ci/policy` pass and fail the plans they are about, and a run that fails prints one
//! errored document.
//!
//! The policies are evaluated by regorus (Microsoft's Rego interpreter, a dev-dependency), the
//! way `opa eval -d POLICY -d data.json -i plan.json 'data.main.deny'` and
//! `conftest test --policy POLICY --data data.json plan.json` evaluate them: no registry this
//! project can reach ships the `opa` or `conftest` binary (see examples/ci/README.md).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::sgform;

fn policy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/policy")
}

/// The messages of `data.main.deny` for `input`, with `policy` and the example's data.
fn deny(policy: &str, input: &Value) -> Vec<String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy_from_file(policy_dir().join(policy))
        .unwrap_or_else(|e| panic!("{policy}: {e}"));
    let data = std::fs::read_to_string(policy_dir().join("data.json")).unwrap();
    engine.add_data_json(&data).unwrap();
    engine.set_input_json(&input.to_string()).unwrap();
    let verdict = engine.eval_rule("data.main.deny".to_owned()).unwrap();
    let verdict: Value = serde_json::from_str(&verdict.to_json_str().unwrap()).unwrap();
    let mut messages: Vec<String> = verdict
        .as_array()
        .unwrap_or_else(|| panic!("deny is a set: {verdict}"))
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    messages.sort();
    messages
}

/// A copy of `examples/ci` (its configuration and sandbox world) to plan and apply.
struct Project {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci");
        for file in ["main.hcl", "world.json"] {
            std::fs::copy(example.join(file), dir.path().join(file)).unwrap();
        }
        Project {
            dir,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `sgform ARGS DIR`: exit code, stdout, stderr.
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = sgform()
            .args(args)
            .arg(self.path())
            .env("HOME", self.home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// `plan --json`, which must succeed: its document.
    fn plan_json(&self) -> Value {
        let (code, stdout, stderr) = self.run(&["plan", "--json"]);
        assert_eq!(code, Some(0), "{stderr}");
        serde_json::from_str(&stdout).unwrap()
    }

    /// Replaces the example's `membership` block (and anything declared after its data
    /// source) with `block`.
    fn declare(&self, block: &str) {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/main.hcl");
        let text = std::fs::read_to_string(example).unwrap();
        let at = text.find("membership \"shop_waf\"").unwrap();
        std::fs::write(
            self.path().join("main.hcl"),
            format!("{}{block}", &text[..at]),
        )
        .unwrap();
    }
}

fn actions(plan: &Value) -> Vec<(String, Value)> {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_owned(),
                c["change"]["actions"].clone(),
            )
        })
        .collect()
}

const WEB1: &str = "i-bp1shopweb000001";
const WEB2: &str = "i-bp1shopweb000002";
const WAF: &str = "sg-bp1shopwaf00001";
const PROTECTED: &str = "sg-bp1shopweb00001";

#[test]
fn the_example_policies_pass_and_fail_the_plans_they_are_about() {
    let p = Project::new();
    // The example as checked in: two instances join the WAF group. Both policies pass.
    let first = p.plan_json();
    assert_eq!(
        actions(&first),
        [
            (
                format!("membership.shop_waf[\"{WEB1}\"]"),
                serde_json::json!(["create"])
            ),
            (
                format!("membership.shop_waf[\"{WEB2}\"]"),
                serde_json::json!(["create"])
            ),
        ]
    );
    assert_eq!(deny("deny_delete.rego", &first), Vec::<String>::new());
    assert_eq!(deny("protected_groups.rego", &first), Vec::<String>::new());
    let (code, _, stderr) = p.run(&["apply", "--auto-approve"]);
    assert_eq!(code, Some(0), "{stderr}");

    // The WAF managed by one group_members that lists one instance: an update, never a
    // delete, though a member leaves. The membership blocks are removed: the one whose pair
    // the group_members takes over is forgotten, the other is deleted, so the delete policy
    // fails, naming it; the protected group is untouched.
    p.declare(&format!(
        "group_members \"waf\" {{\n  security_group_id = \"{WAF}\"\n  instance_ids      = [\"{WEB1}\"]\n}}\n"
    ));
    let narrowed = p.plan_json();
    assert_eq!(
        actions(&narrowed),
        [
            (
                "group_members.waf".to_owned(),
                serde_json::json!(["update"])
            ),
            (
                format!("membership.shop_waf[\"{WEB1}\"]"),
                serde_json::json!(["forget"])
            ),
            (
                format!("membership.shop_waf[\"{WEB2}\"]"),
                serde_json::json!(["delete"])
            ),
        ]
    );
    assert_eq!(
        deny("deny_delete.rego", &narrowed),
        [format!(
            "membership.shop_waf[\"{WEB2}\"] is removed from the configuration and its memberships leave: removing a declaration needs review"
        )]
    );
    assert_eq!(
        deny("protected_groups.rego", &narrowed),
        Vec::<String>::new()
    );

    // A membership_set that drops the protected group from one instance: nothing is removed
    // from the configuration, so only the protected-groups policy fails.
    p.declare(&format!(
        "membership \"shop_waf\" {{\n  for_each          = toset(data.instances.shop_web.ids)\n  security_group_id = \"{WAF}\"\n  instance_id       = each.value\n}}\n\nmembership_set \"web1\" {{\n  instance_id        = \"{WEB1}\"\n  security_group_ids = [\"{WAF}\"]\n}}\n"
    ));
    let dropped = p.plan_json();
    assert_eq!(deny("deny_delete.rego", &dropped), Vec::<String>::new());
    assert_eq!(
        deny("protected_groups.rego", &dropped),
        [format!(
            "membership_set.web1: {WEB1} would leave protected security group {PROTECTED}"
        )]
    );
}

#[test]
fn the_protected_groups_policy_fails_without_its_data() {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy_from_file(policy_dir().join("protected_groups.rego"))
        .unwrap();
    engine
        .set_input_json(r#"{"errored": false, "resource_changes": []}"#)
        .unwrap();
    let verdict = engine.eval_rule("data.main.deny".to_owned()).unwrap();
    assert!(
        verdict
            .to_json_str()
            .unwrap()
            .contains("no list of protected security groups"),
        "{verdict}"
    );
}

#[test]
fn plan_json_of_a_configuration_with_errors_is_one_errored_document() {
    let p = Project::new();
    let main = p.path().join("main.hcl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("each.value", "each.valeu")).unwrap();
    let (code, stdout, stderr) = p.run(&["plan", "--json"]);
    assert_eq!(code, Some(1), "{stderr}");
    // Everything on stdout is one document.
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["format_version"], "1.2");
    assert_eq!(doc["errored"], true);
    assert_eq!(doc["applyable"], false);
    assert!(doc.get("resource_changes").is_none(), "{doc:#}");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["severity"], "error", "{doc:#}");
    assert!(d["summary"].as_str().unwrap().contains("valeu"), "{d:#}");
    assert!(d["detail"].is_string(), "{d:#}");
    let range = &d["range"];
    assert!(
        range["filename"].as_str().unwrap().ends_with("main.hcl"),
        "{d:#}"
    );
    let line = text.lines().position(|l| l.contains("each.value")).unwrap() + 1;
    assert_eq!(range["start"]["line"], line, "{d:#}");
    let byte = range["start"]["byte"].as_u64().unwrap() as usize;
    let column = range["start"]["column"].as_u64().unwrap() as usize;
    assert!(
        text.replace("each.value", "each.valeu")[byte..].starts_with("each.valeu"),
        "{d:#}"
    );
    assert_eq!(
        text.lines()
            .nth(line - 1)
            .unwrap()
            .find("each.value")
            .unwrap()
            + 1,
        column
    );
    assert!(range["end"]["byte"].as_u64().unwrap() as usize > byte);
    // The human form still goes to stderr, and the errored plan fails the delete policy.
    assert!(stderr.contains("valeu"), "{stderr}");
    assert_eq!(
        deny("deny_delete.rego", &doc),
        ["the plan failed (errored): see its diagnostics"]
    );
}

#[test]
fn plan_json_of_a_missing_directory_and_show_json_of_a_bad_plan_file_are_errored_documents() {
    let p = Project::new();
    let missing = p.path().join("nowhere");
    let out = sgform()
        .args(["plan", "--json"])
        .arg(&missing)
        .env("HOME", p.home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["errored"], true);
    assert_eq!(doc["diagnostics"][0]["severity"], "error");
    assert!(
        doc["diagnostics"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("nowhere"),
        "{doc:#}"
    );

    let bad = p.path().join("plan.bin");
    std::fs::write(&bad, "not a plan\n").unwrap();
    let out = sgform()
        .args(["show", "--json"])
        .arg(&bad)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["errored"], true);
    let d = &doc["diagnostics"][0];
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .contains("is not an sgform plan file"),
        "{d:#}"
    );
    assert!(d["detail"].as_str().unwrap().starts_with("hint: "), "{d:#}");
    assert!(stderr.contains("is not an sgform plan file"), "{stderr}");
}
