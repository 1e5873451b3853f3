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

const LINEAGE: &str = "0b6f5f4e-2c1a-4d3e-9f00-1234567890ab";

fn entry(address: &str, sg: &str, target: &str) -> String {
    format!(
        r#"{{"address": {}, "provider": null, "region": "cn-hangzhou", "security_group_id": "{sg}", "target": "{target}"}}"#,
        serde_json::to_string(address).unwrap()
    )
}

fn document(version: u32, lineage: &str, entries: &[String]) -> String {
    format!(
        r#"{{"version": {version}, "lineage": "{lineage}", "serial": 3, "memberships": [{}]}}"#,
        entries.join(", ")
    )
}

#[track_caller]
fn corrupt_reason(text: &str) -> String {
    match State::from_json(path(), text) {
        Err(err @ Error::Corrupt { .. }) => {
            let shown = err.to_string();
            assert!(
                shown.starts_with("state file `dir/sgform.state.json` is corrupt: "),
                "{shown}"
            );
            let Error::Corrupt { reason, .. } = err else {
                unreachable!()
            };
            reason
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_valid_document_with_every_declaration_kind_loads() {
    let text = document(
        1,
        LINEAGE,
        &[
            entry(
                r#"membership.web["i-bp1gtjxuuvwj17zr8s5f"]"#,
                "sg-bp1fg655nh68xyz9i4w1",
                "i-bp1gtjxuuvwj17zr8s5f",
            ),
            entry(
                "membership_set.app",
                "sg-bp1fg655nh68xyz9i4w1",
                "i-bp1gtjxuuvwj17zr8s5f",
            ),
            entry(
                "group_members.db",
                "sg-bp1fg655nh68xyz9i4w1",
                "eni-bp1eni0000000000000a",
            ),
        ],
    );
    let state = State::from_json(path(), &text).unwrap();
    assert_eq!(state.memberships.len(), 3);
    assert_eq!(state.serial, 3);
    // An uppercase UUID is still a UUID.
    let upper = document(1, &LINEAGE.to_uppercase(), &[]);
    assert!(State::from_json(path(), &upper).is_ok());
}

#[test]
fn version_zero_is_refused_naming_the_version() {
    let reason = corrupt_reason(&document(0, LINEAGE, &[]));
    assert_eq!(
        reason,
        "its `version` is 0, a format no sgform writes (this one writes 1)"
    );
}

#[test]
fn a_lineage_that_is_not_a_uuid_is_refused() {
    for lineage in [
        "x",
        "9d1c0e8a-golden",
        "0b6f5f4e2c1a4d3e9f001234567890ab",
        "{0b6f5f4e-2c1a-4d3e-9f00-1234567890ab}",
        "0b6f5f4e-2c1a-4d3e-9f00-1234567890ag",
    ] {
        let reason = corrupt_reason(&document(1, lineage, &[]));
        assert!(
            reason.starts_with(&format!("its `lineage` `{lineage}` is not a UUID")),
            "{reason}"
        );
    }
    // Control characters are shown escaped, not sent to the terminal.
    let reason = corrupt_reason(&document(1, r"a\u001b[2Jb", &[]));
    assert!(reason.contains(r"`a\u{1b}[2Jb`"), "{reason}");
}

#[test]
fn an_exact_duplicate_entry_is_refused_naming_both() {
    let web = entry(
        r#"membership.web["i-bp1gtjxuuvwj17zr8s5f"]"#,
        "sg-bp1fg655nh68xyz9i4w1",
        "i-bp1gtjxuuvwj17zr8s5f",
    );
    let db = entry(
        "group_members.db",
        "sg-bp1fg655nh68xyz9i4w1",
        "eni-bp1eni0000000000000a",
    );
    let reason = corrupt_reason(&document(1, LINEAGE, &[web.clone(), db, web]));
    assert_eq!(
        reason,
        r#"entries 1 and 3 are the same (`membership.web["i-bp1gtjxuuvwj17zr8s5f"]`: i-bp1gtjxuuvwj17zr8s5f in sg-bp1fg655nh68xyz9i4w1); a state lists each managed pair once"#
    );
}

#[test]
fn an_entry_that_names_no_declaration_is_refused() {
    let ok = entry(
        "membership.a",
        "sg-bp1fg655nh68xyz9i4w1",
        "i-bp1gtjxuuvwj17zr8s5f",
    );
    let data = entry(
        "data.instances.web",
        "sg-bp1fg655nh68xyz9i4w1",
        "i-bp1gtjxuuvwj17zr8s5f",
    );
    let reason = corrupt_reason(&document(1, LINEAGE, &[ok.clone(), data]));
    assert_eq!(
        reason,
        "entry 2 (`data.instances.web`) is not a declaration: a state entry names a `membership`, `membership_set` or `group_members` block"
    );
    // An unknown kind is refused too (whichever check sees it first), naming the kind.
    let unknown = entry(
        "resource.web",
        "sg-bp1fg655nh68xyz9i4w1",
        "i-bp1gtjxuuvwj17zr8s5f",
    );
    let reason = corrupt_reason(&document(1, LINEAGE, &[unknown, ok]));
    assert!(reason.contains("resource"), "{reason}");
}

#[test]
fn the_largest_serial_still_reads() {
    let text =
        document(1, LINEAGE, &[]).replace(r#""serial": 3"#, r#""serial": 18446744073709551615"#);
    assert_eq!(State::from_json(path(), &text).unwrap().serial, u64::MAX);
}
