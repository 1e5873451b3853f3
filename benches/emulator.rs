//! Emulator throughput over loopback: signed requests from concurrent keep-alive clients
//! (mostly reads, a fifth Join/Leave), reported as requests per second.
//!
//! Run: `cargo bench --bench emulator` (optional arguments: total requests, client tasks).
//! The target in issue 3 is ≥ 5,000 requests/s on a 2-core machine.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Instant;

use sgform::emulator::verify::{percent_encode, signature, string_to_sign};
use sgform::emulator::{Options, World};

const KEY_ID: &str = "LTAI5tBenchKey0000001";
const SECRET: &str = "bench-secret";
const CLIENTS: usize = 32;

fn world() -> World {
    let instances: Vec<String> = (0..CLIENTS)
        .map(|n| {
            format!(
                r#"{{"id": "i-bp1bench{n:08}", "region": "cn-hangzhou", "owner": "1",
                    "vpc_id": "vpc-bp1bench0001", "security_group_ids": ["sg-bp1bencha001"]}}"#
            )
        })
        .collect();
    World::from_json(&format!(
        r#"{{ "accounts": [{{"id": "1", "access_keys": [{{"id": "{KEY_ID}", "secret": "{SECRET}"}}]}}],
             "vpcs": [{{"id": "vpc-bp1bench0001", "region": "cn-hangzhou", "owner": "1"}}],
             "security_groups": [
               {{"id": "sg-bp1bencha001", "region": "cn-hangzhou", "owner": "1", "vpc_id": "vpc-bp1bench0001"}},
               {{"id": "sg-bp1benchb001", "region": "cn-hangzhou", "owner": "1", "vpc_id": "vpc-bp1bench0001"}}],
             "instances": [{}] }}"#,
        instances.join(",")
    ))
    .unwrap()
}

fn url(base: &str, action: &str, extra: &[(&str, String)], nonce: u64) -> String {
    let mut params: BTreeMap<String, String> = [
        ("AccessKeyId", KEY_ID.to_owned()),
        ("Action", action.to_owned()),
        ("Format", "JSON".to_owned()),
        ("RegionId", "cn-hangzhou".to_owned()),
        ("SignatureMethod", "HMAC-SHA1".to_owned()),
        ("SignatureNonce", format!("bench-{nonce}")),
        ("SignatureVersion", "1.0".to_owned()),
        (
            "Timestamp",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        ("Version", "2014-05-26".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
    .collect();
    let sig = signature(SECRET, &string_to_sign("GET", &params));
    params.insert("Signature".into(), sig);
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    format!("{base}/?{}", query.join("&"))
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let total: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(40_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(sgform::emulator::serve(
            listener,
            world(),
            Options::default(),
            async {
                let _ = stopped.await;
            },
        ));
        let per_client = total / CLIENTS as u64;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                let instance = format!("i-bp1bench{c:08}");
                let mut errors = 0u64;
                for n in 0..per_client {
                    let nonce = (c as u64) << 32 | n;
                    let u = match n % 10 {
                        0 => url(&base, "JoinSecurityGroup", &[("InstanceId", instance.clone()), ("SecurityGroupId", "sg-bp1benchb001".into())], nonce),
                        1 => url(&base, "LeaveSecurityGroup", &[("InstanceId", instance.clone()), ("SecurityGroupId", "sg-bp1benchb001".into())], nonce),
                        2..=5 => url(&base, "DescribeInstanceAttribute", &[("InstanceId", instance.clone())], nonce),
                        _ => url(&base, "DescribeInstances", &[("InstanceIds", format!("[\"{instance}\"]"))], nonce),
                    };
                    let resp = http.get(u).send().await.unwrap();
                    if !resp.status().is_success() {
                        errors += 1;
                    }
                    resp.bytes().await.unwrap();
                }
                errors
            }));
        }
        let mut errors = 0;
        for t in tasks {
            errors += t.await.unwrap();
        }
        let elapsed = started.elapsed();
        let done = per_client * CLIENTS as u64;
        println!(
            "emulator: {done} requests from {CLIENTS} clients in {:.2} s = {:.0} requests/s ({errors} non-2xx)",
            elapsed.as_secs_f64(),
            done as f64 / elapsed.as_secs_f64()
        );
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    });
}
