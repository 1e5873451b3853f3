//! The `cloud` client against a scripted server over 127.0.0.1: signatures checked by the
//! server's own code, retries, already-done answers, paging, and that no secret leaks.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use sgform::cloud::api::{
    Applied, DescribeInstances, JoinSecurityGroup, LeaveSecurityGroup,
    ModifyNetworkInterfaceSecurityGroups,
};
use sgform::cloud::{
    Backoff, Client, ClientConfig, Credentials, Error, ErrorClass, RetryPolicy, Secret, Stats,
};
use sgform::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target};

use crate::support::cloud_server::{CloudServer, Reply, verify};

const SECRET: &str = "TEST-SECRET-7f3c/+=q";
const TOKEN: &str = "TEST-TOKEN-CAIS+gF1/zz=";

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    let b = Backoff {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
        max_attempts,
    };
    RetryPolicy {
        retryable: b,
        wait: b,
    }
}

fn config(endpoint: &str) -> ClientConfig {
    let mut c = ClientConfig::new(
        endpoint,
        RegionId::parse("cn-hangzhou").unwrap(),
        Credentials::new("LTAItestid", Secret::new(SECRET)),
    );
    c.retry = fast_retry(5);
    c.rate_limit = None;
    c.timeout = Duration::from_secs(10);
    c
}

fn client(endpoint: &str) -> Client {
    Client::new(config(endpoint)).unwrap()
}

fn sts_client(endpoint: &str) -> Client {
    let mut c = config(endpoint);
    c.credentials =
        Credentials::new("STS.testid", Secret::new(SECRET)).with_security_token(Secret::new(TOKEN));
    Client::new(c).unwrap()
}

fn sg() -> SecurityGroupId {
    SecurityGroupId::parse("sg-bp1fg655nh68xyz9i4w1").unwrap()
}

fn instance() -> InstanceId {
    InstanceId::parse("i-bp1gtjxuuvwj17zr8s5f").unwrap()
}

fn join() -> JoinSecurityGroup {
    JoinSecurityGroup {
        security_group_id: sg(),
        target: Target::Instance(instance()),
    }
}

fn ok() -> Reply {
    Reply::ok(serde_json::json!({"RequestId": "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"}))
}

#[derive(Deserialize)]
struct VectorFile {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    method: String,
    access_key_secret: String,
    query: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    body: std::collections::BTreeMap<String, String>,
    string_to_sign: String,
    signature: String,
}

#[test]
fn independent_verifier_agrees_with_published_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sign/vectors.json"
    ))
    .unwrap();
    let file: VectorFile = serde_json::from_str(&text).unwrap();
    assert!(file.vectors.len() >= 6);
    for v in file.vectors {
        let mut params = v.query.clone();
        params.extend(v.body.clone());
        let (sts, sig) = verify(&v.method, &params, &v.access_key_secret);
        assert_eq!(sts, v.string_to_sign, "{}", v.name);
        assert_eq!(sig, v.signature, "{}", v.name);
    }
}

#[tokio::test]
async fn signed_post_is_verified_by_an_independent_server() {
    let server = CloudServer::start(SECRET, |_, _| ok()).await;
    let client = sts_client(&server.endpoint);
    let params = vec![
        ("InstanceId".to_owned(), "i-bp1gtjxuuvwj17zr8s5f".to_owned()),
        (
            "Description".to_owned(),
            "web tier *prod* ~v2 é/ok+1=2&3".to_owned(),
        ),
        (
            "SecurityGroupIds.10".to_owned(),
            "sg-bp1fg655nh68xyz9i4w1".to_owned(),
        ),
        (
            "SecurityGroupIds.2".to_owned(),
            "sg-bp1a2b3c4d5e6f7g8h9j".to_owned(),
        ),
    ];
    let response = client
        .call("ModifyInstanceAttribute", &params)
        .await
        .unwrap();
    assert_eq!(
        response.request_id.as_deref(),
        Some("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E")
    );
    assert_eq!(response.attempts, 1);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert!(
        r.signature_ok,
        "server computed a different signature over:\n{}",
        r.string_to_sign
    );
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/");
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    // Common parameters and the signature in the query; the action's parameters in the body.
    for name in [
        "Action",
        "Format",
        "Version",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "SecurityToken",
        "Signature",
    ] {
        assert!(r.query.contains_key(name), "{name} missing from the query");
    }
    assert_eq!(
        r.body.get("Description").map(String::as_str),
        Some("web tier *prod* ~v2 é/ok+1=2&3")
    );
    assert_eq!(r.param("Action"), Some("ModifyInstanceAttribute"));
    assert_eq!(r.param("Format"), Some("JSON"));
    assert_eq!(r.param("Version"), Some("2014-05-26"));
    assert_eq!(r.param("SignatureMethod"), Some("HMAC-SHA1"));
    assert_eq!(r.param("SignatureVersion"), Some("1.0"));
    assert_eq!(r.param("SecurityToken"), Some(TOKEN));
    assert_eq!(
        r.param("RegionId"),
        Some("cn-hangzhou"),
        "the client's region is added"
    );
    let ts = r.param("Timestamp").unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{ts}"
    );
    assert!(uuid::Uuid::parse_str(r.param("SignatureNonce").unwrap()).is_ok());
}

