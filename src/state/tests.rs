use std::path::Path;

use super::*;

fn path() -> &'static Path {
    Path::new("dir/sgform.state.json")
}

#[test]
fn absent_file_is_the_empty_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = read(&dir.path().join("sgform.state.json")).unwrap();
    assert!(state.is_new());
    assert!(state.memberships.is_empty());
}

#[test]
fn state_round_trips_through_its_json() {
    let mut state = State::empty();
    state.lineage = "0b6f5f4e-2c1a-4d3e-9f00-1234567890ab".to_owned();
    state.serial = 7;
    state.memberships.insert(ManagedMembership {
        address: Address::parse(r#"membership.web["i-bp1gtjxuuvwj17zr8s5f"]"#).unwrap(),
        provider: None,
        region: RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: SecurityGroupId::parse("sg-bp1fg655nh68xyz9i4w1").unwrap(),
        target: Target::parse("i-bp1gtjxuuvwj17zr8s5f").unwrap(),
    });
    let text = state.to_json();
    assert_eq!(State::from_json(path(), &text).unwrap(), state);
}

#[test]
fn corrupt_state_is_refused_naming_the_file() {
    let err = State::from_json(path(), "{ not json").unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }));
    assert!(err.to_string().contains("dir/sgform.state.json"), "{err}");
}

#[test]
fn newer_version_is_refused_as_such() {
    let err = State::from_json(
        path(),
        r#"{"version": 9, "lineage": "x", "serial": 1, "memberships": [], "future": true}"#,
    )
    .unwrap_err();
    assert!(matches!(err, Error::NewerVersion { found: 9, .. }), "{err}");
    assert!(err.to_string().contains("upgrade sgform"), "{err}");
}

#[test]
fn malformed_ids_in_state_are_corruption() {
    let text = r#"{"version": 1, "lineage": "x", "serial": 1, "memberships": [
        {"address": "membership.a", "region": "cn-hangzhou", "security_group_id": "nope",
         "target": "i-bp1gtjxuuvwj17zr8s5f"}]}"#;
    assert!(matches!(
        State::from_json(path(), text).unwrap_err(),
        Error::Corrupt { .. }
    ));
}

#[test]
fn a_state_without_lineage_is_corrupt() {
    let text = r#"{"version": 1, "lineage": "", "serial": 1, "memberships": []}"#;
    assert!(matches!(
        State::from_json(path(), text).unwrap_err(),
        Error::Corrupt { .. }
    ));
}
