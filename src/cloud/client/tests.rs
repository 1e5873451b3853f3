use super::*;

#[test]
fn endpoints_may_be_bare_hosts_or_urls() {
    let url = parse_endpoint("ecs.cn-hangzhou.aliyuncs.com").unwrap();
    assert_eq!(url.as_str(), "https://ecs.cn-hangzhou.aliyuncs.com/");
    let url = parse_endpoint("http://127.0.0.1:8080").unwrap();
    assert_eq!(url.as_str(), "http://127.0.0.1:8080/");
    assert!(is_loopback(&url));
    assert!(is_loopback(&parse_endpoint("http://[::1]:1").unwrap()));
    assert!(is_loopback(&parse_endpoint("http://localhost:1").unwrap()));
    assert!(!is_loopback(&parse_endpoint("ecs.aliyuncs.com").unwrap()));
}

#[test]
fn bad_endpoints_are_refused_with_the_reason() {
    for bad in [
        "ftp://x",
        "https://u:p@host",
        "https://host/?a=b",
        "http://",
    ] {
        let err = parse_endpoint(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidEndpoint { .. }), "{bad}: {err}");
    }
}

#[test]
fn reads_are_told_apart_from_mutations() {
    assert!(is_read_only("DescribeInstances"));
    assert!(!is_read_only("JoinSecurityGroup"));
}
