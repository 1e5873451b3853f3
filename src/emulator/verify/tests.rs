//! The verifier against the published vectors (reference §1.6, §1.7).

use std::collections::BTreeMap;

use super::*;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const COMMON: &[(&str, &str)] = &[
    ("AccessKeyId", "testid"),
    ("Format", "JSON"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureVersion", "1.0"),
    ("SignatureNonce", "15215528-e1d4-4b1e-9a3c-0e2f9d1e5c7a"),
    ("Timestamp", "2024-05-01T08:00:00Z"),
    ("Version", "2014-05-26"),
];

fn tv1() -> BTreeMap<String, String> {
    let mut p = params(COMMON);
    p.extend(params(&[
        ("Action", "JoinSecurityGroup"),
        ("RegionId", "cn-hangzhou"),
        ("SecurityGroupId", "sg-bp1fg655nh68xyz9i4w1"),
        ("InstanceId", "i-bp1gtjxuuvwj17zr8s5f"),
    ]));
    p
}

#[test]
fn official_example_reproduces() {
    let p = params(&[
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("TimeStamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ]);
    let sts = string_to_sign("GET", &p);
    assert_eq!(
        sts,
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    );
    assert_eq!(
        signature("testsecret", &sts),
        "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    );
}

#[test]
fn tv1_join_get() {
    let sts = string_to_sign("GET", &tv1());
    assert_eq!(
        sts,
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DJoinSecurityGroup%26Format%3DJSON%26InstanceId%3Di-bp1gtjxuuvwj17zr8s5f%26RegionId%3Dcn-hangzhou%26SecurityGroupId%3Dsg-bp1fg655nh68xyz9i4w1%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D15215528-e1d4-4b1e-9a3c-0e2f9d1e5c7a%26SignatureVersion%3D1.0%26Timestamp%3D2024-05-01T08%253A00%253A00Z%26Version%3D2014-05-26"
    );
    assert_eq!(
        signature("testsecret", &sts),
        "ngVUlyOb4qMSYbTRJMQNmREh3SU="
    );
}

#[test]
fn tv2_sts_post() {
    let p = params(&[
        ("AccessKeyId", "STS.NUgYrLnoC37mZZCNnAbez2Ebq"),
        ("SecurityToken", "CAIS+gF1q6Ft5B2yfSjIr5fnKt/hjJ1mz7ek="),
        ("SignatureNonce", "a1b2c3d4-0000-4000-8000-000000000002"),
        ("Timestamp", "2024-05-01T08:00:01Z"),
        ("Action", "JoinSecurityGroup"),
        ("RegionId", "cn-shanghai"),
        ("SecurityGroupId", "sg-uf6fn5gdmaaa0ykt6bvr"),
        ("NetworkInterfaceId", "eni-uf6f7kqz0mbpw6nb7d3j"),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2014-05-26"),
    ]);
    let sts = string_to_sign("POST", &p);
    assert!(sts.contains("SecurityToken%3DCAIS%252BgF1q6Ft5B2yfSjIr5fnKt%252FhjJ1mz7ek%253D"));
    assert_eq!(
        signature("Secret/With+Plus=", &sts),
        "IF4sni4+Xz0y474je1P1vgCzpRI="
    );
}

#[test]
fn tv3_method_is_signed() {
    assert_eq!(
        signature("testsecret", &string_to_sign("POST", &tv1())),
        "hvPCo/nLpInNCLdEvTxWnY2kkI0="
    );
}

#[test]
fn tv4_encoding_edge_cases() {
    let mut p = params(COMMON);
    p.extend(params(&[
        ("Action", "ModifyInstanceAttribute"),
        ("RegionId", "cn-hangzhou"),
        ("InstanceId", "i-bp1gtjxuuvwj17zr8s5f"),
        ("SecurityGroupIds.1", "sg-bp1fg655nh68xyz9i4w1"),
        ("SecurityGroupIds.2", "sg-bp1a2b3c4d5e6f7g8h9j"),
        ("Description", "web tier *prod* ~v2 é/ok"),
    ]));
    let sts = string_to_sign("GET", &p);
    assert!(
        sts.contains("Description%3Dweb%2520tier%2520%252Aprod%252A%2520~v2%2520%25C3%25A9%252Fok")
    );
    assert_eq!(
        signature("testsecret", &sts),
        "1x06AB3cxr9o6lyXHTuNF8B9C8o="
    );
}

#[test]
fn tv5_empty_signature_type() {
    let mut p = tv1();
    p.insert("SignatureType".into(), String::new());
    assert_eq!(
        signature("testsecret", &string_to_sign("GET", &p)),
        "9R8rEeN6/QuUUWRz83CRzK2LiO0="
    );
    assert_eq!(
        signature("testsecret", &string_to_sign("POST", &p)),
        "B5UzGOOhJ+pSdhDgZlCCRCdm3gs="
    );
}

#[test]
fn form_decoding_handles_plus_and_escapes() {
    assert_eq!(
        parse_form("a=x+y&b=%2B%3D&c&d=%C3%A9"),
        vec![
            ("a".to_owned(), "x y".to_owned()),
            ("b".to_owned(), "+=".to_owned()),
            ("c".to_owned(), String::new()),
            ("d".to_owned(), "é".to_owned()),
        ]
    );
}

fn verifier() -> Verifier {
    Verifier::new(&[Account {
        id: "1".into(),
        access_keys: vec![AccessKey {
            id: "testid".into(),
            secret: "testsecret".into(),
            security_token: None,
            deny_actions: vec![],
            hidden: vec![],
        }],
    }])
}

#[test]
fn verify_accepts_tv1_then_refuses_its_nonce() {
    let v = verifier();
    let mut p = tv1();
    p.insert("Signature".into(), "ngVUlyOb4qMSYbTRJMQNmREh3SU=".into());
    let now = parse_timestamp("2024-05-01T08:05:00Z").unwrap();
    assert_eq!(v.verify("GET", &p, now).unwrap().account, "1");
    assert_eq!(
        v.verify("GET", &p, now).unwrap_err().code,
        Code::SignatureNonceUsed
    );
}

#[test]
fn verify_refuses_skew_and_bad_signature() {
    let v = verifier();
    let mut p = tv1();
    p.insert("Signature".into(), "ngVUlyOb4qMSYbTRJMQNmREh3SU=".into());
    let late = parse_timestamp("2024-05-01T08:15:01Z").unwrap();
    assert_eq!(
        v.verify("GET", &p, late).unwrap_err().code,
        Code::InvalidTimeStampExpired
    );
    let now = parse_timestamp("2024-05-01T08:00:00Z").unwrap();
    let err = v.verify("POST", &p, now).unwrap_err();
    assert_eq!(err.code, Code::SignatureDoesNotMatch);
    assert!(err.message.ends_with("server string to sign is:POST&%2F&AccessKeyId%3Dtestid%26Action%3DJoinSecurityGroup%26Format%3DJSON%26InstanceId%3Di-bp1gtjxuuvwj17zr8s5f%26RegionId%3Dcn-hangzhou%26SecurityGroupId%3Dsg-bp1fg655nh68xyz9i4w1%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D15215528-e1d4-4b1e-9a3c-0e2f9d1e5c7a%26SignatureVersion%3D1.0%26Timestamp%3D2024-05-01T08%253A00%253A00Z%26Version%3D2014-05-26"));
}

#[test]
fn nonces_are_refused_again_within_the_window_and_forgotten_after_it() {
    let mut n = Nonces::new(MAX_NONCES);
    assert!(n.record("key", "a", 0));
    assert!(!n.record("key", "a", 2 * MAX_SKEW_SECS));
    // Another key may use the same nonce; the key and nonce cannot be confused by splitting.
    assert!(n.record("other", "a", 0));
    assert!(n.record("ke", "y\na", 0));
    assert!(n.record("key", "b", 2 * MAX_SKEW_SECS + 1));
    assert!(n.record("key", "a", 2 * MAX_SKEW_SECS + 1), "not forgotten");
}

#[test]
fn nonces_held_stay_under_the_cap_however_many_arrive() {
    let mut n = Nonces::new(100);
    for i in 0..1_000 {
        assert!(n.record("key", &format!("nonce-{i}"), 0));
        assert!(n.order.len() <= 100 && n.seen.len() == n.order.len());
    }
    // The most recent are still refused; the oldest were forgotten first.
    assert!(!n.record("key", "nonce-999", 0));
    assert!(!n.record("key", "nonce-900", 0));
    assert!(n.record("key", "nonce-0", 0));
    // A long nonce is held as the same 20-byte digest as a short one.
    assert!(n.record("key", &"x".repeat(1 << 20), 0));
    assert!(!n.record("key", &"x".repeat(1 << 20), 0));
}
