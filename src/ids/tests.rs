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
    let a = Address::new("membership", "web").with_key("i-bp1gtjxuuvwj17zr8s5f");
    assert_eq!(a.to_string(), r#"membership.web["i-bp1gtjxuuvwj17zr8s5f"]"#);
    assert_eq!(Address::parse(&a.to_string()).unwrap(), a);
    let b = Address::new("membership_set", "api");
    assert_eq!(b.to_string(), "membership_set.api");
    assert_eq!(Address::parse("membership_set.api").unwrap(), b);
    let d = Address::new("data.instances", "web");
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
