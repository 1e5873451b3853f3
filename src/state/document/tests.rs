use super::*;

const LINEAGE: &str = "0b6f5f4e-2c1a-4d3e-9f00-1234567890ab";
const SG: &str = "sg-bp1fg655nh68xyz9i4w1";
const TARGET: &str = "i-bp1gtjxuuvwj17zr8s5f";

fn entry(address: &str, provider: &str, region: &str, sg: &str, target: &str) -> String {
    format!(
        r#"{{"address": {}, "provider": {provider}, "region": "{region}", "security_group_id": "{sg}", "target": "{target}"}}"#,
        serde_json::to_string(address).unwrap()
    )
}

fn document(entries: &[String]) -> String {
    format!(
        r#"{{"version": 1, "lineage": "{LINEAGE}", "serial": 3, "memberships": [{}]}}"#,
        entries.join(", ")
    )
}

#[track_caller]
fn corrupt_reason(text: &str) -> String {
    match parse("dir/sgform.state.json", text) {
        Err(Error::Corrupt { location, reason }) => {
            assert_eq!(location, "dir/sgform.state.json");
            reason
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn json_that_is_not_an_object_is_not_a_state_document() {
    for text in [
        "[]",
        "[{\"version\": 1}]",
        "\"state\"",
        "42",
        "-1",
        "null",
        " true",
    ] {
        assert_eq!(
            corrupt_reason(text),
            "not a state document: expected a JSON object with version, lineage, serial, memberships",
            "{text}"
        );
    }
    // Text that is not JSON keeps the parser's message, which says where it breaks.
    assert!(corrupt_reason("{\"version\": 1, ").contains("line 1"));
    assert!(corrupt_reason("").contains("line 1"));
}

#[test]
fn one_address_listing_a_pair_twice_is_refused_naming_both_entries() {
    let web = r#"membership.web["i-bp1gtjxuuvwj17zr8s5f"]"#;
    let first = entry(web, "null", "cn-hangzhou", SG, TARGET);
    let other = entry(
        "group_members.db",
        "null",
        "cn-hangzhou",
        SG,
        "eni-bp1eni0000000000000a",
    );
    // The same pair under the same address through another provider.
    let again = entry(web, "\"east\"", "cn-hangzhou", SG, TARGET);
    assert_eq!(
        corrupt_reason(&document(&[first, other, again])),
        r#"entries 1 and 3 both say `membership.web["i-bp1gtjxuuvwj17zr8s5f"]` manages i-bp1gtjxuuvwj17zr8s5f in sg-bp1fg655nh68xyz9i4w1 (one through provider `default` in region `cn-hangzhou`, one through provider `east` in region `cn-hangzhou`); an address lists each pair once"#
    );
}

#[test]
fn one_pair_in_two_regions_is_refused_naming_both_entries() {
    let a = entry("membership.a", "null", "cn-hangzhou", SG, TARGET);
    let b = entry("group_members.b", "null", "cn-shanghai", SG, TARGET);
    assert_eq!(
        corrupt_reason(&document(&[a, b])),
        "entries 1 (`membership.a`) and 2 (`group_members.b`) put i-bp1gtjxuuvwj17zr8s5f in sg-bp1fg655nh68xyz9i4w1 in two regions, `cn-hangzhou` and `cn-shanghai`; a security group lives in one region"
    );
}

#[test]
fn two_declarations_that_both_want_a_pair_each_record_it() {
    // A `membership` and a `group_members` that agree on a pair both manage it (apply writes
    // such a state): the pair leaves only when neither wants it any more.
    let text = document(&[
        entry("membership.one", "null", "cn-hangzhou", SG, TARGET),
        entry("group_members.db", "null", "cn-hangzhou", SG, TARGET),
    ]);
    let state = parse("dir/sgform.state.json", &text).unwrap();
    assert_eq!(state.memberships.len(), 2);
}
