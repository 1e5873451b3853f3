//! The real `sgform api` binary against an in-test server over 127.0.0.1, with credentials from
//! environment variables or a profile file under a temporary `HOME`.

use crate::support::cloud_server::{CloudServer, Reply};
use crate::support::run_sgform as sgform;

const SECRET: &str = "CLI-TEST-SECRET-9d2e";
const TOKEN: &str = "CLI-TEST-TOKEN-aa+/=";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_prints_the_json_response_on_stdout() {
    let answer = serde_json::json!({
        "RequestId": "A1B2C3D4-0000-4000-8000-000000000001",
        "Regions": {"Region": [{"RegionId": "cn-hangzhou", "LocalName": "China (Hangzhou)", "RegionEndpoint": "ecs.cn-hangzhou.aliyuncs.com", "Status": "available"}]}
    });
    let body = answer.clone();
    let server = CloudServer::start(SECRET, move |_, r| {
        if r.signature_ok {
            Reply::ok(body.clone())
        } else {
            Reply::error(400, "SignatureDoesNotMatch", "bad signature")
        }
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let out = sgform(
        &[
            "api",
            "DescribeRegions",
            "AcceptLanguage=en-US",
            "--endpoint",
            &server.endpoint,
        ],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIclitest"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
            ("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou"),
        ],
    )
    .await;
    assert!(out.status.success(), "stderr:\n{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, answer);
    assert!(
        text(&out.stdout).contains("\n  \"Regions\""),
        "pretty-printed:\n{}",
        text(&out.stdout)
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert!(r.signature_ok);
    assert_eq!(r.param("Action"), Some("DescribeRegions"));
    assert_eq!(r.param("AcceptLanguage"), Some("en-US"));
    assert_eq!(r.param("RegionId"), Some("cn-hangzhou"));
    assert_eq!(r.param("AccessKeyId"), Some("LTAIclitest"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_error_prints_the_fields_on_stderr_and_exits_1() {
    let server = CloudServer::start(SECRET, |_, _| {
        Reply::error(
            404,
            "InvalidInstanceId.NotFound",
            "The specified InstanceId does not exist.",
        )
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let out = sgform(
        &[
            "api",
            "DescribeInstanceAttribute",
            "InstanceId=i-bp1gtjxuuvwj17zr8s5f",
            "--region",
            "cn-shanghai",
        ],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("ALICLOUD_ACCESS_KEY", "LTAIclitest"),
            ("ALICLOUD_SECRET_KEY", SECRET),
            ("ALIBABA_CLOUD_ENDPOINT_ECS", &server.endpoint),
            ("NO_COLOR", "1"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "stdout:\n{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    for needle in [
        "error: DescribeInstanceAttribute failed: InvalidInstanceId.NotFound (HTTP 404)",
        "message: The specified InstanceId does not exist.",
        "http status: 404",
        "request id: REQ-InvalidInstanceId.NotFound",
        "hint: the instance does not exist in this region and account",
    ] {
        assert!(
            stderr.contains(needle),
            "`{needle}` missing from stderr:\n{stderr}"
        );
    }
    assert_eq!(server.requests()[0].param("RegionId"), Some("cn-shanghai"));
    assert_eq!(
        server.requests().len(),
        1,
        "a permanent error is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_profile_credentials_and_debug_logs_never_show_the_secret() {
    let server = CloudServer::start(SECRET, |_, r| {
        if r.signature_ok {
            Reply::ok(serde_json::json!({"RequestId": "R"}))
        } else {
            Reply::error(400, "SignatureDoesNotMatch", &r.string_to_sign)
        }
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aliyun")).unwrap();
    let config = serde_json::json!({
        "current": "other",
        "profiles": [
            {"name": "other", "mode": "AK", "access_key_id": "LTAIother", "access_key_secret": "nope", "region_id": "cn-beijing"},
            {"name": "ci", "mode": "StsToken", "access_key_id": "STS.clitest", "access_key_secret": SECRET, "sts_token": TOKEN, "region_id": "cn-shenzhen"}
        ]
    });
    std::fs::write(home.path().join(".aliyun/config.json"), config.to_string()).unwrap();
    let out = sgform(
        &[
            "api",
            "JoinSecurityGroup",
            "SecurityGroupId=sg-bp1fg655nh68xyz9i4w1",
            "InstanceId=i-bp1gtjxuuvwj17zr8s5f",
            "--profile",
            "ci",
            "--endpoint",
            &server.endpoint,
        ],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("SGFORM_LOG", "debug"),
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "stderr:\n{stderr}");
    let r = &server.requests()[0];
    assert_eq!(r.param("AccessKeyId"), Some("STS.clitest"));
    assert_eq!(r.param("SecurityToken"), Some(TOKEN));
    assert_eq!(
        r.param("RegionId"),
        Some("cn-shenzhen"),
        "region from the chosen profile"
    );
    assert!(
        stderr.contains("JoinSecurityGroup"),
        "debug logs on stderr:\n{stderr}"
    );
    let all = format!("{}{stderr}", text(&out.stdout));
    for needle in ["CLI-TEST-SECRET", "CLI-TEST-TOKEN"] {
        assert!(!all.contains(needle), "`{needle}` leaked:\n{all}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_say_what_to_set() {
    let home = tempfile::tempdir().unwrap();
    let out = sgform(
        &[
            "api",
            "DescribeRegions",
            "--region",
            "cn-hangzhou",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        &[("HOME", home.path().to_str().unwrap()), ("NO_COLOR", "1")],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for needle in [
        "no Alibaba Cloud credentials found: no credential environment variable is set and there is no aliyun CLI profile file",
        "hint: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`",
    ] {
        assert!(
            stderr.contains(needle),
            "`{needle}` missing from stderr:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_parameters_are_refused_before_sending() {
    let out = sgform(
        &[
            "api",
            "DescribeRegions",
            "NoEqualsSign",
            "--region",
            "cn-hangzhou",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIx"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "y"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`NoEqualsSign` is not `Key=Value`"),
        "{}",
        text(&out.stderr)
    );
}