#[tokio::test]
async fn a_wrong_secret_fails_the_independent_check() {
    // Proves the check can fail: the server verifies with a different secret.
    let server = CloudServer::start("another-secret", |_, r| {
        if r.signature_ok {
            ok()
        } else {
            Reply::error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        }
    })
    .await;
    let err = client(&server.endpoint).send(&join()).await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.code.as_str(), "SignatureDoesNotMatch");
    assert_eq!(api.class(), ErrorClass::Permanent);
    assert_eq!(
        server.requests().len(),
        1,
        "permanent errors are not retried"
    );
}

#[tokio::test]
async fn throttling_500_409_and_a_dropped_connection_are_retried_with_fresh_nonces() {
    let server = CloudServer::start(SECRET, |n, _| match n {
        0 => Reply::error(
            400,
            "Throttling",
            "Request was denied due to request throttling.",
        ),
        1 => Reply::error(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error.",
        ),
        2 => Reply::error(
            409,
            "InvalidOperation.Conflict",
            "Request was denied due to conflict with a previous request, please try again later.",
        ),
        3 => Reply::Drop,
        _ => ok(),
    })
    .await;
    let client = client(&server.endpoint);
    let applied = client.send(&join()).await.unwrap();
    assert_eq!(
        applied,
        Applied {
            request_id: Some("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E".into()),
            already_done: None
        }
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 5, "4 failures then success");
    assert!(
        requests.iter().all(|r| r.signature_ok),
        "every attempt is re-signed"
    );
    let nonces: BTreeSet<&str> = requests
        .iter()
        .map(|r| r.param("SignatureNonce").unwrap())
        .collect();
    assert_eq!(nonces.len(), 5, "a fresh nonce on every attempt");
    assert_eq!(
        client.stats(),
        Stats {
            calls: 5,
            retries: 4,
            throttled: 1
        }
    );
}

