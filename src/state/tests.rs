use super::*;

fn path() -> &'static str {
    "dir/sgform.state.json"
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

/// The messages name the location as given, word for word as before it was a string.
#[test]
fn messages_name_the_location() {
    let corrupt = State::from_json(path(), "{}").unwrap_err().to_string();
    assert_eq!(
        corrupt,
        "state file `dir/sgform.state.json` is corrupt: it has no `version` field; sgform will not guess what it manages (restore it from `dir/sgform.state.json.backup` or version control)"
    );
    let newer = State::from_json(path(), r#"{"version": 2}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        newer,
        "state file `dir/sgform.state.json` has format version 2, newer than this sgform understands (1); upgrade sgform"
    );
    let not_locked = Error::NotLocked {
        location: "postgres://db/sgform".to_owned(),
    };
    assert_eq!(
        not_locked.to_string(),
        "state `postgres://db/sgform` is not locked"
    );
}
