//! One test per vector in `testdata/sign/vectors.json`, asserting the string to sign and the
//! signature, plus a check that no vector in the file goes untested.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    method: String,
    access_key_secret: String,
    query: BTreeMap<String, String>,
    #[serde(default)]
    body: BTreeMap<String, String>,
    string_to_sign: String,
    signature: String,
}

const VECTORS: &str = include_str!("../../../testdata/sign/vectors.json");

fn vectors() -> Vec<Vector> {
    serde_json::from_str::<File>(VECTORS).unwrap().vectors
}

#[track_caller]
fn check(name: &str) {
    let all = vectors();
    let v = all
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector named {name}"));
    let method = match v.method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => panic!("unknown method {other}"),
    };
    let params = v
        .query
        .iter()
        .chain(v.body.iter())
        .map(|(k, val)| (k.as_str(), val.as_str()));
    let secret = Secret::new(v.access_key_secret.clone());
    let signed = sign(method, params, &secret);
    assert_eq!(
        signed.string_to_sign, v.string_to_sign,
        "{name}: string to sign"
    );
    assert_eq!(signed.signature, v.signature, "{name}: signature");
}

const TESTED: &[&str] = &[
    "official_example",
    "tv1_join_get_instance",
    "tv2_join_post_eni_sts",
    "tv3_join_post_instance",
    "tv4_modify_get_encoding",
    "tv5_signature_type_get",
    "tv5_signature_type_post",
    "tv5_signature_type_post_form_body",
];

#[test]
fn official_example() {
    check("official_example");
}

#[test]
fn tv1_join_get_instance() {
    check("tv1_join_get_instance");
}

#[test]
fn tv2_join_post_eni_sts() {
    check("tv2_join_post_eni_sts");
}

#[test]
fn tv3_join_post_instance() {
    check("tv3_join_post_instance");
}

#[test]
fn tv4_modify_get_encoding() {
    check("tv4_modify_get_encoding");
}

#[test]
fn tv5_signature_type_get() {
    check("tv5_signature_type_get");
}

#[test]
fn tv5_signature_type_post() {
    check("tv5_signature_type_post");
}

#[test]
fn tv5_signature_type_post_form_body() {
    check("tv5_signature_type_post_form_body");
}

#[test]
fn every_vector_in_the_file_has_a_test() {
    let names: Vec<String> = vectors().into_iter().map(|v| v.name).collect();
    let mut missing: Vec<&String> = names
        .iter()
        .filter(|n| !TESTED.contains(&n.as_str()))
        .collect();
    missing.sort();
    assert!(missing.is_empty(), "vectors without a test: {missing:?}");
    assert_eq!(
        names.len(),
        TESTED.len(),
        "a tested vector is missing from the file"
    );
}

#[test]
fn percent_encoding_follows_rfc_3986() {
    assert_eq!(percent_encode("a b*c~d"), "a%20b%2Ac~d");
    assert_eq!(percent_encode("é/+=&:"), "%C3%A9%2F%2B%3D%26%3A");
    assert_eq!(percent_encode("AZaz09-_."), "AZaz09-_.");
}

#[test]
fn canonical_query_sorts_by_raw_name_and_drops_signature() {
    let q = canonical_query([
        ("SecurityGroupIds.2", "b"),
        ("Signature", "x"),
        ("SecurityGroupIds.10", "c"),
        ("SecurityGroupIds.1", "a"),
    ]);
    assert_eq!(
        q,
        "SecurityGroupIds.1=a&SecurityGroupIds.10=c&SecurityGroupIds.2=b"
    );
}

#[test]
fn timestamp_has_the_documented_shape() {
    let ts = timestamp_now();
    assert_eq!(ts.len(), 20, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
}

#[test]
fn nonces_are_fresh() {
    assert_ne!(fresh_nonce(), fresh_nonce());
}

mod properties {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
    use proptest::prelude::*;

    use super::super::percent_encode;

    /// RFC 3986 unreserved characters stay; this is the oracle, built on another crate.
    const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');

    proptest! {
        #[test]
        fn percent_encode_matches_an_independent_rfc3986_encoder(s in any::<String>()) {
            let ours = percent_encode(&s);
            prop_assert_eq!(&ours, &utf8_percent_encode(&s, RFC3986).to_string());
            prop_assert_eq!(percent_decode_str(&ours).decode_utf8().unwrap(), s.as_str());
        }
    }
}