#[tokio::test]
async fn retries_stop_at_max_attempts_and_report_the_last_error() {
    let server = CloudServer::start(SECRET, |_, _| {
        Reply::error(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    })
    .await;
    let mut c = config(&server.endpoint);
    c.retry = fast_retry(3);
    let client = Client::new(c).unwrap();
    let err = client.send(&join()).await.unwrap_err();
    assert!(matches!(&err, Error::Api { attempts: 3, .. }), "{err}");
    assert_eq!(err.api().unwrap().code.as_str(), "ServiceUnavailable");
    assert_eq!(server.requests().len(), 3);
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
}

#[tokio::test]
async fn already_done_codes_count_as_success_on_their_action() {
    let server = CloudServer::start(SECRET, |_, r| match r.param("Action") {
        Some("JoinSecurityGroup") => Reply::error(
            403,
            "InvalidInstanceId.AlreadyExists",
            "The specified instance already exists in the specified security group.",
        ),
        Some("LeaveSecurityGroup") if r.param("InstanceId").is_some() => Reply::error(
            400,
            "InvalidSecurityGroupAssociation.NotFound",
            "The specified association does not exist.",
        ),
        Some("LeaveSecurityGroup") => Reply::error(
            403,
            "InstanceNotInSecurityGroup",
            "The instance not in the group.",
        ),
        _ => Reply::error(
            403,
            "InstanceNotInSecurityGroup",
            "The instance not in the group.",
        ),
    })
    .await;
    let client = client(&server.endpoint);
    let joined = client.send(&join()).await.unwrap();
    assert_eq!(
        joined.already_done.as_ref().map(|e| e.code.as_str()),
        Some("InvalidInstanceId.AlreadyExists")
    );
    assert_eq!(
        joined.request_id.as_deref(),
        Some("REQ-InvalidInstanceId.AlreadyExists")
    );

    let leave = LeaveSecurityGroup {
        security_group_id: sg(),
        target: Target::Instance(instance()),
    };
    let left = client.send(&leave).await.unwrap();
    assert_eq!(
        left.already_done.as_ref().map(|e| e.code.as_str()),
        Some("InvalidSecurityGroupAssociation.NotFound")
    );

    let eni = NetworkInterfaceId::parse("eni-bp13kd656hxambfe1234").unwrap();
    let leave_eni = LeaveSecurityGroup {
        security_group_id: sg(),
        target: Target::NetworkInterface(eni.clone()),
    };
    assert!(
        client
            .send(&leave_eni)
            .await
            .unwrap()
            .already_done
            .is_some()
    );

    // The same "not in group" code is a real failure for a set replacement.
    let modify = ModifyNetworkInterfaceSecurityGroups {
        network_interface_id: eni,
        security_group_ids: vec![sg()],
    };
    let err = client.send(&modify).await.unwrap_err();
    assert_eq!(err.api().unwrap().class(), ErrorClass::Permanent);
    assert_eq!(server.requests().len(), 4, "nothing was retried");
}

#[tokio::test]
async fn permanent_codes_are_not_retried() {
    let server = CloudServer::start(SECRET, |_, _| {
        Reply::error(
            400,
            "InvalidOperation.MultiGroupType",
            "The specified instance can't join different types of security group.",
        )
    })
    .await;
    let client = client(&server.endpoint);
    let err = client.send(&join()).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.http_status, api.code.as_str()),
        (400, "InvalidOperation.MultiGroupType")
    );
    assert_eq!(
        api.request_id.as_deref(),
        Some("REQ-InvalidOperation.MultiGroupType")
    );
    assert_eq!(api.host_id.as_deref(), Some("ecs.cn-hangzhou.aliyuncs.com"));
    assert!(api.recommend.as_deref().unwrap().contains("troubleshoot"));
    assert!(api.hint().contains("`normal` or all `enterprise`"));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        client.stats(),
        Stats {
            calls: 1,
            retries: 0,
            throttled: 0
        }
    );
}

