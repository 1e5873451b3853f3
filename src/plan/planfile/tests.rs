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

fn file() -> PlanFile {
    PlanFile::new(
        fixtures::sensitive_plan(),
        digest(),
        [
            ("env", "\"prod\"".to_owned(), false),
            ("db_group", "(sensitive value)".to_owned(), true),
        ],
        &state("5b0c0000-0000-4000-8000-000000000001", 3),
    )
}

#[test]
fn plan_file_round_trips() {
    let f = file();
    let bytes = f.to_bytes();
    assert_eq!(PlanFile::from_bytes(path(), &bytes).unwrap(), f);
    assert!(bytes.ends_with(b"}\n"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with(r#"{"format":"sgform-plan","version":1,"#),
        "{text}"
    );
}

#[test]
fn plan_file_records_state_remote_facts_and_only_non_sensitive_variables() {
    let f = file();
    assert_eq!(f.state.serial, 3);
    assert_eq!(f.variables.len(), 1);
    assert_eq!(f.variables["env"], "\"prod\"");
    let fact = &f.remote[&target(DB)];
    assert_eq!(fact.status, "Running");
    assert_eq!(fact.security_group_ids, groups(&[BASE]));
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
    let err = check_fresh(&f, &now, &state("5b0c0000-0000-4000-8000-000000000001", 4)).unwrap_err();
    assert_eq!(
        err.changes,
        vec![
            Change::ConfigFileChanged("main.hcl".to_owned()),
            Change::ConfigFileRemoved("vars.hcl".to_owned()),
            Change::ConfigFileAdded("extra.hcl".to_owned()),
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
    let err = check_fresh(&file(), &digest(), &state("other", 3)).unwrap_err();
    assert!(matches!(&err.changes[..], [Change::LineageDiffers { .. }]));
    assert!(err.to_string().contains("lineage differs"), "{err}");
    // A plan made before any state existed, against a state written since.
    let mut f = file();
    f.state = StateRef::default();
    let err = check_fresh(&f, &digest(), &state("new", 1)).unwrap_err();
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
    let f = PlanFile::new(plan, digest(), [], &State::empty());
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
        let f = PlanFile::new(plan.clone(), digest(), [], &State::empty());
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
    assert!(!text.contains("destroy"), "{text}");
    assert!(
        !PlanFile::from_bytes(path(), text.as_bytes())
            .unwrap()
            .plan
            .destroy
    );
}
