use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::plan::inventory::{InstanceFacts, NetworkInterfaceFacts};
use crate::plan::render::fixtures::{self, *};

fn path() -> &'static Path {
    Path::new("out/plan.sgplan")
}

fn state(lineage: &str, serial: u64) -> State {
    let mut s = State::empty();
    s.lineage = lineage.to_owned();
    s.serial = serial;
    s
}

fn digest() -> ConfigDigest {
    ConfigDigest::of([
        ("main.hcl", "membership \"web\" {}\n"),
        ("vars.hcl", "variable \"env\" {}\n"),
    ])
}

fn inputs(digest: ConfigDigest) -> Inputs {
    Inputs {
        configuration: Configuration {
            directory: ".".to_owned(),
            absolute: "/work/infra".to_owned(),
            files: digest,
        },
        ..Inputs::default()
    }
}

fn file() -> PlanFile {
    let mut inputs = inputs(digest());
    inputs.variables = vec![
        ("env".to_owned(), "\"prod\"".to_owned(), false),
        ("db_group".to_owned(), "(sensitive value)".to_owned(), true),
    ];
    PlanFile::new(
        fixtures::sensitive_plan(),
        inputs,
        &state("5b0c0000-0000-4000-8000-000000000001", 3),
    )
}

fn vars() -> BTreeMap<String, String> {
    [("env".to_owned(), "\"prod\"".to_owned())].into()
}

