//! A small RPC v1 signer written for the wire tests only: independent of `cloud` (the client)
//! and of the emulator's verifier, so a mistake in either cannot hide behind shared code.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

/// RFC 3986: keep `A-Za-z0-9-_.~`, escape every other byte as upper-case `%XX`.
pub fn pe(s: &str) -> String {
    const KEEP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    s.bytes()
        .map(|b| {
            if KEEP.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signs `params` (every parameter except `Signature`) for `method`; returns the signature.
pub fn signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let canonical: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", pe(k), pe(v)))
        .collect();
    let to_sign = format!("{method}&{}&{}", pe("/"), pe(&canonical.join("&")));
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The common parameters of a fresh request: new nonce, current time.
pub fn common(key_id: &str, action: &str) -> Vec<(String, String)> {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    [
        ("AccessKeyId", key_id.to_owned()),
        ("Action", action.to_owned()),
        ("Format", "JSON".to_owned()),
        ("SignatureMethod", "HMAC-SHA1".to_owned()),
        ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
        ("SignatureVersion", "1.0".to_owned()),
        ("Timestamp", now),
        ("Version", "2014-05-26".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// `k=v&k=v`, each side percent-encoded.
pub fn encode(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", pe(k), pe(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn test_signer_matches_the_published_vectors() {
    let tv1: Vec<(String, String)> = [
        ("AccessKeyId", "testid"),
        ("Action", "JoinSecurityGroup"),
        ("Format", "JSON"),
        ("InstanceId", "i-bp1gtjxuuvwj17zr8s5f"),
        ("RegionId", "cn-hangzhou"),
        ("SecurityGroupId", "sg-bp1fg655nh68xyz9i4w1"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "15215528-e1d4-4b1e-9a3c-0e2f9d1e5c7a"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2024-05-01T08:00:00Z"),
        ("Version", "2014-05-26"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(
        signature("GET", &tv1, "testsecret"),
        "ngVUlyOb4qMSYbTRJMQNmREh3SU="
    );
    assert_eq!(
        signature("POST", &tv1, "testsecret"),
        "hvPCo/nLpInNCLdEvTxWnY2kkI0="
    );
    let mut tv5 = tv1.clone();
    tv5.push(("SignatureType".into(), String::new()));
    assert_eq!(
        signature("GET", &tv5, "testsecret"),
        "9R8rEeN6/QuUUWRz83CRzK2LiO0="
    );
}
