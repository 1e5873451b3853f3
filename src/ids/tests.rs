use super::*;

#[test]
fn accepts_current_and_legacy_instance_ids() {
    assert_eq!(
        InstanceId::parse("i-bp1gtjxuuvwj17zr8s5f")
            .unwrap()
            .as_str(),
        "i-bp1gtjxuuvwj17zr8s5f"
    );
    assert_eq!(
        InstanceId::parse("i-23yi8tnhj").unwrap().to_string(),
        "i-23yi8tnhj"
    );
    assert!(SecurityGroupId::parse("sg-23ewnvyt4").is_ok());
    assert!(SecurityGroupId::parse("sg-2ze95f8a2ni6bb2wql3b").is_ok());
    assert!(NetworkInterfaceId::parse("eni-bp157ghnfufb9gxrskvu").is_ok());
    assert!(VpcId::parse("vpc-8vb2zt8lnk9cmr09c14hu").is_ok());
}

#[test]
fn rejects_masked_documentation_examples_with_a_hint() {
    let err = SecurityGroupId::parse("sg-bp67acfmxazb4p****").unwrap_err();
    assert!(err.to_string().contains("masked examples"), "{err}");
    assert!(err.to_string().contains("sg-bp67acfmxazb4p****"), "{err}");
}

#[test]
fn rejects_garbage() {
    for bad in [
        "",
        "sg-",
        "sg-ABCDEFGHIJ",
        "sg-short",
        "i-bp1gtjxuuvwj17zr8s5f",
        " sg-bp1fg655nh68xyz9i4w1",
        "sg_bp1fg655nh",
    ] {
        assert!(
            SecurityGroupId::parse(bad).is_err(),
            "{bad:?} should be rejected"
        );
    }
    let err = InstanceId::parse("sg-bp1fg655nh68xyz9i4w1").unwrap_err();
    assert!(err.to_string().contains("must start with `i-`"), "{err}");
    let long = format!("i-{}", "a".repeat(33));
    assert!(InstanceId::parse(&long).is_err());
}

#[test]
fn target_dispatches_on_prefix() {
    assert_eq!(
        Target::parse("eni-bp157ghnfufb9gxrskvu").unwrap(),
        Target::NetworkInterface(NetworkInterfaceId::parse("eni-bp157ghnfufb9gxrskvu").unwrap())
    );
    let t = Target::parse("i-23yi8tnhj").unwrap();
    assert_eq!(t.api_param(), "InstanceId");
    assert!(Target::parse("sg-23ewnvyt4").is_err());
}

#[test]
fn region_ids() {
    for ok in [
        "cn-hangzhou",
        "ap-southeast-1",
        "us-east-1",
        "cn-north-2-gov-1",
    ] {
        assert!(RegionId::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "cn", "CN-hangzhou", "cn--x", "cn-", "hangzhou"] {
        assert!(RegionId::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn serde_validates() {
    let ok: SecurityGroupId = serde_json::from_str("\"sg-bp1fg655nh68xyz9i4w1\"").unwrap();
    assert_eq!(
        serde_json::to_string(&ok).unwrap(),
        "\"sg-bp1fg655nh68xyz9i4w1\""
    );
    assert!(serde_json::from_str::<SecurityGroupId>("\"sg-****\"").is_err());
}

#[test]
fn addresses_display_like_hcl_and_round_trip() {
    let a = Address::new(DeclarationKind::Membership, "web").with_key("i-bp1gtjxuuvwj17zr8s5f");
    assert_eq!(a.to_string(), r#"membership.web["i-bp1gtjxuuvwj17zr8s5f"]"#);
    assert_eq!(Address::parse(&a.to_string()).unwrap(), a);
    let b = Address::new(DeclarationKind::MembershipSet, "api");
    assert_eq!(b.to_string(), "membership_set.api");
    assert_eq!(Address::parse("membership_set.api").unwrap(), b);
    let d = Address::new(DataKind::Instances, "web");
    assert_eq!(Address::parse("data.instances.web").unwrap(), d);
    for bad in [
        "membership",
        "membership.web[x]",
        ".web",
        "membership.web[\"a\"b\"]",
    ] {
        assert!(Address::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn an_address_of_an_unknown_kind_is_refused_and_names_the_kinds() {
    let e = Address::parse("foo.web").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`foo.web` is not a valid address: `foo` is not a kind of block; expected `membership`, \
         `membership_set`, `group_members`, `data.instances` or `data.network_interfaces`"
    );
    assert!(Address::parse("data.things.web").is_err());
    assert!(serde_json::from_str::<Address>("\"foo.web\"").is_err());
    // Malformed addresses keep their message.
    assert_eq!(
        Address::parse("web").unwrap_err().reason,
        "expected `KIND.NAME` or `KIND.NAME[\"KEY\"]`, like `membership.web[\"i-bp1gtjxuuvwj17zr8s5f\"]`"
    );
}

#[test]
fn kinds_order_as_their_text_and_parse_back() {
    let mut kinds: Vec<BlockKind> = DeclarationKind::ALL
        .into_iter()
        .map(BlockKind::from)
        .chain(DataKind::ALL.into_iter().map(BlockKind::from))
        .collect();
    for k in &kinds {
        assert_eq!(BlockKind::parse(k.as_str()), Some(*k));
        assert_eq!(Address::parse(&format!("{k}.n")).unwrap().kind, *k);
    }
    let mut by_text = kinds.clone();
    by_text.sort_by_key(|k| k.as_str());
    kinds.sort();
    assert_eq!(kinds, by_text);
}

#[test]
fn each_declaration_kind_names_its_attributes() {
    use DeclarationKind as K;
    let instance = Target::parse("i-bp1gtjxuuvwj17zr8s5f").unwrap();
    let eni = Target::parse("eni-bp13kd656hxambfe1234").unwrap();
    for k in K::ALL {
        let attrs = k.attributes();
        for a in [
            k.group_attr(),
            k.target_attr(&instance),
            k.target_attr(&eni),
        ]
        .into_iter()
        .chain(k.ignored_groups_attr())
        .chain(k.required().iter().copied())
        {
            assert!(attrs.contains(&a), "{k}: {a}");
        }
    }
    assert_eq!(K::GroupMembers.target_attr(&eni), "network_interface_ids");
    assert_eq!(K::Membership.target_attr(&instance), "instance_id");
    assert_eq!(K::MembershipSet.group_attr(), "security_group_ids");
    assert_eq!(
        K::MembershipSet.ignored_groups_attr(),
        Some("ignore_security_group_ids")
    );
    assert_eq!(K::Membership.ignored_groups_attr(), None);
}

/// Found by the `state` fuzz target: a key with `\` or a control character was written
/// escaped and read back raw, so a state did not read back as it was written.
#[test]
fn address_keys_with_escapes_read_back_as_written() {
    use crate::ids::DeclarationKind;
    for key in [
        "a\\b",
        "tab\there",
        "q\"uote",
        "nul\0",
        "\u{8}bs",
        "é\u{200b}",
        "plain",
    ] {
        let a = Address::new(DeclarationKind::Membership, "web").with_key(key);
        assert_eq!(Address::parse(&a.to_string()).unwrap(), a, "{a}");
    }
    for bad in [
        r#"membership.web["a"b"]"#,
        r#"membership.web["a\q"]"#,
        r#"membership.web["\u{zz}"]"#,
    ] {
        assert!(Address::parse(bad).is_err(), "{bad}");
    }
}