#[tokio::test]
async fn being_created_waits_and_retries() {
    let server = CloudServer::start(SECRET, |n, _| {
        if n < 2 {
            Reply::error(
                400,
                "InvalidStatus.EniOrInstanceIsBeingCreated",
                "The instance is being created.",
            )
        } else {
            ok()
        }
    })
    .await;
    let client = client(&server.endpoint);
    assert!(client.send(&join()).await.is_ok());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn dropped_connections_until_the_end_are_outcome_unknown() {
    let server = CloudServer::start(SECRET, |_, _| Reply::Drop).await;
    let mut c = config(&server.endpoint);
    c.retry = fast_retry(2);
    let err = Client::new(c).unwrap().send(&join()).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(
        err.to_string()
            .contains("outcome unknown after 2 attempt(s)"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_timeout_is_outcome_unknown() {
    let server = CloudServer::start(SECRET, |_, _| Reply::Hang).await;
    let mut c = config(&server.endpoint);
    c.retry = fast_retry(1);
    c.timeout = Duration::from_millis(100);
    let err = Client::new(c).unwrap().send(&join()).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_unreachable_not_unknown() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut c = config(&endpoint);
    c.retry = fast_retry(2);
    let err = Client::new(c).unwrap().send(&join()).await.unwrap_err();
    assert!(
        matches!(err, Error::Unreachable { attempts: 2, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn paging_follows_next_token_and_batches_ids_by_100() {
    let server = CloudServer::start(SECRET, |_, r| {
        let ids: Vec<String> = serde_json::from_str(r.param("InstanceIds").unwrap()).unwrap();
        // The first batch answers in two pages, the second in one.
        let (items, next) = match (ids.len(), r.param("NextToken")) {
            (100, None) => (&ids[..60], "page-2"),
            (100, Some("page-2")) => (&ids[60..], ""),
            _ => (&ids[..], ""),
        };
        let instances: Vec<_> = items.iter().map(|id| serde_json::json!({"InstanceId": id, "Status": "Running"})).collect();
        Reply::ok(serde_json::json!({"RequestId": "R", "NextToken": next, "Instances": {"Instance": instances}}))
    })
    .await;
    let ids: Vec<InstanceId> = (0..150)
        .map(|i| InstanceId::parse(&format!("i-bp1test{i:012}")).unwrap())
        .collect();
    let found = client(&server.endpoint)
        .describe_instances_by_id(&ids)
        .await
        .unwrap();
    let found_ids: Vec<InstanceId> = found.into_iter().map(|i| i.instance_id).collect();
    assert_eq!(found_ids, ids);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.param("MaxResults") == Some("100"))
    );
    assert_eq!(requests[1].param("NextToken"), Some("page-2"));
}

#[tokio::test]
async fn a_repeated_next_token_is_an_error_not_a_loop() {
    let server = CloudServer::start(SECRET, |_, _| Reply::ok(serde_json::json!({"RequestId": "R", "NextToken": "same", "Instances": {"Instance": []}}))).await;
    let err = client(&server.endpoint)
        .collect_pages(DescribeInstances::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Paging { .. }), "{err}");
    assert_eq!(server.requests().len(), 2);
}

/// A `MakeWriter` that appends every log line to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every form in which a secret could leak: raw, percent-encoded once and twice.
fn leaked_forms(secret: &str) -> Vec<String> {
    let once = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let twice = percent_encoding::utf8_percent_encode(&once, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    vec![
        secret.to_owned(),
        once,
        twice,
        "TEST-SECRET".to_owned(),
        "TEST-TOKEN".to_owned(),
    ]
}

#[tokio::test]
async fn no_secret_in_debug_output_errors_or_logs() {
    // The server echoes the string to sign (with the token in it) and the token itself, as a
    // confused gateway might.
    let server = CloudServer::start(SECRET, |n, r| match n {
        0 => Reply::error(400, "Throttling", "slow down"),
        1 => Reply::Drop,
        _ => Reply::error(
            400,
            "SignatureDoesNotMatch",
            &format!(
                "Specified signature is not matched with our calculation. server string to sign is:{} token {}",
                r.string_to_sign,
                r.param("SecurityToken").unwrap_or_default()
            ),
        ),
    })
    .await;
    let logs = Capture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests in this binary hit the client's log callsites on other threads with no
    // subscriber, and tracing caches that "nobody listens" per callsite; recompute it now that
    // this thread's subscriber is in place, or its logs may go missing (a flaky failure).
    tracing::callsite::rebuild_interest_cache();

    let mut config = config(&server.endpoint);
    config.credentials =
        Credentials::new("STS.testid", Secret::new(SECRET)).with_security_token(Secret::new(TOKEN));
    let mut shown = format!("{config:?}\n");
    let client = Client::new(config).unwrap();
    shown.push_str(&format!("{client:?}\n"));
    let err = client
        .send(&DescribeInstances::default())
        .await
        .unwrap_err();
    shown.push_str(&format!("{err}\n{err:?}\n{:?}\n", err.api()));
    assert_eq!(server.requests().len(), 3);
    assert!(
        err.api()
            .unwrap()
            .message
            .contains("server string to sign is:POST"),
        "{err}"
    );
    let err = client.send(&join()).await.unwrap_err();
    shown.push_str(&format!("{err}\n{err:?}\n"));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("DescribeInstances") && logs.contains("Signature=***"),
        "logs were captured:\n{logs}"
    );
    let all = format!("{shown}\n{logs}");
    for secret in [SECRET, TOKEN] {
        for form in leaked_forms(secret) {
            assert!(!all.contains(&form), "`{form}` leaked:\n{all}");
        }
    }
}

#[test]
fn cli_env_names_match_the_credentials_chain() {
    use sgform::cli::env;
    use sgform::cloud::credentials::vars;
    for (cli, lib) in [
        (
            env::ALIBABA_CLOUD_ACCESS_KEY_ID,
            vars::ALIBABA_CLOUD_ACCESS_KEY_ID,
        ),
        (
            env::ALIBABA_CLOUD_ACCESS_KEY_SECRET,
            vars::ALIBABA_CLOUD_ACCESS_KEY_SECRET,
        ),
        (
            env::ALIBABA_CLOUD_SECURITY_TOKEN,
            vars::ALIBABA_CLOUD_SECURITY_TOKEN,
        ),
        (env::ALICLOUD_ACCESS_KEY, vars::ALICLOUD_ACCESS_KEY),
        (env::ALICLOUD_SECRET_KEY, vars::ALICLOUD_SECRET_KEY),
        (env::ALICLOUD_SECURITY_TOKEN, vars::ALICLOUD_SECURITY_TOKEN),
        (env::ALIBABA_CLOUD_PROFILE, vars::ALIBABA_CLOUD_PROFILE),
        (env::ALIBABA_CLOUD_REGION_ID, vars::ALIBABA_CLOUD_REGION_ID),
        (env::ALICLOUD_REGION, vars::ALICLOUD_REGION),
        (
            env::ALIBABA_CLOUD_ENDPOINT_ECS,
            vars::ALIBABA_CLOUD_ENDPOINT_ECS,
        ),
    ] {
        assert_eq!(cli, lib);
        assert!(env::HELP.contains(cli), "{cli} is not in `sgform --help`");
    }
}

#[tokio::test]
async fn a_definite_failure_after_an_unknown_outcome_is_still_unknown_for_mutations() {
    let script = |n: usize, _: &crate::support::cloud_server::Recorded| match n % 2 {
        0 => Reply::Drop,
        _ => Reply::error(
            400,
            "InvalidOperation.MultiGroupType",
            "The specified instance can't join different types of security group.",
        ),
    };
    let server = CloudServer::start(SECRET, script).await;
    let client = client(&server.endpoint);
    // The dropped first attempt may have joined the group: the later refusal does not undo it.
    let err = client.send(&join()).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(
        err.to_string().contains("InvalidOperation.MultiGroupType"),
        "{err}"
    );
    // A read cannot have changed anything, so it reports the definite error.
    let err = client
        .send(&DescribeInstances::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.api().map(|e| e.code.as_str()),
        Some("InvalidOperation.MultiGroupType")
    );
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn success_bodies_are_returned_as_sent_even_if_they_contain_the_secret() {
    // Redaction is for what may echo the request (errors, logs); a short test secret that also
    // occurs in real data must not mangle a successful answer.
    let server = CloudServer::start("abc", |_, _| {
        Reply::ok(serde_json::json!({"RequestId": "R", "Name": "abc-group"}))
    })
    .await;
    let mut c = config(&server.endpoint);
    c.credentials = Credentials::new("LTAIshort", Secret::new("abc"));
    let response = Client::new(c)
        .unwrap()
        .call("DescribeRegions", &[])
        .await
        .unwrap();
    assert_eq!(response.body["Name"], "abc-group");
    assert!(server.requests()[0].signature_ok);
}

#[tokio::test]
async fn non_json_answers_are_retried_only_for_5xx() {
    let server = CloudServer::start(SECRET, |n, _| match n {
        0 => Reply::Json {
            status: 502,
            body: "<html>Bad Gateway</html>".into(),
        },
        1 => ok(),
        _ => Reply::Json {
            status: 200,
            body: "<html>captive portal</html>".into(),
        },
    })
    .await;
    let client = client(&server.endpoint);
    assert_eq!(
        client.send(&join()).await.unwrap().request_id.as_deref(),
        Some("473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E")
    );
    let err = client.send(&join()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidResponse {
                http_status: 200,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("captive portal"), "{err}");
    assert_eq!(server.requests().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// The network edge (issue 14): redirects, answer size, text from the server

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// A redirect to another origin is an error that names the endpoint and the status; nothing is
/// sent to the other origin (which would get the signed URL, STS token included).
#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = CloudServer::start(SECRET, |_, _| {
        Reply::ok(serde_json::json!({"RequestId": "R"}))
    })
    .await;
    let location = format!("{}/steal?SecurityToken={TOKEN}&x=1", elsewhere.endpoint);
    let server = CloudServer::start(SECRET, move |_, _| Reply::Headers {
        status: 307,
        headers: vec![("location".to_owned(), location.clone())],
        body: String::new(),
    })
    .await;
    let client = sts_client(&server.endpoint);
    for err in [
        client.send(&join()).await.unwrap_err(),
        client.mutate(&join()).await.unwrap_err(),
        client
            .send(&DescribeInstances::default())
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::Redirected {
                    http_status: 307,
                    ..
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&server.endpoint) && text.contains("307"),
            "{text}"
        );
        assert!(text.contains("does not follow"), "{text}");
        assert!(!text.contains(TOKEN) && !text.contains("x=1"), "{text}");
        assert!(err.hint().is_some());
    }
    assert_eq!(server.requests().len(), 3, "a redirect is not retried");
    assert!(elsewhere.requests().is_empty());
}

/// An answer that never ends is cut off at the cap (read chunk by chunk, so the test ends and
/// memory stays bounded), with an error naming the endpoint and the cap.
#[tokio::test]
async fn an_endless_answer_stops_at_the_cap() {
    let server = CloudServer::start(SECRET, |_, _| Reply::Endless { declared: None }).await;
    let err = client(&server.endpoint)
        .send(&DescribeInstances::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == sgform::cloud::client::MAX_RESPONSE_BYTES),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&server.endpoint) && text.contains("16 MiB"),
        "{text}"
    );
    assert_eq!(server.requests().len(), 1, "too large is not retried");
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let over = sgform::cloud::client::MAX_RESPONSE_BYTES as u64 + 1;
    let server = CloudServer::start(SECRET, move |_, _| Reply::Endless {
        declared: Some(over),
    })
    .await;
    let err = client(&server.endpoint)
        .send(&DescribeInstances::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err}");
}

/// A mutation whose answer cannot be read may have been made: its outcome is unknown, so apply
/// re-reads the target rather than taking it as failed (or sending it again blindly).
#[tokio::test]
async fn a_mutation_whose_answer_is_too_large_has_an_unknown_outcome() {
    let server = CloudServer::start(SECRET, |_, _| Reply::Endless { declared: None }).await;
    let err = client(&server.endpoint).mutate(&join()).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert!(err.to_string().contains("16 MiB"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

/// Escape sequences, carriage returns and line breaks from the server never reach a terminal:
/// not through the API error's fields, its Display, nor an unexpected body.
#[tokio::test]
async fn server_text_is_stripped_of_control_characters_and_escape_sequences() {
    let server = CloudServer::start(SECRET, |n, _| match n {
        0 => Reply::Json {
            status: 403,
            body: serde_json::json!({
                "RequestId": "REQ\u{1b}[2J-1",
                "Code": "Forbidden\u{1b}[31m.RAM",
                "Message": "denied\r\n\u{1b}]0;pwned\u{07}\u{1b}[1;32mApply complete!\u{1b}[0m",
                "HostId": "ecs\u{1b}[5m",
                "Recommend": "https://x/\u{07}",
            })
            .to_string(),
        },
        _ => Reply::Json {
            status: 200,
            body: "\u{1b}[2J\u{1b}]52;c;cm0gLXJm\u{07}not json\r".into(),
        },
    })
    .await;
    let client = client(&server.endpoint);
    let err = client.send(&join()).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.code.as_str(), "Forbidden.RAM");
    assert_eq!(api.message, "denied Apply complete!");
    assert_eq!(api.request_id.as_deref(), Some("REQ-1"));
    assert_eq!(api.host_id.as_deref(), Some("ecs"));
    assert_eq!(api.recommend.as_deref(), Some("https://x/"));
    let text = err.to_string();
    assert!(!has_control(&text), "{text:?}");
    assert!(
        text.contains("Forbidden.RAM") && text.contains("[request id REQ-1]"),
        "{text}"
    );
    // A code sgform knows keeps its hint once cleaned.
    assert!(api.hint().contains("RAM policy"), "{}", api.hint());

    let err = client.send(&join()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{text}");
    assert!(!has_control(&text) && text.contains("not json"), "{text:?}");
    assert!(!text.contains("cm0gLXJm"), "{text}");
}