#[test]
fn plan_file_round_trips() {
    let f = file();
    let bytes = f.to_bytes();
    assert_eq!(PlanFile::from_bytes(path(), &bytes).unwrap(), f);
    assert!(bytes.ends_with(b"}\n"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with(r#"{"format":"sgform-plan","version":2,"#),
        "{text}"
    );
}

#[test]
fn plan_file_records_state_and_only_non_sensitive_variables() {
    let f = file();
    assert_eq!(f.state.serial, 3);
    assert_eq!(f.variables.len(), 1);
    assert_eq!(f.variables["env"], "\"prod\"");
    let text = String::from_utf8(f.to_bytes()).unwrap();
    assert!(!text.contains("db_group"), "{text}");
}

#[test]
fn digest_is_hex_sha1_of_path_and_content() {
    let d = ConfigDigest::of([("a.hcl", "x")]);
    let h = &d.files["a.hcl"];
    assert_eq!(h.len(), 40);
    assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
    // The path is part of it: a rename is a change.
    assert_ne!(ConfigDigest::of([("b.hcl", "x")]).files["b.hcl"], *h);
}

#[test]
fn newer_version_is_refused_naming_the_file() {
    let mut value: serde_json::Value = serde_json::from_slice(&file().to_bytes()).unwrap();
    value["version"] = serde_json::json!(VERSION + 1);
    let err = PlanFile::from_bytes(path(), value.to_string().as_bytes()).unwrap_err();
    assert!(matches!(err, Error::NewerVersion { found, .. } if found == VERSION + 1));
    let msg = err.to_string();
    assert!(msg.contains("out/plan.sgplan"), "{msg}");
    assert!(msg.contains("upgrade sgform"), "{msg}");
}

#[test]
fn corrupt_or_foreign_file_is_refused_naming_the_file() {
    let err = PlanFile::from_bytes(path(), b"{\"format\": \"sgform-plan\", \"vers").unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("`out/plan.sgplan` is corrupt"),
        "{err}"
    );

    let mut bytes = file().to_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains(r#""serial":3"#), "{text}");
    bytes = text
        .replace(r#""serial":3"#, r#""serial":"three""#)
        .into_bytes();
    assert!(matches!(
        PlanFile::from_bytes(path(), &bytes),
        Err(Error::Corrupt { .. })
    ));

    let err = PlanFile::from_bytes(path(), br#"{"version": 1, "lineage": "x"}"#).unwrap_err();
    assert!(matches!(err, Error::NotAPlanFile { .. }), "{err}");
    assert!(err.to_string().contains("out/plan.sgplan"), "{err}");
}

#[test]
fn fresh_plan_passes() {
    let f = file();
    check_fresh(
        &f,
        &digest(),
        &vars(),
        &state("5b0c0000-0000-4000-8000-000000000001", 3),
    )
    .unwrap();
}

#[test]
fn stale_plan_names_every_change() {
    let f = file();
    let now = ConfigDigest::of([
        ("main.hcl", "membership \"web\" { changed = true }\n"),
        ("extra.hcl", "\n"),
    ]);
    let other: BTreeMap<String, String> = [("env".to_owned(), "\"dev\"".to_owned())].into();
    let err = check_fresh(
        &f,
        &now,
        &other,
        &state("5b0c0000-0000-4000-8000-000000000001", 4),
    )
    .unwrap_err();
    assert_eq!(
        err.changes,
        vec![
            Change::ConfigFileChanged("main.hcl".to_owned()),
            Change::ConfigFileRemoved("vars.hcl".to_owned()),
            Change::ConfigFileAdded("extra.hcl".to_owned()),
            Change::VariableChanged("env".to_owned()),
            Change::SerialMoved { from: 3, to: 4 },
        ]
    );
    let msg = err.to_string();
    assert!(
        msg.contains("configuration file `main.hcl` changed"),
        "{msg}"
    );
    assert!(msg.contains("the state serial moved from 3 to 4"), "{msg}");
    assert!(msg.ends_with("run `sgform plan` again"), "{msg}");
}

#[test]
fn other_lineage_is_stale() {
    let err = check_fresh(&file(), &digest(), &vars(), &state("other", 3)).unwrap_err();
    assert!(matches!(&err.changes[..], [Change::LineageDiffers { .. }]));
    assert!(err.to_string().contains("lineage differs"), "{err}");
    // A plan made before any state existed, against a state written since.
    let mut f = file();
    f.state = StateRef::default();
    let err = check_fresh(&f, &digest(), &vars(), &state("new", 1)).unwrap_err();
    assert!(err.to_string().contains("none (no state yet)"), "{err}");
}

fn instance(id: &str, status: &str, groups_now: &[&str]) -> InstanceFacts {
    InstanceFacts {
        id: crate::ids::InstanceId::parse(id).unwrap(),
        provider: None,
        region: region(),
        status: status.to_owned(),
        network_type: "vpc".to_owned(),
        vpc_id: None,
        security_group_ids: groups(groups_now),
        locked_for_security: false,
        instance_type: "ecs.g7.large".to_owned(),
        primary_network_interface: None,
    }
}

#[test]
fn remote_check_compares_status_and_groups() {
    let f = file();
    let mut inv = Inventory::default();
    let db = crate::ids::InstanceId::parse(DB).unwrap();
    inv.instances
        .insert(db.clone(), instance(DB, "Running", &[BASE]));
    check_remote(&f, &inv).unwrap();

    inv.instances
        .insert(db.clone(), instance(DB, "Stopped", &[BASE, NEW]));
    let err = check_remote(&f, &inv).unwrap_err();
    assert_eq!(err.changes.len(), 2, "{err}");
    assert!(
        err.to_string().contains("was Running and is now Stopped"),
        "{err}"
    );

    let err = check_remote(&f, &Inventory::default()).unwrap_err();
    assert_eq!(err.changes, vec![Change::TargetGone(DB.to_owned())]);
}

#[test]
fn remote_check_masks_sensitive_targets() {
    let mut plan = fixtures::replace_plan();
    plan.resource_changes[0].sensitive = ["network_interface_id".to_owned()].into();
    let f = PlanFile::new(plan, inputs(digest()), &State::empty());
    let err = check_remote(&f, &Inventory::default()).unwrap_err();
    assert!(!err.to_string().contains(ENI), "{err}");
    let _unused: Option<NetworkInterfaceFacts> = None;
}

#[test]
fn newer_version_is_refused_even_when_it_parses() {
    // A newer file whose fields all still parse must not be taken for a current one.
    let mut f = file();
    f.version = VERSION + 1;
    let err = PlanFile::from_bytes(path(), &f.to_bytes()).unwrap_err();
    assert!(matches!(err, Error::NewerVersion { .. }), "{err}");
}

#[test]
fn show_renders_a_saved_plan_exactly_as_plan_did() {
    use crate::plan::render::{TextOptions, json, text};
    for plan in [
        fixtures::sensitive_plan(),
        fixtures::drift_plan(),
        fixtures::removal_and_adoption_plan(),
        fixtures::replace_plan(),
    ] {
        let f = PlanFile::new(plan.clone(), inputs(digest()), &State::empty());
        let back = PlanFile::from_bytes(path(), &f.to_bytes()).unwrap().plan;
        let options = TextOptions {
            verbose: true,
            color: false,
        };
        assert_eq!(text::render(&back, options), text::render(&plan, options));
        assert_eq!(json::render_string(&back), json::render_string(&plan));
    }
}

#[test]
fn a_destroy_plan_says_so_in_its_file_and_an_ordinary_one_does_not() {
    let mut destroying = file();
    destroying.plan.destroy = true;
    let text = String::from_utf8(destroying.to_bytes()).unwrap();
    assert!(text.contains(r#""plan":{"destroy":true,"#), "{text}");
    let read = PlanFile::from_bytes(path(), text.as_bytes()).unwrap();
    assert!(read.plan.destroy);

    // Files written before the flag existed, and ordinary plans, read as not destroying.
    let text = String::from_utf8(file().to_bytes()).unwrap();
    assert!(!text.contains(r#""plan":{"destroy""#), "{text}");
    assert!(
        !PlanFile::from_bytes(path(), text.as_bytes())
            .unwrap()
            .plan
            .destroy
    );
}

#[test]
fn an_older_version_is_refused_naming_the_file_and_what_to_do() {
    let mut value: serde_json::Value = serde_json::from_slice(&file().to_bytes()).unwrap();
    value["version"] = serde_json::json!(1);
    let err = PlanFile::from_bytes(path(), value.to_string().as_bytes()).unwrap_err();
    assert!(matches!(err, Error::OlderVersion { found: 1, .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("`out/plan.sgplan` has format version 1, from an older sgform"),
        "{msg}"
    );
    assert!(msg.contains("run `sgform plan --out` again"), "{msg}");
}

#[test]
fn the_inventory_with_data_source_results_round_trips() {
    use crate::config::{DataKind, DataRecord};
    let mut f = file();
    let db = crate::ids::InstanceId::parse(DB).unwrap();
    f.inventory
        .instances
        .insert(db, instance(DB, "Running", &[BASE]));
    f.inventory.data.insert(
        DataKind::Instances,
        "web",
        vec![DataRecord {
            id: DB.to_owned(),
            ..DataRecord::default()
        }],
    );
    let back = PlanFile::from_bytes(path(), &f.to_bytes()).unwrap();
    assert_eq!(back, f);
}

#[test]
fn only_a_file_that_starts_as_a_plan_file_looks_like_one() {
    assert!(looks_like_plan_file(&file().to_bytes()));
    assert!(looks_like_plan_file(
        b"{\n  \"format\" : \"sgform-plan\", \"version\": 1"
    ));
    for other in [
        &b"provider \"alicloud\" {}\n"[..],
        b"",
        b"{\"version\": 2, \"format\": \"sgform-plan\"}",
        b"{\"format\": \"sgform-planx\"",
        b"\x00\x01binary",
    ] {
        assert!(!looks_like_plan_file(other), "{other:?}");
    }
}

fn provider(endpoint: Option<&str>, region: &str, key: &str) -> ProviderRef {
    ProviderRef {
        endpoint: endpoint.map(str::to_owned),
        region: region.to_owned(),
        access_key_id: key.to_owned(),
    }
}

fn connection(sandbox: Option<&str>, p: ProviderRef) -> Connection {
    Connection {
        sandbox: sandbox.map(str::to_owned),
        providers: [("alicloud".to_owned(), p)].into(),
    }
}

#[test]
fn the_connection_must_be_the_one_the_plan_was_made_against() {
    let mut f = file();
    f.connection = connection(
        Some("world.json"),
        provider(None, "cn-hangzhou", "LTAIsandbox"),
    );
    check_connection(&f, &f.connection.clone()).unwrap();

    let cloud = connection(
        None,
        provider(
            Some("https://ecs.cn-hangzhou.aliyuncs.com/"),
            "cn-hangzhou",
            "LTAIreal",
        ),
    );
    let err = check_connection(&f, &cloud).unwrap_err();
    assert_eq!(
        err.differences,
        [
            "the plan was made against the sandbox (world `world.json`) but this run talks to endpoint `https://ecs.cn-hangzhou.aliyuncs.com/` (provider `alicloud`)"
        ]
    );
    assert!(
        err.to_string()
            .starts_with("the saved plan was made against another cloud: "),
        "{err}"
    );

    let mut other_world = f.connection.clone();
    other_world.sandbox = Some("../big.json".to_owned());
    let err = check_connection(&f, &other_world).unwrap_err();
    assert!(err.to_string().contains("the sandbox (world `world.json`) but this run talks to the sandbox (world `../big.json`)"), "{err}");

    f.connection = cloud.clone();
    let moved = connection(
        None,
        provider(
            Some("https://ecs.cn-shanghai.aliyuncs.com/"),
            "cn-shanghai",
            "LTAIother",
        ),
    );
    let err = check_connection(&f, &moved).unwrap_err();
    assert_eq!(err.differences.len(), 3, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("provider `alicloud`: the plan was made against endpoint `https://ecs.cn-hangzhou.aliyuncs.com/` but this run talks to endpoint `https://ecs.cn-shanghai.aliyuncs.com/`"), "{msg}");
    assert!(
        msg.contains("region `cn-hangzhou` but this run uses `cn-shanghai`"),
        "{msg}"
    );
    assert!(
        msg.contains("access key ID `LTAIreal` but this run uses `LTAIother`"),
        "{msg}"
    );
}

#[test]
fn a_plan_that_is_not_what_its_inputs_give_is_named_by_part() {
    let f = file();
    check_derived(&f, &f.plan).unwrap();
    let mut derived = f.plan.clone();
    derived.operations[0].action = crate::plan::Action::Leave;
    derived.adopt.push(crate::state::ManagedMembership {
        address: crate::ids::Address::parse("membership.x").unwrap(),
        provider: None,
        region: region(),
        security_group_id: crate::ids::SecurityGroupId::parse(BASE).unwrap(),
        target: target(DB),
    });
    let err = check_derived(&f, &derived).unwrap_err();
    assert_eq!(err.parts, ["operations", "adoptions"]);
    assert_eq!(
        err.to_string(),
        "the plan file's operations; adoptions differ from what its recorded inputs give: it was edited, or made by another sgform version; run `sgform plan` again"
    );
}
